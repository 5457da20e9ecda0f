//! The npm endpoint over plain HTTP, as npm uses it: publish, packuments (full and abbreviated,
//! scoped spellings), tarballs, statuses, integrity checks — and what the API then shows.

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use http::Method;
use serde_json::{json, Value};

use crate::common::npm::*;
use crate::common::*;

const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";

/// UpdatePackageVersionsStatus of one version of the unscoped npm package `widget`.
async fn set_widget_status(s: &TestServer, version: &str, status: PackageVersionStatus) {
    let out = s
        .client
        .update_package_versions_status()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .package("widget")
        .versions(version)
        .target_status(status)
        .send()
        .await
        .expect("update status");
    assert!(
        out.failed_versions().is_none_or(|f| f.is_empty()),
        "{out:?}"
    );
}

/// DescribePackage of the npm package `widget` answers 404.
async fn assert_no_widget_package(s: &TestServer) {
    let r = s
        .client
        .describe_package()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .package("widget")
        .send()
        .await;
    assert_not_found(r, "package");
}

async fn setup() -> TestServer {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    s
}

#[tokio::test]
async fn publish_then_read_packuments_and_tarballs() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let widget = npm
        .publish_ok(
            "widget",
            "1.0.0",
            json!({"description": "A widget", "license": "MIT", "homepage": "https://acme.test",
                   "repository": {"type": "git", "url": "git+https://git.acme.test/w.git"}}),
        )
        .await;
    let kit = npm
        .publish_ok(
            "@acme/kit",
            "2.0.0",
            json!({"dependencies": {"widget": "^1.0.0"}, "scripts": {"postinstall": "node x"}}),
        )
        .await;
    npm.publish_ok("@acme/kit", "2.1.0-beta.1", json!({})).await;

    let base_url = format!("{}{}", s.endpoint, npm.base);
    let p = npm.get("widget").await;
    assert_eq!(p.status, 200, "{}", String::from_utf8_lossy(&p.body));
    assert_eq!(p.header("content-type"), Some("application/json"));
    let p = p.json();
    assert_eq!(p["name"], "widget");
    assert_eq!(p["dist-tags"], json!({"latest": "1.0.0"}));
    assert_eq!(p["description"], "A widget");
    let v = &p["versions"]["1.0.0"];
    assert_eq!(v["_id"], "widget@1.0.0");
    assert_eq!(v["license"], "MIT");
    assert_eq!(
        v["dist"],
        json!({"tarball": format!("{base_url}widget/-/widget-1.0.0.tgz"),
               "shasum": shasum(&widget), "integrity": integrity(&widget)})
    );
    assert!(p["time"]["1.0.0"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert!(p["time"]["created"].is_string() && p["time"]["modified"].is_string());

    // The three spellings of a scoped name, with and without a trailing slash.
    for path in ["@acme%2fkit", "@acme%2Fkit/", "@acme/kit"] {
        let r = npm.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        let j = r.json();
        assert_eq!(j["name"], "@acme/kit", "{path}");
        assert_eq!(
            j["dist-tags"]["latest"], "2.1.0-beta.1",
            "{path}: the newest publish"
        );
        assert_eq!(
            j["versions"]["2.0.0"]["dependencies"],
            json!({"widget": "^1.0.0"})
        );
    }

    let r = npm
        .request(
            Method::GET,
            "@acme%2fkit",
            &[(
                "accept",
                &format!("{ABBREVIATED}; q=1.0, application/json; q=0.8, */*"),
            )],
            vec![],
        )
        .await;
    assert_eq!(r.header("content-type"), Some(ABBREVIATED));
    let a = r.json();
    assert_eq!(a["name"], "@acme/kit");
    assert!(a["modified"].is_string());
    let v = &a["versions"]["2.0.0"];
    assert_eq!(v["dependencies"], json!({"widget": "^1.0.0"}));
    assert_eq!(v["hasInstallScript"], true);
    assert!(v.get("scripts").is_none() && v.get("main").is_none(), "{v}");
    assert_eq!(
        v["dist"]["tarball"],
        format!("{base_url}@acme/kit/-/kit-2.0.0.tgz")
    );

    // Tarballs, both scoped URL forms.
    for path in ["@acme/kit/-/kit-2.0.0.tgz", "@acme%2fkit/-/kit-2.0.0.tgz"] {
        let t = npm.get(path).await;
        assert_eq!(t.status, 200, "{path}");
        assert_eq!(&t.body[..], &kit[..], "{path}");
    }
    assert_eq!(npm.get("@acme/kit/-/kit-9.9.9.tgz").await.status, 404);
    assert_eq!(npm.get("@acme/kit/-/other-2.0.0.tgz").await.status, 404);
    assert_eq!(npm.get("nothing-here").await.status, 404);

    let ping = npm.get("-/ping?write=true").await;
    assert_eq!((ping.status, ping.json()), (200, json!({})));
    let tags = npm.get("-/package/@acme%2fkit/dist-tags").await;
    assert_eq!(tags.json(), json!({"latest": "2.1.0-beta.1"}));

    // What the API shows of a native publish.
    let d = s
        .client
        .describe_package_version()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .package("widget")
        .package_version("1.0.0")
        .send()
        .await
        .expect("describe");
    let pv = d.package_version().expect("version");
    assert_eq!(pv.status(), Some(&PackageVersionStatus::Published));
    assert_eq!(pv.display_name(), Some("widget"));
    assert_eq!(pv.summary(), Some("A widget"));
    assert_eq!(pv.home_page(), Some("https://acme.test"));
    assert_eq!(
        pv.source_code_repository(),
        Some("git+https://git.acme.test/w.git")
    );
    assert_eq!(pv.licenses()[0].name(), Some("MIT"));
    assert_eq!(
        pv.origin()
            .and_then(|o| o.origin_type())
            .map(|t| t.as_str()),
        Some("INTERNAL")
    );
    let assets = s
        .client
        .list_package_version_assets()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .namespace("acme")
        .package("kit")
        .package_version("2.0.0")
        .send()
        .await
        .expect("list assets");
    let names: Vec<_> = assets.assets().iter().map(|a| a.name()).collect();
    assert_eq!(names, ["package.tgz"]);
    assert_eq!(asset_hashes(&assets.assets()[0]), hashes(&kit));
}

#[tokio::test]
async fn statuses_decide_what_npm_sees() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let old = npm.publish_ok("widget", "1.0.0", json!({})).await;
    npm.publish_ok("widget", "1.1.0", json!({})).await;
    npm.publish_ok("widget", "1.2.0", json!({})).await;
    set_widget_status(&s, "1.0.0", PackageVersionStatus::Unlisted).await;
    set_widget_status(&s, "1.2.0", PackageVersionStatus::Archived).await;
    let p = npm.get("widget").await.json();
    let listed: Vec<&String> = p["versions"].as_object().unwrap().keys().collect();
    assert_eq!(listed, ["1.1.0"]);
    assert_eq!(p["dist-tags"]["latest"], "1.1.0");
    // Unlisted: hidden, but a lockfile still downloads it. Archived: never.
    let t = npm.get("widget/-/widget-1.0.0.tgz").await;
    assert_eq!((t.status, &t.body[..]), (200, &old[..]));
    assert_eq!(npm.get("widget/-/widget-1.2.0.tgz").await.status, 404);
    s.client
        .dispose_package_versions()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .package("widget")
        .versions("1.1.0")
        .send()
        .await
        .expect("dispose");
    assert_eq!(npm.get("widget/-/widget-1.1.0.tgz").await.status, 404);
    assert_eq!(
        npm.get("widget").await.status,
        404,
        "no Published version left"
    );
}

