//! NuGet through upstream repositories: the flat container and registrations merged over
//! `app → team`, retention of a `.nupkg` on download, origin controls on the shared publish path.
//! And through `public:nuget-org` to a stand-in feed laid out as nuget.org (service index, flat
//! container, registrations with a page not inlined, catalog documents with `packageHash`): merged
//! lists and catalog entries, verification, retention with origins, the 409, the source down,
//! `upstream` BLOCK, and a minimum release age (fail closed).

use aws_sdk_codeartifact::types::{AllowPublish, AllowUpstream, PackageFormat};
use serde_json::json;

use super::standin::describe;
use crate::common::origin_configuration;
use crate::nuget::{login, nupkg, nuspec, push, push_ok, setup};

#[tokio::test]
async fn upstream_repositories_merge_and_retain() {
    use aws_sdk_codeartifact::types::UpstreamRepository;
    let s = setup().await;
    s.create_repo("acme", "team").await;
    s.client
        .create_repository()
        .domain("acme")
        .repository("app")
        .upstreams(
            UpstreamRepository::builder()
                .repository_name("team")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create app");
    let team = login(&s, "team").await;
    let app = login(&s, "app").await;
    let core = push_ok(&team, "Kit.Core", "1.0.0", "").await;
    push_ok(&team, "Kit.Core", "2.0.0", "").await;
    assert_eq!(app.get("v3/package/nothing/index.json").await.status, 404);

    // The version list and the registration are merged over app → team.
    assert_eq!(
        app.get("v3/package/kit.core/index.json").await.json(),
        json!({"versions": ["1.0.0", "2.0.0"]})
    );
    let doc = app.get("v3/registration/kit.core/index.json").await.json();
    assert_eq!(doc["items"][0]["count"], 2);
    // A version app has only through team: downloaded from app, then retained in app.
    let in_app = |v: &'static str| {
        let s = &s;
        async move {
            describe(s, "app", PackageFormat::Nuget, None, "kit.core", v)
                .await
                .is_some()
        }
    };
    assert!(!in_app("1.0.0").await);
    let r = app
        .get("v3/package/kit.core/1.0.0/kit.core.1.0.0.nupkg")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, core);
    assert!(in_app("1.0.0").await);
    // Origin controls on the shared publish path: a package retained from an upstream is not
    // published to here (publish BLOCK), and a version an upstream has cannot be published here.
    let r = push(&app, &nupkg("Kit.Core", &nuspec("Kit.Core", "3.0.0", ""))).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    push_ok(&team, "Other", "1.0.0", "").await;
    let r = push(&app, &nupkg("Other", &nuspec("Other", "1.0.0", ""))).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    push_ok(&team, "Kit.Core", "4.0.0", "").await;
    assert_eq!(
        app.get("v3/package/kit.core/index.json").await.json(),
        json!({"versions": ["1.0.0", "2.0.0", "4.0.0"]})
    );
    // upstream=BLOCK on app's package: only app's own versions.
    let (allow, block) = (AllowPublish::Allow, AllowUpstream::Block);
    origin_configuration(&s, "app", PackageFormat::Nuget, "kit.core", allow, block).await;
    assert_eq!(
        app.get("v3/package/kit.core/index.json").await.json(),
        json!({"versions": ["1.0.0"]})
    );
    assert_eq!(
        app.get("v3/package/kit.core/4.0.0/kit.core.4.0.0.nupkg")
            .await
            .status,
        404
    );
}

/// The stand-in's catalog entry of `Pub.Lib` `version` (fields Arca does not keep must pass
/// through); with `hash`, its `packageHash`.
pub(super) fn catalog_entry(url: &str, version: &str, hash: Option<&[u8]>) -> serde_json::Value {
    use base64::Engine;
    use sha2::Digest;
    let mut e = json!({
        "@id": format!("{url}catalog/pub.lib.{version}.json"),
        "id": "Pub.Lib",
        "version": version,
        "authors": "Pub Authors",
        "description": "the public lib",
        "tags": ["pub"],
        "listed": true,
        "published": "2020-01-02T03:04:05+00:00",
        "dependencyGroups": [{"@id": "x", "targetFramework": ".NETStandard2.0",
            "dependencies": [{"@id": "y", "id": "Pub.Core", "range": "[1.0.0, )",
                "registration": format!("{url}reg/pub.core/index.json")}]}],
    });
    if let Some(bytes) = hash {
        let sha = base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes));
        e["packageHash"] = json!(sha);
        e["packageHashAlgorithm"] = json!("SHA512");
    }
    e
}

