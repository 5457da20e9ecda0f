//! `PUT {scope}/{name}/{version}`: a `multipart/form-data` body with the parts `source-archive`
//! (required; streamed into staging as it arrives), `source-archive-signature`, `metadata` and
//! `metadata-signature` (kept, each bounded), and the `X-Swift-Package-Signature-Format` header.
//! Publication is synchronous: 201 with `Location` (a `Prefer: respond-async` is answered so too,
//! which the specification allows). What the service refuses on content (the archive, the
//! metadata, the signatures) is a 422; a release that exists is a 409.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arca_service::swift::SwiftPublish;
use arca_service::{NativeRepo, ServiceError};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Response, StatusCode};
use tokio::sync::mpsc;

use crate::multipart::{self, Chunk, FileField, FormError};
use crate::{NativeError, NativeState};

/// Archive chunks in flight between the form reader and the upload.
const CHANNEL_CHUNKS: usize = 4;

/// The archive part (no file name needed: SwiftPM sends none); the others may be binary.
const SOURCE_ARCHIVE: FileField = FileField {
    name: "source-archive",
    needs_filename: false,
    text_fields: false,
};

pub(super) async fn handle(
    state: &NativeState,
    repo: &NativeRepo,
    base: &str,
    req: Request,
    scope: String,
    name: String,
    version: String,
) -> Result<Response<Body>, NativeError> {
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary)
        .ok_or_else(|| {
            NativeError::UnsupportedMediaType(
                "A release is published as multipart/form-data (source-archive, metadata, signatures).".into(),
            )
        })?;
    let signature_format = req
        .headers()
        .get("x-swift-package-signature-format")
        .map(|v| {
            v.to_str().map(str::to_string).map_err(|_| {
                NativeError::BadRequest("X-Swift-Package-Signature-Format is not ASCII.".into())
            })
        })
        .transpose()?;
    let max = state.max_publish_bytes;
    let over = Arc::new(AtomicBool::new(false));
    let body = crate::body::capped(req.into_body(), max, over.clone());
    let (tx, rx) = mpsc::channel::<Chunk>(CHANNEL_CHUNKS);
    let file = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let (form, staged) = tokio::join!(
        multipart::read(body, &boundary, SOURCE_ARCHIVE, tx),
        state.service.stage_asset(repo, file)
    );
    let form = match form {
        Ok(form) => form,
        Err(FormError::Body(_)) if staged.is_err() && !over.load(Ordering::SeqCst) => {
            return Err(staged.err().map(NativeError::from).unwrap_or_else(|| {
                NativeError::Internal("swift publish: staging failed without an error".into())
            }))
        }
        Err(_) if over.load(Ordering::SeqCst) => return Err(crate::body::too_large(max)),
        Err(FormError::TooLarge(why)) => {
            return Err(NativeError::TooLarge(format!(
                "The publish request is too large: {why}."
            )))
        }
        Err(FormError::Invalid(why) | FormError::Body(why)) => {
            return Err(NativeError::BadRequest(format!(
                "The publish form is not valid: {why}."
            )))
        }
    };
    if !form.file {
        return Err(NativeError::BadRequest(
            "The publish form has no source-archive part.".into(),
        ));
    }
    let staged = staged?;
    let part = |n: &str| form.bytes(n).map(<[u8]>::to_vec);
    let publish = SwiftPublish {
        scope: scope.clone(),
        name: name.clone(),
        version: version.clone(),
        metadata: part("metadata"),
        archive_signature: part("source-archive-signature"),
        metadata_signature: part("metadata-signature"),
        signature_format,
    };
    let done = state
        .service
        .swift_publish(repo, publish, staged)
        .await
        .map_err(|e| match e {
            ServiceError::Validation(why) => NativeError::Unprocessable(why),
            e => NativeError::Service(e),
        })?;
    tracing::debug!(
        scope = done.scope,
        name = done.name,
        version = done.version,
        "swift publish"
    );
    let mut resp = super::with_version(Response::new(Body::empty()));
    *resp.status_mut() = StatusCode::CREATED;
    let location = format!("{base}{scope}/{name}/{version}");
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}
