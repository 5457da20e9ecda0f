//! The three core operations: DescribePackageVersion, ListPackageVersionAssets and
//! GetPackageVersionAsset (`codeartifact-behavior.md` §1.3, and the status table of `decisions.md`).

use aws_sdk_codeartifact::types::{
    HashAlgorithm, PackageFormat, PackageVersionOriginType, PackageVersionStatus,
};

use crate::common::*;

/// What one core operation answered: 200, or (status, code, resourceType).
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Ok,
    Err(u16, String, Option<String>),
}

fn answer<T: std::fmt::Debug, E>(r: Result<T, aws_sdk_codeartifact::error::SdkError<E>>) -> Answer
where
    E: aws_sdk_codeartifact::error::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    aws_sdk_codeartifact::Error: From<aws_sdk_codeartifact::error::SdkError<E>>,
{
    match r {
        Ok(_) => Answer::Ok,
        Err(e) => {
            let e = err(Err::<(), _>(e));
            Answer::Err(e.status, e.code, e.resource_type)
        }
    }
}

fn nf(rt: &str) -> Answer {
    Answer::Err(404, "ResourceNotFoundException".into(), Some(rt.into()))
}

struct Core {
    describe: Answer,
    described_status: Option<PackageVersionStatus>,
    list: Answer,
    listed_assets: Option<Vec<String>>,
    get: Answer,
    got_bytes: Option<Vec<u8>>,
}

async fn core(s: &TestServer, version: &str) -> Core {
    let d = s
        .client
        .describe_package_version()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version(version)
        .send()
        .await;
    let described_status = d
        .as_ref()
        .ok()
        .and_then(|o| o.package_version())
        .and_then(|v| v.status())
        .cloned();
    let l = s
        .client
        .list_package_version_assets()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version(version)
        .send()
        .await;
    let listed_assets = l
        .as_ref()
        .ok()
        .map(|o| o.assets().iter().map(|a| a.name().to_string()).collect());
    let g = s
        .client
        .get_package_version_asset()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version(version)
        .asset("a.txt")
        .send()
        .await;
    let (get, got_bytes) = match g {
        Ok(o) => (Answer::Ok, Some(collect_asset(o).await.1)),
        Err(e) => (answer(Err::<(), _>(e)), None),
    };
    Core {
        describe: answer(d),
        described_status,
        list: answer(l),
        listed_assets,
        get,
        got_bytes,
    }
}

/// The table "Lifecycle, as the three core operations see it" in decisions.md, row by row.
#[tokio::test]
async fn core_operations_by_status() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let body = b"asset bytes".to_vec();
    for v in [
        "published",
        "unlisted",
        "unfinished",
        "archived",
        "disposed",
        "deleted",
    ] {
        let unfinished = v == "unfinished";
        s.publish_ok("dom", "repo", "pkg", v, "a.txt", &body, unfinished)
            .await;
        if unfinished {
            s.publish_ok("dom", "repo", "pkg", v, "b.txt", b"second", true)
                .await;
        }
    }
    s.set_status(
        "dom",
        "repo",
        "pkg",
        "unlisted",
        PackageVersionStatus::Unlisted,
    )
    .await;
    s.set_status(
        "dom",
        "repo",
        "pkg",
        "archived",
        PackageVersionStatus::Archived,
    )
    .await;
    s.dispose("dom", "repo", "pkg", "disposed").await;
    s.delete_version("dom", "repo", "pkg", "deleted").await;

    for (v, status) in [
        ("published", PackageVersionStatus::Published),
        ("unlisted", PackageVersionStatus::Unlisted),
    ] {
        let c = core(&s, v).await;
        assert_eq!(c.describe, Answer::Ok, "{v}");
        assert_eq!(c.described_status, Some(status), "{v}");
        assert_eq!(c.list, Answer::Ok, "{v}");
        assert_eq!(c.listed_assets, Some(vec!["a.txt".to_string()]), "{v}");
        assert_eq!(c.get, Answer::Ok, "{v}");
        assert_eq!(c.got_bytes.as_deref(), Some(&body[..]), "{v}");
    }

    let c = core(&s, "unfinished").await;
    assert_eq!(c.describe, Answer::Ok);
    assert_eq!(c.described_status, Some(PackageVersionStatus::Unfinished));
    assert_eq!(c.list, Answer::Ok);
    assert_eq!(
        c.listed_assets,
        Some(vec!["a.txt".to_string(), "b.txt".to_string()])
    );
    assert_eq!(
        c.get,
        Answer::Ok,
        "Unfinished assets are downloadable through the API"
    );
    assert_eq!(c.got_bytes.as_deref(), Some(&body[..]));

    let c = core(&s, "archived").await;
    assert_eq!(c.describe, Answer::Ok);
    assert_eq!(c.described_status, Some(PackageVersionStatus::Archived));
    assert_eq!(c.list, Answer::Ok);
    assert_eq!(c.listed_assets, Some(vec!["a.txt".to_string()]));
    assert_eq!(
        c.get,
        Answer::Err(
            409,
            "ConflictException".into(),
            Some("package-version".into())
        )
    );

    let c = core(&s, "disposed").await;
    assert_eq!(c.describe, Answer::Ok);
    assert_eq!(c.described_status, Some(PackageVersionStatus::Disposed));
    assert_eq!(c.list, Answer::Ok);
    assert_eq!(c.listed_assets, Some(vec![]));
    assert_eq!(c.get, nf("asset"));

    let c = core(&s, "deleted").await;
    assert_eq!(c.describe, nf("package-version"));
    assert_eq!(c.list, nf("package-version"));
    assert_eq!(c.get, nf("package-version"));

    // A version that never existed answers like a deleted one.
    let c = core(&s, "never").await;
    assert_eq!(c.describe, nf("package-version"));
    assert_eq!(c.list, nf("package-version"));
    assert_eq!(c.get, nf("package-version"));
}

