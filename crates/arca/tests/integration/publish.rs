//! PublishPackageVersion (generic format): `decisions.md` "Generic publish" and
//! `codeartifact-behavior.md` §4.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionOriginType, PackageVersionStatus};

use crate::common::*;

/// The flow of the README: a generic package published and downloaded with the SDK.
#[tokio::test]
async fn readme_flow() {
    let s = TestServer::start().await;
    s.domain_with_repo("my-domain", "my-repo").await;
    let content = b"hello, generic world\n".to_vec();
    let sha = sha256_hex(&content);

    // The namespace is required for generic packages.
    let e = assert_validation(
        s.client
            .publish_package_version()
            .domain("my-domain")
            .repository("my-repo")
            .format(PackageFormat::Generic)
            .package("my-package")
            .package_version("1.0.0")
            .asset_name("hello.txt")
            .asset_sha256(&sha)
            .asset_content(ByteStream::from(content.clone()))
            .send()
            .await,
    );
    assert!(e.message.contains("namespace"), "{}", e.message);

    let out = s
        .client
        .publish_package_version()
        .domain("my-domain")
        .repository("my-repo")
        .format(PackageFormat::Generic)
        .namespace("my-ns")
        .package("my-package")
        .package_version("1.0.0")
        .asset_name("hello.txt")
        .asset_sha256(&sha)
        .asset_content(ByteStream::from(content.clone()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("publish: {}", show(&e)));
    assert_eq!(out.format(), Some(&PackageFormat::Generic));
    assert_eq!(out.namespace(), Some("my-ns"));
    assert_eq!(out.package(), Some("my-package"));
    assert_eq!(out.version(), Some("1.0.0"));
    assert_eq!(out.status(), Some(&PackageVersionStatus::Published));
    let rev = out.version_revision().expect("revision").to_string();
    assert_revision_shape(&rev);
    let asset = out.asset().expect("asset");
    assert_eq!(asset.name(), "hello.txt");
    assert_eq!(asset.size(), Some(content.len() as i64));
    assert_eq!(asset_hashes(asset), hashes(&content));

    let d = s
        .client
        .describe_package_version()
        .domain("my-domain")
        .repository("my-repo")
        .format(PackageFormat::Generic)
        .namespace("my-ns")
        .package("my-package")
        .package_version("1.0.0")
        .send()
        .await
        .expect("describe");
    let v = d.package_version().expect("packageVersion");
    assert_eq!(v.status(), Some(&PackageVersionStatus::Published));
    assert_eq!(v.revision(), Some(rev.as_str()));
    assert_eq!(v.package_name(), Some("my-package"));
    assert_eq!(v.namespace(), Some("my-ns"));
    assert_eq!(v.version(), Some("1.0.0"));
    assert_eq!(v.format(), Some(&PackageFormat::Generic));
    assert_recent(v.published_time());
    let origin = v.origin().expect("origin");
    assert_eq!(
        origin.origin_type(),
        Some(&PackageVersionOriginType::Internal)
    );
    assert_eq!(
        origin
            .domain_entry_point()
            .and_then(|e| e.repository_name()),
        Some("my-repo")
    );

    let got = s
        .client
        .get_package_version_asset()
        .domain("my-domain")
        .repository("my-repo")
        .format(PackageFormat::Generic)
        .namespace("my-ns")
        .package("my-package")
        .package_version("1.0.0")
        .asset("hello.txt")
        .send()
        .await
        .expect("get");
    let (got, bytes) = collect_asset(got).await;
    assert_eq!(bytes, content);
    assert_eq!(got.asset_name(), Some("hello.txt"));
    assert_eq!(got.package_version(), Some("1.0.0"));
    assert_eq!(got.package_version_revision(), Some(rev.as_str()));
}

#[tokio::test]
async fn unfinished_assets_then_final_publish() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let a = s
        .publish_ok("dom", "repo", "multi", "1.0", "a.bin", b"aaa", true)
        .await;
    assert_eq!(a.status(), Some(&PackageVersionStatus::Unfinished));
    let rev_a = a.version_revision().expect("rev").to_string();
    assert_revision_shape(&rev_a);
    assert_eq!(
        s.status("dom", "repo", "multi", "1.0").await,
        PackageVersionStatus::Unfinished
    );

    let b = s
        .publish_ok("dom", "repo", "multi", "1.0", "b.bin", b"bbbb", true)
        .await;
    assert_eq!(b.status(), Some(&PackageVersionStatus::Unfinished));
    let rev_b = b.version_revision().expect("rev").to_string();
    assert_revision_shape(&rev_b);
    assert_ne!(rev_a, rev_b, "adding an asset must change the revision");
    assert_eq!(s.revision("dom", "repo", "multi", "1.0").await, rev_b);

    // The final asset, without `unfinished`, publishes the version.
    let c = s
        .publish_ok("dom", "repo", "multi", "1.0", "c.bin", b"c", false)
        .await;
    assert_eq!(c.status(), Some(&PackageVersionStatus::Published));
    let rev_c = c.version_revision().expect("rev").to_string();
    assert_revision_shape(&rev_c);
    assert_ne!(rev_c, rev_b);
    assert_eq!(
        s.status("dom", "repo", "multi", "1.0").await,
        PackageVersionStatus::Published
    );
    assert_eq!(
        s.asset_names("dom", "repo", "multi", "1.0").await,
        ["a.bin", "b.bin", "c.bin"]
    );

    // A Published version takes no more assets.
    let e = assert_conflict(
        s.publish("dom", "repo", "multi", "1.0", "d.bin", b"d", false)
            .await,
        "package-version",
    );
    assert!(e.message.contains("1.0"), "{}", e.message);
    assert_conflict(
        s.publish("dom", "repo", "multi", "1.0", "d.bin", b"d", true)
            .await,
        "package-version",
    );
    assert_eq!(
        s.asset_names("dom", "repo", "multi", "1.0").await,
        ["a.bin", "b.bin", "c.bin"]
    );
    assert_eq!(s.revision("dom", "repo", "multi", "1.0").await, rev_c);
}

