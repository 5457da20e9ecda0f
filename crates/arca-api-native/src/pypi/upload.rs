//! `twine upload`: `POST` of a `multipart/form-data` form with `:action=file_upload`, the core
//! metadata fields and the file as `content`. The form is read as a stream; the file goes to the
//! blob store's staging upload meanwhile, then the service checks everything and publishes.

use arca_service::pypi::PypiUpload;
use arca_service::NativeRepo;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Response};

use crate::multipart::{self, FileField, Form};
use crate::{NativeError, NativeState};

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
    let boundary = multipart::request_boundary(req.headers()).ok_or_else(|| {
        NativeError::BadRequest(
            "An upload is a multipart/form-data POST (as twine sends it).".into(),
        )
    })?;
    let (form, staged) =
        multipart::read_staged(state, repo, req.into_body(), &boundary, CONTENT).await?;
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
