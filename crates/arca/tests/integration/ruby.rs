//! RubyGems over plain HTTP, as `gem` and Bundler use it: push of `.gem` files built here (a plain
//! tar with `metadata.gz`, as `gem build` writes it), the probe, the compact index with its
//! validators and ranges, the dependency API and the full index (Marshal, read back with Arca's
//! decoder), quick specs, downloads, yank — and what the API then shows. (`tests/e2e/ruby.sh` runs
//! the real gem and Bundler.)

use std::io::{Read, Write};

use arca_service::ruby::marshal::{load, Value};
use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use base64::Engine;
use http::Method;
use md5::{Digest, Md5};

use crate::common::npm::Npm;
use crate::common::*;
use crate::upstreams::standin::asset_names;

/// A client of acme/`repo`'s RubyGems endpoint with `Authorization: Bearer <token>` (gem push's
/// header with the README's credentials file).
pub async fn login_to<'a>(s: &'a TestServer, repo: &str) -> Npm<'a> {
    let mut c = Npm::login(s, "acme", repo).await;
    c.base = c.base.replacen("/npm/", "/ruby/", 1);
    c
}

async fn login(s: &TestServer) -> Npm<'_> {
    login_to(s, "gems").await
}

/// The YAML `gem build` writes for a gem (runtime and development dependencies: `(name, kind,
/// op, version)`).
pub fn gemspec(
    name: &str,
    version: &str,
    platform: &str,
    deps: &[(&str, &str, &str, &str)],
) -> String {
    let mut y = format!(
        "--- !ruby/object:Gem::Specification\nname: {name}\nversion: !ruby/object:Gem::Version\n  version: {version}\nplatform: {platform}\nauthors:\n- Acme\ndate: 2026-01-02 00:00:00.000000000 Z\ndependencies:\n"
    );
    for (dep, kind, op, v) in deps {
        y.push_str(&format!(
            "- !ruby/object:Gem::Dependency\n  name: {dep}\n  requirement: !ruby/object:Gem::Requirement\n    requirements:\n    - - \"{op}\"\n      - !ruby/object:Gem::Version\n        version: '{v}'\n  type: :{kind}\n  prerelease: false\n"
        ));
    }
    y.push_str(&format!(
        "homepage: https://acme.test/{name}\nlicenses:\n- MIT\nmetadata:\n  source_code_uri: https://git.acme.test/{name}\nrequired_ruby_version: !ruby/object:Gem::Requirement\n  requirements:\n  - - \">=\"\n    - !ruby/object:Gem::Version\n      version: '2.7'\nrubygems_version: 3.3.15\nspecification_version: 4\nsummary: The {name} gem\n"
    ));
    y
}

/// A `.gem`: a plain tar with `metadata.gz` (the gzipped `yaml`) and `data.tar.gz`.
pub fn gem(yaml: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(yaml.as_bytes()).unwrap();
    let meta = gz.finish().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in [("metadata.gz", &meta[..]), ("data.tar.gz", &b"data"[..])] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, data).unwrap();
    }
    b.into_inner().unwrap()
}

pub async fn push(c: &Npm<'_>, file: Vec<u8>) -> RawResponse {
    let h = [("content-type", "application/octet-stream")];
    c.request(Method::POST, "api/v1/gems", &h, file).await
}

async fn push_ok(c: &Npm<'_>, yaml: &str) -> Vec<u8> {
    let file = gem(yaml);
    let r = push(c, file.clone()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    file
}

/// A full index file (`specs.4.8.gz` …) as `name version platform` lines.
pub async fn full_index(c: &Npm<'_>, file: &str) -> Vec<String> {
    let r = c.get(file).await;
    assert_eq!(r.status, 200, "{file}");
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_end(&mut raw)
        .unwrap();
    let tuples = load(&raw).unwrap();
    tuples
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let t = t.as_array().unwrap();
            let Value::UserMarshal { data, .. } = &t[1] else {
                panic!()
            };
            let v = data.as_array().unwrap()[0].as_str().unwrap().to_string();
            format!("{} {v} {}", t[0].as_str().unwrap(), t[2].as_str().unwrap())
        })
        .collect()
}