#[tokio::test]
async fn integrity_mismatch_stores_nothing_and_republish_conflicts() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let m = manifest("widget", "1.0.0", json!({}));
    let tgz = tarball(&m);
    for corrupt in ["integrity", "shasum"] {
        let mut doc = publish_doc(&m, &tgz);
        let dist = &mut doc["versions"]["1.0.0"]["dist"];
        dist[corrupt] = match corrupt {
            "integrity" => json!(integrity(b"other bytes")),
            _ => json!(shasum(b"other bytes")),
        };
        let r = npm.publish(&doc).await;
        assert_eq!(
            r.status,
            400,
            "{corrupt}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            r.json()["error"]
                .as_str()
                .is_some_and(|e| e.contains(corrupt)),
            "{corrupt}"
        );
    }
    assert_no_widget_package(&s).await;
    let blobs = s.data_dir.join("blobs");
    for _ in 0..200 {
        if files_under(&blobs).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        files_under(&blobs),
        Vec::<std::path::PathBuf>::new(),
        "bytes left behind"
    );

    // A tarball whose package.json names another version is refused too.
    let other = tarball(&manifest("widget", "9.0.0", json!({})));
    let r = npm.publish(&publish_doc(&m, &other)).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));

    npm.publish_ok("widget", "1.0.0", json!({})).await;
    let r = npm.publish(&publish_doc(&m, &tgz)).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    // A version that is only archived still exists: it cannot be republished either.
    set_widget_status(&s, "1.0.0", PackageVersionStatus::Archived).await;
    assert_eq!(npm.publish(&publish_doc(&m, &tgz)).await.status, 409);
}

