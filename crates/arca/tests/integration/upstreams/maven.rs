//! Maven through the chain `app → team → store(public:maven-central)`, the source a stand-in Maven 2
//! repository on 127.0.0.1: the merged `maven-metadata.xml` (union, `<latest>`/`<release>`
//! recomputed), files retained one by one into the version with their origin, verified against
//! the source's `.sha1`/`.sha256`, checksums from stored hashes, single-flight, outages.

use std::time::Duration;

use aws_sdk_codeartifact::types::PackageFormat;
use base64::Engine;
use http::Method;

use super::standin::{assert_cut_off, assert_external, asset_names, chain, describe, StandIn};
use crate::common::npm::Npm;
use crate::common::*;

const CONNECTION: &str = "public:maven-central";
const DIR: &str = "org/acme/kit";

async fn mvn<'a>(s: &'a TestServer, repo: &str) -> Npm<'a> {
    let mut c = Npm::login(s, "acme", repo).await;
    let token = c.authorization.take().expect("token");
    let token = token.trim_start_matches("Bearer ");
    c.base = c.base.replacen("/npm/", "/maven/", 1);
    c.authorization = Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"))
    ));
    c
}

fn pom(version: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.acme</groupId>
  <artifactId>kit</artifactId>
  <version>{version}</version>
  <description>The public kit</description>
</project>"#
    )
    .into_bytes()
}

fn metadata(versions: &[&str]) -> Vec<u8> {
    let vs: String = versions
        .iter()
        .map(|v| format!("<version>{v}</version>"))
        .collect();
    format!(
        "<metadata><groupId>org.acme</groupId><artifactId>kit</artifactId>\
         <versioning><versions>{vs}</versions><lastUpdated>20250101120000</lastUpdated></versioning></metadata>"
    )
    .into_bytes()
}

/// Puts a file on the stand-in at `{DIR}/{version}/{file}`, with its `.sha1` (and `.sha256`)
/// when `checksums`.
fn put_source_file(standin: &StandIn, version: &str, file: &str, bytes: &[u8], checksums: bool) {
    let path = format!("/maven2/{DIR}/{version}/{file}");
    standin.put_file(&path, bytes.to_vec());
    if checksums {
        let h = hashes(bytes);
        standin.put_document(
            &format!("{path}.sha1"),
            h["SHA-1"].clone().into_bytes(),
            "text/plain",
        );
        // Some tools append the file name.
        let sha256 = format!("{}  {file}\n", h["SHA-256"]);
        standin.put_document(&format!("{path}.sha256"), sha256.into_bytes(), "text/plain");
    }
}

/// The stand-in with kit 1.0 (pom, jar), 1.10 and 2.0 (a jar without checksums) listed.
fn source(standin: &StandIn) -> Vec<u8> {
    let jar = pseudo_random(4000, 7);
    standin.put_document(
        &format!("/maven2/{DIR}/maven-metadata.xml"),
        metadata(&["1.0", "2.0", "1.10"]),
        "application/xml",
    );
    put_source_file(standin, "1.0", "kit-1.0.pom", &pom("1.0"), true);
    put_source_file(standin, "1.0", "kit-1.0.jar", &jar, true);
    put_source_file(standin, "2.0", "kit-2.0.jar", &jar, false);
    jar
}

async fn get(c: &Npm<'_>, path: &str) -> RawResponse {
    c.get(&format!("{DIR}/{path}")).await
}