pub fn text(r: &RawResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

fn sha256(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

fn md5_tag(b: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(b)))
}

async fn setup() -> TestServer {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "gems").await;
    s
}

#[tokio::test]
async fn push_probe_tokens_and_errors() {
    let s = setup().await;
    let mut c = login(&s).await;
    let token = c.authorization.clone().unwrap();
    let token = token.trim_start_matches("Bearer ").to_string();
    // The probe gem 3.3 sends, with each way clients send the token.
    for auth in [
        format!("Bearer {token}"),
        token.clone(),
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"))
        ),
    ] {
        c.authorization = Some(auth);
        let r = c.request(Method::HEAD, "", &[], Vec::new()).await;
        assert_eq!(r.status, 200);
    }
    c.authorization = None;
    let r = c.get("").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"arca\""));
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    c.authorization = Some(token);

    // A malformed gem: 400, in plain text, and nothing stored.
    for bad in [
        b"not a tar".to_vec(),
        gem("--- [unbalanced"),
        gem("name: [kit]\n"),
    ] {
        let r = push(&c, bad).await;
        assert_eq!(r.status, 400, "{}", text(&r));
        assert!(text(&r).contains("not a valid gem"), "{}", text(&r));
    }
    let r = push(&c, gem(&gemspec("bad name", "1.0", "ruby", &[]))).await;
    assert_eq!(r.status, 400);
    let r = push(&c, gem(&gemspec("kit", "v1", "ruby", &[]))).await;
    assert_eq!(r.status, 400);
    let listed = s
        .client
        .list_packages()
        .domain("acme")
        .repository("gems")
        .send()
        .await
        .unwrap();
    assert!(listed.packages().is_empty());

    // Pushed; the same name, version and platform again is a 409; another platform joins.
    let r = push(&c, gem(&gemspec("kit", "1.0.0", "ruby", &[]))).await;
    assert_eq!(text(&r), "Successfully registered gem: kit (1.0.0)");
    let r = push(&c, gem(&gemspec("kit", "1.0.0", "ruby", &[]))).await;
    assert_eq!(r.status, 409);
    assert!(text(&r).starts_with("Repushing of gem versions is not allowed"));
    let r = push(&c, gem(&gemspec("kit", "1.0.0", "java", &[]))).await;
    assert_eq!(text(&r), "Successfully registered gem: kit (1.0.0-java)");
    assert_eq!(
        asset_names(&s, "gems", PackageFormat::Ruby, None, "kit", "1.0.0").await,
        ["kit-1.0.0-java.gem", "kit-1.0.0.gem"]
    );

    // Unknown resources and methods.
    assert_eq!(c.get("nothing/here").await.status, 404);
    let r = c.get("api/v1/gems").await;
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    assert_eq!(c.get("info/nope").await.status, 404);
    assert_eq!(c.get("gems/nope-1.0.gem").await.status, 404);
}