#[tokio::test]
async fn malformed_and_unsupported_publishes() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let m = manifest("widget", "1.0.0", json!({}));
    let tgz = tarball(&m);
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut tagged = publish_doc(&m, &tgz);
    tagged["dist-tags"] = json!({"beta": "2.0.0"});
    cases.push((tagged, "dist-tag"));
    let mut bad_tag = publish_doc(&m, &tgz);
    bad_tag["dist-tags"] = json!({"1.x": "1.0.0"});
    cases.push((bad_tag, "dist-tag"));
    let mut no_attachment = publish_doc(&m, &tgz);
    no_attachment["_attachments"] = json!({});
    no_attachment["versions"] = json!({});
    cases.push((no_attachment, "_attachments"));
    let bad_version = manifest("widget", "1.0", json!({}));
    cases.push((publish_doc(&bad_version, &tarball(&bad_version)), "SemVer"));
    for (doc, needle) in cases {
        let r = npm.publish(&doc).await;
        assert_eq!(
            r.status,
            400,
            "{needle}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            r.json()["error"]
                .as_str()
                .is_some_and(|e| e.contains(needle)),
            "{needle}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let r = npm
        .request(
            Method::PUT,
            "widget",
            &[],
            b"{\"name\": \"widget\", ".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    // Sent to one name, naming another.
    let r = npm
        .request(
            Method::PUT,
            "other",
            &[],
            publish_doc(&m, &tgz).to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn publish_body_is_capped() {
    let s = TestServer::start_with(|c| c.max_publish_bytes = 4096).await;
    s.domain_with_repo("acme", "releases").await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let m = manifest("widget", "1.0.0", json!({"description": "x".repeat(5000)}));
    let r = npm.publish(&publish_doc(&m, &tarball(&m))).await;
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
}

#[tokio::test]
async fn unpublish_deletes_versions_and_packages() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    for v in ["1.0.0", "1.1.0", "1.2.0"] {
        npm.publish_ok("widget", v, json!({})).await;
    }
    set_widget_status(&s, "1.2.0", PackageVersionStatus::Unlisted).await;
    let describe = |version: &'static str| {
        s.client
            .describe_package_version()
            .domain("acme")
            .repository("releases")
            .format(PackageFormat::Npm)
            .package("widget")
            .package_version(version)
            .send()
    };

    // npm unpublish widget@1.1.0: the packument comes back without 1.1.0 (under the revision it
    // was read at), then its tarball goes.
    let mut packument = npm.get("widget?write=true").await.json();
    let rev = packument["_rev"].as_str().expect("_rev").to_string();
    packument["versions"]
        .as_object_mut()
        .unwrap()
        .remove("1.1.0");
    let r = npm
        .request(
            Method::PUT,
            &format!("widget/-rev/{rev}"),
            &[],
            packument.to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_not_found(describe("1.1.0").await, "package-version");
    assert!(
        describe("1.2.0").await.is_ok(),
        "the Unlisted version npm never saw stays"
    );
    let r = npm
        .request(
            Method::DELETE,
            "widget/-/widget-1.1.0.tgz/-rev/undefined",
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, 200, "deleting an already deleted tarball is fine");
    let listed: Vec<String> = npm.get("widget").await.json()["versions"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(listed, ["1.0.0"]);
    // Deleted, not tombstoned: the version can be published again (as after DeletePackageVersions).
    npm.publish_ok("widget", "1.1.0", json!({})).await;

    // npm deprecate sends the packument without a tarball: it deprecates, and unpublishes nothing.
    let mut deprecated = npm.get("widget").await.json();
    deprecated["versions"]["1.0.0"]["deprecated"] = json!("use 2.x");
    deprecated["versions"]
        .as_object_mut()
        .unwrap()
        .remove("1.1.0");
    let r = npm
        .request(
            Method::PUT,
            "widget",
            &[],
            deprecated.to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(describe("1.1.0").await.is_ok());

    // npm unpublish widget --force: the whole package.
    let rev = npm.get("widget?write=true").await.json()["_rev"]
        .as_str()
        .expect("_rev")
        .to_string();
    let r = npm
        .request(Method::DELETE, &format!("widget/-rev/{rev}"), &[], vec![])
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_no_widget_package(&s).await;
    assert_eq!(npm.get("widget").await.status, 404);
}

#[tokio::test]
async fn collection_keeps_published_tarballs_and_frees_unpublished_ones() {
    use std::time::Duration;
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let kept = npm.publish_ok("widget", "1.0.0", json!({})).await;
    npm.publish_ok("widget", "2.0.0", json!({})).await;
    let rev = npm.get("widget?write=true").await.json()["_rev"]
        .as_str()
        .expect("_rev")
        .to_string();
    let r = npm
        .request(
            Method::DELETE,
            &format!("widget/-/widget-2.0.0.tgz/-rev/{rev}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let report = s
        .service
        .collect_garbage(Duration::ZERO, true)
        .await
        .expect("collect");
    assert_eq!(report.freed, 1, "{report:?}");
    let t = npm.get("widget/-/widget-1.0.0.tgz").await;
    assert_eq!((t.status, &t.body[..]), (200, &kept[..]));
    let check = s
        .service
        .check_storage(true, Duration::ZERO)
        .await
        .expect("check");
    assert!(check.is_healthy(), "{check:?}");
}

/// `npm dist-tag add/rm/ls` and `npm publish --tag`: tags are stored, hidden while their version
/// is not Published, gone with it; `latest` falls back to the most recently published version.
#[tokio::test]
async fn dist_tags_add_ls_rm_and_follow_statuses() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    npm.publish_ok("widget", "1.0.0", json!({})).await;
    // `npm publish --tag beta`: the new version is `beta`, `latest` stays.
    let m = manifest("widget", "2.0.0-beta.1", json!({}));
    let tgz = tarball(&m);
    let mut doc = publish_doc(&m, &tgz);
    doc["dist-tags"] = json!({"beta": "2.0.0-beta.1"});
    assert_eq!(npm.publish(&doc).await.status, 200);
    let tags = |r: RawResponse| {
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    };
    assert_eq!(
        tags(npm.get("-/package/widget/dist-tags").await),
        json!({"latest": "1.0.0", "beta": "2.0.0-beta.1"})
    );
    let add = |tag: &str, body: &str| {
        let path = format!("-/package/widget/dist-tags/{tag}");
        let body = body.as_bytes().to_vec();
        let npm = &npm;
        async move {
            npm.request(
                Method::PUT,
                &path,
                &[("content-type", "application/json")],
                body,
            )
            .await
        }
    };
    assert_eq!(
        tags(add("stable", "\"1.0.0\"").await),
        json!({"latest": "1.0.0", "beta": "2.0.0-beta.1", "stable": "1.0.0"})
    );
    // Explicitly moving `latest` wins over the publish order, in both packument forms.
    tags(add("latest", "\"2.0.0-beta.1\"").await);
    assert_eq!(
        npm.get("widget").await.json()["dist-tags"]["latest"],
        "2.0.0-beta.1"
    );
    let abbreviated = npm
        .request(
            Method::GET,
            "widget",
            &[("accept", ABBREVIATED)],
            Vec::new(),
        )
        .await
        .json();
    assert_eq!(abbreviated["dist-tags"]["stable"], "1.0.0");

    // Refused: a missing version (404), a bad tag or body (400), an Unlisted version (409).
    assert_eq!(add("next", "\"9.9.9\"").await.status, 404);
    assert_eq!(add("1.x", "\"1.0.0\"").await.status, 400);
    assert_eq!(add("next", "1.0.0").await.status, 400);
    assert_eq!(add("next", "{\"v\": 1}").await.status, 400);

    // An Unlisted version's tags are hidden; `latest` falls back to the newest Published one.
    set_widget_status(&s, "2.0.0-beta.1", PackageVersionStatus::Unlisted).await;
    assert_eq!(
        tags(npm.get("-/package/widget/dist-tags").await),
        json!({"latest": "1.0.0", "stable": "1.0.0"})
    );
    assert_eq!(add("next", "\"2.0.0-beta.1\"").await.status, 409);
    set_widget_status(&s, "2.0.0-beta.1", PackageVersionStatus::Published).await;
    assert_eq!(
        tags(npm.get("-/package/widget/dist-tags").await)["latest"],
        "2.0.0-beta.1"
    );

    // `npm dist-tag rm`; removing `latest` brings back the most recently published version.
    let rm = |tag: &str| {
        let path = format!("-/package/widget/dist-tags/{tag}");
        let npm = &npm;
        async move { npm.request(Method::DELETE, &path, &[], Vec::new()).await }
    };
    assert_eq!(
        tags(rm("stable").await),
        json!({"latest": "2.0.0-beta.1", "beta": "2.0.0-beta.1"})
    );
    assert_eq!(rm("stable").await.status, 404);
    npm.publish_ok("widget", "1.0.1", json!({})).await;
    tags(add("latest", "\"1.0.0\"").await);
    assert_eq!(tags(rm("latest").await)["latest"], "1.0.1");

    // Deleting a version deletes its tags.
    let d = s
        .client
        .delete_package_versions()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .package("widget")
        .versions("2.0.0-beta.1")
        .send()
        .await
        .unwrap();
    assert!(d.failed_versions().is_none_or(|f| f.is_empty()));
    assert_eq!(
        tags(npm.get("-/package/widget/dist-tags").await),
        json!({"latest": "1.0.1"})
    );
    // ListPackageVersions' defaultDisplayVersion follows `latest`.
    tags(add("latest", "\"1.0.0\"").await);
    let l = s
        .client
        .list_package_versions()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .package("widget")
        .send()
        .await
        .unwrap();
    assert_eq!(l.default_display_version(), Some("1.0.0"));
}

/// `npm deprecate`: npm PUTs the packument back with `versions[v].deprecated`.
#[tokio::test]
async fn deprecate_and_undeprecate() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    npm.publish_ok("@acme/kit", "1.0.0", json!({})).await;
    npm.publish_ok("@acme/kit", "2.0.0", json!({})).await;
    let put_back = |p: &Value| {
        npm.request(
            Method::PUT,
            "@acme%2fkit",
            &[("content-type", "application/json")],
            p.to_string().into_bytes(),
        )
    };
    let mut p = npm.get("@acme%2fkit").await.json();
    p["versions"]["1.0.0"]["deprecated"] = json!("use 2.x");
    let r = put_back(&p).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let p = npm.get("@acme%2fkit").await.json();
    assert_eq!(p["versions"]["1.0.0"]["deprecated"], "use 2.x");
    assert!(p["versions"]["2.0.0"].get("deprecated").is_none());
    let abbreviated = npm
        .request(
            Method::GET,
            "@acme%2fkit",
            &[("accept", ABBREVIATED)],
            Vec::new(),
        )
        .await
        .json();
    assert_eq!(abbreviated["versions"]["1.0.0"]["deprecated"], "use 2.x");
    // Sending the packument back unchanged changes nothing; "" un-deprecates.
    assert_eq!(put_back(&p).await.json()["changed"], 0);
    let mut p = p;
    p["versions"]["1.0.0"]["deprecated"] = json!("");
    assert_eq!(put_back(&p).await.json()["changed"], 1);
    assert!(npm.get("@acme%2fkit").await.json()["versions"]["1.0.0"]
        .get("deprecated")
        .is_none());
    // A non-string message is refused; a package that does not exist is a 404.
    p["versions"]["1.0.0"]["deprecated"] = json!(5);
    assert_eq!(put_back(&p).await.status, 400);
    let r = npm
        .request(
            Method::PUT,
            "nothing",
            &[],
            json!({"name": "nothing", "versions": {"1.0.0": {"deprecated": "x"}}})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
}
