//! npm document revisions (`_rev`): every npm write that sends a document back (unpublish of a
//! version or of the package, the tarball DELETE that follows, `npm deprecate`) must name the
//! current revision; a stale or missing one is a 409 and changes nothing, so a write never deletes
//! or overwrites what its sender did not see.

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use http::Method;
use serde_json::{json, Value};

use crate::common::npm::*;
use crate::common::*;

async fn setup() -> TestServer {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    s
}

/// The version strings the full packument lists.
async fn listed(npm: &Npm<'_>, name: &str) -> Vec<String> {
    let r = npm.get(name).await;
    if r.status == 404 {
        return Vec::new();
    }
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["versions"]
        .as_object()
        .expect("versions")
        .keys()
        .cloned()
        .collect()
}

/// What npm reads before a write: the full packument (`?write=true`) and its `_rev`.
async fn for_write(npm: &Npm<'_>, name: &str) -> (Value, String) {
    let doc = npm.get(&format!("{name}?write=true")).await.json();
    let rev = doc["_rev"].as_str().unwrap_or("undefined").to_string();
    (doc, rev)
}

fn without(mut doc: Value, version: &str) -> Value {
    doc["versions"].as_object_mut().unwrap().remove(version);
    doc
}

async fn put(npm: &Npm<'_>, path: &str, doc: &Value) -> RawResponse {
    npm.request(
        Method::PUT,
        path,
        &[("content-type", "application/json")],
        doc.to_string().into_bytes(),
    )
    .await
}

