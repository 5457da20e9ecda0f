//! The server with its blobs in S3 (the moto server `scripts/test` starts): publish, download,
//! collection and check go through the S3 protocol end to end.

use std::time::Duration;

use crate::common::*;

#[path = "../../../arca-blobstore/tests/common/s3.rs"]
#[allow(dead_code)]
mod s3_server;

#[tokio::test]
async fn publish_download_collect_and_check_on_s3() {
    let Some(endpoint) = s3_server::endpoint("publish_download_collect_and_check_on_s3") else {
        return;
    };
    let bucket = s3_server::bucket(&endpoint).await;
    let settings = s3_server::settings(&endpoint, &bucket, Some("prod"));
    let s = TestServer::start_with(|c| c.blobs = arca::BlobLocation::S3(settings)).await;
    s.domain_with_repo("dom", "repo").await;

    // Two 5 MiB parts and a tail: a real multipart upload.
    let big = pseudo_random(11 * 1024 * 1024 + 3, 11);
    s.publish_ok("dom", "repo", "p", "1", "big.bin", &big, false)
        .await;
    s.publish_ok("dom", "repo", "p", "2", "small.txt", b"small", false)
        .await;
    let (_, bytes) = s.get_asset("dom", "repo", "p", "1", "big.bin").await;
    assert!(bytes == big, "downloaded bytes differ");
    let keys = s3_server::keys(&endpoint, &bucket).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys.iter().all(|k| k.starts_with("prod/blobs/")),
        "{keys:?}"
    );
    assert!(s3_server::open_uploads(&endpoint, &bucket).await.is_empty());
    let report = s.service.check_storage(true, Duration::ZERO).await.unwrap();
    assert!(report.is_healthy() && report.referenced == 2, "{report:?}");

    // A failed publish (wrong digest; the SDK signs the real body hash, so this one is refused
    // before any byte is stored) leaves no object and no open upload.
    let wrong = s
        .client
        .publish_package_version()
        .domain("dom")
        .repository("repo")
        .format(aws_sdk_codeartifact::types::PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version("3")
        .asset_name("a")
        .asset_sha256(sha256_hex(b"other bytes"))
        .asset_content(aws_sdk_codeartifact::primitives::ByteStream::from(
            big[..6 * 1024 * 1024].to_vec(),
        ))
        .send()
        .await;
    assert!(wrong.is_err());
    assert_eq!(s3_server::keys(&endpoint, &bucket).await.len(), 2);
    assert!(s3_server::open_uploads(&endpoint, &bucket).await.is_empty());

    s.delete_version("dom", "repo", "p", "1").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let gc = s
        .service
        .collect_garbage(Duration::ZERO, true)
        .await
        .unwrap();
    assert_eq!(gc.freed, 1, "{gc:?}");
    let keys = s3_server::keys(&endpoint, &bucket).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let (_, bytes) = s.get_asset("dom", "repo", "p", "2", "small.txt").await;
    assert_eq!(bytes, b"small");
}
