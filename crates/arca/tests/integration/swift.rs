//! The Swift registry's rules as the service applies them, over plain HTTP: what a publish stores
//! (and that a refused one stores nothing), one winner among concurrent publishes of a release,
//! origin controls on the shared publish path, and what the API then shows. The protocol itself
//! (every endpoint's shape) is checked by `tests/e2e/test_swift.py` with a client written from
//! the specification.

use aws_sdk_codeartifact::types::{
    AllowPublish, AllowUpstream, PackageFormat, PackageOriginRestrictions, PackageVersionStatus,
};
use http::Method;
use serde_json::{json, Value};

use crate::common::npm::Npm;
use crate::common::*;

/// A client of acme/`repo`'s Swift endpoint (Bearer token, as SwiftPM's token authentication).
pub async fn login<'a>(s: &'a TestServer, repo: &str) -> Npm<'a> {
    let mut c = Npm::login(s, "acme", repo).await;
    c.base = c.base.replacen("/npm/", "/swift/", 1);
    c
}

/// `swift package archive-source`'s layout: everything under `{name}/`.
pub fn archive(name: &str, salt: &str) -> Vec<u8> {
    let manifest = format!("// swift-tools-version:5.7\nimport PackageDescription\n// {salt}\n");
    stored_zip(&[
        (&format!("{name}/Package.swift"), manifest.as_bytes()),
        (
            &format!("{name}/Package@swift-5.swift"),
            b"// swift-tools-version:5.0\n",
        ),
        (&format!("{name}/Sources/{name}/a.swift"), b"let a = 1\n"),
    ])
}

