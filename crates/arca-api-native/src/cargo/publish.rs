//! `cargo publish`: `PUT api/v1/crates/new` with the body `u32 LE json_len ‖ JSON ‖ u32 LE
//! crate_len ‖ .crate`. Read as a stream: the JSON is kept (at most
//! [`arca_service::cargo::index::MAX_META_BYTES`]), the crate's bytes go on into the blob store's
//! staging upload as they arrive, exactly `crate_len` of them (a shorter or longer body is refused),
//! then the service checks everything and publishes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arca_service::cargo::index::{frame_len, FRAME_HEADER, MAX_META_BYTES};
use arca_service::NativeRepo;
use axum::body::Body;
use axum::extract::Request;
use axum::http::Response;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

use crate::{NativeError, NativeState};

type Chunk = Result<Bytes, std::io::Error>;

pub(super) async fn handle(
    state: &NativeState,
    repo: &NativeRepo,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    let max = state.max_publish_bytes;
    let over = Arc::new(AtomicBool::new(false));
    let mut body = crate::body::capped(req.into_body(), max, over.clone());
    let too_large = |over: &AtomicBool| over.load(Ordering::SeqCst);

    let mut buf = BytesMut::new();
    let read = fill(&mut body, &mut buf, FRAME_HEADER).await;
    if too_large(&over) {
        return Err(crate::body::too_large(max));
    }
    read?;
    let json_len = frame_len(header(&buf[..FRAME_HEADER]));
    if json_len > MAX_META_BYTES {
        return Err(NativeError::TooLarge(format!(
            "The publish metadata is {json_len} bytes; at most {MAX_META_BYTES} are accepted."
        )));
    }
    let crate_at = FRAME_HEADER + json_len as usize + FRAME_HEADER;
    let read = fill(&mut body, &mut buf, crate_at).await;
    if too_large(&over) {
        return Err(crate::body::too_large(max));
    }
    read?;
    let crate_len = frame_len(header(&buf[crate_at - FRAME_HEADER..crate_at]));
    let rest = buf.split_off(crate_at).freeze();
    let meta = buf
        .freeze()
        .slice(FRAME_HEADER..FRAME_HEADER + json_len as usize);

    let staged = state
        .service
        .stage_asset(repo, exactly(rest, body, crate_len))
        .await;
    if too_large(&over) {
        return Err(crate::body::too_large(max));
    }
    let done = state.service.cargo_publish(repo, &meta, staged?).await?;
    tracing::debug!(name = done.name, version = done.version, "cargo publish");
    Ok(super::json_response(&serde_json::json!({
        "warnings": {"invalid_categories": [], "invalid_badges": [], "other": []}
    })))
}

fn header(b: &[u8]) -> [u8; FRAME_HEADER] {
    let mut h = [0u8; FRAME_HEADER];
    h.copy_from_slice(b);
    h
}

/// Reads from `body` until `buf` holds at least `n` bytes.
async fn fill(
    body: &mut (impl Stream<Item = Chunk> + Unpin),
    buf: &mut BytesMut,
    n: usize,
) -> Result<(), NativeError> {
    while buf.len() < n {
        match body.next().await {
            Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
            Some(Err(e)) => {
                return Err(NativeError::BadRequest(format!(
                    "The publish body could not be read: {e}."
                )))
            }
            None => {
                return Err(NativeError::BadRequest(
                    "The publish body ended early: it must be u32 json length, JSON, u32 crate length, crate (as cargo sends it).".into(),
                ))
            }
        }
    }
    Ok(())
}

/// `first` then the rest of `body`, which together must be exactly `len` bytes.
fn exactly(
    first: Bytes,
    body: impl Stream<Item = Chunk> + Unpin + Send,
    len: u64,
) -> impl Stream<Item = Chunk> + Send {
    let start = futures::stream::iter((!first.is_empty()).then_some(Ok(first)));
    let mut seen = 0u64;
    let mut ended = false;
    start
        .chain(body)
        .map(Some)
        .chain(futures::stream::once(async { None }))
        .filter_map(move |item| {
            let out = match item {
                _ if ended => None,
                Some(Ok(chunk)) => {
                    seen += chunk.len() as u64;
                    if seen > len {
                        ended = true;
                        Some(Err(std::io::Error::other(format!(
                            "the body is longer than its crate length ({len} bytes)"
                        ))))
                    } else {
                        Some(Ok(chunk))
                    }
                }
                Some(Err(e)) => {
                    ended = true;
                    Some(Err(e))
                }
                None if seen < len => Some(Err(std::io::Error::other(format!(
                    "the body ended after {seen} of the crate's {len} bytes"
                )))),
                None => None,
            };
            futures::future::ready(out)
        })
}