#[tokio::test]
async fn unfinished_false_is_like_omitted() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let out = s
        .client
        .publish_package_version()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version("1")
        .asset_name("a")
        .asset_sha256(sha256_hex(b"x"))
        .asset_content(ByteStream::from_static(b"x"))
        .unfinished(false)
        .send()
        .await
        .expect("publish");
    assert_eq!(out.status(), Some(&PackageVersionStatus::Published));
}

#[tokio::test]
async fn resend_identical_is_idempotent_and_different_bytes_conflict() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let first = s
        .publish_ok("dom", "repo", "pkg", "1.0", "a.txt", b"same", false)
        .await;
    let rev = first.version_revision().expect("rev").to_string();

    let again = s
        .publish_ok("dom", "repo", "pkg", "1.0", "a.txt", b"same", false)
        .await;
    assert_eq!(again.version_revision(), Some(rev.as_str()));
    assert_eq!(again.status(), Some(&PackageVersionStatus::Published));
    assert_eq!(asset_hashes(again.asset().expect("asset")), hashes(b"same"));
    // With `unfinished` on a Published version, an identical re-send still changes nothing.
    let again2 = s
        .publish_ok("dom", "repo", "pkg", "1.0", "a.txt", b"same", true)
        .await;
    assert_eq!(again2.version_revision(), Some(rev.as_str()));
    assert_eq!(again2.status(), Some(&PackageVersionStatus::Published));

    let e = assert_conflict(
        s.publish("dom", "repo", "pkg", "1.0", "a.txt", b"different", false)
            .await,
        "asset",
    );
    assert!(e.message.contains("a.txt"), "{}", e.message);
    let (_, bytes) = s.get_asset("dom", "repo", "pkg", "1.0", "a.txt").await;
    assert_eq!(bytes, b"same");
    assert_eq!(s.revision("dom", "repo", "pkg", "1.0").await, rev);

    // The same rules while Unfinished.
    let u = s
        .publish_ok("dom", "repo", "pkg", "2.0", "a.txt", b"one", true)
        .await;
    let urev = u.version_revision().expect("rev").to_string();
    let u2 = s
        .publish_ok("dom", "repo", "pkg", "2.0", "a.txt", b"one", true)
        .await;
    assert_eq!(u2.version_revision(), Some(urev.as_str()));
    assert_eq!(u2.status(), Some(&PackageVersionStatus::Unfinished));
    assert_conflict(
        s.publish("dom", "repo", "pkg", "2.0", "a.txt", b"two", true)
            .await,
        "asset",
    );
    assert_eq!(s.asset_names("dom", "repo", "pkg", "2.0").await, ["a.txt"]);
    // Re-sending an existing asset without `unfinished` finishes the version.
    let fin = s
        .publish_ok("dom", "repo", "pkg", "2.0", "a.txt", b"one", false)
        .await;
    assert_eq!(fin.status(), Some(&PackageVersionStatus::Published));
    assert_eq!(fin.version_revision(), Some(urev.as_str()));
}