#[tokio::test]
async fn describe_package_version_fields() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let out = s
        .publish_ok("dom", "repo", "my-pkg", "1.2.3", "a.txt", b"x", false)
        .await;
    let d = s
        .client
        .describe_package_version()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("my-pkg")
        .package_version("1.2.3")
        .send()
        .await
        .expect("describe");
    let v = d.package_version().expect("packageVersion");
    assert_eq!(v.format(), Some(&PackageFormat::Generic));
    assert_eq!(v.namespace(), Some(NS));
    assert_eq!(v.package_name(), Some("my-pkg"));
    assert_eq!(v.display_name(), Some("my-pkg"));
    assert_eq!(v.version(), Some("1.2.3"));
    assert_eq!(v.revision(), out.version_revision());
    assert_eq!(v.status(), Some(&PackageVersionStatus::Published));
    assert_recent(v.published_time());
    assert!(v.licenses().is_empty());
    assert_eq!(v.summary(), None);
    let o = v.origin().expect("origin");
    assert_eq!(o.origin_type(), Some(&PackageVersionOriginType::Internal));
    let ep = o.domain_entry_point().expect("domainEntryPoint");
    assert_eq!(ep.repository_name(), Some("repo"));
    assert_eq!(ep.external_connection_name(), None);

    // Lookups are exact: another case of the package or version is another (missing) one.
    assert_not_found(
        s.client
            .describe_package_version()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("My-Pkg")
            .package_version("1.2.3")
            .send()
            .await,
        "package",
    );
    assert_not_found(
        s.client
            .describe_package_version()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace("NS")
            .package("my-pkg")
            .package_version("1.2.3")
            .send()
            .await,
        "package",
    );
    // Missing repository and domain.
    assert_not_found(
        s.client
            .describe_package_version()
            .domain("dom")
            .repository("other")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("my-pkg")
            .package_version("1.2.3")
            .send()
            .await,
        "repository",
    );
    assert_not_found(
        s.client
            .describe_package_version()
            .domain("other")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("my-pkg")
            .package_version("1.2.3")
            .send()
            .await,
        "domain",
    );
}