#[tokio::test]
async fn indexes_downloads_and_the_api() {
    let s = setup().await;
    let c = login(&s).await;
    let core = push_ok(&c, &gemspec("kit-core", "1.0.0", "ruby", &[])).await;
    let linux = push_ok(&c, &gemspec("kit-core", "1.0.0", "x86_64-linux", &[])).await;
    let deps = [
        ("kit-core", "runtime", "~>", "1.0"),
        ("rake", "development", ">=", "12"),
    ];
    let app = push_ok(&c, &gemspec("kit-app", "2.0.0", "ruby", &deps)).await;
    push_ok(&c, &gemspec("kit-core", "1.1.0.rc1", "ruby", &[])).await;

    let r = c.get("names").await;
    assert_eq!(text(&r), "---\nkit-app\nkit-core\n");

    let r = c.get("info/kit-core").await;
    assert_eq!(r.status, 200);
    let info = text(&r);
    assert_eq!(
        info,
        format!(
            "---\n1.0.0 |checksum:{},ruby:>= 2.7\n1.0.0-x86_64-linux |checksum:{},ruby:>= 2.7\n1.1.0.rc1 |checksum:{},ruby:>= 2.7\n",
            sha256(&core),
            sha256(&linux),
            sha256(&gem(&gemspec("kit-core", "1.1.0.rc1", "ruby", &[])))
        )
    );
    assert_eq!(r.header("etag"), Some(md5_tag(info.as_bytes()).as_str()));
    let digest = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&r.body));
    assert_eq!(
        r.header("repr-digest"),
        Some(format!("sha-256=:{digest}:").as_str())
    );
    let r = c.get("info/kit-app").await;
    assert_eq!(
        text(&r),
        format!(
            "---\n2.0.0 kit-core:~> 1.0|checksum:{},ruby:>= 2.7\n",
            sha256(&app)
        )
    );

    // The dependency API: its empty probe, then Marshal entries for each file.
    let r = c.get("api/v1/dependencies").await;
    assert_eq!((r.status, r.body.len()), (200, 0));
    let r = c
        .get("api/v1/dependencies?gems=kit-app,kit-core,nope")
        .await;
    let entries = load(&r.body).unwrap();
    let summary: Vec<(String, String, String)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let Value::Hash(pairs) = e else { panic!() };
            let field = |k: &str| {
                let v = &pairs
                    .iter()
                    .find(|(key, _)| *key == Value::sym(k))
                    .unwrap()
                    .1;
                v.as_str().unwrap().to_string()
            };
            (field("name"), field("number"), field("platform"))
        })
        .collect();
    let want = |n: &str, v: &str, p: &str| (n.to_string(), v.to_string(), p.to_string());
    assert_eq!(
        summary,
        [
            want("kit-app", "2.0.0", "ruby"),
            want("kit-core", "1.0.0", "ruby"),
            want("kit-core", "1.0.0", "x86_64-linux"),
            want("kit-core", "1.1.0.rc1", "ruby"),
        ]
    );
    let r = c.get("api/v1/dependencies.json?gems=kit-app").await;
    assert_eq!(
        r.json(),
        serde_json::json!([{"name": "kit-app", "number": "2.0.0", "platform": "ruby",
                            "dependencies": [["kit-core", "~> 1.0"]]}])
    );

    // The full index: releases, latest per platform, prereleases.
    let specs = |file: &'static str| full_index(&c, file);
    let all = [
        "kit-app 2.0.0 ruby",
        "kit-core 1.0.0 ruby",
        "kit-core 1.0.0 x86_64-linux",
    ];
    assert_eq!(specs("specs.4.8.gz").await, all);
    assert_eq!(specs("latest_specs.4.8.gz").await, all);
    assert_eq!(
        specs("prerelease_specs.4.8.gz").await,
        ["kit-core 1.1.0.rc1 ruby"]
    );

    // quick/ specifications and downloads, by full name (names with '-', platforms).
    let r = c
        .get("quick/Marshal.4.8/kit-core-1.0.0-x86_64-linux.gemspec.rz")
        .await;
    assert_eq!(r.status, 200);
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&r.body[..])
        .read_to_end(&mut raw)
        .unwrap();
    let Value::UserDef { class, bytes } = load(&raw).unwrap() else {
        panic!("not a _dump")
    };
    assert_eq!(class, "Gem::Specification");
    let fields = load(&bytes).unwrap();
    assert_eq!(fields.as_array().unwrap()[2], Value::str("kit-core"));
    assert_eq!(fields.as_array().unwrap()[16], Value::str("x86_64-linux"));
    assert_eq!(
        c.get("quick/Marshal.4.8/kit-core-9.0.gemspec.rz")
            .await
            .status,
        404
    );
    for (file, bytes) in [
        ("kit-core-1.0.0.gem", &core),
        ("kit-core-1.0.0-x86_64-linux.gem", &linux),
        ("kit-app-2.0.0.gem", &app),
    ] {
        let r = c.get(&format!("gems/{file}")).await;
        assert_eq!((r.status, &r.body[..]), (200, &bytes[..]), "{file}");
    }

    // The API: format ruby, no namespace, metadata and every dependency.
    let d = crate::upstreams::standin::describe(
        &s,
        "gems",
        PackageFormat::Ruby,
        None,
        "kit-app",
        "2.0.0",
    )
    .await
    .unwrap();
    assert_eq!(d.format(), Some(&PackageFormat::Ruby));
    assert_eq!(d.namespace(), None);
    assert_eq!(d.display_name(), Some("kit-app"));
    assert_eq!(d.summary(), Some("The kit-app gem"));
    assert_eq!(d.home_page(), Some("https://acme.test/kit-app"));
    assert_eq!(
        d.source_code_repository(),
        Some("https://git.acme.test/kit-app")
    );
    assert_eq!(d.licenses()[0].name(), Some("MIT"));
    let deps = s
        .client
        .list_package_version_dependencies()
        .domain("acme")
        .repository("gems")
        .format(PackageFormat::Ruby)
        .package("kit-app")
        .package_version("2.0.0")
        .send()
        .await
        .unwrap();
    let deps: Vec<_> = deps
        .dependencies()
        .iter()
        .map(|d| {
            (
                d.package().unwrap(),
                d.dependency_type().unwrap(),
                d.version_requirement().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        deps,
        [
            ("kit-core", "runtime", "~> 1.0"),
            ("rake", "development", ">= 12")
        ]
    );
}

#[tokio::test]
async fn versions_grow_by_appending_ranges_and_yank() {
    let s = setup().await;
    let c = login(&s).await;
    push_ok(&c, &gemspec("kit", "1.0.0", "ruby", &[])).await;
    let before = c.get("versions").await;
    let before_text = text(&before);
    assert!(before_text.starts_with("created_at: "), "{before_text}");
    let info1 = c.get("info/kit").await;
    assert!(
        before_text.ends_with(&format!(
            "---\nkit 1.0.0 {}\n",
            hex::encode(Md5::digest(&info1.body))
        )),
        "{before_text}"
    );

    // A client with the current copy: 304.
    let tag = md5_tag(&before.body);
    let r = c
        .request(
            Method::GET,
            "versions",
            &[("if-none-match", &tag)],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, 304);

    // A new version appends; Bundler's Range request gets the rest.
    let v11 = push_ok(&c, &gemspec("kit", "1.1.0", "ruby", &[])).await;
    let after = c.get("versions").await;
    assert!(after.body.starts_with(&before.body));
    let start = (before.body.len() - 1).to_string();
    let range = format!("bytes={start}-");
    let h = [("range", range.as_str()), ("if-none-match", tag.as_str())];
    let r = c.request(Method::GET, "versions", &h, Vec::new()).await;
    assert_eq!(r.status, 206);
    assert_eq!(&r.body[..], &after.body[before.body.len() - 1..]);
    assert_eq!(
        r.header("content-range"),
        Some(
            format!(
                "bytes {start}-{}/{}",
                after.body.len() - 1,
                after.body.len()
            )
            .as_str()
        )
    );
    assert_eq!(r.header("etag"), Some(md5_tag(&after.body).as_str()));

    // gem yank: the form gem sends, on a DELETE.
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let yank = |body: &str| {
        c.request(
            Method::DELETE,
            "api/v1/gems/yank",
            &form,
            body.as_bytes().to_vec(),
        )
    };
    let r = yank("gem_name=kit&version=1.1.0&platform=java").await;
    assert_eq!(r.status, 404, "a platform the version lacks");
    let r = yank("gem_name=kit&version=1.1.0").await;
    assert_eq!(
        (r.status, text(&r)),
        (200, "Successfully deleted gem: kit (1.1.0)".into())
    );
    assert_eq!(
        yank("gem_name=kit&version=1.1.0").await.status,
        200,
        "again"
    );
    assert_eq!(yank("gem_name=kit&version=9.9").await.status, 404);
    assert_eq!(yank("gem_name=kit").await.status, 400);

    let info = c.get("info/kit").await;
    assert!(!text(&info).contains("1.1.0"), "{}", text(&info));
    let versions = text(&c.get("versions").await);
    assert!(
        versions.ends_with(&format!(
            "kit -1.1.0 {}\n",
            hex::encode(Md5::digest(&info.body))
        )),
        "{versions}"
    );
    // A copy from before 1.1.0 is still a prefix (206); one with 1.1.0's line, whose digest the
    // yank changed, is not: the Range request gets the whole file.
    let r = c.request(Method::GET, "versions", &h, Vec::new()).await;
    assert_eq!(r.status, 206);
    assert!(versions.ends_with(&text(&r)));
    let (tag, start) = (md5_tag(&after.body), (after.body.len() - 1).to_string());
    let range = format!("bytes={start}-");
    let h = [("range", range.as_str()), ("if-none-match", tag.as_str())];
    let r = c.request(Method::GET, "versions", &h, Vec::new()).await;
    assert_eq!((r.status, text(&r)), (200, versions.clone()));
    let r = c.get("api/v1/dependencies?gems=kit").await;
    assert_eq!(load(&r.body).unwrap().as_array().unwrap().len(), 1);
    // The yanked file still downloads (lockfiles), and the API shows it Unlisted.
    let r = c.get("gems/kit-1.1.0.gem").await;
    assert_eq!((r.status, &r.body[..]), (200, &v11[..]));
    let d =
        crate::upstreams::standin::describe(&s, "gems", PackageFormat::Ruby, None, "kit", "1.1.0")
            .await
            .unwrap();
    assert_eq!(d.status(), Some(&PackageVersionStatus::Unlisted));
    // Pushing the yanked version's gem again is still a 409.
    assert_eq!(push(&c, v11).await.status, 409);
}

#[tokio::test]
async fn origin_controls_bind_gem_push() {
    use aws_sdk_codeartifact::types::{AllowPublish, AllowUpstream, PackageOriginRestrictions};
    let s = setup().await;
    let c = login(&s).await;
    push_ok(&c, &gemspec("kit", "1.0.0", "ruby", &[])).await;
    s.client
        .put_package_origin_configuration()
        .domain("acme")
        .repository("gems")
        .format(PackageFormat::Ruby)
        .package("kit")
        .restrictions(
            PackageOriginRestrictions::builder()
                .publish(AllowPublish::Block)
                .upstream(AllowUpstream::Allow)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // A new version and a new platform of a stored one are both publishes: refused, nothing kept.
    for yaml in [
        gemspec("kit", "1.1.0", "ruby", &[]),
        gemspec("kit", "1.0.0", "java", &[]),
    ] {
        let r = push(&c, gem(&yaml)).await;
        assert!(
            r.status >= 400 && r.status < 500,
            "{}: {}",
            r.status,
            text(&r)
        );
    }
    assert!(
        asset_names(&s, "gems", PackageFormat::Ruby, None, "kit", "1.1.0")
            .await
            .is_empty()
    );
    assert_eq!(
        asset_names(&s, "gems", PackageFormat::Ruby, None, "kit", "1.0.0").await,
        ["kit-1.0.0.gem"]
    );
}

/// A package group's PUBLISH restriction refuses gem push through the shared publish path.
#[tokio::test]
async fn a_package_group_refuses_pushes() {
    use aws_sdk_codeartifact::types::{
        PackageGroupOriginRestrictionMode as Mode, PackageGroupOriginRestrictionType as Type,
    };
    let s = setup().await;
    package_group(&s, "/ruby//kit-core$", Type::Publish, Mode::Block, &[]).await;
    let c = login(&s).await;
    let r = push(&c, gem(&gemspec("kit-core", "1.0.0", "ruby", &[]))).await;
    assert_eq!(r.status, 409, "{}", text(&r));
    assert!(text(&r).contains("/ruby//kit-core$"), "{}", text(&r));
    push_ok(&c, &gemspec("kit-app", "1.0.0", "ruby", &[])).await;
}
