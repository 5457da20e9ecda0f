//! The PyPI endpoint over plain HTTP, as twine and pip use it: legacy multipart uploads, the simple
//! API in HTML and JSON, name normalization, statuses, digest checks, file names — and what the
//! API then shows.

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use base64::Engine;
use http::Method;

use crate::common::npm::Npm;
use crate::common::*;

const BOUNDARY: &str = "arcaTestBoundary1234";
const JSON: &str = "application/vnd.pypi.simple.v1+json";

/// A client of the repository's PyPI endpoint with HTTP Basic `aws:TOKEN`, as pip and twine send it.
pub async fn login(s: &TestServer) -> Npm<'_> {
    as_pypi(Npm::login(s, "acme", "releases").await)
}

/// The PyPI endpoint of an npm client's repository, with its token as HTTP Basic `aws:TOKEN`.
pub fn as_pypi(mut c: Npm<'_>) -> Npm<'_> {
    let token = c.authorization.take().expect("token");
    let token = token.trim_start_matches("Bearer ");
    c.base = c.base.replacen("/npm/", "/pypi/", 1);
    c.authorization = Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"))
    ));
    c
}

/// The form twine posts for `file`, with `fields` overriding or adding to the defaults.
pub fn form(
    name: &str,
    version: &str,
    filename: &str,
    file: &[u8],
    fields: &[(&str, &str)],
) -> Vec<u8> {
    let h = hashes(file);
    let mut all: Vec<(&str, String)> = vec![
        (":action", "file_upload".into()),
        ("protocol_version", "1".into()),
        ("name", name.into()),
        ("version", version.into()),
        ("summary", format!("{name} summary")),
        ("license", "MIT".into()),
        ("md5_digest", h["MD5"].clone()),
        ("sha256_digest", h["SHA-256"].clone()),
    ];
    // A field given again replaces its default; others are added (repeats kept, as twine repeats
    // `requires_dist`).
    let defaults = all.len();
    for (k, v) in fields {
        match all[..defaults].iter().position(|(n, _)| n == k) {
            Some(i) => all[i].1 = v.to_string(),
            None => all.push((k, v.to_string())),
        }
    }
    let mut b = Vec::new();
    for (k, v) in all {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

pub async fn upload(c: &Npm<'_>, body: Vec<u8>) -> RawResponse {
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    c.request(Method::POST, "", &[("content-type", &ct)], body)
        .await
}

pub async fn upload_ok(
    c: &Npm<'_>,
    name: &str,
    version: &str,
    filename: &str,
    seed: u64,
) -> Vec<u8> {
    let file = pseudo_random(3000, seed);
    let r = upload(c, form(name, version, filename, &file, &[])).await;
    assert_eq!(
        r.status,
        200,
        "{filename}: {}",
        String::from_utf8_lossy(&r.body)
    );
    file
}

async fn get(c: &Npm<'_>, path: &str, accept: Option<&str>) -> RawResponse {
    let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
    c.request(Method::GET, path, &headers, Vec::new()).await
}

fn text(r: &RawResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

async fn setup() -> TestServer {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    s
}

async fn set_status(s: &TestServer, version: &str, status: PackageVersionStatus) {
    let out = s
        .client
        .update_package_versions_status()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Pypi)
        .package("kit-core")
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

/// ListPackageVersionAssets of kit-core 1.0.0: the file names.
async fn kit_core_assets(s: &TestServer) -> Vec<String> {
    let out = s
        .client
        .list_package_version_assets()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Pypi)
        .package("kit-core")
        .package_version("1.0.0")
        .send()
        .await
        .expect("list assets");
    out.assets().iter().map(|a| a.name().to_string()).collect()
}

#[tokio::test]
async fn uploads_show_in_simple_pages_and_the_api() {
    let s = setup().await;
    let c = login(&s).await;
    let sdist = upload_ok(&c, "Kit_Core", "1.0.0", "kit_core-1.0.0.tar.gz", 1).await;
    let wheel = upload_ok(
        &c,
        "Kit_Core",
        "1.0.0",
        "kit_core-1.0.0-py3-none-any.whl",
        2,
    )
    .await;

    // PEP 503 HTML by default, with the SHA-256 of each file.
    let page = get(&c, "simple/kit-core/", None).await;
    assert_eq!(page.status, 200, "{}", text(&page));
    assert!(page.header("content-type").unwrap().contains("html"));
    let html = text(&page);
    for (f, data) in [
        ("kit_core-1.0.0.tar.gz", &sdist),
        ("kit_core-1.0.0-py3-none-any.whl", &wheel),
    ] {
        let link = format!("<a href=\"1.0.0/{f}#sha256={}\">{f}</a>", sha256_hex(data));
        assert!(html.contains(&link), "{link} not in {html}");
        let d = get(&c, &format!("simple/kit-core/1.0.0/{f}"), None).await;
        assert_eq!((d.status, &d.body[..]), (200, &data[..]));
    }

    // PEP 691 JSON when asked for, as pip asks.
    let page = get(
        &c,
        "simple/kit-core/",
        Some(&format!("{JSON}, text/html; q=0.01")),
    )
    .await;
    assert_eq!(page.header("content-type"), Some(JSON));
    let j = page.json();
    assert_eq!(j["name"], "kit-core");
    assert_eq!(j["meta"]["api-version"], "1.1");
    assert_eq!(j["versions"], serde_json::json!(["1.0.0"]));
    let files = j["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let sd = files
        .iter()
        .find(|f| f["filename"] == "kit_core-1.0.0.tar.gz")
        .unwrap();
    assert_eq!(sd["hashes"]["sha256"], sha256_hex(&sdist));
    assert_eq!(sd["size"], 3000);
    assert_eq!(sd["url"], "1.0.0/kit_core-1.0.0.tar.gz");

    // Every spelling leads to the normalized page.
    for other in ["Kit_Core", "kit.core", "KIT--core"] {
        let r = get(&c, &format!("simple/{other}/"), None).await;
        assert_eq!(r.status, 301, "{other}");
        assert_eq!(r.header("location"), Some("../kit-core/"));
    }
    let index = text(&get(&c, "simple/", None).await);
    assert!(
        index.contains("<a href=\"kit-core/\">kit-core</a>"),
        "{index}"
    );
    assert_eq!(
        get(&c, "simple/", Some(JSON)).await.json()["projects"][0]["name"],
        "kit-core"
    );

    // The API sees one version with both files, named as PEP 503 says, displayed as uploaded.
    let d = s
        .client
        .describe_package_version()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Pypi)
        .package("Kit.Core")
        .package_version("1.0.0")
        .send()
        .await
        .expect("describe");
    let v = d.package_version().unwrap();
    assert_eq!(v.package_name(), Some("kit-core"));
    assert_eq!(v.display_name(), Some("Kit_Core"));
    assert_eq!(v.status(), Some(&PackageVersionStatus::Published));
    assert_eq!(v.summary(), Some("Kit_Core summary"));
    assert_eq!(v.licenses()[0].name(), Some("MIT"));
    let names = kit_core_assets(&s).await;
    assert_eq!(
        names,
        ["kit_core-1.0.0-py3-none-any.whl", "kit_core-1.0.0.tar.gz"]
    );

    // The same file again is accepted and changes nothing; other bytes under its name are refused.
    let again = form("Kit_Core", "1.0.0", "kit_core-1.0.0.tar.gz", &sdist, &[]);
    assert_eq!(upload(&c, again).await.status, 200);
    let other = form("Kit_Core", "1.0.0", "kit_core-1.0.0.tar.gz", b"other", &[]);
    assert_eq!(upload(&c, other).await.status, 409);
    assert_eq!(get(&c, "simple/unknown/", None).await.status, 404);
}

#[tokio::test]
async fn digest_mismatch_stores_nothing() {
    let s = setup().await;
    let c = login(&s).await;
    let file = pseudo_random(1000, 3);
    let other = hashes(b"other");
    for field in ["sha256_digest", "md5_digest"] {
        let wrong = if field == "md5_digest" {
            &other["MD5"]
        } else {
            &other["SHA-256"]
        };
        let r = upload(
            &c,
            form("kit", "1.0.0", "kit-1.0.0.tar.gz", &file, &[(field, wrong)]),
        )
        .await;
        assert_eq!(r.status, 400, "{field}: {}", text(&r));
        assert!(text(&r).contains(field), "{}", text(&r));
    }
    let r = s
        .client
        .describe_package()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Pypi)
        .package("kit")
        .send()
        .await;
    assert_not_found(r, "package");
    let blobs = s.data_dir.join("blobs");
    let left = || files_under(&blobs);
    for _ in 0..200 {
        if left().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        left(),
        Vec::<std::path::PathBuf>::new(),
        "bytes left behind"
    );
}

#[tokio::test]
async fn path_tricks_and_bad_forms_are_refused() {
    let s = setup().await;
    let c = login(&s).await;
    for filename in [
        "../kit-1.0.0.tar.gz",
        "a/kit-1.0.0.tar.gz",
        "a\\kit-1.0.0.tar.gz",
        "kit-1.0.0.exe",
        "other-1.0.0.tar.gz",
    ] {
        let r = upload(&c, form("kit", "1.0.0", filename, b"x", &[])).await;
        assert_eq!(r.status, 400, "{filename}: {}", text(&r));
    }
    let r = upload(
        &c,
        form(
            "kit",
            "1.0.0",
            "kit-1.0.0.tar.gz",
            b"x",
            &[(":action", "remove_pkg")],
        ),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = upload(&c, form("../kit", "1.0.0", "kit-1.0.0.tar.gz", b"x", &[])).await;
    assert_eq!(r.status, 400);
    let r = c
        .request(
            Method::POST,
            "",
            &[("content-type", "application/json")],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    // An oversized `author` is refused (display fields such as `summary` are cut instead, like
    // every format's: hardening::version_metadata_is_bounded_for_every_format).
    let big = "x".repeat(5000);
    let r = upload(
        &c,
        form(
            "kit",
            "1.0.0",
            "kit-1.0.0.tar.gz",
            b"x",
            &[("author", &big)],
        ),
    )
    .await;
    assert_eq!(r.status, 400, "{}", text(&r));
    // No token: 401 with a challenge, so pip and twine send their credentials.
    let mut anon = login(&s).await;
    anon.authorization = None;
    let r = get(&anon, "simple/kit/", None).await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").is_some());
}

#[tokio::test]
async fn statuses_decide_what_pip_sees() {
    let s = setup().await;
    let c = login(&s).await;
    let one = upload_ok(&c, "kit-core", "1.0.0", "kit_core-1.0.0.tar.gz", 4).await;
    upload_ok(&c, "kit-core", "2.0.0", "kit_core-2.0.0.tar.gz", 5).await;
    let file1 = "simple/kit-core/1.0.0/kit_core-1.0.0.tar.gz";

    // Unlisted: gone from the page, still downloadable.
    set_status(&s, "1.0.0", PackageVersionStatus::Unlisted).await;
    let html = text(&get(&c, "simple/kit-core/", None).await);
    assert!(
        !html.contains("kit_core-1.0.0.tar.gz") && html.contains("kit_core-2.0.0.tar.gz"),
        "{html}"
    );
    let d = get(&c, file1, None).await;
    assert_eq!((d.status, &d.body[..]), (200, &one[..]));
    // An Unlisted version still takes more files (AWS allows adding files to a PyPI version).
    upload_ok(
        &c,
        "kit-core",
        "1.0.0",
        "kit_core-1.0.0-py3-none-any.whl",
        6,
    )
    .await;

    // Archived: neither listed nor downloadable, and no more files.
    set_status(&s, "1.0.0", PackageVersionStatus::Archived).await;
    assert_eq!(get(&c, file1, None).await.status, 404);
    let r = upload(
        &c,
        form("kit-core", "1.0.0", "kit_core-1.0.0.zip", b"z", &[]),
    )
    .await;
    assert_eq!(r.status, 409, "{}", text(&r));
    set_status(&s, "2.0.0", PackageVersionStatus::Archived).await;
    assert_eq!(get(&c, "simple/kit-core/", None).await.status, 404);
}

#[tokio::test]
async fn uploads_are_capped() {
    let s = TestServer::start_with(|c| {
        c.max_publish_bytes = 64 * 1024;
        c.max_asset_bytes = 8 * 1024;
    })
    .await;
    s.domain_with_repo("acme", "releases").await;
    let c = login(&s).await;
    // Larger than an asset may be: the quota's 413, whatever the form says after the file.
    let file = pseudo_random(20 * 1024, 7);
    let r = upload(&c, form("kit", "1.0.0", "kit-1.0.0.tar.gz", &file, &[])).await;
    assert_eq!(r.status, 413, "{}", text(&r));
    // Larger than a request may be.
    let big = "x".repeat(100 * 1024);
    let r = upload(
        &c,
        form(
            "kit",
            "1.0.0",
            "kit-1.0.0.tar.gz",
            b"x",
            &[("description", &big)],
        ),
    )
    .await;
    assert_eq!(r.status, 413, "{}", text(&r));
}

#[tokio::test]
async fn concurrent_uploads_to_one_new_version_all_land() {
    // One creates the version, the others lose the race and add their file to it.
    let s = setup().await;
    let c = login(&s).await;
    let files: Vec<(String, Vec<u8>)> = (0..6u64)
        .map(|i| {
            (
                format!("kit_core-1.0.0-py3-none-any{i}.whl"),
                pseudo_random(2000, 10 + i),
            )
        })
        .collect();
    let uploads = files
        .iter()
        .map(|(f, d)| upload(&c, form("kit-core", "1.0.0", f, d, &[])));
    for r in futures::future::join_all(uploads).await {
        assert_eq!(r.status, 200, "{}", text(&r));
    }
    assert_eq!(kit_core_assets(&s).await.len(), files.len());
}

/// `requires_python` is kept per file (PEP 503 `data-requires-python`, PEP 691 `requires-python`);
/// `requires_dist` and `description` become the version's dependencies and readme.
#[tokio::test]
async fn requires_python_dependencies_and_readme_from_the_form() {
    let s = setup().await;
    let c = login(&s).await;
    let sdist = pseudo_random(2000, 7);
    let r = upload(
        &c,
        form(
            "Kit_Core",
            "1.0.0",
            "kit_core-1.0.0.tar.gz",
            &sdist,
            &[
                ("requires_python", ">=3.8, <4"),
                ("requires_dist", "Requests[socks] (>=2.0)"),
                ("requires_dist", "tomli; python_version < \"3.11\""),
                ("description", "# Kit core\n\nLong text."),
                ("description_content_type", "text/markdown"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    // A second file without requires_python: its own attribute stays absent.
    upload_ok(&c, "kit-core", "1.0.0", "kit_core-1.0.0.zip", 8).await;

    let html = text(&get(&c, "simple/kit-core/", None).await);
    let sdist_line = html
        .lines()
        .find(|l| l.contains("kit_core-1.0.0.tar.gz<"))
        .expect("sdist link");
    assert!(
        sdist_line.contains("data-requires-python=\"&gt;=3.8, &lt;4\""),
        "{sdist_line}"
    );
    let zip_line = html
        .lines()
        .find(|l| l.contains("kit_core-1.0.0.zip<"))
        .expect("zip link");
    assert!(!zip_line.contains("data-requires-python"), "{zip_line}");
    let j = get(&c, "simple/kit-core/", Some(JSON)).await.json();
    let files = j["files"].as_array().unwrap();
    let by_name = |n: &str| files.iter().find(|f| f["filename"] == n).unwrap().clone();
    assert_eq!(
        by_name("kit_core-1.0.0.tar.gz")["requires-python"],
        ">=3.8, <4"
    );
    assert!(by_name("kit_core-1.0.0.zip")
        .get("requires-python")
        .is_none());

    let deps = s
        .client
        .list_package_version_dependencies()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Pypi)
        .package("Kit.Core")
        .package_version("1.0.0")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    type Dep<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let got: Vec<Dep> = deps
        .dependencies()
        .iter()
        .map(|d| {
            (
                d.namespace(),
                d.package(),
                d.dependency_type(),
                d.version_requirement(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (None, Some("requests"), Some("Requires-Dist"), Some(">=2.0")),
            (
                None,
                Some("tomli"),
                Some("Requires-Dist"),
                Some("; python_version < \"3.11\"")
            ),
        ]
    );
    assert_eq!(deps.package(), Some("kit-core"));
    let readme = s
        .client
        .get_package_version_readme()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Pypi)
        .package("kit-core")
        .package_version("1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(readme.readme(), Some("# Kit core\n\nLong text."));

    // A requirement that does not start with a project name is refused, nothing stored.
    let r = upload(
        &c,
        form(
            "kit-core",
            "2.0.0",
            "kit_core-2.0.0.tar.gz",
            &sdist,
            &[("requires_dist", ">=1.0")],
        ),
    )
    .await;
    assert_eq!(r.status, 400, "{}", text(&r));
    assert!(text(&r).contains("requires_dist"), "{}", text(&r));
}

/// A package group refuses twine uploads, its pattern's name normalized as PyPI names are
/// (`/python//Kit_Core$` is `/pypi//kit-core$`).
#[tokio::test]
async fn a_package_group_refuses_uploads() {
    use aws_sdk_codeartifact::types::{
        PackageGroupOriginRestrictionMode as Mode, PackageGroupOriginRestrictionType as Type,
    };
    let s = setup().await;
    let g = s
        .client
        .create_package_group()
        .domain("acme")
        .package_group("/python//Kit_Core$")
        .send()
        .await
        .unwrap();
    assert_eq!(
        g.package_group().unwrap().pattern(),
        Some("/pypi//kit-core$")
    );
    s.client
        .update_package_group_origin_configuration()
        .domain("acme")
        .package_group("/pypi//kit-core$")
        .restrictions(Type::Publish, Mode::Block)
        .send()
        .await
        .unwrap();
    let c = login(&s).await;
    let file = pseudo_random(3000, 9);
    let r = upload(
        &c,
        form("Kit.Core", "1.0.0", "kit_core-1.0.0.tar.gz", &file, &[]),
    )
    .await;
    assert_eq!(r.status, 409, "{}", text(&r));
    assert!(text(&r).contains("/pypi//kit-core$"), "{}", text(&r));
    upload_ok(&c, "kit-app", "1.0.0", "kit_app-1.0.0.tar.gz", 10).await;
}