#[tokio::test]
async fn list_package_version_assets_fields() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let one = pseudo_random(3000, 7);
    let two = b"second asset".to_vec();
    s.publish_ok("dom", "repo", "pkg", "1.0", "one.bin", &one, true)
        .await;
    let last = s
        .publish_ok("dom", "repo", "pkg", "1.0", "two.txt", &two, false)
        .await;
    let l = s
        .client
        .list_package_version_assets()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version("1.0")
        .send()
        .await
        .expect("list");
    assert_eq!(l.format(), Some(&PackageFormat::Generic));
    assert_eq!(l.namespace(), Some(NS));
    assert_eq!(l.package(), Some("pkg"));
    assert_eq!(l.version(), Some("1.0"));
    assert_eq!(l.version_revision(), last.version_revision());
    assert_eq!(l.next_token(), None);
    let assets = l.assets();
    assert_eq!(assets.len(), 2);
    assert_eq!(assets[0].name(), "one.bin");
    assert_eq!(assets[0].size(), Some(3000));
    assert_eq!(asset_hashes(&assets[0]), hashes(&one));
    assert_eq!(assets[1].name(), "two.txt");
    assert_eq!(assets[1].size(), Some(two.len() as i64));
    assert_eq!(asset_hashes(&assets[1]), hashes(&two));
    // Lowercase hex of the right lengths.
    for (alg, len) in [
        (HashAlgorithm::Md5, 32),
        (HashAlgorithm::Sha1, 40),
        (HashAlgorithm::Sha256, 64),
        (HashAlgorithm::Sha512, 128),
    ] {
        let h = hash_of(&assets[0], alg.clone()).expect("hash");
        assert_eq!(h.len(), len, "{alg:?}");
        assert!(h
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
}

#[tokio::test]
async fn get_asset_returns_bytes_and_headers() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let body = pseudo_random(100_000, 3);
    let out = s
        .publish_ok(
            "dom",
            "repo",
            "pkg",
            "2.0.0-rc.1+build.5",
            "a b+c.txt",
            &body,
            false,
        )
        .await;
    let rev = out.version_revision().expect("rev").to_string();
    let (got, bytes) = s
        .get_asset("dom", "repo", "pkg", "2.0.0-rc.1+build.5", "a b+c.txt")
        .await;
    assert_eq!(bytes, body);
    assert_eq!(got.asset_name(), Some("a b+c.txt"));
    assert_eq!(got.package_version(), Some("2.0.0-rc.1+build.5"));
    assert_eq!(got.package_version_revision(), Some(rev.as_str()));

    // The current revision may be named explicitly (with `+`, `/` and `=` in the query).
    let ok = s
        .client
        .get_package_version_asset()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version("2.0.0-rc.1+build.5")
        .asset("a b+c.txt")
        .package_version_revision(&rev)
        .send()
        .await
        .expect("get with revision");
    let (_, bytes) = collect_asset(ok).await;
    assert_eq!(bytes, body);

    // The raw response: headers and content type.
    let pq = format!(
        "/v1/package/version/asset?domain=dom&repository=repo&format=generic&namespace={NS}&package=pkg&version={}&asset={}",
        q("2.0.0-rc.1+build.5"),
        q("a b+c.txt")
    );
    let r = s.raw("GET", &pq, b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-assetname"), Some("a b+c.txt"));
    assert_eq!(r.header("x-packageversion"), Some("2.0.0-rc.1+build.5"));
    assert_eq!(r.header("x-packageversionrevision"), Some(rev.as_str()));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        r.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(&r.body[..], &body[..]);
}

#[tokio::test]
async fn wrong_revision_is_not_found() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let first = s
        .publish_ok("dom", "repo", "pkg", "1.0", "a.txt", b"a", true)
        .await;
    let old_rev = first.version_revision().expect("rev").to_string();
    s.publish_ok("dom", "repo", "pkg", "1.0", "b.txt", b"b", false)
        .await;
    for rev in [
        old_rev.as_str(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "nope",
    ] {
        let r = s
            .client
            .get_package_version_asset()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .package_version("1.0")
            .asset("a.txt")
            .package_version_revision(rev)
            .send()
            .await;
        assert_not_found(r, "package-version");
    }
}

#[tokio::test]
async fn missing_asset_is_not_found() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    s.publish_ok("dom", "repo", "pkg", "1.0", "a.txt", b"a", false)
        .await;
    let r = s
        .client
        .get_package_version_asset()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version("1.0")
        .asset("A.TXT")
        .send()
        .await;
    let e = assert_not_found(r, "asset");
    assert_eq!(e.resource_id.as_deref(), Some("A.TXT"));
}

