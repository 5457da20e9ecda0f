//! `twine upload`: `POST` of a `multipart/form-data` form with `:action=file_upload`, the core
//! metadata fields and the file as `content`. The form is read as a stream; the file goes to the
//! blob store's staging upload meanwhile, then the service checks everything and publishes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arca_service::pypi::PypiUpload;
use arca_service::NativeRepo;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Response};
use tokio::sync::mpsc;

use crate::multipart::{self, Chunk, FileField, Form, FormError};
use crate::{NativeError, NativeState};

/// File chunks in flight between the form reader and the upload.
const CHANNEL_CHUNKS: usize = 4;

/// twine's file: the `content` part with a file name; every other field is text.
const CONTENT: FileField = FileField {
    name: "content",
    needs_filename: true,
    text_fields: true,
};

pub(super) async fn handle(
    state: &NativeState,
    repo: &NativeRepo,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary)
        .ok_or_else(|| {
            NativeError::BadRequest(
                "An upload is a multipart/form-data POST (as twine sends it).".into(),
            )
        })?;
    let max = state.max_publish_bytes;
    let over = Arc::new(AtomicBool::new(false));
    let body = crate::body::capped(req.into_body(), max, over.clone());
    let (tx, rx) = mpsc::channel::<Chunk>(CHANNEL_CHUNKS);
    let file = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let (form, staged) = tokio::join!(
        multipart::read(body, &boundary, CONTENT, tx),
        state.service.stage_asset(repo, file)
    );
    let form = match form {
        Ok(form) => form,
        // A failed upload stops the form reader too: report the upload's reason.
        Err(FormError::Body(_)) if staged.is_err() && !over.load(Ordering::SeqCst) => {
            return Err(staged.err().map(NativeError::from).unwrap_or_else(|| {
                NativeError::Internal("pypi upload: staging failed without an error".into())
            }))
        }
        Err(_) if over.load(Ordering::SeqCst) => return Err(crate::body::too_large(max)),
        Err(FormError::TooLarge(why)) => {
            return Err(NativeError::TooLarge(format!(
                "The upload is too large: {why}."
            )))
        }
        Err(FormError::Invalid(why) | FormError::Body(why)) => {
            return Err(NativeError::BadRequest(format!(
                "The upload form is not valid: {why}."
            )))
        }
    };
    let staged = staged?;
    let up = upload_fields(&form)?;
    let done = state.service.pypi_upload(repo, up, staged).await?;
    tracing::debug!(name = done.name, version = done.version, "pypi upload");
    let mut resp = Response::new(Body::from("OK\n"));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    Ok(resp)
}

fn upload_fields(form: &Form) -> Result<PypiUpload, NativeError> {
    match form.get(":action") {
        Some("file_upload") => {}
        other => {
            return Err(NativeError::BadRequest(format!(
                "Unsupported :action {}; only file_upload is.",
                other.unwrap_or("(none)")
            )))
        }
    }
    let required = |name: &str| {
        form.get(name)
            .map(str::to_string)
            .ok_or_else(|| NativeError::BadRequest(format!("The upload has no '{name}' field.")))
    };
    let optional = |name: &str| form.get(name).map(str::to_string);
    Ok(PypiUpload {
        name: required("name")?,
        version: required("version")?,
        filename: form.filename.clone().ok_or_else(|| {
            NativeError::BadRequest("The upload has no file in its 'content' field.".into())
        })?,
        md5_digest: optional("md5_digest"),
        sha256_digest: optional("sha256_digest"),
        summary: optional("summary"),
        home_page: optional("home_page"),
        license: optional("license"),
        author: optional("author"),
        requires_python: optional("requires_python"),
        requires_dist: form
            .all("requires_dist")
            .filter(|v| !v.trim().is_empty())
            .map(str::to_string)
            .collect(),
        description: optional("description"),
    })
}
