//! PyPI through the chain `app → team → store(public:pypi)`, the source a stand-in simple index on
//! 127.0.0.1 (PEP 691 JSON, or PEP 503 HTML): merged project pages (the source's fields passed
//! through, Arca's own URLs), each file retained on its first download with its origin, files added
//! to a retained version, no version mixing files of two origins, verification, single-flight,
//! outages.

use std::time::Duration;

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionOriginType};
use base64::Engine;
use http::Method;
use serde_json::{json, Value};

use super::standin::{assert_cut_off, assert_external, asset_names, chain, describe, StandIn};
use crate::common::npm::Npm;
use crate::common::*;

const JSON: &str = "application/vnd.pypi.simple.v1+json";
const CONNECTION: &str = "public:pypi";

/// A client of `repo`'s PyPI endpoint with HTTP Basic `aws:TOKEN`, as pip sends it.
async fn pip<'a>(s: &'a TestServer, repo: &str) -> Npm<'a> {
    let mut c = Npm::login(s, "acme", repo).await;
    let token = c.authorization.take().expect("token");
    let token = token.trim_start_matches("Bearer ");
    c.base = c.base.replacen("/npm/", "/pypi/", 1);
    c.authorization = Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"))
    ));
    c
}

async fn get(c: &Npm<'_>, path: &str, accept: &str) -> RawResponse {
    c.request(Method::GET, path, &[("accept", accept)], Vec::new())
        .await
}

