//! `arca cache purge`: the operator request `POST /_arca/cache/purge` drops cached indexes of
//! external sources (fresh ones and "not found" answers), so the next read asks the source again;
//! counted at the stand-in. Also the `arca cache purge` CLI against a real server.

use std::time::Duration;

use serde_json::json;

use super::standin::{self, StandIn};
use crate::common::npm::*;
use crate::common::*;

/// A long TTL: within a test, only a purge makes Arca ask the source again.
const TTL: Duration = Duration::from_secs(3600);

async fn purge(s: &TestServer, query: &str) -> RawResponse {
    s.raw("POST", &format!("/_arca/cache/purge?{query}"), b"")
        .await
}

/// The answer of a purge that must succeed.
async fn purged(s: &TestServer, query: &str) -> serde_json::Value {
    let r = purge(s, query).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[tokio::test]
async fn a_purged_index_is_fetched_again_and_only_what_was_selected() {
    let standin = StandIn::start().await;
    standin.add("left-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    standin.add("right-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    let s = standin::chain(&standin.url, "public:npmjs", TTL).await;
    let app = Npm::login(&s, "acme", "app").await;
    for name in ["left-pad", "right-pad", "left-pad", "right-pad"] {
        assert_eq!(app.get(name).await.status, 200);
    }
    assert_eq!(
        (standin.count("/left-pad"), standin.count("/right-pad")),
        (1, 1)
    );

    // One package, through a repository whose upstream holds the connection.
    assert_eq!(
        purged(&s, "domain=acme&repository=app&format=npm&package=left-pad").await,
        json!({"purged": 1, "connections": ["public:npmjs"]})
    );
    for name in ["left-pad", "right-pad"] {
        assert_eq!(app.get(name).await.status, 200);
    }
    assert_eq!(
        (standin.count("/left-pad"), standin.count("/right-pad")),
        (2, 1),
        "only left-pad was asked for again"
    );

    // A package no source serves, and a format no connection of the chain has: nothing to purge.
    assert_eq!(purged(&s, "format=npm&package=no-such").await["purged"], 0);
    assert_eq!(
        purged(
            &s,
            "domain=acme&repository=app&format=pypi&package=left-pad"
        )
        .await,
        json!({"purged": 0, "connections": []})
    );

    // Everything.
    assert_eq!(
        purged(&s, "").await,
        json!({"purged": 2, "connections": ["public:npmjs"]})
    );
    assert_eq!(app.get("right-pad").await.status, 200);
    assert_eq!(standin.count("/right-pad"), 2);
}

#[tokio::test]
async fn a_purge_forgets_that_the_source_lacked_a_package() {
    let standin = StandIn::start().await;
    let s = standin::chain(&standin.url, "public:npmjs", TTL).await;
    let app = Npm::login(&s, "acme", "app").await;
    assert_eq!(app.get("fresh").await.status, 404);
    standin.add("fresh", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    assert_eq!(app.get("fresh").await.status, 404, "remembered as missing");
    assert_eq!(standin.count("/fresh"), 1);
    assert_eq!(
        purged(&s, "domain=acme&repository=store").await,
        json!({"purged": 1, "connections": ["public:npmjs"]})
    );
    assert_eq!(app.get("fresh").await.status, 200);
    assert_eq!(standin.count("/fresh"), 2);
}

#[tokio::test]
async fn bad_and_unauthenticated_purges_are_refused() {
    let standin = StandIn::start().await;
    let s = standin::chain(&standin.url, "public:npmjs", TTL).await;
    let unsigned = s
        .send_raw(RawRequest::new("POST", "/_arca/cache/purge"))
        .await;
    unsigned.assert_error(403, "MissingAuthenticationTokenException");
    let stranger = s
        .send_raw(
            RawRequest::new("POST", "/_arca/cache/purge")
                .signed_by("AKIAUNKNOWN000000000", "not-the-secret"),
        )
        .await;
    stranger.assert_error(403, "UnrecognizedClientException");
    let forged = s
        .send_raw(
            RawRequest::new("POST", "/_arca/cache/purge")
                .signed_by(&s.credentials.access_key_id, "not-the-secret"),
        )
        .await;
    forged.assert_error(403, "InvalidSignatureException");

    purge(&s, "domain=acme&repository=nope")
        .await
        .assert_error(404, "ResourceNotFoundException");
    purge(&s, "domain=nope&repository=app")
        .await
        .assert_error(404, "ResourceNotFoundException");
    for bad in [
        "repository=app",
        "package=left-pad",
        "format=npm&namespace=acme",
        "format=generic&namespace=ns&package=x",
        "format=maven&package=no-group",
        "format=pypi&namespace=x&package=y",
        "format=rpm&package=x",
        "colour=blue",
    ] {
        let j = purge(&s, bad)
            .await
            .assert_error(400, "ValidationException");
        println!("{bad}: {}", j["message"]);
    }
    // Another method on the path is no operation at all.
    s.raw("GET", "/_arca/cache/purge", b"")
        .await
        .assert_error(400, "ValidationException");
}

/// Runs `arca cache purge ARGS` with the test server's data directory (its credentials).
async fn cli(s: &TestServer, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_arca"))
        .args(["cache", "purge", "--data-dir"])
        .arg(&s.data_dir)
        .args(args)
        .env_remove("ARCA_ACCESS_KEY_ID")
        .env_remove("ARCA_SECRET_ACCESS_KEY")
        .output()
        .await
        .expect("run arca cache purge")
}

#[tokio::test]
async fn the_cli_purges_every_endpoint_it_is_given() {
    let standin = StandIn::start().await;
    standin.add("left-pad", "1.0.0", json!({}), "2020-01-01T00:00:00.000Z");
    let s = standin::chain(&standin.url, "public:npmjs", TTL).await;
    let app = Npm::login(&s, "acme", "app").await;
    assert_eq!(app.get("left-pad").await.status, 200);

    let out = cli(
        &s,
        &[
            "--endpoint",
            &s.endpoint,
            "--domain",
            "acme",
            "--repository",
            "app",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        format!(
            "{}: purged 1 cached index entries (connections: public:npmjs)",
            s.endpoint
        )
    );
    assert_eq!(app.get("left-pad").await.status, 200);
    assert_eq!(
        standin.count("/left-pad"),
        2,
        "fetched again after the purge"
    );

    // A second endpoint that is down: the first is still purged, and the exit status says so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = cli(
        &s,
        &[
            "--endpoint",
            &s.endpoint,
            "--endpoint",
            &down,
            "--format",
            "npm",
            "--package",
            "left-pad",
        ],
    )
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("purged 1 "));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&down) && stderr.contains("1 of 2"),
        "{stderr}"
    );

    // The server's error reaches the operator.
    let out = cli(
        &s,
        &[
            "--endpoint",
            &s.endpoint,
            "--domain",
            "acme",
            "--repository",
            "nope",
        ],
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("HTTP 404: ResourceNotFoundException") && stderr.contains("nope"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_cli_needs_the_servers_credentials() {
    let empty = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_arca"))
        .args([
            "cache",
            "purge",
            "--endpoint",
            "http://127.0.0.1:9",
            "--data-dir",
        ])
        .arg(empty.path())
        .env_remove("ARCA_ACCESS_KEY_ID")
        .env_remove("ARCA_SECRET_ACCESS_KEY")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no root credentials"), "{stderr}");
    assert!(
        !empty.path().join("credentials.toml").exists(),
        "a client never generates credentials"
    );
}

/// A NuGet purge of one package drops its registration with the pages the registration does not
/// inline (cached apart from it, one entry per page URL): the next read fetches both again.
#[tokio::test]
async fn a_nuget_purge_drops_the_registration_pages_too() {
    let standin = StandIn::start().await;
    let url = standin.url.clone();
    let doc = |path: &str, v: serde_json::Value| {
        standin.put_document(path, v.to_string().into_bytes(), "application/json")
    };
    doc(
        "/v3/index.json",
        json!({"version": "3.0.0", "resources": [
            {"@id": format!("{url}flat/"), "@type": "PackageBaseAddress/3.0.0"},
            {"@id": format!("{url}reg/"), "@type": "RegistrationsBaseUrl/3.6.0"},
        ]}),
    );
    doc("/flat/pub.lib/index.json", json!({"versions": ["1.0.0"]}));
    doc(
        "/reg/pub.lib/index.json",
        json!({"count": 1, "items": [{"@id": format!("{url}reg/pub.lib/page/1.json"),
                                       "lower": "1.0.0", "upper": "1.0.0"}]}),
    );
    doc(
        "/reg/pub.lib/page/1.json",
        json!({"items": [{"catalogEntry": super::nuget::catalog_entry(&url, "1.0.0", None)}]}),
    );
    let s = standin::chain(&format!("{url}v3/"), "public:nuget-org", TTL).await;
    let app = crate::nuget::login(&s, "app").await;
    let read = || async {
        let r = app.get("v3/registration/pub.lib/index.json").await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let items = &r.json()["items"][0]["items"];
        assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
    };
    let fetches = || {
        (
            standin.count("/reg/pub.lib/index.json"),
            standin.count("/reg/pub.lib/page/1.json"),
        )
    };
    read().await;
    read().await;
    assert_eq!(fetches(), (1, 1));
    purged(
        &s,
        "domain=acme&repository=app&format=nuget&package=pub.lib",
    )
    .await;
    read().await;
    assert_eq!(
        fetches(),
        (2, 2),
        "the index and its page are fetched again"
    );
}