#[tokio::test]
async fn packages_from_the_external_connection() {
    use crate::upstreams::standin::{self, StandIn};
    use std::time::Duration;
    let standin = StandIn::start().await;
    let url = standin.url.clone();
    let service = json!({"version": "3.0.0", "resources": [
        {"@id": format!("{url}flat/"), "@type": "PackageBaseAddress/3.0.0"},
        {"@id": format!("{url}reg-semver1/"), "@type": "RegistrationsBaseUrl"},
        {"@id": format!("{url}reg/"), "@type": "RegistrationsBaseUrl/3.6.0"},
    ]});
    let doc = |path: &str, v: serde_json::Value| {
        standin.put_document(path, v.to_string().into_bytes(), "application/json")
    };
    doc("/v3/index.json", service);
    doc(
        "/flat/pub.lib/index.json",
        json!({"versions": ["1.0.0", "2.0.0-beta.1", "3.0.0"]}),
    );
    let v1 = nupkg("Pub.Lib", &nuspec("Pub.Lib", "1.0.0", ""));
    let v2 = nupkg("Pub.Lib", &nuspec("Pub.Lib", "2.0.0-beta.1", ""));
    let v3 = nupkg("Pub.Lib", &nuspec("Pub.Lib", "3.0.0", ""));
    standin.put_file("/flat/pub.lib/1.0.0/pub.lib.1.0.0.nupkg", v1.clone());
    standin.put_file(
        "/flat/pub.lib/2.0.0-beta.1/pub.lib.2.0.0-beta.1.nupkg",
        v2.clone(),
    );
    standin.put_file("/flat/pub.lib/3.0.0/pub.lib.3.0.0.nupkg", v3.clone());
    // As nuget.org: the registration's entry of 1.0.0 has no hash, its catalog document has; the
    // page of 2.0.0-beta.1 is not inlined and its entry has the hash; 3.0.0 has none anywhere.
    doc(
        "/catalog/pub.lib.1.0.0.json",
        catalog_entry(&url, "1.0.0", Some(&v1)),
    );
    doc(
        "/reg/pub.lib/index.json",
        json!({"count": 2, "items": [
            {"@id": format!("{url}reg/pub.lib/page/1.json"), "lower": "1.0.0", "upper": "1.0.0",
             "items": [{"@id": "l1", "catalogEntry": catalog_entry(&url, "1.0.0", None)}]},
            {"@id": format!("{url}reg/pub.lib/page/2.json"), "lower": "2.0.0-beta.1", "upper": "3.0.0"},
        ]}),
    );
    doc(
        "/reg/pub.lib/page/2.json",
        json!({"items": [
            {"catalogEntry": catalog_entry(&url, "2.0.0-beta.1", Some(&v2))},
            {"catalogEntry": catalog_entry(&url, "3.0.0", None)},
        ]}),
    );
    let s = standin::chain(&format!("{url}v3/"), "public:nuget-org", Duration::ZERO).await;
    let app = login(&s, "app").await;
    let describe = |repo: &'static str, v: &'static str| {
        let s = &s;
        async move { describe(s, repo, PackageFormat::Nuget, None, "pub.lib", v).await }
    };
    let search = || async {
        app.get("v3/search?q=pub&prerelease=true&semVerLevel=2.0.0")
            .await
            .json()
    };

    // The source's versions, merged; its catalog entries passed through with Arca's URLs.
    assert_eq!(
        app.get("v3/package/pub.lib/index.json").await.json(),
        json!({"versions": ["1.0.0", "2.0.0-beta.1", "3.0.0"]})
    );
    let reg = app.get("v3/registration/pub.lib/index.json").await.json();
    let items = reg["items"][0]["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    let e = &items[0]["catalogEntry"];
    assert_eq!(
        (e["id"].as_str(), e["authors"].as_str()),
        (Some("Pub.Lib"), Some("Pub Authors"))
    );
    // Arca's URLs, not the source's.
    let content = e["packageContent"].as_str().unwrap();
    assert!(
        content.ends_with("/app/v3/package/pub.lib/1.0.0/pub.lib.1.0.0.nupkg")
            && !content.starts_with(&url),
        "{content}"
    );
    let leaf = e["@id"].as_str().unwrap();
    assert!(leaf.ends_with("/app/v3/registration/pub.lib/1.0.0.json"));
    let dep = &e["dependencyGroups"][0]["dependencies"][0];
    let dep_reg = dep["registration"].as_str().unwrap();
    assert!(dep_reg.ends_with("/app/v3/registration/pub.core/index.json"));
    assert!(dep.get("@id").is_none());
    assert_eq!(items[1]["catalogEntry"]["version"], "2.0.0-beta.1");
    assert!(describe("app", "1.0.0").await.is_none());
    assert_eq!(app.get("v3/package/nothing/index.json").await.status, 404);
    // Search finds what the repository has, not what only the source has.
    assert_eq!(search().await["totalHits"], 0);

    // Bytes that do not match the catalog's packageHash are refused, and nothing is kept.
    standin.set_tamper(true);
    let d = app
        .get_partial("v3/package/pub.lib/1.0.0/pub.lib.1.0.0.nupkg")
        .await;
    standin::assert_cut_off(&d, v1.len());
    assert!(describe("store", "1.0.0").await.is_none());
    standin.set_tamper(false);

    // A download retains the package in app and store (not team), with the source as origin.
    let d = app
        .get("v3/package/pub.lib/1.0.0/pub.lib.1.0.0.nupkg")
        .await;
    assert_eq!((d.status, &d.body[..]), (200, &v1[..]));
    assert_eq!(standin.count("/catalog/pub.lib.1.0.0.json"), 2);
    standin::assert_external(&describe("app", "1.0.0").await.unwrap(), "public:nuget-org");
    standin::assert_external(
        &describe("store", "1.0.0").await.unwrap(),
        "public:nuget-org",
    );
    assert!(describe("team", "1.0.0").await.is_none());
    let v = describe("app", "1.0.0").await.unwrap();
    assert_eq!(v.display_name(), Some("Pub.Lib"));
    assert_eq!(v.summary(), Some("Pub.Lib does things"));
    // Search lists the retained package now.
    let found = search().await;
    assert_eq!(found["totalHits"], 1);
    assert_eq!(found["data"][0]["id"], "Pub.Lib");
    assert_eq!(found["data"][0]["versions"].as_array().unwrap().len(), 1);

    // The `.nuspec` of a version of the page that was not inlined: retained too.
    let r = app
        .get("v3/package/pub.lib/2.0.0-beta.1/pub.lib.nuspec")
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("<version>2.0.0-beta.1</version>"));
    standin::assert_external(
        &describe("app", "2.0.0-beta.1").await.unwrap(),
        "public:nuget-org",
    );

    // No hash for 3.0.0: refused before any byte, nothing kept.
    let r = app
        .get("v3/package/pub.lib/3.0.0/pub.lib.3.0.0.nupkg")
        .await;
    assert_eq!(r.status, 502, "{}", String::from_utf8_lossy(&r.body));
    assert!(describe("store", "3.0.0").await.is_none());

    // A version the source has cannot be pushed downstream (dependency confusion).
    let team = login(&s, "team").await;
    let r = push(&team, &nupkg("Pub.Lib", &nuspec("Pub.Lib", "3.0.0", ""))).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("public:nuget-org"));

    // The source down: its last copies, marked stale; what was retained still restores.
    standin.set_down(true);
    let r = app.get("v3/package/pub.lib/index.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["versions"].as_array().unwrap().len(), 3);
    assert!(r.header("warning").is_some_and(|w| w.contains("Stale")));
    let d = app
        .get("v3/package/pub.lib/1.0.0/pub.lib.1.0.0.nupkg")
        .await;
    assert_eq!((d.status, &d.body[..]), (200, &v1[..]));
    standin.set_down(false);

    // upstream=BLOCK on the package in store (which holds the connection): the source's versions
    // leave the merged list, and one never retained cannot be had any more (404, not fetched).
    let (block, block_upstream) = (AllowPublish::Block, AllowUpstream::Block);
    let (nuget, package) = (PackageFormat::Nuget, "pub.lib");
    origin_configuration(&s, "store", nuget, package, block, block_upstream).await;
    assert_eq!(
        app.get("v3/package/pub.lib/index.json").await.json(),
        json!({"versions": ["1.0.0", "2.0.0-beta.1"]})
    );
    let fetched = standin.count("pub.lib.3.0.0.nupkg");
    let r = app
        .get("v3/package/pub.lib/3.0.0/pub.lib.3.0.0.nupkg")
        .await;
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(standin.count("pub.lib.3.0.0.nupkg"), fetched);
}

