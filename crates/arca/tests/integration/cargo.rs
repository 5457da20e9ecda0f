//! The cargo sparse registry over plain HTTP, as cargo uses it: config.json and the 401 cargo
//! retries on, publish bodies built the way cargo builds them, index files, downloads, yank,
//! search — and what the API then shows. (`tests/e2e/cargo.sh` runs the real cargo.)

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use base64::Engine;
use http::Method;
use serde_json::{json, Value};

use crate::common::npm::Npm;
use crate::common::*;
use crate::upstreams::standin::asset_names;

/// A client of acme/releases' cargo endpoint sending the token raw, as cargo does.
async fn login(s: &TestServer) -> Npm<'_> {
    login_to(s, "releases").await
}

/// [`login`] for repository `repo` of domain acme.
pub async fn login_to<'a>(s: &'a TestServer, repo: &str) -> Npm<'a> {
    let mut c = Npm::login(s, "acme", repo).await;
    let token = c.authorization.take().expect("token");
    c.authorization = Some(token.trim_start_matches("Bearer ").to_string());
    c.base = c.base.replacen("/npm/", "/cargo/", 1);
    c
}

/// A `.crate`: `{name}-{version}/Cargo.toml` (the given text) and a source file.
pub fn crate_file(name: &str, version: &str, manifest: &str) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    for (path, data) in [
        (format!("{name}-{version}/Cargo.toml"), manifest.as_bytes()),
        (
            format!("{name}-{version}/src/lib.rs"),
            &b"pub fn f() {}\n"[..],
        ),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, data).expect("tar entry");
    }
    b.into_inner().expect("tar").finish().expect("gzip")
}

pub fn manifest(name: &str, version: &str, extra: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\ndescription = \"{name} does things\"\nlicense = \"MIT\"\n{extra}")
}

/// The publish JSON cargo sends for [`manifest`] with no dependencies.
pub fn meta(name: &str, version: &str) -> Value {
    json!({"name": name, "vers": version, "deps": [], "features": {}, "authors": [],
           "description": format!("{name} does things"), "documentation": null, "homepage": null,
           "readme": "# readme", "readme_file": "README.md", "keywords": [], "categories": [],
           "license": "MIT", "license_file": null, "repository": null, "badges": {},
           "links": null, "rust_version": null})
}

pub fn body(meta: &Value, crate_bytes: &[u8]) -> Vec<u8> {
    let json = meta.to_string().into_bytes();
    let mut b = (json.len() as u32).to_le_bytes().to_vec();
    b.extend_from_slice(&json);
    b.extend_from_slice(&(crate_bytes.len() as u32).to_le_bytes());
    b.extend_from_slice(crate_bytes);
    b
}

pub async fn publish(c: &Npm<'_>, body: Vec<u8>) -> RawResponse {
    c.request(Method::PUT, "api/v1/crates/new", &[], body).await
}

async fn publish_ok(c: &Npm<'_>, name: &str, version: &str) -> Vec<u8> {
    let file = crate_file(name, version, &manifest(name, version, ""));
    let r = publish(c, body(&meta(name, version), &file)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    file
}

fn lines(r: &RawResponse) -> Vec<Value> {
    String::from_utf8_lossy(&r.body)
        .lines()
        .map(|l| serde_json::from_str(l).expect("index line"))
        .collect()
}

fn detail(r: &RawResponse) -> String {
    r.json()["errors"][0]["detail"]
        .as_str()
        .expect("cargo error detail")
        .to_string()
}

/// DescribePackageVersion of a crate in acme/releases.
async fn describe(
    s: &TestServer,
    name: &str,
    version: &str,
) -> aws_sdk_codeartifact::types::PackageVersionDescription {
    crate::upstreams::standin::describe(s, "releases", PackageFormat::Cargo, None, name, version)
        .await
        .expect("the version")
}

/// Publishes `name@version` with the publish JSON `m`; must answer `status`. The error's detail.
async fn refused(c: &Npm<'_>, name: &str, version: &str, m: Value, status: u16) -> String {
    let file = crate_file(name, version, &manifest(name, version, ""));
    let r = publish(c, body(&m, &file)).await;
    assert_eq!(
        r.status,
        status,
        "{name}@{version}: {}",
        String::from_utf8_lossy(&r.body)
    );
    detail(&r)
}

async fn setup() -> TestServer {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    s
}

#[tokio::test]
async fn config_json_and_the_401_cargo_retries_on() {
    let s = setup().await;
    let mut c = login(&s).await;
    let token = c.authorization.clone().unwrap();
    let endpoint = format!("http://{}{}", s.addr, c.base);

    let r = c.get("config.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"dl": format!("{endpoint}api/v1/crates"), "api": endpoint.trim_end_matches('/'), "auth-required": true})
    );
    // Bearer and a Basic password work too.
    for auth in [
        format!("Bearer {token}"),
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"))
        ),
    ] {
        c.authorization = Some(auth);
        assert_eq!(c.get("config.json").await.status, 200);
    }
    // No token, or a bad one: 401 with cargo's challenge and error shape, never 403.
    for auth in [None, Some("forged.token".to_string())] {
        c.authorization = auth;
        let r = c.get("config.json").await;
        assert_eq!(r.status, 401);
        assert_eq!(
            r.header("www-authenticate"),
            Some(format!("Cargo login_url=\"{endpoint}me\"").as_str())
        );
        assert!(!detail(&r).is_empty());
    }
}