fn text(r: &RawResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

async fn start(standin: &StandIn) -> TestServer {
    chain(
        &format!("{}maven2/", standin.url),
        CONNECTION,
        Duration::ZERO,
    )
    .await
}

#[tokio::test]
async fn merged_metadata_then_files_retained_into_the_version() {
    let standin = StandIn::start().await;
    let jar = source(&standin);
    let s = start(&standin).await;
    // A private 0.9 in team.
    let team = mvn(&s, "team").await;
    for (path, body) in [
        ("0.9/kit-0.9.pom", pom("0.9")),
        ("maven-metadata.xml", metadata(&["0.9"])),
    ] {
        let r = team
            .request(Method::PUT, &format!("{DIR}/{path}"), &[], body)
            .await;
        assert_eq!(r.status, 201, "{}", text(&r));
    }
    let app = mvn(&s, "app").await;

    let m = get(&app, "maven-metadata.xml").await;
    assert_eq!(m.status, 200, "{}", text(&m));
    assert_eq!(m.header("warning"), None);
    let m = text(&m);
    assert!(
        m.contains("<versions>\n      <version>0.9</version>\n      <version>1.0</version>\n      <version>1.10</version>\n      <version>2.0</version>\n    </versions>"),
        "union, in Maven's order: {m}"
    );
    assert!(
        m.contains("<latest>2.0</latest>") && m.contains("<release>2.0</release>"),
        "{m}"
    );
    let sha1 = get(&app, "maven-metadata.xml.sha1").await;
    assert_eq!(text(&sha1), hashes(m.as_bytes())["SHA-1"]);
    assert!(describe(
        &s,
        "app",
        PackageFormat::Maven,
        Some("org.acme"),
        "kit",
        "1.0"
    )
    .await
    .is_none());

    // The POM: retained in app and store (nothing in team), its metadata read.
    let p = get(&app, "1.0/kit-1.0.pom").await;
    assert_eq!(
        (p.status, &p.body[..]),
        (200, &pom("1.0")[..]),
        "{}",
        text(&p)
    );
    for repo in ["app", "store"] {
        let v = describe(
            &s,
            repo,
            PackageFormat::Maven,
            Some("org.acme"),
            "kit",
            "1.0",
        )
        .await
        .unwrap_or_else(|| panic!("retained in {repo}"));
        assert_external(&v, CONNECTION);
        assert_eq!(v.summary(), Some("The public kit"));
        assert_eq!(
            asset_names(
                &s,
                repo,
                PackageFormat::Maven,
                Some("org.acme"),
                "kit",
                "1.0"
            )
            .await,
            ["kit-1.0.pom"]
        );
    }
    assert!(describe(
        &s,
        "team",
        PackageFormat::Maven,
        Some("org.acme"),
        "kit",
        "1.0"
    )
    .await
    .is_none());

    // The jar's checksum first (as some clients ask): the jar is retained, the hash is Arca's.
    let c = get(&app, "1.0/kit-1.0.jar.sha1").await;
    assert_eq!((c.status, text(&c)), (200, hashes(&jar)["SHA-1"].clone()));
    let j = get(&app, "1.0/kit-1.0.jar").await;
    assert_eq!((j.status, &j.body[..]), (200, &jar[..]));
    assert_eq!(standin.count("/kit-1.0.jar"), 1, "fetched once");
    for repo in ["app", "store"] {
        assert_eq!(
            asset_names(
                &s,
                repo,
                PackageFormat::Maven,
                Some("org.acme"),
                "kit",
                "1.0"
            )
            .await,
            ["kit-1.0.jar", "kit-1.0.pom"],
            "{repo}"
        );
    }

    // A file the source has no checksum for is refused; nothing is kept.
    let r = get(&app, "2.0/kit-2.0.jar").await;
    assert_eq!(r.status, 502, "{}", text(&r));
    assert!(text(&r).contains("no digest"), "{}", text(&r));
    assert!(describe(
        &s,
        "store",
        PackageFormat::Maven,
        Some("org.acme"),
        "kit",
        "2.0"
    )
    .await
    .is_none());
    // Unknown files: 404.
    assert_eq!(get(&app, "1.0/kit-1.0-sources.jar").await.status, 404);
    assert_eq!(get(&app, "3.0/kit-3.0.jar").await.status, 404);
    assert_eq!(
        app.get("org/acme/nothing/maven-metadata.xml").await.status,
        404
    );
}

#[tokio::test]
async fn a_tampered_file_is_refused_and_nothing_is_kept() {
    let standin = StandIn::start().await;
    let jar = source(&standin);
    let s = start(&standin).await;
    let app = mvn(&s, "app").await;
    standin.set_tamper(true);
    let r = app.get_partial(&format!("{DIR}/1.0/kit-1.0.jar")).await;
    assert_cut_off(&r, jar.len());
    for repo in ["app", "team", "store"] {
        assert!(
            describe(
                &s,
                repo,
                PackageFormat::Maven,
                Some("org.acme"),
                "kit",
                "1.0"
            )
            .await
            .is_none(),
            "{repo}"
        );
    }
    standin.set_tamper(false);
    assert_eq!(get(&app, "1.0/kit-1.0.jar").await.status, 200);
}

#[tokio::test]
async fn fifty_concurrent_requests_fetch_the_file_once() {
    let standin = StandIn::start().await;
    let jar = source(&standin);
    let s = start(&standin).await;
    let app = mvn(&s, "app").await;
    let gets = (0..50).map(|_| get(&app, "1.0/kit-1.0.jar"));
    for r in futures::future::join_all(gets).await {
        assert_eq!((r.status, &r.body[..]), (200, &jar[..]));
    }
    assert_eq!(standin.count("/kit-1.0.jar"), 1);
}

#[tokio::test]
async fn with_the_source_down_retained_files_resolve_and_the_metadata_is_stale() {
    let standin = StandIn::start().await;
    let jar = source(&standin);
    let s = start(&standin).await;
    let app = mvn(&s, "app").await;
    assert_eq!(get(&app, "maven-metadata.xml").await.status, 200);
    assert_eq!(get(&app, "1.0/kit-1.0.jar").await.status, 200);

    standin.set_down(true);
    let m = get(&app, "maven-metadata.xml").await;
    assert_eq!(m.status, 200);
    assert!(
        m.header("warning").is_some_and(|w| w.starts_with("110")),
        "{:?}",
        m.headers
    );
    assert!(
        text(&m).contains("<version>2.0</version>"),
        "the stale copy lists what the source had"
    );
    let j = get(&app, "1.0/kit-1.0.jar").await;
    assert_eq!(
        (j.status, &j.body[..]),
        (200, &jar[..]),
        "retained: resolves with the source down"
    );
    let r = get(&app, "1.0/kit-1.0.pom").await;
    assert_eq!(r.status, 502, "{}", text(&r));
}
