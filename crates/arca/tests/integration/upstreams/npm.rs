//! npm through a chain `app → team → store`, where `store` holds the external connection
//! `public:npmjs` to a stand-in registry: merged packuments, retention with origins, verification,
//! single-flight, outages.

use std::time::Duration;

use aws_sdk_codeartifact::types::{
    AllowPublish, AllowUpstream, PackageFormat, PackageVersionOriginType,
};
use serde_json::json;

use super::standin::{self, assert_cut_off, StandIn};
use crate::common::npm::*;
use crate::common::*;

/// A server whose `public:npmjs` is the stand-in (indexes revalidated after `ttl`), and the chain
/// `app → team → store(public:npmjs)`.
async fn chain(standin: &StandIn, ttl: Duration) -> TestServer {
    standin::chain(&standin.url, "public:npmjs", ttl).await
}

/// DescribePackageVersion of an unscoped npm package in domain `acme`.
async fn describe(
    s: &TestServer,
    repo: &str,
    package: &str,
    version: &str,
) -> Option<aws_sdk_codeartifact::types::PackageVersionDescription> {
    standin::describe(s, repo, PackageFormat::Npm, None, package, version).await
}

#[tokio::test]
async fn install_through_the_chain_retains_in_app_and_store_only() {
    let standin = StandIn::start().await;
    let v1 = standin.add(
        "left-pad",
        "1.0.0",
        json!({"license": "WTFPL"}),
        "2020-01-01T00:00:00.000Z",
    );
    standin.add("left-pad", "1.1.0", json!({}), "2021-01-01T00:00:00.000Z");
    let s = chain(&standin, Duration::from_secs(300)).await;
    let app = Npm::login(&s, "acme", "app").await;
    // A private package in app that depends on the public one.
    app.publish_ok(
        "@acme/kit",
        "1.0.0",
        json!({"dependencies": {"left-pad": "^1.0.0"}}),
    )
    .await;

    let p = app.get("left-pad").await;
    assert_eq!(p.status, 200, "{}", String::from_utf8_lossy(&p.body));
    assert_eq!(p.header("warning"), None);
    let p = p.json();
    assert_eq!(p["dist-tags"]["latest"], "1.1.0");
    let v = &p["versions"]["1.0.0"];
    assert_eq!(v["license"], "WTFPL", "the source's fields pass through");
    assert_eq!(
        v["dist"],
        json!({"tarball": format!("{}{}left-pad/-/left-pad-1.0.0.tgz", s.endpoint, app.base),
               "shasum": shasum(&v1), "integrity": integrity(&v1)}),
        "the tarball URL is Arca's own"
    );
    // Listed, not retained: the API does not see it yet (§A7).
    assert!(describe(&s, "app", "left-pad", "1.0.0").await.is_none());

    let t = app.get("left-pad/-/left-pad-1.0.0.tgz").await;
    assert_eq!(t.status, 200);
    assert_eq!(&t.body[..], &v1[..]);
    for repo in ["app", "store"] {
        let d = describe(&s, repo, "left-pad", "1.0.0")
            .await
            .unwrap_or_else(|| panic!("retained in {repo}"));
        let origin = d.origin().unwrap();
        assert_eq!(
            origin.origin_type(),
            Some(&PackageVersionOriginType::External)
        );
        assert_eq!(
            origin
                .domain_entry_point()
                .unwrap()
                .external_connection_name(),
            Some("public:npmjs"),
            "{repo}"
        );
        assert_eq!(d.licenses()[0].name(), Some("WTFPL"));
        let pkg = s
            .client
            .describe_package()
            .domain("acme")
            .repository(repo)
            .format(PackageFormat::Npm)
            .package("left-pad")
            .send()
            .await
            .unwrap();
        let r = pkg
            .package()
            .unwrap()
            .origin_configuration()
            .unwrap()
            .restrictions()
            .unwrap();
        assert_eq!(
            (r.publish(), r.upstream()),
            (&AllowPublish::Block, &AllowUpstream::Allow),
            "ingested defaults"
        );
    }
    assert!(
        describe(&s, "team", "left-pad", "1.0.0").await.is_none(),
        "nothing in between"
    );
    assert!(
        describe(&s, "app", "left-pad", "1.1.0").await.is_none(),
        "only what was fetched"
    );

    // Served from Arca now: no second download from the source.
    let before = standin.count(".tgz");
    assert_eq!(app.get("left-pad/-/left-pad-1.0.0.tgz").await.status, 200);
    assert_eq!(standin.count(".tgz"), before);
    // The private package is there beside it.
    assert_eq!(app.get("@acme%2fkit").await.status, 200);
    // Unknown everywhere: 404.
    assert_eq!(app.get("no-such-package").await.status, 404);
    assert_eq!(app.get("left-pad/-/left-pad-9.9.9.tgz").await.status, 404);
}