/// A body whose SHA-256 differs from `assetSHA256`, streamed from a file (the Rust SDK signs such a
/// body with UNSIGNED-PAYLOAD): 400 ValidationException, nothing stored.
#[tokio::test]
async fn wrong_sha256_streamed_is_validation_error_and_stores_nothing() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let path = file.path().to_path_buf();
    std::fs::write(&path, b"the real content").expect("write");
    let wrong = sha256_hex(b"something else");
    let r = s
        .client
        .publish_package_version()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version("1.0")
        .asset_name("a.txt")
        .asset_sha256(&wrong)
        .asset_content(ByteStream::from_path(&path).await.expect("bytestream"))
        .send()
        .await;
    let e = assert_validation(r);
    assert!(e.message.contains(&wrong), "{}", e.message);
    assert_not_found(
        s.client
            .describe_package_version()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .package_version("1.0")
            .send()
            .await,
        "package",
    );
    let d = s
        .client
        .describe_domain()
        .domain("dom")
        .send()
        .await
        .expect("domain");
    assert_eq!(d.domain().map(|d| d.asset_size_bytes()), Some(0));
}

/// The same with an in-memory body (the Rust SDK signs SHA-256 of the real body, and sends the wrong
/// `x-amz-content-sha256` it was given): decisions.md says 400 ValidationException, nothing stored.
#[tokio::test]
async fn wrong_sha256_in_memory_is_validation_error_and_stores_nothing() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    // An existing Unfinished version: the failed asset must not be added to it.
    let u = s
        .publish_ok("dom", "repo", "pkg", "1.0", "first.txt", b"first", true)
        .await;
    let rev = u.version_revision().expect("rev").to_string();

    let wrong = sha256_hex(b"something else");
    let r = s
        .client
        .publish_package_version()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version("1.0")
        .asset_name("second.txt")
        .asset_sha256(&wrong)
        .asset_content(ByteStream::from_static(b"the real content"))
        .send()
        .await;
    assert_validation(r);
    assert_eq!(
        s.asset_names("dom", "repo", "pkg", "1.0").await,
        ["first.txt"]
    );
    assert_eq!(s.revision("dom", "repo", "pkg", "1.0").await, rev);
}

/// The same with an in-memory body larger than 1 MiB. The Rust SDK signs SHA-256 of the real body,
/// so the signature does not cover the announced `x-amz-content-sha256`. Arca only reads bodies up to
/// 1 MiB before authenticating (more would let an unauthenticated client make it buffer or store
/// bytes), so this answers 403 InvalidSignatureException — as AWS does when the signature does not
/// cover the announced hash (aws-sdk-kotlin#1217) — and stores nothing.
#[tokio::test]
async fn wrong_sha256_large_in_memory_is_refused_and_stores_nothing() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let body = pseudo_random(2 * 1024 * 1024 + 1, 5);
    // Control: the right hash works for this size.
    s.publish_ok("dom", "repo", "pkg", "1.0", "ok.bin", &body, false)
        .await;

    let r = s
        .client
        .publish_package_version()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version("2.0")
        .asset_name("bad.bin")
        .asset_sha256(sha256_hex(b"something else"))
        .asset_content(ByteStream::from(body.clone()))
        .send()
        .await;
    assert_err(r, 403, "InvalidSignatureException");
    assert_not_found(
        s.client
            .describe_package_version()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .package_version("2.0")
            .send()
            .await,
        "package-version",
    );
}

