//! The source installation: what the transfer test copies.

use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use aws_sdk_codeartifact::Client;
use http::Method;
use serde_json::json;

use super::walk::{native, token};
use super::{addr, OWNER};
use crate::child::Server;
use crate::common::npm::{manifest, publish_doc, tarball};
use crate::common::{hashes, pseudo_random, sha256_hex, show};

const BOUNDARY: &str = "arcaTransferBoundary";

async fn publish(
    c: &Client,
    repo: &str,
    package: &str,
    version: &str,
    asset: &str,
    bytes: &[u8],
    unfinished: bool,
) {
    c.publish_package_version()
        .domain("alpha")
        .repository(repo)
        .format(PackageFormat::Generic)
        .namespace("ns")
        .package(package)
        .package_version(version)
        .asset_name(asset)
        .asset_sha256(sha256_hex(bytes))
        .set_unfinished(unfinished.then_some(true))
        .asset_content(ByteStream::from(bytes.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("publish {package} {version} {asset}: {}", show(&e)));
}

async fn set_status(c: &Client, version: &str, status: PackageVersionStatus) {
    c.update_package_versions_status()
        .domain("alpha")
        .repository("z-base")
        .format(PackageFormat::Generic)
        .namespace("ns")
        .package("widget")
        .versions(version)
        .target_status(status)
        .send()
        .await
        .unwrap_or_else(|e| panic!("status of {version}: {}", show(&e)));
}

/// twine's upload form for `file`.
fn pypi_form(name: &str, version: &str, filename: &str, file: &[u8]) -> Vec<u8> {
    let h = hashes(file);
    let fields = [
        (":action", "file_upload".to_string()),
        ("protocol_version", "1".into()),
        ("name", name.into()),
        ("version", version.into()),
        ("summary", format!("{name} summary")),
        ("license", "MIT".into()),
        ("md5_digest", h["MD5"].clone()),
        ("sha256_digest", h["SHA-256"].clone()),
    ];
    let mut b = Vec::new();
    for (k, v) in fields {
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

pub(super) async fn populate(s: &Server) {
    let c = &s.client;
    let tag = |k: &str, v: &str| {
        aws_sdk_codeartifact::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    c.create_domain()
        .domain("alpha")
        .tags(tag("team", "core"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    c.create_domain().domain("beta").send().await.unwrap();
    c.create_domain()
        .domain("gamma")
        .tags(tag("empty", ""))
        .send()
        .await
        .unwrap();
    // Created upstreams first, but named so that name order would create downstreams first.
    c.create_repository()
        .domain("alpha")
        .repository("z-base")
        .description("the base")
        .tags(tag("tier", "1"))
        .send()
        .await
        .unwrap();
    c.create_repository()
        .domain("alpha")
        .repository("m-mid")
        .upstreams(up("z-base"))
        .send()
        .await
        .unwrap();
    c.create_repository()
        .domain("alpha")
        .repository("a-top")
        .upstreams(up("m-mid"))
        .upstreams(up("z-base"))
        .send()
        .await
        .unwrap();
    // An upstream cycle (UpdateRepository allows it): created without upstreams, then set.
    c.create_repository()
        .domain("beta")
        .repository("c1")
        .send()
        .await
        .unwrap();
    c.create_repository()
        .domain("beta")
        .repository("c2")
        .upstreams(up("c1"))
        .send()
        .await
        .unwrap();
    c.update_repository()
        .domain("beta")
        .repository("c1")
        .upstreams(up("c2"))
        .send()
        .await
        .unwrap();
    c.create_repository()
        .domain("beta")
        .repository("rr")
        .tags(tag("x", "y"))
        .send()
        .await
        .unwrap();

    // Generic versions in every status; 1.0 has three assets, one of them 6 MiB + 3 bytes (a
    // multipart upload on S3); 2.0 shares bytes with 1.0.
    let shared = pseudo_random(100_000, 1);
    let big = pseudo_random(6 * 1024 * 1024 + 3, 2);
    publish(c, "z-base", "widget", "1.0", "a.bin", &shared, true).await;
    publish(c, "z-base", "widget", "1.0", "big.bin", &big, true).await;
    publish(c, "z-base", "widget", "1.0", "c.txt", b"three", false).await;
    publish(
        c,
        "z-base",
        "widget",
        "1.1",
        "u.bin",
        &pseudo_random(10, 3),
        true,
    )
    .await;
    for (v, seed) in [("1.2", 4), ("1.3", 5), ("1.4", 6)] {
        publish(
            c,
            "z-base",
            "widget",
            v,
            "w.bin",
            &pseudo_random(5000, seed),
            false,
        )
        .await;
    }
    set_status(c, "1.2", PackageVersionStatus::Unlisted).await;
    set_status(c, "1.3", PackageVersionStatus::Archived).await;
    c.dispose_package_versions()
        .domain("alpha")
        .repository("z-base")
        .format(PackageFormat::Generic)
        .namespace("ns")
        .package("widget")
        .versions("1.4")
        .send()
        .await
        .unwrap();
    publish(c, "z-base", "widget", "2.0", "same.bin", &shared, false).await;
    // A package whose only version was deleted.
    publish(
        c,
        "z-base",
        "gone",
        "1",
        "g.bin",
        &pseudo_random(700, 7),
        false,
    )
    .await;
    c.delete_package_versions()
        .domain("alpha")
        .repository("z-base")
        .format(PackageFormat::Generic)
        .namespace("ns")
        .package("gone")
        .versions("1")
        .send()
        .await
        .unwrap();
    // Copied versions keep their origin and share the bytes.
    c.copy_package_versions()
        .domain("alpha")
        .source_repository("z-base")
        .destination_repository("m-mid")
        .format(PackageFormat::Generic)
        .namespace("ns")
        .package("widget")
        .versions("1.0")
        .versions("1.2")
        .send()
        .await
        .unwrap();

    // npm and PyPI through their native endpoints.
    let a = addr(s);
    let t = token(a, "alpha").await;
    for (name, version) in [
        ("@acme/kit", "1.0.0"),
        ("@acme/kit", "1.1.0"),
        ("plain", "2.0.0"),
    ] {
        let m = manifest(
            name,
            version,
            json!({
                "description": "a kit", "license": "MIT", "homepage": "https://kit.example",
                "dependencies": {"plain": "^2.0.0", "@acme/core": "1.x"},
                "devDependencies": {"jest": "29"},
                "readme": format!("# {name} {version}"),
            }),
        );
        let doc = publish_doc(&m, &tarball(&m));
        let path = format!("/npm/d/alpha-{OWNER}/a-top/{}", name.replace('/', "%2f"));
        let r = native(
            a,
            Method::PUT,
            &path,
            &t,
            &[("content-type", "application/json")],
            doc.to_string().into_bytes(),
        )
        .await;
        assert_eq!(
            r.status,
            200,
            "npm publish {name}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // A dist-tag besides `latest`, on the older version.
    let r = native(
        a,
        Method::PUT,
        &format!("/npm/d/alpha-{OWNER}/a-top/-/package/@acme%2fkit/dist-tags/beta"),
        &t,
        &[("content-type", "application/json")],
        b"\"1.0.0\"".to_vec(),
    )
    .await;
    assert!(
        r.status < 300,
        "dist-tag add: {} {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    for (file, seed) in [
        ("Kit_Core-1.0.0.tar.gz", 8),
        ("kit_core-1.0.0-py3-none-any.whl", 9),
    ] {
        let form = pypi_form("Kit_Core", "1.0.0", file, &pseudo_random(3000, seed));
        let path = format!("/pypi/d/alpha-{OWNER}/a-top/");
        let r = native(a, Method::POST, &path, &t, &[("content-type", &ct)], form).await;
        assert_eq!(
            r.status,
            200,
            "upload {file}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // Package groups: the root updated, a hierarchy, an allowed-repository list, tags.
    use aws_sdk_codeartifact::types::{
        PackageGroupAllowedRepository as Allowed, PackageGroupOriginRestrictionMode as Mode,
        PackageGroupOriginRestrictionType as Type,
    };
    c.update_package_group()
        .domain("alpha")
        .package_group("/*")
        .contact_info("ops@acme")
        .send()
        .await
        .unwrap();
    c.update_package_group_origin_configuration()
        .domain("alpha")
        .package_group("/*")
        .restrictions(Type::ExternalUpstream, Mode::Block)
        .send()
        .await
        .unwrap();
    for pattern in ["/npm/*", "/npm/acme/*", "/generic/ns/lib~"] {
        c.create_package_group()
            .domain("alpha")
            .package_group(pattern)
            .description(format!("group {pattern}"))
            .tags(tag("g", pattern))
            .send()
            .await
            .unwrap();
    }
    c.update_package_group_origin_configuration()
        .domain("alpha")
        .package_group("/npm/acme/*")
        .restrictions(Type::Publish, Mode::AllowSpecificRepositories)
        .add_allowed_repositories(
            Allowed::builder()
                .repository_name("a-top")
                .origin_restriction_type(Type::Publish)
                .build(),
        )
        .add_allowed_repositories(
            Allowed::builder()
                .repository_name("z-base")
                .origin_restriction_type(Type::InternalUpstream)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let tb = token(a, "beta").await;
    let m = manifest("solo", "0.1.0", json!({}));
    let r = native(
        a,
        Method::PUT,
        &format!("/npm/d/beta-{OWNER}/rr/solo"),
        &tb,
        &[("content-type", "application/json")],
        publish_doc(&m, &tarball(&m)).to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn up(name: &str) -> aws_sdk_codeartifact::types::UpstreamRepository {
    aws_sdk_codeartifact::types::UpstreamRepository::builder()
        .repository_name(name)
        .build()
        .unwrap()
}
