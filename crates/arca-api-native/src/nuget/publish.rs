//! `PUT v2/package`: `nuget push`'s `multipart/form-data` body, whose (first and only) file part
//! is the `.nupkg`, streamed into staging as it arrives. 201 on success; the service's 409 for an
//! existing version and 400 for an invalid package (nothing stored) pass through.

use arca_service::NativeRepo;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Response, StatusCode};

use crate::multipart::{self, FileField};
use crate::{NativeError, NativeState};

/// NuGet names the part `package` (with a file name); the form has no other fields.
const PACKAGE: FileField = FileField {
    name: "package",
    needs_filename: false,
    text_fields: false,
};

pub(super) async fn handle(
    state: &NativeState,
    repo: &NativeRepo,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    let boundary = multipart::request_boundary(req.headers()).ok_or_else(|| {
        NativeError::BadRequest(
            "A package is pushed as multipart/form-data with the .nupkg as its file part.".into(),
        )
    })?;
    let (form, staged) =
        multipart::read_staged(state, repo, req.into_body(), &boundary, PACKAGE).await?;
    if !form.file {
        return Err(NativeError::BadRequest(
            "The push form has no 'package' part with the .nupkg.".into(),
        ));
    }
    let pushed = state.service.nuget_push(repo, staged).await?;
    tracing::debug!(id = pushed.id, version = pushed.version, "nuget push");
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}