#[tokio::test]
async fn publish_index_download_and_the_api() {
    let s = setup().await;
    let c = login(&s).await;
    // cargo asks for the index before publishing: an unknown crate is a 404.
    assert_eq!(c.get("3/k/kit").await.status, 404);
    let file = crate_file(
        "Kit",
        "1.0.0",
        &manifest(
            "Kit",
            "1.0.0",
            "rust-version = \"1.70\"\nlinks = \"kit\"\n[features]\ndefault = [\"fast\"]\nfast = []\nx = [\"dep:core2\"]\n\
             [dependencies.core2]\nversion = \"1\"\npackage = \"kit-core\"\noptional = true\n\
             [target.'cfg(unix)'.dev-dependencies]\nlibc = { version = \"0.2\", registry-index = \"https://example.test/index\" }\n",
        ),
    );
    let mut m = meta("Kit", "1.0.0");
    m["rust_version"] = json!("1.70");
    m["links"] = json!("kit");
    m["features"] = json!({"default": ["fast"], "fast": [], "x": ["dep:core2"]});
    m["deps"] = json!([
        {"name": "kit-core", "version_req": "^1", "features": [], "optional": true, "default_features": true,
         "target": null, "kind": "normal", "registry": "https://github.com/rust-lang/crates.io-index",
         "explicit_name_in_toml": "core2"},
        {"name": "libc", "version_req": "^0.2", "features": [], "optional": false, "default_features": true,
         "target": "cfg(unix)", "kind": "dev", "registry": "https://example.test/index", "explicit_name_in_toml": null}
    ]);
    let r = publish(&c, body(&m, &file)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["warnings"]["other"], json!([]));

    // Visible at once, at the lowercase path, with every field.
    let r = c.get("3/k/kit").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let line = &lines(&r)[0];
    let pubtime = line["pubtime"].as_str().unwrap();
    assert!(pubtime.len() == 20 && pubtime.ends_with('Z'), "{pubtime}");
    let mut expected = json!({
        "name": "Kit", "vers": "1.0.0", "cksum": sha256_hex(&file), "yanked": false, "links": "kit",
        "features": {"default": ["fast"], "fast": []}, "v": 2, "features2": {"x": ["dep:core2"]},
        "rust_version": "1.70", "pubtime": pubtime,
        "deps": [
            {"name": "core2", "req": "^1", "features": [], "optional": true, "default_features": true,
             "target": null, "kind": "normal", "registry": "https://github.com/rust-lang/crates.io-index", "package": "kit-core"},
            {"name": "libc", "req": "^0.2", "features": [], "optional": false, "default_features": true,
             "target": "cfg(unix)", "kind": "dev", "registry": "https://example.test/index", "package": null}
        ]
    });
    assert_eq!(line, &expected);
    // Revalidation.
    let etag = r.header("etag").unwrap().to_string();
    let again = c
        .request(Method::GET, "3/k/kit", &[("if-none-match", &etag)], vec![])
        .await;
    assert_eq!((again.status, again.body.len()), (304, 0));

    let d = c.get("api/v1/crates/Kit/1.0.0/download").await;
    assert_eq!((d.status, &d.body[..]), (200, &file[..]));

    // The API: lowercased name, the name as published as displayName, one .crate asset.
    let pv = describe(&s, "Kit", "1.0.0").await;
    assert_eq!(
        (pv.package_name(), pv.display_name(), pv.namespace()),
        (Some("kit"), Some("Kit"), None)
    );
    assert_eq!(pv.summary(), Some("Kit does things"));
    let assets = asset_names(&s, "releases", PackageFormat::Cargo, None, "kit", "1.0.0").await;
    assert_eq!(assets, vec!["Kit-1.0.0.crate"]);
    let deps = s
        .client
        .list_package_version_dependencies()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Cargo)
        .package("kit")
        .package_version("1.0.0")
        .send()
        .await
        .expect("dependencies");
    let deps: Vec<_> = deps
        .dependencies()
        .iter()
        .map(|d| (d.package().unwrap(), d.dependency_type().unwrap()))
        .collect();
    assert_eq!(deps, vec![("kit-core", "normal"), ("libc", "dev")]);

    // Yank: Unlisted, marked in the index, still downloadable; unyank: Published again.
    let r = c
        .request(Method::DELETE, "api/v1/crates/Kit/1.0.0/yank", &[], vec![])
        .await;
    assert_eq!((r.status, r.json()), (200, json!({"ok": true})));
    assert_eq!(
        describe(&s, "kit", "1.0.0").await.status(),
        Some(&PackageVersionStatus::Unlisted)
    );
    expected["yanked"] = json!(true);
    assert_eq!(lines(&c.get("3/k/kit").await)[0], expected);
    assert_eq!(c.get("api/v1/crates/Kit/1.0.0/download").await.status, 200);
    let r = c
        .request(Method::PUT, "api/v1/crates/Kit/1.0.0/unyank", &[], vec![])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(lines(&c.get("3/k/kit").await)[0]["yanked"], json!(false));
    // Archived: gone from the index and downloads.
    s.client
        .update_package_versions_status()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Cargo)
        .package("kit")
        .versions("1.0.0")
        .target_status(PackageVersionStatus::Archived)
        .send()
        .await
        .expect("archive");
    assert_eq!(c.get("3/k/kit").await.status, 404);
    assert_eq!(c.get("api/v1/crates/Kit/1.0.0/download").await.status, 404);
}

