//! RubyGems through a chain `app → team → store`, where `store` holds the external connection
//! `public:ruby-gems-org` to a stand-in compact index server: the merged `info/NAME` (the source's
//! lines byte for byte), retention of gems (by download, and by a quick spec) with their origin,
//! verification against `checksum:`, the dependency-confusion 409, package groups on the source's
//! `versions` lines.

use std::time::Duration;

use md5::Digest;

use aws_sdk_codeartifact::types::{
    PackageFormat, PackageGroupOriginRestrictionMode as Mode,
    PackageGroupOriginRestrictionType as Type,
};

use super::standin::{self, StandIn};
use crate::common::*;
use crate::ruby::{full_index, gem, gemspec, login_to, push, text};

#[tokio::test]
async fn gems_through_the_chain() {
    let standin = StandIn::start().await;
    let plain = gem(&gemspec("kit", "1.0.0", "ruby", &[]));
    let linux = gem(&gemspec("kit", "1.0.0", "x86_64-linux", &[]));
    let info = format!(
        "---\n1.0.0 |checksum:{},ruby:>= 2.7\n1.0.0-x86_64-linux |checksum:{},ruby:>= 2.7\n",
        sha256_hex(&plain),
        sha256_hex(&linux)
    );
    standin.put_document("/info/kit", info.clone().into_bytes(), "text/plain");
    let source_versions = format!(
        "created_at: 2026-01-01T00:00:00Z\n---\nkit 1.0.0,1.0.0-x86_64-linux {}\nother 0.1 0123\n",
        hex::encode(md5::Md5::digest(info.as_bytes()))
    );
    standin.put_document(
        "/versions",
        source_versions.clone().into_bytes(),
        "text/plain",
    );
    standin.put_file("/gems/kit-1.0.0.gem", plain.clone());
    standin.put_file("/gems/kit-1.0.0-x86_64-linux.gem", linux.clone());
    // Indexes revalidated on every request.
    let s = standin::chain(&standin.url, "public:ruby-gems-org", Duration::ZERO).await;
    let app = login_to(&s, "app").await;
    let describe =
        |repo: &'static str| standin::describe(&s, repo, PackageFormat::Ruby, None, "kit", "1.0.0");

    // The source's lines, byte for byte; nothing retained yet.
    let r = app.get("info/kit").await;
    assert_eq!((r.status, text(&r)), (200, info.clone()));
    assert!(describe("app").await.is_none());
    assert_eq!(app.get("info/nothing").await.status, 404);
    // versions: the source's lines for the gems no repository holds, byte for byte.
    let versions = text(&app.get("versions").await);
    assert!(
        versions.ends_with(source_versions.split_once("---\n").unwrap().1),
        "{versions}"
    );
    // The full index lists the source's gems too (from the merged `versions`), nothing retained.
    assert_eq!(
        full_index(&app, "specs.4.8.gz").await,
        ["kit 1.0.0 ruby", "kit 1.0.0 x86_64-linux", "other 0.1 ruby"]
    );
    assert_eq!(
        full_index(&app, "latest_specs.4.8.gz").await,
        ["kit 1.0.0 ruby", "kit 1.0.0 x86_64-linux", "other 0.1 ruby"]
    );
    assert!(full_index(&app, "prerelease_specs.4.8.gz").await.is_empty());
    assert!(describe("app").await.is_none());
    // The dependency API reads the same merged lines.
    let r = app.get("api/v1/dependencies.json?gems=kit,nothing").await;
    assert_eq!(
        r.json(),
        serde_json::json!([
            {"name": "kit", "number": "1.0.0", "platform": "ruby", "dependencies": []},
            {"name": "kit", "number": "1.0.0", "platform": "x86_64-linux", "dependencies": []}
        ])
    );

    // gem 3.3 reads the quick spec first: the gem is retained to render it, into app and store.
    let r = app.get("quick/Marshal.4.8/kit-1.0.0.gemspec.rz").await;
    assert_eq!(r.status, 200, "{}", text(&r));
    standin::assert_external(&describe("app").await.unwrap(), "public:ruby-gems-org");
    standin::assert_external(&describe("store").await.unwrap(), "public:ruby-gems-org");
    assert!(describe("team").await.is_none());
    assert_eq!(
        describe("app").await.unwrap().summary(),
        Some("The kit gem")
    );
    // The platform gem joins the same version on its download.
    let r = app.get("gems/kit-1.0.0-x86_64-linux.gem").await;
    assert_eq!((r.status, &r.body[..]), (200, &linux[..]));
    assert_eq!(
        standin::asset_names(&s, "app", PackageFormat::Ruby, None, "kit", "1.0.0").await,
        ["kit-1.0.0-x86_64-linux.gem", "kit-1.0.0.gem"]
    );
    let r = app.get("gems/kit-1.0.0.gem").await;
    assert_eq!((r.status, &r.body[..]), (200, &plain[..]));
    assert_eq!(standin.count("/gems/kit-1.0.0.gem"), 1);
    // Rendered from the retained gems now: the same lines.
    assert_eq!(text(&app.get("info/kit").await), info);
    let versions = text(&app.get("versions").await);
    assert!(
        versions.contains("\nkit 1.0.0,1.0.0-x86_64-linux "),
        "{versions}"
    );
    assert!(versions.ends_with("\nother 0.1 0123\n"), "{versions}");

    // A version the source has cannot be pushed downstream (dependency confusion).
    let team = login_to(&s, "team").await;
    let r = push(&team, gem(&gemspec("kit", "1.0.0", "java", &[]))).await;
    assert_eq!(r.status, 409, "{}", text(&r));

    // A file that does not match its checksum is not kept.
    let other = gem(&gemspec("kit", "2.0.0", "ruby", &[]));
    let info2 = format!("{info}2.0.0 |checksum:{}\n", "0".repeat(64));
    standin.put_document("/info/kit", info2.into_bytes(), "text/plain");
    standin.put_file("/gems/kit-2.0.0.gem", other.clone());
    // versions names what the merged info/kit has beyond the repository's own gems.
    let merged = app.get("info/kit").await;
    let versions = text(&app.get("versions").await);
    let digest = hex::encode(md5::Md5::digest(&merged.body));
    assert!(
        versions.contains(&format!("\nkit 2.0.0 {digest}\n")),
        "{versions}"
    );
    let r = app.get_partial("gems/kit-2.0.0.gem").await;
    standin::assert_cut_off(&r, other.len());
    let kept = standin::describe(&s, "app", PackageFormat::Ruby, None, "kit", "2.0.0").await;
    assert!(kept.is_none());

    // A gem whose package group keeps it from the external connection leaves the source's
    // `versions` lines too (and its `info`), for every repository of the chain.
    assert_eq!(text(&app.get("names").await), "---\nkit\nother\n");
    package_group(
        &s,
        "/ruby//other$",
        Type::ExternalUpstream,
        Mode::Block,
        &[],
    )
    .await;
    for repo in ["app", "store"] {
        let r = login_to(&s, repo).await;
        let versions = text(&r.get("versions").await);
        assert!(!versions.contains("\nother "), "{repo}: {versions}");
        assert!(versions.contains("\nkit "), "{repo}: {versions}");
        assert_eq!(text(&r.get("names").await), "---\nkit\n", "{repo}");
    }
    assert_eq!(app.get("info/other").await.status, 404);
    // INTERNAL_UPSTREAM BLOCK keeps it out of the downstream repositories only.
    package_group(
        &s,
        "/ruby//other$",
        Type::ExternalUpstream,
        Mode::Allow,
        &[],
    )
    .await;
    package_group(
        &s,
        "/ruby//other$",
        Type::InternalUpstream,
        Mode::Block,
        &[],
    )
    .await;
    let store = text(&login_to(&s, "store").await.get("versions").await);
    assert!(store.ends_with("\nother 0.1 0123\n"), "{store}");
    let versions = text(&app.get("versions").await);
    assert!(!versions.contains("\nother "), "{versions}");
    // The full index follows: app leaves `other` out, store lists it.
    assert!(!full_index(&app, "specs.4.8.gz")
        .await
        .iter()
        .any(|l| l.starts_with("other ")));
    let store = login_to(&s, "store").await;
    assert!(full_index(&store, "specs.4.8.gz")
        .await
        .contains(&"other 0.1 ruby".to_string()));
}