fn assert_conflict_body(r: &RawResponse) {
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert_eq!(body["success"], false, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}

/// The finding: publish 1.0.0 and 1.1.0, read the packument, publish 2.0.0, then send the read
/// document without 1.0.0. The old code deleted 1.0.0 *and* 2.0.0 (which the sender never saw).
#[tokio::test]
async fn stale_unpublish_document_is_refused_and_deletes_nothing() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    npm.publish_ok("widget", "1.0.0", json!({})).await;
    npm.publish_ok("widget", "1.1.0", json!({})).await;
    let (seen, seen_rev) = for_write(&npm, "widget").await;
    npm.publish_ok("widget", "2.0.0", json!({})).await;

    let r = put(
        &npm,
        &format!("widget/-rev/{seen_rev}"),
        &without(seen.clone(), "1.0.0"),
    )
    .await;
    assert_conflict_body(&r);
    assert_eq!(listed(&npm, "widget").await, ["1.0.0", "1.1.0", "2.0.0"]);

    // No revision at all (a client that never read one) is refused the same way.
    let (fresh, rev) = for_write(&npm, "widget").await;
    let r = put(
        &npm,
        "widget/-rev/undefined",
        &without(fresh.clone(), "1.0.0"),
    )
    .await;
    assert_conflict_body(&r);
    assert_eq!(listed(&npm, "widget").await, ["1.0.0", "1.1.0", "2.0.0"]);

    // With the current revision only the version the document left out goes.
    let r = put(
        &npm,
        &format!("widget/-rev/{rev}"),
        &without(fresh, "1.0.0"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(listed(&npm, "widget").await, ["1.1.0", "2.0.0"]);
}

/// `_rev` is `N-hex`, the same on every read of an unchanged package, and changes with any
/// change npm can see: a publish, a deprecation, a dist-tag, a status change.
#[tokio::test]
async fn the_revision_is_stable_and_follows_every_change() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    npm.publish_ok("@acme/kit", "1.0.0", json!({})).await;
    let rev = || async { for_write(&npm, "@acme%2fkit").await.1 };
    let r1 = rev().await;
    let (n, hex) = r1.split_once('-').expect("N-hex");
    assert!(n.parse::<u64>().is_ok(), "{r1}");
    assert!(
        hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{r1}"
    );
    assert_eq!(rev().await, r1, "stable between reads");
    let abbreviated = npm
        .request(
            Method::GET,
            "@acme%2fkit",
            &[("accept", "application/vnd.npm.install-v1+json")],
            Vec::new(),
        )
        .await;
    assert_eq!(abbreviated.status, 200);

    npm.publish_ok("@acme/kit", "1.1.0", json!({})).await;
    let r2 = rev().await;
    assert_ne!(r2, r1, "a publish changes it");

    let r = npm
        .request(
            Method::PUT,
            "-/package/@acme%2fkit/dist-tags/stable",
            &[("content-type", "application/json")],
            b"\"1.0.0\"".to_vec(),
        )
        .await;
    assert_eq!(r.status, 200);
    let r3 = rev().await;
    assert_ne!(r3, r2, "a dist-tag changes it");

    let (mut doc, current) = for_write(&npm, "@acme%2fkit").await;
    doc["versions"]["1.0.0"]["deprecated"] = json!("use 1.1");
    let r = put(&npm, "@acme%2fkit", &doc).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r4 = rev().await;
    assert_ne!(r4, current, "a deprecation changes it");

    s.client
        .update_package_versions_status()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .namespace("acme")
        .package("kit")
        .versions("1.0.0")
        .target_status(PackageVersionStatus::Unlisted)
        .send()
        .await
        .expect("update status");
    assert_ne!(rev().await, r4, "a status change changes it");
}

/// The tarball DELETE of `npm unpublish` and the package DELETE of `npm unpublish --force` need
/// the current revision too; with it they work as npm 11 drives them.
#[tokio::test]
async fn tarball_and_package_deletes_need_the_current_revision() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    npm.publish_ok("widget", "1.0.0", json!({})).await;
    let (_, stale) = for_write(&npm, "widget").await;
    npm.publish_ok("widget", "2.0.0", json!({})).await;

    let r = npm
        .request(
            Method::DELETE,
            &format!("widget/-/widget-2.0.0.tgz/-rev/{stale}"),
            &[],
            vec![],
        )
        .await;
    assert_conflict_body(&r);
    let r = npm
        .request(Method::DELETE, &format!("widget/-rev/{stale}"), &[], vec![])
        .await;
    assert_conflict_body(&r);
    let r = npm
        .request(Method::DELETE, "widget/-rev/undefined", &[], vec![])
        .await;
    assert_conflict_body(&r);
    assert_eq!(listed(&npm, "widget").await, ["1.0.0", "2.0.0"]);

    // npm 11's `npm unpublish widget@2.0.0`: PUT the document without it, read again, DELETE the
    // tarball under the revision just read (the version is gone already: nothing to do).
    let (doc, rev) = for_write(&npm, "widget").await;
    let r = put(&npm, &format!("widget/-rev/{rev}"), &without(doc, "2.0.0")).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let (_, rev) = for_write(&npm, "widget").await;
    let r = npm
        .request(
            Method::DELETE,
            &format!("widget/-/widget-2.0.0.tgz/-rev/{rev}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(listed(&npm, "widget").await, ["1.0.0"]);

    // `npm unpublish widget --force` under the current revision: the package goes.
    let (_, rev) = for_write(&npm, "widget").await;
    let r = npm
        .request(Method::DELETE, &format!("widget/-rev/{rev}"), &[], vec![])
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(npm.get("widget").await.status, 404);
}

/// `npm deprecate` PUTs the whole packument back: a stale one would undo what others changed
/// meanwhile, so it needs the current `_rev` too.
#[tokio::test]
async fn deprecate_needs_the_current_revision() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    npm.publish_ok("widget", "1.0.0", json!({})).await;
    npm.publish_ok("widget", "2.0.0", json!({})).await;
    let (stale, _) = for_write(&npm, "widget").await;
    let (mut doc, _) = for_write(&npm, "widget").await;
    doc["versions"]["2.0.0"]["deprecated"] = json!("broken");
    let r = put(&npm, "widget", &doc).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // The stale document does not carry 2.0.0's deprecation: sending it back is refused.
    let mut old = stale.clone();
    old["versions"]["1.0.0"]["deprecated"] = json!("old");
    assert_conflict_body(&put(&npm, "widget", &old).await);
    let mut no_rev = old.clone();
    no_rev.as_object_mut().unwrap().remove("_rev");
    assert_conflict_body(&put(&npm, "widget", &no_rev).await);
    let now = npm.get("widget").await.json();
    assert_eq!(now["versions"]["2.0.0"]["deprecated"], "broken");
    assert!(now["versions"]["1.0.0"].get("deprecated").is_none());
}
