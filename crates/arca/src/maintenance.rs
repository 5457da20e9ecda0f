//! `arca gc` and `arca check`: maintenance of a data directory, safe to run beside a live server
//! (the blob table coordinates them; see ARCHITECTURE.md, "Blob lifecycle").

use anyhow::bail;
use arca_service::Pager;

use crate::progress::{self, Progress};
use crate::{open_service, Config};

/// Maintenance never serves pagination tokens, so its pager needs no shared secret.
fn pager() -> Pager {
    Pager::new(b"arca-maintenance")
}

/// Frees unreferenced bytes older than the configured grace, including objects without a row.
pub async fn gc(config: Config) -> anyhow::Result<()> {
    let service = open_service(&config, pager()).await?;
    let mut progress = Progress::start("gc");
    let report = service
        .collect_garbage_with_progress(config.gc_grace, true, &mut |r| {
            progress.update(|| format!("{} blobs freed, {} orphans", r.freed, r.orphans_freed))
        })
        .await?;
    let pruned = service.prune_audit(config.audit_retention).await?;
    let secs = progress.elapsed_secs();
    progress.finish(&format!(
        "freed {} unreferenced blobs and {} orphan objects (grace {} s), pruned {pruned} audit \
         records older than {} days in {secs:.1} s",
        report.freed,
        report.orphans_freed,
        config.gc_grace.as_secs(),
        config.audit_retention.as_secs() / 86_400
    ));
    Ok(())
}

/// Verifies every referenced blob; fails when one is missing or corrupt or temporaries remain.
pub async fn check(config: Config, verify_hashes: bool) -> anyhow::Result<()> {
    let service = open_service(&config, pager()).await?;
    let mut progress = Progress::start("check");
    let report = service
        .check_storage_with_progress(verify_hashes, config.gc_grace, &mut |r| {
            progress.update(|| {
                format!(
                    "{} blobs checked, {} missing, {} corrupt; {} unreferenced objects ({})",
                    r.referenced,
                    r.missing.len(),
                    r.corrupt.len(),
                    r.unreferenced,
                    progress::bytes(r.unreferenced_bytes)
                )
            })
        })
        .await?;
    progress.finish(&format!(
        "{} referenced blobs checked ({}); {} missing, {} corrupt; {} temporaries; {} unreferenced objects ({} bytes, collectable by `arca gc`)",
        report.referenced,
        if verify_hashes { "sizes and SHA-256" } else { "sizes only" },
        report.missing.len(),
        report.corrupt.len(),
        report.temporaries,
        report.unreferenced,
        report.unreferenced_bytes,
    ));
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
