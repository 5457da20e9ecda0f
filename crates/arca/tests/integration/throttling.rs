//! Optional per-account rate limits: over the burst, 429 ThrottlingException with Retry-After; the
//! bucket refills at the configured rate.

use std::time::Duration;

use crate::common::*;

#[tokio::test]
async fn over_the_limit_is_429_with_retry_after() {
    let s = TestServer::start_with(|c| c.rate_limit = Some((2.0, 3))).await;
    for _ in 0..3 {
        s.client.list_domains().send().await.unwrap();
    }
    let raw = s.raw("POST", "/v1/domains", b"{}").await;
    let body = raw.assert_error(429, "ThrottlingException");
    assert!(
        body["message"].as_str().unwrap().contains("Rate exceeded"),
        "{body}"
    );
    assert_eq!(raw.header("retry-after"), Some("1"));
    let sdk = s.client.list_domains().send().await;
    assert_err(sdk, 429, "ThrottlingException");

    // After Retry-After, requests pass again (rate 2/s: one token per 500 ms).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    s.client.list_domains().send().await.unwrap();
}

#[tokio::test]
async fn unthrottled_by_default() {
    let s = TestServer::start().await;
    for _ in 0..50 {
        s.client.list_domains().send().await.unwrap();
    }
}
