//! `arca gc` and `arca check`: maintenance of a data directory, safe to run beside a live server
//! (the blob table coordinates them; see ARCHITECTURE.md, "Blob lifecycle").

use anyhow::bail;
use arca_service::Pager;

use crate::{open_service, Config};

/// Maintenance never serves pagination tokens, so its pager needs no shared secret.
fn pager() -> Pager {
    Pager::new(b"arca-maintenance")
}

/// Frees unreferenced bytes older than the configured grace, including objects without a row.
pub async fn gc(config: Config) -> anyhow::Result<()> {
    let service = open_service(&config, pager()).await?;
    let report = service.collect_garbage(config.gc_grace, true).await?;
    println!(
        "freed {} unreferenced blobs and {} orphan objects (grace {} s)",
        report.freed,
        report.orphans_freed,
        config.gc_grace.as_secs()
    );
    Ok(())
}

/// Verifies every referenced blob; fails when one is missing or corrupt or temporaries remain.
pub async fn check(config: Config, verify_hashes: bool) -> anyhow::Result<()> {
    let service = open_service(&config, pager()).await?;
    let report = service
        .check_storage(verify_hashes, config.gc_grace)
        .await?;
    println!(
        "{} referenced blobs checked ({}); {} missing, {} corrupt; {} temporaries; {} unreferenced objects ({} bytes, collectable by `arca gc`)",
        report.referenced,
        if verify_hashes { "sizes and SHA-256" } else { "sizes only" },
        report.missing.len(),
        report.corrupt.len(),
        report.temporaries,
        report.unreferenced,
        report.unreferenced_bytes,
    );
    for blob in &report.missing {
        println!("missing: {blob}");
    }
    for blob in &report.corrupt {
        println!("corrupt: {blob}");
    }
    if !report.is_healthy() {
        bail!("storage check failed");
    }
    Ok(())
}