#[tokio::test]
async fn what_is_refused_stores_nothing() {
    let s = setup().await;
    let c = login(&s).await;
    publish_ok(&c, "kit_core", "1.0.0+build.1").await;

    // Another spelling of a stored name, another build of a stored version.
    let why = refused(&c, "Kit-Core", "2.0.0", meta("Kit-Core", "2.0.0"), 409).await;
    assert!(why.contains("kit_core"), "{why}");
    let why = refused(
        &c,
        "kit_core",
        "1.0.0+build.2",
        meta("kit_core", "1.0.0+build.2"),
        409,
    )
    .await;
    assert!(why.contains("build metadata"), "{why}");
    refused(
        &c,
        "kit_core",
        "1.0.0+build.1",
        meta("kit_core", "1.0.0+build.1"),
        409,
    )
    .await;
    // Invalid names and versions.
    let why = refused(&c, "1kit", "1.0.0", meta("1kit", "1.0.0"), 400).await;
    assert!(why.contains("invalid crate name"), "{why}");
    refused(&c, "kit", "1.0", meta("kit", "1.0"), 400).await;
    // JSON that is not what the crate's Cargo.toml says.
    let mut m = meta("kit", "1.0.0");
    m["features"] = json!({"extra": []});
    let why = refused(&c, "kit", "1.0.0", m, 400).await;
    assert!(why.contains("Cargo.toml"), "{why}");
    let file = crate_file("kit", "1.0.0", &manifest("kit", "1.0.0", ""));
    let r = publish(&c, body(&meta("kit", "2.0.0"), &file)).await;
    assert_eq!(r.status, 400);
    // A body shorter or longer than its lengths say.
    let full = body(&meta("kit", "1.0.0"), &file);
    for b in [
        full[..full.len() - 1].to_vec(),
        [&full[..], b"x"].concat(),
        full[..6].to_vec(),
    ] {
        assert_eq!(publish(&c, b).await.status, 400);
    }
    assert_eq!(c.get("3/k/kit").await.status, 404);
    assert_eq!(
        c.get("ki/t-/kit-core").await.status,
        404,
        "the index path is the name's"
    );
    assert_eq!(lines(&c.get("ki/t_/kit_core").await).len(), 1);
}