/// `x-amz-content-sha256` must be 64 lowercase hex characters (the model's SHA256 shape). Sent raw,
/// signed the botocore way (the header value is the payload hash), so the signature is valid.
#[tokio::test]
async fn malformed_sha256_is_validation_error() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let path = format!(
        "/v1/package/version/publish?domain=dom&repository=repo&format=generic&namespace={NS}&package=pkg&version=1.0&asset=a.txt"
    );
    for bad in [
        sha256_hex(b"x").to_uppercase(),
        "abc".to_string(),
        "z".repeat(64),
        sha256_hex(b"x") + "0",
    ] {
        let r = s
            .send_raw(
                RawRequest::new("POST", &path)
                    .header("x-amz-content-sha256", &bad)
                    .body(b"x".to_vec())
                    .signed_by(
                        &s.credentials.access_key_id,
                        &s.credentials.secret_access_key,
                    )
                    .payload_hash(&bad),
            )
            .await;
        let j = r.assert_error(400, "ValidationException");
        assert!(
            j["message"]
                .as_str()
                .is_some_and(|m| m.contains("assetSHA256")),
            "{bad}: {j}"
        );
    }
    assert_not_found(
        s.client
            .describe_package()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .send()
            .await,
        "package",
    );
}

#[tokio::test]
async fn non_generic_format_is_validation_error() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    for (format, ns) in [
        (PackageFormat::Npm, None),
        (PackageFormat::Maven, Some("org.example")),
        (PackageFormat::Pypi, None),
    ] {
        let r = s
            .client
            .publish_package_version()
            .domain("dom")
            .repository("repo")
            .format(format.clone())
            .set_namespace(ns.map(str::to_string))
            .package("pkg")
            .package_version("1.0.0")
            .asset_name("pkg-1.0.0.tgz")
            .asset_sha256(sha256_hex(b"x"))
            .asset_content(ByteStream::from_static(b"x"))
            .send()
            .await;
        let e = assert_validation(r);
        assert!(e.message.contains("generic"), "{format:?}: {}", e.message);
    }
    let l = s
        .client
        .list_packages()
        .domain("dom")
        .repository("repo")
        .send()
        .await
        .expect("list");
    assert!(l.packages().is_empty());
}

#[tokio::test]
async fn generic_asset_name_rules() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    for bad in [
        "a/b",
        ".",
        "..",
        " lead",
        "trail ",
        "two  spaces",
        "x²",
        "tab\there",
        "a\\b",
        "semi:colon",
        "hash#",
        "quote'",
        "dollar$",
        "percent%",
        "star*",
        "ques?",
        "pipe|",
        "lt<",
        "eq=",
        "nbsp\u{a0}x",
    ] {
        let e = err(s
            .publish("dom", "repo", "pkg", "1.0", bad, b"x", true)
            .await);
        assert_eq!(
            (e.status, e.code.as_str()),
            (400, "ValidationException"),
            "asset name {bad:?}: {}",
            e.message
        );
    }
    assert_not_found(
        s.client
            .describe_package()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .send()
            .await,
        "package",
    );

    let good = [
        "simple.txt",
        "with one space.txt",
        "~!@^&()-`_+[]{};,.",
        "ünïcödé-文件-Ωmega.bin",
        "Ⅻ-roman-numeral",
        "...",
        ".hidden",
        "a..b",
    ];
    for name in good {
        s.publish("dom", "repo", "pkg", "1.0", name, name.as_bytes(), true)
            .await
            .unwrap_or_else(|e| panic!("asset name {name:?}: {}", show(&e)));
    }
    let mut expected: Vec<String> = good.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(s.asset_names("dom", "repo", "pkg", "1.0").await, expected);
}

#[tokio::test]
async fn publish_to_missing_repository_or_domain() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    let e = assert_not_found(
        s.publish("dom", "no-repo", "pkg", "1.0", "a", b"x", false)
            .await,
        "repository",
    );
    assert_eq!(e.resource_id.as_deref(), Some("no-repo"));
    assert_not_found(
        s.publish("no-domain", "repo", "pkg", "1.0", "a", b"x", false)
            .await,
        "domain",
    );
    let d = s
        .client
        .describe_domain()
        .domain("dom")
        .send()
        .await
        .expect("domain");
    assert_eq!(d.domain().map(|d| d.asset_size_bytes()), Some(0));
}