/// The flat container dates nothing: with a minimum release age the source gives nothing (fail
/// closed).
#[tokio::test]
async fn a_minimum_release_age_keeps_the_undated_source_out() {
    use crate::upstreams::standin::{self, StandIn};
    let standin = StandIn::start().await;
    let url = standin.url.clone();
    let v1 = nupkg("Pub.Lib", &nuspec("Pub.Lib", "1.0.0", ""));
    let doc = |path: &str, v: serde_json::Value| {
        standin.put_document(path, v.to_string().into_bytes(), "application/json")
    };
    doc(
        "/v3/index.json",
        json!({"resources": [
            {"@id": format!("{url}flat/"), "@type": "PackageBaseAddress/3.0.0"},
            {"@id": format!("{url}reg/"), "@type": "RegistrationsBaseUrl/3.6.0"}]}),
    );
    doc("/flat/pub.lib/index.json", json!({"versions": ["1.0.0"]}));
    doc(
        "/reg/pub.lib/index.json",
        json!({"items": [{"items": [{"catalogEntry": catalog_entry(&url, "1.0.0", Some(&v1))}]}]}),
    );
    standin.put_file("/flat/pub.lib/1.0.0/pub.lib.1.0.0.nupkg", v1);
    let s = standin::chain_with(&format!("{url}v3/"), "public:nuget-org", |source| {
        source.min_release_age = Some(std::time::Duration::from_secs(86_400));
    })
    .await;
    let app = login(&s, "app").await;
    assert_eq!(app.get("v3/package/pub.lib/index.json").await.status, 404);
    assert_eq!(
        app.get("v3/registration/pub.lib/index.json").await.status,
        404
    );
    let r = app
        .get("v3/package/pub.lib/1.0.0/pub.lib.1.0.0.nupkg")
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(standin.count(".nupkg"), 0);
}
