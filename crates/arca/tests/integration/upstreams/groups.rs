//! Package groups on the upstream paths: EXTERNAL_UPSTREAM keeps a namespace from coming from the
//! public registry (the stand-in is not even asked), INTERNAL_UPSTREAM keeps it from being retained
//! from upstream repositories, ALLOW_SPECIFIC_REPOSITORIES picks the repository whose connection
//! may ingest. Chain `app → team → store(public:npmjs)` in domain `acme`.

use std::time::Duration;

use aws_sdk_codeartifact::types::{
    PackageFormat, PackageGroupOriginRestrictionMode as Mode,
    PackageGroupOriginRestrictionType as Type,
};
use serde_json::json;

use super::standin::{self, StandIn};
use crate::common::npm::*;
use crate::common::*;

async fn retained(s: &TestServer, repo: &str, package: &str, version: &str) -> bool {
    standin::describe(s, repo, PackageFormat::Npm, None, package, version)
        .await
        .is_some()
}

#[tokio::test]
async fn external_upstream_block_gets_nothing_from_the_public_registry() {
    let standin = StandIn::start().await;
    let v1 = standin.add("left-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    standin.add("right-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    let s = standin::chain(&standin.url, "public:npmjs", Duration::from_secs(300)).await;
    package_group(
        &s,
        "/npm//left-pad$",
        Type::ExternalUpstream,
        Mode::Block,
        &[],
    )
    .await;
    let app = Npm::login(&s, "acme", "app").await;

    assert_eq!(app.get("left-pad").await.status, 404);
    assert_eq!(app.get("left-pad/-/left-pad-1.0.0.tgz").await.status, 404);
    assert_eq!(
        standin.count("left-pad"),
        0,
        "the public registry is not asked"
    );
    assert!(!retained(&s, "store", "left-pad", "1.0.0").await);
    // Other packages come through as before.
    assert_eq!(app.get("right-pad/-/right-pad-1.0.0.tgz").await.status, 200);
    assert!(retained(&s, "app", "right-pad", "1.0.0").await);

    // Allowed for the one repository holding the connection: changes apply at once.
    package_group(
        &s,
        "/npm//left-pad$",
        Type::ExternalUpstream,
        Mode::AllowSpecificRepositories,
        &["store"],
    )
    .await;
    let t = app.get("left-pad/-/left-pad-1.0.0.tgz").await;
    assert_eq!(t.status, 200);
    assert_eq!(&t.body[..], &v1[..]);
    assert!(retained(&s, "store", "left-pad", "1.0.0").await);
}

#[tokio::test]
async fn internal_upstream_block_keeps_upstream_versions_out() {
    let standin = StandIn::start().await;
    let s = standin::chain(&standin.url, "public:npmjs", Duration::from_secs(300)).await;
    let team = Npm::login(&s, "acme", "team").await;
    team.publish_ok("@acme/kit", "1.0.0", json!({})).await;
    package_group(&s, "/npm/acme/*", Type::InternalUpstream, Mode::Block, &[]).await;
    let app = Npm::login(&s, "acme", "app").await;

    assert_eq!(app.get("@acme%2fkit").await.status, 404, "not even listed");
    assert_eq!(app.get("@acme/kit/-/kit-1.0.0.tgz").await.status, 404);
    assert!(!retained_scoped(&s, "app").await);
    // In team itself it is there.
    assert_eq!(team.get("@acme/kit/-/kit-1.0.0.tgz").await.status, 200);

    // Only app may retain it: then app gets it.
    package_group(
        &s,
        "/npm/acme/*",
        Type::InternalUpstream,
        Mode::AllowSpecificRepositories,
        &["app"],
    )
    .await;
    assert_eq!(app.get("@acme/kit/-/kit-1.0.0.tgz").await.status, 200);
    assert!(retained_scoped(&s, "app").await);
}

async fn retained_scoped(s: &TestServer, repo: &str) -> bool {
    standin::describe(s, repo, PackageFormat::Npm, Some("acme"), "kit", "1.0.0")
        .await
        .is_some()
}