/// The form `swift package-registry publish` sends.
pub fn form(archive: &[u8], metadata: Option<&Value>) -> (String, Vec<u8>) {
    let mut b = Vec::new();
    b.extend_from_slice(b"--B\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n\r\n");
    b.extend_from_slice(archive);
    if let Some(m) = metadata {
        b.extend_from_slice(b"\r\n--B\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
        b.extend_from_slice(m.to_string().as_bytes());
    }
    b.extend_from_slice(b"\r\n--B--\r\n");
    ("multipart/form-data;boundary=\"B\"".to_string(), b)
}

pub async fn publish(c: &Npm<'_>, id: &str, version: &str, body: (String, Vec<u8>)) -> RawResponse {
    let path = format!("{}/{version}", id.replace('.', "/"));
    let headers = [
        ("content-type", body.0.as_str()),
        ("accept", "application/vnd.swift.registry.v1+json"),
    ];
    c.request(Method::PUT, &path, &headers, body.1).await
}

fn detail(r: &RawResponse) -> String {
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()["detail"].as_str().expect("detail").to_string()
}

/// DescribePackageVersion and the asset names of mona.`name` `version` in acme/releases.
async fn described(
    s: &TestServer,
    name: &str,
    version: &str,
) -> (
    aws_sdk_codeartifact::types::PackageVersionDescription,
    Vec<String>,
) {
    use crate::upstreams::standin::{asset_names, describe};
    let at = ("releases", PackageFormat::Swift, Some("mona"));
    let d = describe(s, at.0, at.1.clone(), at.2, name, version)
        .await
        .expect("the release");
    (d, asset_names(s, at.0, at.1, at.2, name, version).await)
}

async fn setup() -> TestServer {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    s
}

async fn swift_packages(s: &TestServer, repo: &str) -> Vec<(String, String)> {
    s.client
        .list_packages()
        .domain("acme")
        .repository(repo)
        .format(PackageFormat::Swift)
        .send()
        .await
        .expect("list-packages")
        .packages()
        .iter()
        .map(|p| {
            (
                p.namespace().unwrap_or_default().to_string(),
                p.package().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_publish_stores_the_release_and_its_files() {
    let s = setup().await;
    let c = login(&s, "releases").await;
    let zip = archive("LinkedList", "1");
    let meta =
        json!({"description": "Links.", "repositoryURLs": ["https://github.com/mona/LinkedList"]});
    let r = publish(&c, "Mona.LinkedList", "1.0.0", form(&zip, Some(&meta))).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-version"), Some("1"));

    assert_eq!(
        swift_packages(&s, "releases").await,
        [("mona".to_string(), "linkedlist".to_string())]
    );
    let (d, names) = described(&s, "linkedlist", "1.0.0").await;
    assert_eq!(d.status(), Some(&PackageVersionStatus::Published));
    assert_eq!(d.display_name(), Some("LinkedList"));
    assert_eq!(d.summary(), Some("Links."));
    assert_eq!(
        d.source_code_repository(),
        Some("https://github.com/mona/LinkedList")
    );
    assert_revision_shape(d.revision().unwrap());

    assert_eq!(
        names,
        [
            "Package.swift",
            "Package@swift-5.swift",
            "linkedlist-1.0.0.zip",
            "metadata.json"
        ]
    );
    // The archive is stored byte for byte: its checksum is what the release information says.
    let info = c.get("mona/linkedlist/1.0.0").await;
    assert_eq!(
        info.json()["resources"][0]["checksum"],
        json!(sha256_hex(&zip))
    );
}

#[tokio::test]
async fn a_refused_publish_stores_nothing() {
    let s = setup().await;
    let c = login(&s, "releases").await;
    let cases: Vec<(Vec<u8>, Option<Value>, &str)> = vec![
        (
            stored_zip(&[("Kit/Sources/a.swift", b"x")]),
            None,
            "no Package.swift",
        ),
        (
            stored_zip(&[("Kit/Package.swift", b"import PackageDescription\n")]),
            None,
            "tools version",
        ),
        (
            archive("Kit", "x"),
            Some(json!(["not", "an", "object"])),
            "JSON object",
        ),
        (
            archive("Kit", "x"),
            Some(json!({"author": {"email": "no name"}})),
            "author.name",
        ),
    ];
    for (zip, meta, why) in cases {
        let r = publish(&c, "mona.Kit", "1.0.0", form(&zip, meta.as_ref())).await;
        assert_eq!(r.status, 422, "{why}: {}", String::from_utf8_lossy(&r.body));
        assert!(detail(&r).contains(why), "{why}: {}", detail(&r));
    }
    assert_eq!(swift_packages(&s, "releases").await, []);
    assert_eq!(c.get("mona/Kit").await.status, 404);
}

#[tokio::test]
async fn concurrent_publishes_of_one_release_have_one_winner() {
    let s = setup().await;
    let c = login(&s, "releases").await;
    let zips: Vec<Vec<u8>> = (0..6).map(|i| archive("Race", &i.to_string())).collect();
    let results = futures::future::join_all(
        zips.iter()
            .map(|z| publish(&c, "mona.Race", "1.0.0", form(z, None))),
    )
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|&&st| st == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&st| st == 201 || st == 409),
        "{statuses:?}"
    );
    let winner = &zips[statuses.iter().position(|&st| st == 201).unwrap()];
    let info = c.get("mona/Race/1.0.0").await;
    assert_eq!(info.status, 200);
    assert_eq!(
        info.json()["resources"][0]["checksum"],
        json!(sha256_hex(winner))
    );
    assert_eq!(c.get("mona/Race/1.0.0.zip").await.body, winner[..]);
    // The winner's own manifest, not a loser's.
    let m = c.get("mona/Race/1.0.0/Package.swift").await;
    let salt = (0..6)
        .find(|i| zips[*i as usize] == *winner)
        .unwrap()
        .to_string();
    assert!(String::from_utf8_lossy(&m.body).ends_with(&format!("// {salt}\n")));
}

#[tokio::test]
async fn origin_controls_apply_to_swift_publishes() {
    let s = setup().await;
    let c = login(&s, "releases").await;
    let r = publish(&c, "mona.Kit", "1.0.0", form(&archive("Kit", "a"), None)).await;
    assert_eq!(r.status, 201);
    s.client
        .put_package_origin_configuration()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Swift)
        .namespace("mona")
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
        .expect("put-package-origin-configuration");
    let r = publish(&c, "mona.Kit", "2.0.0", form(&archive("Kit", "b"), None)).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    assert!(!detail(&r).is_empty());
    let list = c.get("mona/Kit").await;
    assert_eq!(list.json()["releases"].as_object().unwrap().len(), 1);
}

#[tokio::test]
async fn a_deleted_release_can_be_published_again() {
    let s = setup().await;
    let c = login(&s, "releases").await;
    let first = archive("Kit", "first");
    assert_eq!(
        publish(&c, "mona.Kit", "1.0.0", form(&first, None))
            .await
            .status,
        201
    );
    let again = publish(&c, "mona.Kit", "1.0.0", form(&first, None)).await;
    assert_eq!(again.status, 409);
    assert!(detail(&again).contains("1.0.0"));
    s.client
        .delete_package_versions()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Swift)
        .namespace("mona")
        .package("kit")
        .versions("1.0.0")
        .send()
        .await
        .expect("delete-package-versions");
    let second = archive("Kit", "second");
    assert_eq!(
        publish(&c, "mona.Kit", "1.0.0", form(&second, None))
            .await
            .status,
        201
    );
    assert_eq!(c.get("mona/Kit/1.0.0.zip").await.body, second[..]);
}
