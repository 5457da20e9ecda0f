//! Bodies every native protocol shares: uploads counted against `max_publish_bytes`, and stored
//! files streamed back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arca_service::FileDownload;
use axum::body::Body;
use axum::http::{header, HeaderValue, Response};
use bytes::Bytes;
use futures::{Stream, StreamExt};

use crate::NativeError;

/// The body as a stream that fails once more than `max` bytes arrived; `over` tells why it failed.
pub(crate) fn capped(
    body: Body,
    max: u64,
    over: Arc<AtomicBool>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + Unpin {
    let mut seen = 0u64;
    body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        seen += chunk.len() as u64;
        if seen > max {
            over.store(true, Ordering::SeqCst);
            return Err(std::io::Error::other("request body too large"));
        }
        Ok(chunk)
    })
}

pub(crate) fn too_large(max: u64) -> NativeError {
    NativeError::TooLarge(format!("The publish request exceeds {max} bytes."))
}

/// A file, streamed with its length when known (else chunked).
pub(crate) fn download(d: FileDownload) -> Response<Body> {
    let mut resp = Response::new(Body::from_stream(d.stream));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Some(size) = d.size {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    resp
}

/// A JSON document (`application/json`).
pub(crate) fn json_response(v: &serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(Body::from(v.to_string()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
