//! `PUT {scope}/{name}/{version}`: a `multipart/form-data` body with the parts `source-archive`
//! (required; streamed into staging as it arrives), `source-archive-signature`, `metadata` and
//! `metadata-signature` (kept, each bounded), and the `X-Swift-Package-Signature-Format` header.
//! Publication is synchronous: 201 with `Location` (a `Prefer: respond-async` is answered so too,
//! which the specification allows). What the service refuses on content (the archive, the
//! metadata, the signatures) is a 422; a release that exists is a 409.

use arca_service::swift::SwiftPublish;
use arca_service::{NativeRepo, ServiceError};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Response, StatusCode};

use crate::multipart::{self, FileField};
use crate::{NativeError, NativeState};

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
    let boundary = multipart::request_boundary(req.headers()).ok_or_else(|| {
        NativeError::UnsupportedMediaType(
            "A release is published as multipart/form-data (source-archive, metadata, signatures)."
                .into(),
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
    let (form, staged) =
        multipart::read_staged(state, repo, req.into_body(), &boundary, SOURCE_ARCHIVE).await?;
    if !form.file {
        return Err(NativeError::BadRequest(
            "The publish form has no source-archive part.".into(),
        ));
    }
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