/// The compact index dates nothing: with a minimum release age the source gives nothing (fail
/// closed), in every index and on download.
#[tokio::test]
async fn a_minimum_release_age_keeps_the_undated_source_out() {
    let standin = StandIn::start().await;
    let plain = gem(&gemspec("kit", "1.0.0", "ruby", &[]));
    let info = format!("---\n1.0.0 |checksum:{}\n", sha256_hex(&plain));
    standin.put_document("/info/kit", info.clone().into_bytes(), "text/plain");
    let versions = format!(
        "created_at: 2026-01-01T00:00:00Z\n---\nkit 1.0.0 {}\n",
        hex::encode(md5::Md5::digest(info.as_bytes()))
    );
    standin.put_document("/versions", versions.into_bytes(), "text/plain");
    standin.put_file("/gems/kit-1.0.0.gem", plain);
    let s = standin::chain_with(&standin.url, "public:ruby-gems-org", |source| {
        source.min_release_age = Some(Duration::from_secs(86_400));
    })
    .await;
    let app = login_to(&s, "app").await;
    assert_eq!(app.get("info/kit").await.status, 404);
    assert!(!text(&app.get("versions").await).contains("kit"));
    assert!(full_index(&app, "specs.4.8.gz").await.is_empty());
    assert_eq!(app.get("gems/kit-1.0.0.gem").await.status, 404);
    assert_eq!(standin.count("/gems/kit-1.0.0.gem"), 0);
}
