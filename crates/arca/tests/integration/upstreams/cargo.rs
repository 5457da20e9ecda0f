//! cargo through a chain `app → team → store`, where `store` holds the external connection
//! `public:crates-io` to a stand-in sparse registry: merged index files (the source's lines byte
//! for byte), retention with origins, verification against `cksum`, the dependency-confusion 409.

use std::time::Duration;

use aws_sdk_codeartifact::types::PackageFormat;

use super::standin::{self, StandIn};
use crate::cargo::{body, crate_file, login_to, manifest, meta, publish};
use crate::common::*;

/// The stand-in's index line of `serde_kit` `version` (with a field Arca does not know, which
/// must pass through).
fn line(version: &str, cksum: &str, yanked: bool) -> String {
    format!(
        r#"{{"name":"serde_kit","vers":"{version}","deps":[{{"name":"core","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","registry":null,"package":null}}],"cksum":"{cksum}","features":{{}},"yanked":{yanked},"links":null,"rust_version":"1.60","x-extra":1}}"#
    )
}

#[tokio::test]
async fn crates_through_the_chain() {
    let standin = StandIn::start().await;
    let v1 = crate_file("serde_kit", "1.0.0", &manifest("serde_kit", "1.0.0", ""));
    let v2 = crate_file("serde_kit", "1.1.0", &manifest("serde_kit", "1.1.0", ""));
    let index = format!(
        "{}\n{}\n",
        line("1.0.0", &sha256_hex(&v1), false),
        line("1.1.0", &sha256_hex(&v2), true)
    );
    standin.put_document("/se/rd/serde_kit", index.clone().into_bytes(), "text/plain");
    // Files where `dl` says, with markers (as for 1.0.0) or without (as for 1.1.0).
    let config = |dl: &str| {
        let dl = format!("{}{dl}", standin.url);
        let body = serde_json::json!({ "dl": dl, "api": standin.url });
        standin.put_document(
            "/config.json",
            body.to_string().into_bytes(),
            "application/json",
        );
    };
    config("files/{lowerprefix}/{crate}/{version}/{sha256-checksum}.crate");
    let v1_path = format!("/files/se/rd/serde_kit/1.0.0/{}.crate", sha256_hex(&v1));
    standin.put_file(&v1_path, v1.clone());
    standin.put_file("/plain/serde_kit/1.1.0/download", v2.clone());
    // Indexes revalidated on every request.
    let s = standin::chain(&standin.url, "public:crates-io", Duration::ZERO).await;
    let app = login_to(&s, "app").await;
    let describe = |repo: &'static str, v: &'static str| {
        standin::describe(&s, repo, PackageFormat::Cargo, None, "serde_kit", v)
    };

    // The source's lines, byte for byte; not retained yet.
    let r = app.get("se/rd/serde_kit").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(String::from_utf8_lossy(&r.body), index);
    assert!(describe("app", "1.0.0").await.is_none());
    assert_eq!(app.get("se/rd/nothing").await.status, 404);
    // Search finds what the repository has: not what only the source has.
    let search = || async { app.get("api/v1/crates?q=serde").await.json() };
    assert_eq!(search().await["meta"]["total"], 0);

    // A download retains the crate in app and store (not team), with the source as origin.
    let d = app.get("api/v1/crates/serde_kit/1.0.0/download").await;
    assert_eq!((d.status, &d.body[..]), (200, &v1[..]));
    assert_eq!(standin.count(".crate"), 1);
    standin::assert_external(&describe("app", "1.0.0").await.unwrap(), "public:crates-io");
    standin::assert_external(
        &describe("store", "1.0.0").await.unwrap(),
        "public:crates-io",
    );
    assert!(describe("team", "1.0.0").await.is_none());
    let summary = describe("app", "1.0.0").await.unwrap();
    assert_eq!(summary.summary(), Some("serde_kit does things"));
    // What app retained is app's: search finds it.
    assert_eq!(
        search().await,
        serde_json::json!({"crates": [{"name": "serde_kit", "max_version": "1.0.0",
            "description": "serde_kit does things"}], "meta": {"total": 1}})
    );
    // Still the source's line for it.
    assert_eq!(
        String::from_utf8_lossy(&app.get("se/rd/serde_kit").await.body),
        index
    );

    // A version the source has cannot be published downstream (dependency confusion; in team, which
    // holds no copy whose origin controls would refuse it first).
    let team = login_to(&s, "team").await;
    let file = crate_file("serde_kit", "1.1.0", &manifest("serde_kit", "1.1.0", ""));
    let r = publish(&team, body(&meta("serde_kit", "1.1.0"), &file)).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.json()["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("public:crates-io"));

    // The source down: its last index copy, marked stale; what was retained still downloads.
    standin.set_down(true);
    let r = app.get("se/rd/serde_kit").await;
    assert_eq!(
        (r.status, String::from_utf8_lossy(&r.body)),
        (200, index.clone().into())
    );
    assert!(r.header("warning").is_some_and(|w| w.contains("Stale")));
    let d = app.get("api/v1/crates/serde_kit/1.0.0/download").await;
    assert_eq!(d.status, 200);
    standin.set_down(false);

    // Bytes that do not match the line's cksum are refused and not kept (from a `dl` without
    // markers).
    config("plain");
    standin.set_tamper(true);
    let d = app
        .get_partial("api/v1/crates/serde_kit/1.1.0/download")
        .await;
    standin::assert_cut_off(&d, v2.len());
    assert!(describe("store", "1.1.0").await.is_none());
    standin.set_tamper(false);
    let d = app.get("api/v1/crates/serde_kit/1.1.0/download").await;
    assert_eq!((d.status, &d.body[..]), (200, &v2[..]));
    assert_eq!(standin.count("/plain/serde_kit/1.1.0/download"), 2);
}
