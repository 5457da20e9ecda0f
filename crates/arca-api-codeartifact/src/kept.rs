//! Answers of read operations kept between requests, under the rules of
//! `arca_service::documents`: kept while no write moved the metadata's change epoch (this
//! server's writes at once, other replicas' when PostgreSQL notifies) and never past
//! `document_ttl_ms`. The request is authenticated, throttled and authorized before the cache is
//! asked, every time; only the service call and the encoding are skipped.
//!
//! Kept: the reads whose answer is a function of the metadata and the validated input alone (no
//! clock, no caller beyond its account, which names the default domain owner). Only 200 answers
//! are kept.

use arca_service::{Caller, Service};
use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use bytes::Bytes;

use crate::handlers::ApiResult;
use crate::ApiError;

/// The operations whose answers are kept.
const KEPT: &[&str] = &[
    "DescribePackageVersion",
    "ListPackageVersionAssets",
    "ListPackageVersions",
    "DescribePackage",
];

/// The part of the key known before authorization: the operation and its bound, validated
/// input members (a sorted map, so one input has one spelling), or `None` when not kept.
pub(crate) fn input_key(
    op: &str,
    members: &serde_json::Map<String, serde_json::Value>,
) -> Option<String> {
    if !KEPT.contains(&op) {
        return None;
    }
    let mut key = String::with_capacity(96);
    key.push_str(op);
    key.push('\0');
    key.push_str(&serde_json::to_string(members).ok()?);
    Some(key)
}

/// The kept answer for `key` (the input key and the account the request acts as), or the one
/// `run` gives, kept when it is a 200.
pub(crate) async fn answer(
    svc: &Service,
    key: Option<String>,
    caller: &Caller,
    run: impl std::future::Future<Output = ApiResult>,
) -> ApiResult {
    let Some(mut key) = key else {
        return run.await;
    };
    key.push('\0');
    key.push_str(&caller.account);
    let cache = svc.answers();
    if let Some(body) = cache.get(&key) {
        return Ok(json(body));
    }
    let ticket = cache.ticket();
    let resp = run.await?;
    if resp.status() != StatusCode::OK {
        return Ok(resp);
    }
    let (parts, body) = resp.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::Internal(format!("reading an encoded answer: {e}")))?;
    cache.put(ticket, key, body.clone());
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn json(body: Bytes) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