#[tokio::test]
async fn search_and_owners() {
    let s = setup().await;
    let c = login(&s).await;
    for (name, version) in [
        ("kit-core", "1.0.0"),
        ("kit-core", "1.10.0"),
        ("kit-core", "1.9.0"),
        ("kit_app", "0.1.0"),
        ("other", "1.0.0"),
    ] {
        publish_ok(&c, name, version).await;
    }
    let r = c.get("api/v1/crates?q=KIT&per_page=1").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"crates": [{"name": "kit-core", "max_version": "1.10.0", "description": "kit-core does things"}], "meta": {"total": 2}})
    );
    let r = c.get("api/v1/crates?q=kit-app").await;
    assert_eq!(r.json()["crates"][0]["name"], "kit_app");

    let r = c.get("api/v1/crates/kit-core/owners").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["users"][0]["login"], s.account());
    let r = c
        .request(
            Method::PUT,
            "api/v1/crates/kit-core/owners",
            &[],
            br#"{"users":["bob"]}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(detail(&r).contains("owners"));
    assert_eq!(c.get("api/v1/crates/nope/owners").await.status, 404);
}

/// A package group's PUBLISH restriction over cargo's own wire: the refusal is a cargo error whose
/// detail names the group; a crate outside the group publishes.
#[tokio::test]
async fn a_package_group_refuses_cargo_publish() {
    use aws_sdk_codeartifact::types::{
        PackageGroupOriginRestrictionMode as Mode, PackageGroupOriginRestrictionType as Type,
    };
    let s = setup().await;
    package_group(&s, "/cargo//kit~", Type::Publish, Mode::Block, &[]).await;
    let c = login(&s).await;
    let file = crate_file("kit-core", "1.0.0", &manifest("kit-core", "1.0.0", ""));
    let r = publish(&c, body(&meta("kit-core", "1.0.0"), &file)).await;
    assert_ne!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(detail(&r).contains("/cargo//kit~"), "{}", detail(&r));
    let stored = crate::upstreams::standin::describe(
        &s,
        "releases",
        PackageFormat::Cargo,
        None,
        "kit-core",
        "1.0.0",
    )
    .await;
    assert!(stored.is_none(), "a refused publish stores nothing");
    publish_ok(&c, "kitchen", "1.0.0").await;
}

/// `Last-Modified` moves with every change of an index file, deletions included (whose rows are
/// gone), so `If-Modified-Since` never answers 304 to a client that has not seen the change.
#[tokio::test]
async fn index_last_modified_moves_with_every_change() {
    let s = setup().await;
    let c = login(&s).await;
    let get = |headers: Vec<(&'static str, String)>| {
        let c = &c;
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.request(Method::GET, "3/k/kit", &h, vec![]).await
        }
    };
    let modified = |r: &RawResponse| {
        let text = r
            .header("last-modified")
            .expect("Last-Modified")
            .to_string();
        (
            arca_sigv4::parse_http_date(&text).expect("an HTTP date"),
            text,
        )
    };
    publish_ok(&c, "kit", "1.0.0").await;
    let r = get(vec![]).await;
    let (t1, lm1) = modified(&r);
    // Unchanged: 304 on the date alone, and the same date again.
    let r = get(vec![("if-modified-since", lm1.clone())]).await;
    assert_eq!((r.status, r.body.len()), (304, 0));
    assert_eq!(modified(&r).1, lm1);
    assert_eq!(modified(&get(vec![]).await).1, lm1);

    // A publish within the same second still moves the date.
    publish_ok(&c, "kit", "1.0.1").await;
    let r = get(vec![("if-modified-since", lm1.clone())]).await;
    assert_eq!(r.status, 200);
    assert_eq!(lines(&r).len(), 2);
    let (t2, lm2) = modified(&r);
    assert!(t2 > t1, "{lm2} after {lm1}");

    // A deletion (the version's row is gone) moves it too.
    s.client
        .delete_package_versions()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Cargo)
        .package("kit")
        .versions("1.0.1")
        .send()
        .await
        .expect("deleted");
    let r = get(vec![("if-modified-since", lm2.clone())]).await;
    assert_eq!(r.status, 200);
    assert_eq!(lines(&r).len(), 1);
    let (t3, lm3) = modified(&r);
    assert!(t3 > t2, "{lm3} after {lm2}");

    // If-None-Match decides when both are sent (RFC 9110 §13.2.2).
    let etag = r.header("etag").unwrap().to_string();
    let r = get(vec![
        ("if-none-match", "\"other\"".into()),
        ("if-modified-since", lm3.clone()),
    ])
    .await;
    assert_eq!(r.status, 200);
    let r = get(vec![
        ("if-none-match", etag),
        ("if-modified-since", lm1.clone()),
    ])
    .await;
    assert_eq!(r.status, 304);
    // An unparsable date is ignored.
    let r = get(vec![("if-modified-since", "yesterday".into())]).await;
    assert_eq!(r.status, 200);
}