/// `twine upload` of one file.
async fn upload(c: &Npm<'_>, name: &str, version: &str, filename: &str, file: &[u8]) {
    const B: &str = "arcaUpstreamBoundary";
    let h = hashes(file);
    let mut body = Vec::new();
    for (k, v) in [
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("name", name),
        ("version", version),
        ("sha256_digest", h["SHA-256"].as_str()),
    ] {
        body.extend_from_slice(
            format!("--{B}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{B}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{filename}\"\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{B}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={B}");
    let r = c
        .request(Method::POST, "", &[("content-type", &ct)], body)
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// A wheel (a zip with stored entries, sizes in the local headers, as our METADATA reader wants)
/// and its METADATA.
fn wheel(version: &str, extra_metadata: &str) -> (Vec<u8>, Vec<u8>) {
    let meta =
        format!("Metadata-Version: 2.1\nName: Kit_Core\nVersion: {version}\n{extra_metadata}\n")
            .into_bytes();
    let code = format!("VERSION = {version:?}\n").into_bytes();
    let init = "kit_core/__init__.py".to_string();
    let metadata = format!("kit_core-{version}.dist-info/METADATA");
    let out = crate::common::stored_zip(&[(&init, &code), (&metadata, &meta)]);
    (out, meta)
}

/// An sdist (tar.gz) with its PKG-INFO.
fn sdist(version: &str, summary: &str) -> Vec<u8> {
    let pkg_info = format!(
        "Metadata-Version: 2.1\nName: kit-core\nVersion: {version}\nSummary: {summary}\n\n"
    );
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut h = tar::Header::new_gnu();
    h.set_size(pkg_info.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(
        &mut h,
        format!("kit_core-{version}/PKG-INFO"),
        pkg_info.as_bytes(),
    )
    .unwrap();
    tar.into_inner().unwrap().finish().unwrap()
}

/// A file as the source's index lists it.
#[derive(Clone)]
struct Dist {
    filename: String,
    bytes: Vec<u8>,
    metadata: Option<Vec<u8>>,
    requires_python: Option<&'static str>,
    yanked: Option<&'static str>,
    /// Only an MD5 in the index (no SHA-256).
    md5_only: bool,
    time: &'static str,
}

fn dist(filename: &str, bytes: Vec<u8>) -> Dist {
    Dist {
        filename: filename.into(),
        bytes,
        metadata: None,
        requires_python: None,
        yanked: None,
        md5_only: false,
        time: "2020-01-01T00:00:00Z",
    }
}

/// Puts the files and the project page of kit-core on the stand-in: `/simple/kit-core/` (JSON or
/// HTML), wheels linked by absolute URL, other files relative to the page (`../../files/…`).
fn publish(standin: &StandIn, files: &[Dist], html: bool) {
    let mut entries = Vec::new();
    let mut links = String::new();
    for f in files {
        let path = format!("/files/{}", f.filename);
        standin.put_file(&path, f.bytes.clone());
        let url = if f.filename.ends_with(".whl") {
            format!("{}files/{}", standin.url, f.filename)
        } else {
            format!("../../files/{}", f.filename)
        };
        let h = hashes(&f.bytes);
        let (alg, digest) = if f.md5_only {
            ("md5", h["MD5"].clone())
        } else {
            ("sha256", h["SHA-256"].clone())
        };
        let mut e = json!({"filename": f.filename, "url": url, "hashes": {alg: digest},
                           "upload-time": f.time, "size": f.bytes.len(), "yanked": false});
        let mut attrs = String::new();
        if let Some(m) = &f.metadata {
            standin.put_document(&format!("{path}.metadata"), m.clone(), "text/plain");
            e["core-metadata"] = json!({"sha256": sha256_hex(m)});
            attrs.push_str(&format!(" data-core-metadata=\"sha256={}\"", sha256_hex(m)));
        }
        if let Some(rp) = f.requires_python {
            e["requires-python"] = rp.into();
            attrs.push_str(&format!(
                " data-requires-python=\"{}\"",
                rp.replace('>', "&gt;").replace('<', "&lt;")
            ));
        }
        if let Some(reason) = f.yanked {
            e["yanked"] = reason.into();
            attrs.push_str(&format!(" data-yanked=\"{reason}\""));
        }
        entries.push(e);
        links.push_str(&format!(
            "<a href=\"{url}#{alg}={digest}\"{attrs}>{}</a><br/>\n",
            f.filename
        ));
    }
    if html {
        let body = format!("<!DOCTYPE html><html><body>\n{links}</body></html>\n");
        standin.put_document("/simple/kit-core/", body.into_bytes(), "text/html");
    } else {
        let body = json!({"meta": {"api-version": "1.1"}, "name": "kit-core", "files": entries});
        standin.put_document("/simple/kit-core/", body.to_string().into_bytes(), JSON);
    }
}

fn files_of(page: &Value) -> Vec<(String, Value)> {
    page["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["filename"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

fn file<'a>(page: &'a Value, name: &str) -> &'a Value {
    page["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == name)
        .unwrap_or_else(|| panic!("{name} not on the page: {page}"))
}

async fn source_of(standin: &StandIn) -> TestServer {
    chain(
        &format!("{}simple/", standin.url),
        CONNECTION,
        Duration::ZERO,
    )
    .await
}

#[tokio::test]
async fn merged_pages_then_each_file_retained_and_later_files_added() {
    let standin = StandIn::start().await;
    let (whl, meta) = wheel(
        "1.0.0",
        "Summary: The public kit\nRequires-Python: >=3.8\nRequires-Dist: six>=1",
    );
    let sd = sdist("1.0.0", "The public kit");
    let (whl11, meta11) = wheel("1.1.0", "");
    let mut files = vec![
        Dist {
            metadata: Some(meta.clone()),
            requires_python: Some(">=3.8"),
            ..dist("kit_core-1.0.0-py3-none-any.whl", whl.clone())
        },
        Dist {
            md5_only: true,
            ..dist("kit_core-1.0.0.tar.gz", sd.clone())
        },
        Dist {
            metadata: Some(meta11.clone()),
            yanked: Some("broken"),
            time: "2021-01-01T00:00:00Z",
            ..dist("kit_core-1.1.0-py3-none-any.whl", whl11)
        },
    ];
    publish(&standin, &files, false);
    let s = source_of(&standin).await;
    // A private version in team, listed beside the public ones.
    let private = pseudo_random(500, 9);
    upload(
        &pip(&s, "team").await,
        "kit-core",
        "0.9.0",
        "kit_core-0.9.0.zip",
        &private,
    )
    .await;
    let app = pip(&s, "app").await;

    let r = get(&app, "simple/kit-core/", JSON).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("warning"), None);
    let page = r.json();
    assert_eq!(page["versions"], json!(["0.9.0", "1.0.0", "1.1.0"]));
    let names: Vec<String> = files_of(&page).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "kit_core-0.9.0.zip",
            "kit_core-1.0.0-py3-none-any.whl",
            "kit_core-1.0.0.tar.gz",
            "kit_core-1.1.0-py3-none-any.whl"
        ]
    );
    let w = file(&page, "kit_core-1.0.0-py3-none-any.whl");
    assert_eq!(
        *w,
        json!({"filename": "kit_core-1.0.0-py3-none-any.whl",
               "url": "1.0.0/kit_core-1.0.0-py3-none-any.whl",
               "hashes": {"sha256": sha256_hex(&whl)}, "size": whl.len(),
               "upload-time": "2020-01-01T00:00:00Z", "requires-python": ">=3.8",
               "core-metadata": {"sha256": sha256_hex(&meta)},
               "dist-info-metadata": {"sha256": sha256_hex(&meta)}}),
        "the source's fields pass through, the URL is Arca's own"
    );
    assert_eq!(
        file(&page, "kit_core-1.0.0.tar.gz")["hashes"],
        json!({"md5": hashes(&sd)["MD5"]})
    );
    assert_eq!(
        file(&page, "kit_core-1.1.0-py3-none-any.whl")["yanked"],
        "broken"
    );
    let html = String::from_utf8_lossy(&get(&app, "simple/kit-core/", "text/html").await.body)
        .into_owned();
    assert!(
        html.contains(&format!(
            "href=\"1.0.0/kit_core-1.0.0-py3-none-any.whl#sha256={}\"",
            sha256_hex(&whl)
        )) && html.contains("data-requires-python=\"&gt;=3.8\"")
            && html.contains("data-yanked=\"broken\""),
        "{html}"
    );
    // Listed, not retained: the API does not see it (§A7).
    assert!(
        describe(&s, "app", PackageFormat::Pypi, None, "kit-core", "1.0.0")
            .await
            .is_none()
    );

    // PEP 658 metadata of a file not retained: the source's, checked, served, not kept.
    let m = get(
        &app,
        "simple/kit-core/1.1.0/kit_core-1.1.0-py3-none-any.whl.metadata",
        "*/*",
    )
    .await;
    assert_eq!((m.status, &m.body[..]), (200, &meta11[..]));
    assert!(
        describe(&s, "store", PackageFormat::Pypi, None, "kit-core", "1.1.0")
            .await
            .is_none()
    );

    // The wheel: fetched, verified, kept in store and app (nothing in team), with its metadata.
    let d = get(
        &app,
        "simple/kit-core/1.0.0/kit_core-1.0.0-py3-none-any.whl",
        "*/*",
    )
    .await;
    assert_eq!((d.status, &d.body[..]), (200, &whl[..]));
    for repo in ["app", "store"] {
        let v = describe(&s, repo, PackageFormat::Pypi, None, "kit-core", "1.0.0")
            .await
            .unwrap_or_else(|| panic!("retained in {repo}"));
        assert_external(&v, CONNECTION);
        assert_eq!(v.summary(), Some("The public kit"), "{repo}");
        assert_eq!(
            asset_names(&s, repo, PackageFormat::Pypi, None, "kit-core", "1.0.0").await,
            ["kit_core-1.0.0-py3-none-any.whl"]
        );
    }
    assert!(
        describe(&s, "team", PackageFormat::Pypi, None, "kit-core", "1.0.0")
            .await
            .is_none()
    );
    let m = get(
        &app,
        "simple/kit-core/1.0.0/kit_core-1.0.0-py3-none-any.whl.metadata",
        "*/*",
    )
    .await;
    assert_eq!((m.status, &m.body[..]), (200, &meta[..]));
    // Served by Arca from now on.
    assert_eq!(
        get(
            &app,
            "simple/kit-core/1.0.0/kit_core-1.0.0-py3-none-any.whl",
            "*/*"
        )
        .await
        .status,
        200
    );
    assert_eq!(standin.count("/files/kit_core-1.0.0-py3-none-any.whl"), 1);

    // The sdist (verified by its MD5) joins the retained version, in app and store.
    let d = get(&app, "simple/kit-core/1.0.0/kit_core-1.0.0.tar.gz", "*/*").await;
    assert_eq!(
        (d.status, &d.body[..]),
        (200, &sd[..]),
        "{}",
        String::from_utf8_lossy(&d.body)
    );
    for repo in ["app", "store"] {
        assert_eq!(
            asset_names(&s, repo, PackageFormat::Pypi, None, "kit-core", "1.0.0").await,
            ["kit_core-1.0.0-py3-none-any.whl", "kit_core-1.0.0.tar.gz"],
            "{repo}"
        );
    }

    // Later the source yanks the wheel and adds one more: the page follows, the new file joins.
    let (whl2, _) = wheel("1.0.0", "Summary: py2");
    files[0].yanked = Some("oops");
    files.push(dist("kit_core-1.0.0-py2.py3-none-any.whl", whl2.clone()));
    publish(&standin, &files, false);
    let page = get(&app, "simple/kit-core/", JSON).await.json();
    assert_eq!(
        file(&page, "kit_core-1.0.0-py3-none-any.whl")["yanked"],
        "oops"
    );
    assert!(file(&page, "kit_core-1.0.0-py2.py3-none-any.whl")["yanked"].is_null());
    let d = get(
        &app,
        "simple/kit-core/1.0.0/kit_core-1.0.0-py2.py3-none-any.whl",
        "*/*",
    )
    .await;
    assert_eq!((d.status, &d.body[..]), (200, &whl2[..]));
    assert_eq!(
        asset_names(&s, "app", PackageFormat::Pypi, None, "kit-core", "1.0.0")
            .await
            .len(),
        3
    );
    // Unknown files and projects: 404.
    assert_eq!(
        get(
            &app,
            "simple/kit-core/1.0.0/kit_core-1.0.0-py3-none-win32.whl",
            "*/*"
        )
        .await
        .status,
        404
    );
    assert_eq!(get(&app, "simple/no-such-project/", JSON).await.status, 404);
}

#[tokio::test]
async fn a_version_published_in_the_chain_takes_no_files_from_the_source() {
    let standin = StandIn::start().await;
    let (whl, _) = wheel("1.0.0", "");
    publish(
        &standin,
        &[dist("kit_core-1.0.0-py3-none-any.whl", whl)],
        false,
    );
    let s = source_of(&standin).await;
    let private = pseudo_random(700, 3);
    // A version the source has can be published in the chain only where the package's upstream
    // control is BLOCK (else the dependency-confusion guard answers 409).
    s.client
        .put_package_origin_configuration()
        .domain("acme")
        .repository("team")
        .format(PackageFormat::Pypi)
        .package("kit-core")
        .restrictions(
            aws_sdk_codeartifact::types::PackageOriginRestrictions::builder()
                .publish(aws_sdk_codeartifact::types::AllowPublish::Allow)
                .upstream(aws_sdk_codeartifact::types::AllowUpstream::Block)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    upload(
        &pip(&s, "team").await,
        "kit-core",
        "1.0.0",
        "kit_core-1.0.0.zip",
        &private,
    )
    .await;
    let app = pip(&s, "app").await;
    let page = get(&app, "simple/kit-core/", JSON).await.json();
    let names: Vec<String> = files_of(&page).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["kit_core-1.0.0.zip"],
        "team's 1.0.0 wins the version"
    );
    let r = get(
        &app,
        "simple/kit-core/1.0.0/kit_core-1.0.0-py3-none-any.whl",
        "*/*",
    )
    .await;
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(standin.count(".whl"), 0);
    let d = get(&app, "simple/kit-core/1.0.0/kit_core-1.0.0.zip", "*/*").await;
    assert_eq!((d.status, &d.body[..]), (200, &private[..]));
    let v = describe(&s, "app", PackageFormat::Pypi, None, "kit-core", "1.0.0")
        .await
        .expect("retained from team");
    let origin = v.origin().unwrap();
    assert_eq!(
        origin.origin_type(),
        Some(&PackageVersionOriginType::Internal)
    );
    assert_eq!(
        origin.domain_entry_point().unwrap().repository_name(),
        Some("team")
    );
}

#[tokio::test]
async fn a_tampered_file_is_refused_and_nothing_is_kept() {
    let standin = StandIn::start().await;
    let (whl, _) = wheel("1.0.0", "");
    let len = whl.len();
    publish(
        &standin,
        &[dist("kit_core-1.0.0-py3-none-any.whl", whl)],
        false,
    );
    let s = source_of(&standin).await;
    let app = pip(&s, "app").await;
    standin.set_tamper(true);
    let path = "simple/kit-core/1.0.0/kit_core-1.0.0-py3-none-any.whl";
    let r = app.get_partial(path).await;
    assert_cut_off(&r, len);
    for repo in ["app", "team", "store"] {
        assert!(
            describe(&s, repo, PackageFormat::Pypi, None, "kit-core", "1.0.0")
                .await
                .is_none(),
            "{repo}"
        );
    }
    standin.set_tamper(false);
    assert_eq!(get(&app, path, "*/*").await.status, 200);
}

#[tokio::test]
async fn fifty_concurrent_requests_fetch_the_file_once() {
    let standin = StandIn::start().await;
    let (whl, _) = wheel("1.0.0", "");
    publish(
        &standin,
        &[dist("kit_core-1.0.0-py3-none-any.whl", whl.clone())],
        false,
    );
    let s = source_of(&standin).await;
    let app = pip(&s, "app").await;
    let path = "simple/kit-core/1.0.0/kit_core-1.0.0-py3-none-any.whl";
    let gets = (0..50).map(|_| get(&app, path, "*/*"));
    for r in futures::future::join_all(gets).await {
        assert_eq!((r.status, &r.body[..]), (200, &whl[..]));
    }
    assert_eq!(standin.count("/files/kit_core-1.0.0-py3-none-any.whl"), 1);
}

#[tokio::test]
async fn an_html_source_down_keeps_retained_files_and_a_stale_page() {
    let standin = StandIn::start().await;
    let (whl, _) = wheel("1.0.0", "");
    let sd = sdist("1.0.0", "kit");
    publish(
        &standin,
        &[
            Dist {
                requires_python: Some(">=3.9"),
                ..dist("kit_core-1.0.0-py3-none-any.whl", whl.clone())
            },
            dist("kit_core-1.0.0.tar.gz", sd),
        ],
        true,
    );
    let s = source_of(&standin).await;
    let app = pip(&s, "app").await;
    let page = get(&app, "simple/kit-core/", JSON).await.json();
    let w = file(&page, "kit_core-1.0.0-py3-none-any.whl");
    assert_eq!(w["requires-python"], ">=3.9", "read from the HTML page");
    assert!(w.get("upload-time").is_none());
    let path = "simple/kit-core/1.0.0/kit_core-1.0.0-py3-none-any.whl";
    assert_eq!(get(&app, path, "*/*").await.status, 200);

    standin.set_down(true);
    let r = get(&app, "simple/kit-core/", JSON).await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("warning").is_some_and(|w| w.starts_with("110")),
        "{:?}",
        r.headers
    );
    assert_eq!(
        files_of(&r.json()).len(),
        2,
        "the stale copy lists what the source had"
    );
    let d = get(&app, path, "*/*").await;
    assert_eq!(
        (d.status, &d.body[..]),
        (200, &whl[..]),
        "retained: installs with the source down"
    );
    let d = get(&app, "simple/kit-core/1.0.0/kit_core-1.0.0.tar.gz", "*/*").await;
    assert_eq!(d.status, 502, "{}", String::from_utf8_lossy(&d.body));
    assert_eq!(
        asset_names(&s, "app", PackageFormat::Pypi, None, "kit-core", "1.0.0").await,
        ["kit_core-1.0.0-py3-none-any.whl"]
    );
}
