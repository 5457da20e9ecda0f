//! A 64 MiB asset streamed from a file through PublishPackageVersion and back through
//! GetPackageVersionAsset, compared by SHA-256 (no timings here: the 1 GiB measurement is separate).

use std::io::Write;

use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use sha2::{Digest, Sha256};

use crate::common::*;

const SIZE: usize = 64 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_and_download_64_mib() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;

    // Generate the file on the fly, hashing as we go.
    let upload_dir = tempfile::tempdir().expect("upload dir");
    let path = upload_dir.path().join("big.bin");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let mut sha = Sha256::new();
    let chunk_len = 1024 * 1024;
    for i in 0..(SIZE / chunk_len) {
        let chunk = pseudo_random(chunk_len, 1 + i as u64);
        sha.update(&chunk);
        file.write_all(&chunk).expect("write");
    }
    file.flush().expect("flush");
    drop(file);
    let expected = hex::encode(sha.finalize());

    let out = s
        .client
        .publish_package_version()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("big")
        .package_version("1.0")
        .asset_name("big.bin")
        .asset_sha256(&expected)
        .asset_content(ByteStream::from_path(&path).await.expect("bytestream"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("publish: {}", show(&e)));
    assert_eq!(out.status(), Some(&PackageVersionStatus::Published));
    let asset = out.asset().expect("asset");
    assert_eq!(asset.size(), Some(SIZE as i64));
    assert_eq!(
        hash_of(asset, aws_sdk_codeartifact::types::HashAlgorithm::Sha256).as_deref(),
        Some(expected.as_str())
    );
    let sha512 =
        hash_of(asset, aws_sdk_codeartifact::types::HashAlgorithm::Sha512).expect("sha512");
    assert_eq!(sha512.len(), 128);

    // Download, streaming, hashing each chunk.
    let got = s
        .client
        .get_package_version_asset()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("big")
        .package_version("1.0")
        .asset("big.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("get: {}", show(&e)));
    assert_eq!(got.asset_name(), Some("big.bin"));
    let mut body = got.asset;
    let mut sha = Sha256::new();
    let mut n = 0usize;
    while let Some(chunk) = body.try_next().await.expect("chunk") {
        n += chunk.len();
        sha.update(&chunk);
    }
    assert_eq!(n, SIZE);
    assert_eq!(hex::encode(sha.finalize()), expected);

    let d = s
        .client
        .describe_domain()
        .domain("dom")
        .send()
        .await
        .expect("domain");
    assert_eq!(d.domain().map(|d| d.asset_size_bytes()), Some(SIZE as i64));
}
