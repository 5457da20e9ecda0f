//! The Maven endpoint over plain HTTP, as `mvn deploy` and dependency resolution use it: PUT/GET/HEAD
//! of files, checksums, the Unfinished → Published step of `maven-metadata.xml`, SNAPSHOT builds,
//! statuses, bad input — and what the API then shows.

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use base64::Engine;
use http::Method;

use crate::common::npm::Npm;
use crate::common::*;

const DIR: &str = "com/acme/app";

/// A client of the repository's Maven endpoint with HTTP Basic `aws:TOKEN`, as Maven sends it.
async fn login(s: &TestServer) -> Npm<'_> {
    let mut c = Npm::login(s, "acme", "releases").await;
    let token = c.authorization.take().expect("token");
    let token = token.trim_start_matches("Bearer ");
    c.base = c.base.replacen("/npm/", "/maven/", 1);
    c.authorization = Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"))
    ));
    c
}

async fn setup() -> TestServer {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    s
}

async fn put(c: &Npm<'_>, path: &str, body: &[u8]) -> RawResponse {
    c.request(Method::PUT, path, &[], body.to_vec()).await
}

async fn put_ok(c: &Npm<'_>, path: &str, body: &[u8]) {
    let r = put(c, path, body).await;
    assert_eq!(r.status, 201, "PUT {path}: {}", text(&r));
}

fn text(r: &RawResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

pub fn pom(version: &str, extra: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>app</artifactId>
  <version>{version}</version>
  {extra}
</project>"#
    )
    .into_bytes()
}

pub fn metadata(versions: &[&str]) -> Vec<u8> {
    let vs: String = versions
        .iter()
        .map(|v| format!("<version>{v}</version>"))
        .collect();
    format!(
        "<metadata><groupId>com.acme</groupId><artifactId>app</artifactId>\
         <versioning><versions>{vs}</versions><lastUpdated>20250101120000</lastUpdated></versioning></metadata>"
    )
    .into_bytes()
}

pub async fn describe(
    s: &TestServer,
    version: &str,
) -> aws_sdk_codeartifact::types::PackageVersionDescription {
    s.client
        .describe_package_version()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Maven)
        .namespace("com.acme")
        .package("app")
        .package_version(version)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe {version}: {}", show(&e)))
        .package_version()
        .expect("version")
        .clone()
}

async fn set_status(s: &TestServer, version: &str, status: PackageVersionStatus) {
    let out = s
        .client
        .update_package_versions_status()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Maven)
        .namespace("com.acme")
        .package("app")
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

/// Uploads a release as `mvn deploy` does (jar, its checksums, POM) without the metadata step.
async fn deploy_files(c: &Npm<'_>, version: &str, seed: u64) -> (Vec<u8>, Vec<u8>) {
    let jar = pseudo_random(5000, seed);
    let pom = pom(
        version,
        "<name>Acme App</name><description>The app</description><url>https://acme.example</url>\
         <scm><url>https://git.example/app</url></scm>\
         <licenses><license><name>MIT</name></license></licenses>\
         <dependencies><dependency><groupId>com.acme</groupId><artifactId>lib</artifactId><version>2</version></dependency></dependencies>",
    );
    let h = hashes(&jar);
    put_ok(c, &format!("{DIR}/{version}/app-{version}.jar"), &jar).await;
    put_ok(
        c,
        &format!("{DIR}/{version}/app-{version}.jar.sha1"),
        h["SHA-1"].as_bytes(),
    )
    .await;
    put_ok(
        c,
        &format!("{DIR}/{version}/app-{version}.jar.md5"),
        h["MD5"].as_bytes(),
    )
    .await;
    put_ok(c, &format!("{DIR}/{version}/app-{version}.pom"), &pom).await;
    (jar, pom)
}