/// Asset names are Unicode; `X-AssetName` cannot carry non-ASCII safely, so Arca percent-encodes the
/// UTF-8 bytes of non-ASCII characters (RFC 3986 style) and passes ASCII unchanged. The SDK hands the
/// header through as-is, so callers see the encoded form.
#[tokio::test]
async fn non_ascii_asset_name_round_trip() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let name = "ünï 文件-Ω.bin";
    let body = "non-ascii content ✓".as_bytes().to_vec();
    let out = s
        .publish_ok("dom", "repo", "pkg", "1.0", name, &body, false)
        .await;
    assert_eq!(out.asset().map(|a| a.name()), Some(name));
    assert_eq!(s.asset_names("dom", "repo", "pkg", "1.0").await, [name]);

    let (got, bytes) = s.get_asset("dom", "repo", "pkg", "1.0", name).await;
    assert_eq!(bytes, body);
    let encoded = "%C3%BCn%C3%AF %E6%96%87%E4%BB%B6-%CE%A9.bin";
    assert_eq!(got.asset_name(), Some(encoded));

    let pq = format!(
        "/v1/package/version/asset?domain=dom&repository=repo&format=generic&namespace={NS}&package=pkg&version=1.0&asset={}",
        q(name)
    );
    let r = s.raw("GET", &pq, b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-assetname"), Some(encoded));
    assert_eq!(&r.body[..], &body[..]);
}

/// `X-PackageVersion` (and `X-AssetName`) always encode `%` as `%25` besides non-ASCII bytes, so
/// the value is unambiguous: versions `2.0-é` and `2.0-%C3%A9` arrive differently, and
/// percent-decoding either gives the version back (README, "Operations").
#[tokio::test]
async fn header_encoding_tells_percent_from_non_ascii() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let cases = [
        ("2.0-é", "2.0-%C3%A9"),
        ("2.0-%C3%A9", "2.0-%25C3%25A9"),
        ("100%", "100%25"),
    ];
    for (version, encoded) in cases {
        s.publish_ok(
            "dom",
            "repo",
            "pkg",
            version,
            "a.bin",
            version.as_bytes(),
            false,
        )
        .await;
        let (got, bytes) = s.get_asset("dom", "repo", "pkg", version, "a.bin").await;
        assert_eq!(bytes, version.as_bytes());
        assert_eq!(got.package_version(), Some(encoded), "{version}");
        assert_eq!(got.asset_name(), Some("a.bin"));
        let decoded = percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .expect("utf-8");
        assert_eq!(decoded, version);
    }
}

/// Namespace rules per format (decisions.md "Namespace"), seen through DescribePackageVersion on an
/// empty repository: a rule violation is 400, anything else is "not found".
#[tokio::test]
async fn namespace_rules_for_every_format() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let describe = |format: PackageFormat, ns: Option<&str>| {
        s.client
            .describe_package_version()
            .domain("dom")
            .repository("repo")
            .format(format)
            .set_namespace(ns.map(str::to_string))
            .package("pkg")
            .package_version("1.0.0")
            .send()
    };
    for f in [
        PackageFormat::Generic,
        PackageFormat::Maven,
        PackageFormat::Swift,
    ] {
        let e = assert_validation(describe(f.clone(), None).await);
        assert!(e.message.contains("namespace"), "{f:?}: {}", e.message);
        assert_not_found(describe(f, Some("space")).await, "package");
    }
    for f in [
        PackageFormat::Pypi,
        PackageFormat::Nuget,
        PackageFormat::Ruby,
        PackageFormat::Cargo,
    ] {
        let e = assert_validation(describe(f.clone(), Some("space")).await);
        assert!(e.message.contains("namespace"), "{f:?}: {}", e.message);
        assert_not_found(describe(f, None).await, "package");
    }
    assert_not_found(describe(PackageFormat::Npm, None).await, "package");
    assert_not_found(describe(PackageFormat::Npm, Some("scope")).await, "package");

    // The same rule applies to ListPackageVersionAssets and GetPackageVersionAsset.
    assert_validation(
        s.client
            .list_package_version_assets()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .package("pkg")
            .package_version("1.0.0")
            .send()
            .await,
    );
    assert_validation(
        s.client
            .get_package_version_asset()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Pypi)
            .namespace("ns")
            .package("pkg")
            .package_version("1.0.0")
            .asset("a")
            .send()
            .await,
    );
}
