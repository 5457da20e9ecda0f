//! Debug builds only (every test runs one): each successful JSON answer is checked against the
//! operation's output shape in the AWS model — member names, types and constraints. A violation is a
//! bug in Arca, so it turns into a logged 500 that fails whatever test sent the request.

use axum::body::Body;
use axum::http::{header, Response};

use crate::ApiError;

pub(crate) async fn check_response(
    op_name: &str,
    resp: Response<Body>,
) -> Result<Response<Body>, ApiError> {
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/json");
    let Some(op) = crate::model::service_model().operation(op_name) else {
        return Ok(resp);
    };
    if !is_json || !resp.status().is_success() {
        return Ok(resp);
    }
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::Internal(format!("conformance check: reading response: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::Internal(format!("conformance check: response is not JSON: {e}")))?;
    let violations = op.validate_output(&value);
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(|v| v.to_string()).collect();
        return Err(ApiError::Internal(format!(
            "{op_name} response violates the model: {}",
            list.join("; ")
        )));
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}