#[tokio::test]
async fn revision_depends_on_assets_not_on_repository() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    s.create_repo("dom", "r1").await;
    s.create_repo("dom", "r2").await;
    let one = s
        .publish_ok("dom", "r1", "pkg", "1.0", "a", b"same", false)
        .await;
    let two = s
        .publish_ok("dom", "r2", "pkg", "1.0", "a", b"same", false)
        .await;
    let three = s
        .publish_ok("dom", "r2", "pkg", "2.0", "a", b"other", false)
        .await;
    let r1 = one.version_revision().expect("rev");
    assert_revision_shape(r1);
    assert_eq!(
        Some(r1),
        two.version_revision(),
        "same assets → same revision"
    );
    assert_ne!(Some(r1), three.version_revision());
}

#[tokio::test]
async fn empty_asset() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let out = s
        .publish_ok("dom", "repo", "pkg", "1.0", "empty", b"", false)
        .await;
    let a = out.asset().expect("asset");
    assert_eq!(a.size(), Some(0));
    assert_eq!(asset_hashes(a), hashes(b""));
    let (_, bytes) = s.get_asset("dom", "repo", "pkg", "1.0", "empty").await;
    assert!(bytes.is_empty());
}

/// Many tasks publish different assets of the same new version at once. Every call either succeeds
/// or gets ConflictException, and the version ends with exactly the assets of the successful calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishes_of_one_version() {
    let s = Arc::new(TestServer::start().await);
    s.domain_with_repo("dom", "repo").await;

    // Round 1: all `unfinished` — every call must succeed.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("asset-{i:02}");
            let body = pseudo_random(1000 + i, i as u64);
            s.publish("dom", "repo", "race", "1.0", &name, &body, true)
                .await
                .map(|_| name)
                .map_err(|e| show(&e))
        }));
    }
    let mut ok = BTreeSet::new();
    for t in tasks {
        ok.insert(t.await.expect("task").expect("unfinished publish"));
    }
    assert_eq!(ok.len(), 16);
    let names: BTreeSet<String> = s
        .asset_names("dom", "repo", "race", "1.0")
        .await
        .into_iter()
        .collect();
    assert_eq!(names, ok);
    assert_eq!(
        s.status("dom", "repo", "race", "1.0").await,
        PackageVersionStatus::Unfinished
    );

    // Round 2: a mix of unfinished and final publishes of a new version; the outcome depends on
    // the interleaving, but must be consistent.
    let mut tasks = Vec::new();
    for i in 0..24usize {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("f-{i:02}");
            let body = pseudo_random(100 + i, 1000 + i as u64);
            let unfinished = i % 3 != 0;
            let r = s
                .publish("dom", "repo", "race", "2.0", &name, &body, unfinished)
                .await;
            (
                name,
                unfinished,
                r.map(|o| o.status().cloned())
                    .map_err(|e| err(Err::<(), _>(e))),
            )
        }));
    }
    let mut succeeded = BTreeSet::new();
    let mut any_final = false;
    for t in tasks {
        let (name, unfinished, r) = t.await.expect("task");
        match r {
            Ok(_) => {
                succeeded.insert(name);
                any_final |= !unfinished;
            }
            Err(e) => assert_eq!(
                (e.status, e.code.as_str()),
                (409, "ConflictException"),
                "{name}: {}",
                e.message
            ),
        }
    }
    assert!(!succeeded.is_empty());
    let names: BTreeSet<String> = s
        .asset_names("dom", "repo", "race", "2.0")
        .await
        .into_iter()
        .collect();
    assert_eq!(names, succeeded, "assets stored vs successful calls");
    let expected_status = if any_final {
        PackageVersionStatus::Published
    } else {
        PackageVersionStatus::Unfinished
    };
    assert_eq!(
        s.status("dom", "repo", "race", "2.0").await,
        expected_status
    );

    // Round 3: the same asset, identical bytes, from many tasks: all succeed, one asset.
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.publish(
                "dom",
                "repo",
                "race",
                "3.0",
                "same.bin",
                b"identical",
                false,
            )
            .await
            .map(|o| o.version_revision().map(str::to_string))
            .map_err(|e| show(&e))
        }));
    }
    let mut revs = BTreeSet::new();
    for t in tasks {
        revs.insert(t.await.expect("task").expect("identical publish"));
    }
    assert_eq!(
        revs.len(),
        1,
        "one revision for identical publishes: {revs:?}"
    );
    assert_eq!(
        s.asset_names("dom", "repo", "race", "3.0").await,
        ["same.bin"]
    );
}