#[tokio::test]
async fn deploy_then_metadata_publishes_and_files_resolve() {
    let s = setup().await;
    let c = login(&s).await;
    let (jar, pom) = deploy_files(&c, "1.0", 1).await;

    // Until maven-metadata.xml arrives the version is Unfinished and nothing downloads.
    assert_eq!(
        describe(&s, "1.0").await.status(),
        Some(&PackageVersionStatus::Unfinished)
    );
    assert_eq!(c.get(&format!("{DIR}/1.0/app-1.0.jar")).await.status, 404);
    assert_eq!(
        c.get(&format!("{DIR}/maven-metadata.xml")).await.status,
        404
    );

    put_ok(
        &c,
        &format!("{DIR}/maven-metadata.xml"),
        &metadata(&["1.0"]),
    )
    .await;
    put_ok(
        &c,
        &format!("{DIR}/maven-metadata.xml.sha1"),
        hashes(b"x")["SHA-1"].as_bytes(),
    )
    .await;

    let d = describe(&s, "1.0").await;
    assert_eq!(d.status(), Some(&PackageVersionStatus::Published));
    assert_eq!(d.display_name(), Some("Acme App"));
    assert_eq!(d.summary(), Some("The app"));
    assert_eq!(d.home_page(), Some("https://acme.example"));
    assert_eq!(d.source_code_repository(), Some("https://git.example/app"));
    assert_eq!(d.licenses()[0].name(), Some("MIT"));
    assert_eq!(d.namespace(), Some("com.acme"));
    assert_eq!(d.package_name(), Some("app"));

    // Files, HEAD and the four checksums, from the stored hashes.
    let r = c.get(&format!("{DIR}/1.0/app-1.0.jar")).await;
    assert_eq!((r.status, &r.body[..]), (200, &jar[..]));
    let head = c
        .request(
            Method::HEAD,
            &format!("{DIR}/1.0/app-1.0.jar"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("5000"));
    assert!(head.body.is_empty());
    let h = hashes(&pom);
    for (ext, alg) in [
        ("md5", "MD5"),
        ("sha1", "SHA-1"),
        ("sha256", "SHA-256"),
        ("sha512", "SHA-512"),
    ] {
        let r = c.get(&format!("{DIR}/1.0/app-1.0.pom.{ext}")).await;
        assert_eq!((r.status, text(&r)), (200, h[alg].clone()), "{ext}");
    }

    // The artifact-level metadata is generated from the Published versions; its checksum is of it.
    let m = c.get(&format!("{DIR}/maven-metadata.xml")).await;
    assert_eq!(m.status, 200);
    let xml = text(&m);
    for part in [
        "<groupId>com.acme</groupId>",
        "<artifactId>app</artifactId>",
        "<latest>1.0</latest>",
        "<release>1.0</release>",
        "<version>1.0</version>",
    ] {
        assert!(xml.contains(part), "{part} not in {xml}");
    }
    let sha1 = c.get(&format!("{DIR}/maven-metadata.xml.sha1")).await;
    assert_eq!(text(&sha1), hashes(&m.body)["SHA-1"]);

    // The API trio sees what mvn uploaded, byte for byte; checksums are not assets.
    let assets = s
        .client
        .list_package_version_assets()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Maven)
        .namespace("com.acme")
        .package("app")
        .package_version("1.0")
        .send()
        .await
        .expect("list assets");
    let names: Vec<&str> = assets.assets().iter().map(|a| a.name()).collect();
    assert_eq!(names, ["app-1.0.jar", "app-1.0.pom"]);
    assert_eq!(asset_hashes(&assets.assets()[0]), hashes(&jar));
    let out = s
        .client
        .get_package_version_asset()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Maven)
        .namespace("com.acme")
        .package("app")
        .package_version("1.0")
        .asset("app-1.0.jar")
        .send()
        .await
        .expect("get asset");
    let (_, bytes) = collect_asset(out).await;
    assert_eq!(bytes, jar);

    // The POM came after the jar (which created the version): its dependencies are the version's.
    let deps = s
        .client
        .list_package_version_dependencies()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Maven)
        .namespace("com.acme")
        .package("app")
        .package_version("1.0")
        .send()
        .await
        .expect("list dependencies");
    let deps: Vec<_> = deps
        .dependencies()
        .iter()
        .map(|d| {
            (
                d.namespace().unwrap_or_default(),
                d.package().unwrap_or_default(),
                d.dependency_type().unwrap_or_default(),
                d.version_requirement().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(deps, [("com.acme", "lib", "compile", "2")]);

    // Extra files may follow a publish; the same bytes again change nothing, other bytes are a 409.
    put_ok(&c, &format!("{DIR}/1.0/app-1.0-sources.jar"), b"sources").await;
    put_ok(&c, &format!("{DIR}/1.0/app-1.0.jar"), &jar).await;
    let r = put(&c, &format!("{DIR}/1.0/app-1.0.jar"), b"other bytes").await;
    assert_eq!(r.status, 409, "{}", text(&r));
}

#[tokio::test]
async fn checksums_are_checked_and_bad_input_is_refused() {
    let s = setup().await;
    let c = login(&s).await;
    let jar = pseudo_random(100, 7);
    put_ok(&c, &format!("{DIR}/1.0/app-1.0.jar"), &jar).await;
    let sha1 = hashes(&jar)["SHA-1"].clone();
    let wrong = hashes(b"other")["SHA-1"].clone();
    let cases: Vec<(String, Vec<u8>, u16)> = vec![
        // A checksum that does not match, is uppercase, or names no file.
        (
            format!("{DIR}/1.0/app-1.0.jar.sha1"),
            wrong.into_bytes(),
            400,
        ),
        (
            format!("{DIR}/1.0/app-1.0.jar.sha1"),
            sha1.to_uppercase().into_bytes(),
            400,
        ),
        (
            format!("{DIR}/1.0/app-1.0.jar.sha1"),
            b"not hex".to_vec(),
            400,
        ),
        (
            format!("{DIR}/1.0/app-1.0.war.sha1"),
            sha1.clone().into_bytes(),
            404,
        ),
        // File names must belong to their directory; no paths, no non-unique snapshots.
        (format!("{DIR}/1.0/other-1.0.jar"), b"x".to_vec(), 400),
        (format!("{DIR}/1.0/app-2.0.jar"), b"x".to_vec(), 400),
        (format!("{DIR}/1.0/..%2Fapp-1.0.jar"), b"x".to_vec(), 400),
        (
            format!("{DIR}/1.0-SNAPSHOT/app-1.0-SNAPSHOT.jar"),
            b"x".to_vec(),
            400,
        ),
        // POMs and metadata must be XML about this artifact.
        (
            format!("{DIR}/1.0/app-1.0.pom"),
            b"this is not xml".to_vec(),
            400,
        ),
        (format!("{DIR}/1.0/app-1.0.pom"), pom("2.0", ""), 400),
        (
            format!("{DIR}/1.0/app-1.0.pom"),
            b"<!DOCTYPE x [<!ENTITY a \"b\">]><project/>".to_vec(),
            400,
        ),
        (
            format!("{DIR}/maven-metadata.xml"),
            b"<metadata><versioning>".to_vec(),
            400,
        ),
        (
            "com/acme/other/maven-metadata.xml".to_string(),
            metadata(&["1.0"]),
            400,
        ),
        (
            format!("{DIR}/1.0/app-1.0.pom"),
            vec![b' '; 2 * 1024 * 1024],
            413,
        ),
    ];
    for (path, body, status) in cases {
        let r = put(&c, &path, &body).await;
        assert_eq!(r.status, status, "PUT {path}: {}", text(&r));
        if status < 500 {
            assert!(r.json()["error"].is_string(), "{path}");
        }
    }
    put_ok(
        &c,
        &format!("{DIR}/1.0/app-1.0.jar.sha1"),
        format!("{sha1}  app-1.0.jar\n").as_bytes(),
    )
    .await;

    // No token → 401 asking for Basic credentials; other methods → 405; unknown paths → 404.
    let mut anonymous = login(&s).await;
    anonymous.authorization = None;
    let r = anonymous.get(&format!("{DIR}/1.0/app-1.0.jar")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"arca\""));
    let r = c
        .request(
            Method::DELETE,
            &format!("{DIR}/1.0/app-1.0.jar"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(
        c.get("com/acme/missing/1.0/missing-1.0.jar").await.status,
        404
    );
    assert_eq!(c.get("x").await.status, 404);
    // Nothing refused above was stored.
    assert_eq!(
        s.client
            .list_package_version_assets()
            .domain("acme")
            .repository("releases")
            .format(PackageFormat::Maven)
            .namespace("com.acme")
            .package("app")
            .package_version("1.0")
            .send()
            .await
            .expect("assets")
            .assets()
            .len(),
        1
    );
}

#[tokio::test]
async fn snapshot_builds_newest_published_older_unlisted() {
    let s = setup().await;
    let c = login(&s).await;
    let dir = format!("{DIR}/1.0-SNAPSHOT");
    let mut jars = Vec::new();
    for (n, ts) in [(1, "20250101.120000"), (2, "20250102.120000")] {
        let build = format!("1.0-{ts}-{n}");
        let jar = pseudo_random(3000, n);
        put_ok(&c, &format!("{dir}/app-{build}.jar"), &jar).await;
        put_ok(&c, &format!("{dir}/app-{build}-sources.jar"), b"src").await;
        put_ok(
            &c,
            &format!("{dir}/app-{build}.pom"),
            &pom("1.0-SNAPSHOT", ""),
        )
        .await;
        put_ok(&c, &format!("{dir}/maven-metadata.xml"), &metadata(&[])).await;
        put_ok(
            &c,
            &format!("{DIR}/maven-metadata.xml"),
            &metadata(&["1.0-SNAPSHOT"]),
        )
        .await;
        jars.push(jar);
    }
    let b1 = "1.0-20250101.120000-1";
    let b2 = "1.0-20250102.120000-2";
    assert_eq!(
        describe(&s, b1).await.status(),
        Some(&PackageVersionStatus::Unlisted)
    );
    assert_eq!(
        describe(&s, b2).await.status(),
        Some(&PackageVersionStatus::Published)
    );

    // The SNAPSHOT names resolve to the newest build; older builds still download by name.
    let r = c.get(&format!("{dir}/app-1.0-SNAPSHOT.jar")).await;
    assert_eq!((r.status, &r.body[..]), (200, &jars[1][..]));
    let r = c.get(&format!("{dir}/app-1.0-SNAPSHOT.jar.sha256")).await;
    assert_eq!(text(&r), hashes(&jars[1])["SHA-256"]);
    let r = c.get(&format!("{dir}/app-{b1}.jar")).await;
    assert_eq!((r.status, &r.body[..]), (200, &jars[0][..]));

    let m = text(&c.get(&format!("{dir}/maven-metadata.xml")).await);
    for part in [
        "<version>1.0-SNAPSHOT</version>",
        "<timestamp>20250102.120000</timestamp>",
        "<buildNumber>2</buildNumber>",
        "<classifier>sources</classifier>",
        &format!("<value>{b2}</value>"),
    ] {
        assert!(m.contains(part), "{part} not in {m}");
    }
    let m = text(&c.get(&format!("{DIR}/maven-metadata.xml")).await);
    assert_eq!(
        m.matches("<version>1.0-SNAPSHOT</version>").count(),
        1,
        "{m}"
    );
    assert!(!m.contains("<release>"), "{m}");
}

#[tokio::test]
async fn statuses_decide_what_resolves() {
    let s = setup().await;
    let c = login(&s).await;
    let (jar1, _) = deploy_files(&c, "1.0", 1).await;
    deploy_files(&c, "2.0", 2).await;
    put_ok(
        &c,
        &format!("{DIR}/maven-metadata.xml"),
        &metadata(&["1.0", "2.0"]),
    )
    .await;
    let m = text(&c.get(&format!("{DIR}/maven-metadata.xml")).await);
    assert!(
        m.contains("<latest>2.0</latest>") && m.contains("<version>1.0</version>"),
        "{m}"
    );

    // Unlisted: gone from the metadata, still downloadable (pinned builds keep working).
    set_status(&s, "1.0", PackageVersionStatus::Unlisted).await;
    let m = text(&c.get(&format!("{DIR}/maven-metadata.xml")).await);
    assert!(!m.contains("<version>1.0</version>"), "{m}");
    let r = c.get(&format!("{DIR}/1.0/app-1.0.jar")).await;
    assert_eq!((r.status, &r.body[..]), (200, &jar1[..]));

    // Archived and Disposed: nothing downloads.
    set_status(&s, "1.0", PackageVersionStatus::Archived).await;
    assert_eq!(c.get(&format!("{DIR}/1.0/app-1.0.jar")).await.status, 404);
    assert_eq!(
        c.get(&format!("{DIR}/1.0/app-1.0.jar.sha1")).await.status,
        404
    );
    let r = put(&c, &format!("{DIR}/1.0/app-1.0-extra.jar"), b"x").await;
    assert_eq!(r.status, 409, "{}", text(&r));
    s.dispose_maven("1.0").await;
    assert_eq!(c.get(&format!("{DIR}/1.0/app-1.0.pom")).await.status, 404);
}

impl TestServer {
    async fn dispose_maven(&self, version: &str) {
        self.client
            .dispose_package_versions()
            .domain("acme")
            .repository("releases")
            .format(PackageFormat::Maven)
            .namespace("com.acme")
            .package("app")
            .versions(version)
            .send()
            .await
            .expect("dispose");
    }
}

/// A package group's PUBLISH restriction over Maven's own wire: the first file of a new version is
/// refused with a message naming the group, and nothing is stored.
#[tokio::test]
async fn a_package_group_refuses_maven_deploys() {
    use aws_sdk_codeartifact::types::{
        PackageGroupOriginRestrictionMode as Mode, PackageGroupOriginRestrictionType as Type,
    };
    let s = setup().await;
    package_group(&s, "/maven/com.acme~", Type::Publish, Mode::Block, &[]).await;
    let c = login(&s).await;
    let jar = pseudo_random(5000, 3);
    let r = put(&c, &format!("{DIR}/1.0/app-1.0.jar"), &jar).await;
    assert_ne!(r.status, 201, "{}", text(&r));
    assert!(text(&r).contains("/maven/com.acme~"), "{}", text(&r));
    let stored = crate::upstreams::standin::describe(
        &s,
        "releases",
        PackageFormat::Maven,
        Some("com.acme"),
        "app",
        "1.0",
    )
    .await;
    assert!(stored.is_none(), "a refused deploy stores nothing");
}