#[tokio::test]
async fn internal_upstream_version_is_retained_with_its_origin() {
    let standin = StandIn::start().await;
    let s = chain(&standin, Duration::from_secs(300)).await;
    let store = Npm::login(&s, "acme", "store").await;
    let tgz = store.publish_ok("house", "2.0.0", json!({})).await;
    let app = Npm::login(&s, "acme", "app").await;
    let p = app.get("house").await;
    assert_eq!(p.status, 200);
    assert_eq!(p.json()["dist-tags"]["latest"], "2.0.0");
    let t = app.get("house/-/house-2.0.0.tgz").await;
    assert_eq!((t.status, &t.body[..]), (200, &tgz[..]));
    let d = describe(&s, "app", "house", "2.0.0")
        .await
        .expect("retained in app");
    let origin = d.origin().unwrap();
    assert_eq!(
        origin.origin_type(),
        Some(&PackageVersionOriginType::Internal)
    );
    assert_eq!(
        origin.domain_entry_point().unwrap().repository_name(),
        Some("store")
    );
    assert!(
        describe(&s, "team", "house", "2.0.0").await.is_none(),
        "nothing in between"
    );
}

#[tokio::test]
async fn a_tampered_file_is_refused_and_nothing_is_kept() {
    let standin = StandIn::start().await;
    let tgz = standin.add("left-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    let s = chain(&standin, Duration::from_secs(300)).await;
    let app = Npm::login(&s, "acme", "app").await;
    standin.set_tamper(true);
    let t = app.get_partial("left-pad/-/left-pad-1.0.0.tgz").await;
    assert_cut_off(&t, tgz.len());
    for repo in ["app", "team", "store"] {
        assert!(
            describe(&s, repo, "left-pad", "1.0.0").await.is_none(),
            "{repo}"
        );
    }
    // Once the source is right again, it is fetched and kept.
    standin.set_tamper(false);
    assert_eq!(app.get("left-pad/-/left-pad-1.0.0.tgz").await.status, 200);
    assert!(describe(&s, "app", "left-pad", "1.0.0").await.is_some());
}

#[tokio::test]
async fn a_fetched_tarball_streams_to_its_client_while_it_is_kept() {
    let standin = StandIn::start().await;
    let tgz = standin.add("left-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    let s = chain(&standin, Duration::from_secs(300)).await;
    let app = Npm::login(&s, "acme", "app").await;
    standin.hold_files(true);
    // The answer starts while the source still holds back the second half of the file (stored
    // first, then served, it could not).
    let head = tokio::time::timeout(
        Duration::from_secs(30),
        app.get_head("left-pad/-/left-pad-1.0.0.tgz"),
    )
    .await
    .expect("the answer starts before the source sent the whole file");
    assert_eq!(head.status(), 200);
    assert!(describe(&s, "app", "left-pad", "1.0.0").await.is_none());
    standin.hold_files(false);
    let body = http_body_util::BodyExt::collect(head.into_body())
        .await
        .expect("the whole file")
        .to_bytes();
    assert_eq!(&body[..], &tgz[..]);
    // Its end came once it was kept.
    assert!(describe(&s, "app", "left-pad", "1.0.0").await.is_some());
    assert_eq!(standin.count("left-pad-1.0.0.tgz"), 1);
}

#[tokio::test]
async fn a_fetch_whose_client_went_away_is_still_kept() {
    let standin = StandIn::start().await;
    standin.add("left-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    let s = chain(&standin, Duration::from_secs(300)).await;
    let app = Npm::login(&s, "acme", "app").await;
    standin.hold_files(true);
    let head = app.get_head("left-pad/-/left-pad-1.0.0.tgz").await;
    assert_eq!(head.status(), 200);
    drop(head);
    standin.hold_files(false);
    let mut kept = false;
    for _ in 0..200 {
        if describe(&s, "store", "left-pad", "1.0.0").await.is_some()
            && describe(&s, "app", "left-pad", "1.0.0").await.is_some()
        {
            kept = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        kept,
        "the fetch went on without its client and kept the tarball"
    );
    assert_eq!(app.get("left-pad/-/left-pad-1.0.0.tgz").await.status, 200);
    assert_eq!(standin.count("left-pad-1.0.0.tgz"), 1);
}

#[tokio::test]
async fn fifty_concurrent_requests_fetch_the_file_once() {
    let standin = StandIn::start().await;
    let tgz = standin.add("left-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    let s = chain(&standin, Duration::from_secs(300)).await;
    let app = Npm::login(&s, "acme", "app").await;
    let gets = (0..50).map(|_| app.get("left-pad/-/left-pad-1.0.0.tgz"));
    for r in futures::future::join_all(gets).await {
        assert_eq!((r.status, &r.body[..]), (200, &tgz[..]));
    }
    assert_eq!(standin.count("left-pad-1.0.0.tgz"), 1);
}

#[tokio::test]
async fn with_the_source_down_what_was_kept_installs_and_the_index_is_stale() {
    let standin = StandIn::start().await;
    let v1 = standin.add("left-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    standin.add("left-pad", "1.1.0", json!({}), "2021-01-01T00:00:00.000Z");
    // Indexes are stale at once, so every read revalidates.
    let s = chain(&standin, Duration::ZERO).await;
    let app = Npm::login(&s, "acme", "app").await;
    assert_eq!(app.get("left-pad").await.status, 200);
    assert_eq!(app.get("left-pad/-/left-pad-1.0.0.tgz").await.status, 200);
    // Revalidation with the ETag: 304, no new body.
    assert_eq!(app.get("left-pad").await.status, 200);

    standin.set_down(true);
    let p = app.get("left-pad").await;
    assert_eq!(p.status, 200);
    assert!(
        p.header("warning").is_some_and(|w| w.starts_with("110")),
        "{:?}",
        p.headers
    );
    let p = p.json();
    assert!(
        p["versions"]["1.1.0"].is_object(),
        "the stale copy lists what the source had"
    );
    let t = app.get("left-pad/-/left-pad-1.0.0.tgz").await;
    assert_eq!(
        (t.status, &t.body[..]),
        (200, &v1[..]),
        "retained: installs with the source down"
    );
    // Not retained, source down: a clear 502, nothing kept.
    let t = app.get("left-pad/-/left-pad-1.1.0.tgz").await;
    assert_eq!(t.status, 502, "{}", String::from_utf8_lossy(&t.body));
    assert!(describe(&s, "app", "left-pad", "1.1.0").await.is_none());
}

async fn put_origin(
    s: &TestServer,
    repo: &str,
    package: &str,
    publish: AllowPublish,
    upstream: AllowUpstream,
) {
    let out = s
        .client
        .put_package_origin_configuration()
        .domain("acme")
        .repository(repo)
        .format(PackageFormat::Npm)
        .package(package)
        .restrictions(
            aws_sdk_codeartifact::types::PackageOriginRestrictions::builder()
                .publish(publish.clone())
                .upstream(upstream.clone())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let r = out.origin_configuration().unwrap().restrictions().unwrap();
    assert_eq!((r.publish(), r.upstream()), (&publish, &upstream));
}

#[tokio::test]
async fn origin_controls_guard_publishes_and_retention() {
    let standin = StandIn::start().await;
    standin.add("left-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    standin.add("left-pad", "1.1.0", json!({}), "2021-01-01T00:00:00.000Z");
    let s = chain(&standin, Duration::from_secs(300)).await;
    let app = Npm::login(&s, "acme", "app").await;

    // Dependency confusion: a version the public source has cannot be published downstream.
    let m = manifest("left-pad", "1.0.0", json!({}));
    let r = app.publish(&publish_doc(&m, &tarball(&m))).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("public:npmjs"));
    // Nor one an upstream repository has.
    let team = Npm::login(&s, "acme", "team").await;
    team.publish_ok("house", "1.0.0", json!({})).await;
    let m = manifest("house", "1.0.0", json!({}));
    assert_eq!(
        app.publish(&publish_doc(&m, &tarball(&m))).await.status,
        409
    );
    // A version nobody upstream has is fine.
    app.publish_ok("house", "1.0.1", json!({})).await;

    // upstream BLOCK (set before the package exists): own versions only, nothing fetched.
    put_origin(
        &s,
        "app",
        "left-pad",
        AllowPublish::Allow,
        AllowUpstream::Block,
    )
    .await;
    assert_eq!(
        app.get("left-pad").await.status,
        404,
        "no upstream versions"
    );
    assert_eq!(app.get("left-pad/-/left-pad-1.1.0.tgz").await.status, 404);
    assert!(describe(&s, "app", "left-pad", "1.1.0").await.is_none());
    app.publish_ok(
        "left-pad",
        "1.0.0",
        json!({"description": "our patched copy"}),
    )
    .await;
    let p = app.get("left-pad").await.json();
    assert_eq!(p["versions"].as_object().unwrap().len(), 1, "{p}");
    assert_eq!(p["description"], "our patched copy");

    // publish BLOCK refuses every publish of the package.
    put_origin(
        &s,
        "app",
        "left-pad",
        AllowPublish::Block,
        AllowUpstream::Block,
    )
    .await;
    let m = manifest("left-pad", "3.0.0", json!({}));
    let r = app.publish(&publish_doc(&m, &tarball(&m))).await;
    assert_eq!(r.status, 409);
    assert!(String::from_utf8_lossy(&r.body).contains("publish: BLOCK"));
    let listed = s
        .client
        .list_packages()
        .domain("acme")
        .repository("app")
        .publish(AllowPublish::Block)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = listed
        .packages()
        .iter()
        .filter_map(|p| p.package())
        .collect();
    assert_eq!(names, ["left-pad"]);

    // On a missing repository: ResourceNotFoundException.
    let e = s
        .client
        .put_package_origin_configuration()
        .domain("acme")
        .repository("ghost")
        .format(PackageFormat::Npm)
        .package("x")
        .restrictions(
            aws_sdk_codeartifact::types::PackageOriginRestrictions::builder()
                .publish(AllowPublish::Allow)
                .upstream(AllowUpstream::Allow)
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_not_found(e, "repository");
}
