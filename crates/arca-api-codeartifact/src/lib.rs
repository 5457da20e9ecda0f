//! The AWS CodeArtifact API (restJson1 over HTTP, SigV4-signed), on top of `arca-service`.
//!
//! A request goes: route by (method, path) with the embedded botocore model → authenticate (SigV4) →
//! bind and validate every member against the model → typed [`operation::Operation`] → one
//! `handle_<operation>` → response. Errors become wire errors only in [`error::ApiError`].
//!
//! Architecture invariants:
//! - Nothing here decides a rule about packages: handlers call the service and encode its answer.
//! - Only PublishPackageVersion's body streams; every other body is read up to [`MAX_JSON_BODY`].
//! - Every request produces exactly one log line (operation, status, duration); a 5xx logs its detail
//!   there and nowhere else, and the client sees a generic message.

pub mod auth;
#[cfg(debug_assertions)]
mod conformance;
pub mod error;
mod handlers;
mod kept;
pub mod model;
pub mod operation;
pub mod operator;
mod permission;
pub mod throttle;
pub mod wire;

use std::sync::Arc;
use std::time::Instant;

use arca_service::metrics::http::{content_length, response_length};
use arca_service::metrics::{Protocol, RequestSample};
use arca_service::{Caller, RequestFacts, Service};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Response};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};

pub use auth::{AccessKey, Authenticator};
pub use error::{ApiError, AuthFailure};

use crate::auth::Payload;
use crate::operation::{is_implemented, Operation};

/// Largest non-streaming request body accepted (the model's largest inputs are a few hundred KiB).
pub const MAX_JSON_BODY: usize = 1024 * 1024;

/// What the API handler needs, shared by every request.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub service: Service,
    pub auth: Arc<Authenticator>,
    /// Per-account rate limits, when configured.
    pub throttle: Option<Arc<throttle::Throttle>>,
}

/// The axum handler for every CodeArtifact API request.
pub async fn handle(State(state): State<ApiState>, req: Request) -> Response<Body> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let format = query_format(req.uri().query());
    let bytes_in = content_length(req.headers());
    // Boxed: the request's future is large (every operation's state), and unboxed it would be
    // copied whole each time axum and hyper move it (a fifth of a Describe's instructions).
    let (op_name, result) = Box::pin(serve(&state, req, &request_id)).await;
    #[cfg(debug_assertions)]
    let result = match result {
        Ok(r) => conformance::check_response(op_name, r).await,
        Err(e) => Err(e),
    };
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            if let Some(detail) = e.internal_detail() {
                tracing::error!(request_id, operation = op_name, error = %detail, "internal error");
            }
            e.to_response(&request_id)
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amzn-RequestId", v);
    }
    // A refused publish may leave its body unread; the connection cannot be reused then, so say so
    // instead of letting the client's next request hit a closed socket.
    if op_name == "PublishPackageVersion" && !resp.status().is_success() {
        resp.headers_mut().insert(
            axum::http::header::CONNECTION,
            HeaderValue::from_static("close"),
        );
    }
    let duration = started.elapsed();
    state.service.metrics().request(&RequestSample {
        protocol: Protocol::Api,
        operation: op_name,
        format,
        status: resp.status().as_u16(),
        duration,
        bytes_in,
        bytes_out: response_length(&resp),
    });
    tracing::info!(
        request_id,
        operation = op_name,
        http.method = %method,
        http.path = %path,
        status = resp.status().as_u16(),
        duration_ms = duration.as_secs_f64() * 1000.0,
        "request"
    );
    resp
}

/// The package format a request's query names (`format=npm`), for metrics; `""` when none.
fn query_format(query: Option<&str>) -> &'static str {
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("format="))
        .and_then(arca_service::PackageFormat::parse)
        .map_or("", |f| f.as_str())
}

async fn serve(
    state: &ApiState,
    req: Request,
    request_id: &str,
) -> (&'static str, Result<Response<Body>, ApiError>) {
    let model = model::service_model();
    let route = model.route(req.method(), req.uri().path());
    let operator = operator::OperatorOp::route(req.method(), req.uri().path());
    let op_name: &'static str = match (&route, operator) {
        (_, Some(op)) => op.name(),
        (Ok(op), None) => operation::IMPLEMENTED
            .iter()
            .find(|n| **n == op.name())
            .copied()
            .unwrap_or("NotImplemented"),
        (Err(_), None) => "UnknownOperation",
    };
    let result = async {
        let (parts, body) = req.into_parts();
        // A key that is not the root's may be a principal's: one store read resolves it.
        let principal = match state.auth.other_key_id(&parts) {
            Some(id) => state
                .service
                .principal_by_access_key(&id)
                .await?
                .map(|p| (id, p)),
            None => None,
        };
        let key = principal.as_ref().map(|(id, p)| AccessKey {
            access_key_id: id.clone(),
            secret_access_key: p.secret_access_key.clone(),
            account_id: p.caller.account.clone(),
        });
        let streaming = matches!(&route, Ok(op) if op.has_streaming_input());
        let (account, bytes, body) = if streaming {
            match state.auth.authenticate(
                &parts,
                Payload::Streamed { body_hash: None },
                key.as_ref(),
            ) {
                Ok(account) => (account, bytes::Bytes::new(), body),
                Err(e) if small_body(&parts) => {
                    // Signed over the real body hash? Read it (it is small) and try that too.
                    let bytes = read_body(body).await?;
                    let hash = body_sha256(&bytes);
                    let payload = Payload::Streamed {
                        body_hash: Some(&*hash),
                    };
                    let account = state
                        .auth
                        .authenticate(&parts, payload, key.as_ref())
                        .map_err(|_| e)?;
                    (account, bytes::Bytes::new(), Body::from(bytes))
                }
                Err(e) => return Err(e),
            }
        } else {
            let bytes = read_body(body).await?;
            let hash = body_sha256(&bytes);
            let account = state
                .auth
                .authenticate(&parts, Payload::Hashed(&hash), key.as_ref())?;
            (account, bytes, Body::empty())
        };
        if let Some(throttle) = &state.throttle {
            throttle.admit(&account).map_err(ApiError::Throttled)?;
        }
        let caller = match principal {
            Some((_, p)) => p.caller,
            None => Caller::root(account),
        }
        .with_facts(request_facts(&parts, request_id));
        if let Some(op) = operator {
            // Operator requests are the root's alone.
            if !caller.is_root() {
                let action = format!("arca:{}", op.name());
                state.service.record_denial(&caller, &action, "*").await?;
                return Err(ApiError::Service(arca_service::ServiceError::AccessDenied(
                    format!(
                        "User: {} is not authorized to perform operator requests",
                        caller.arn()
                    ),
                )));
            }
            return operator::dispatch(&state.service, &caller, op, &parts.uri).await;
        }
        let op_model = route.map_err(|_| ApiError::UnknownOperation {
            method: parts.method.to_string(),
            path: parts.uri.path().to_string(),
        })?;
        if !is_implemented(op_model.name()) {
            return Err(ApiError::NotImplemented(op_model.name().to_string()));
        }
        let members = op_model
            .bind(parts.uri.query(), &parts.headers, &bytes)
            .map_err(ApiError::Bind)?;
        let kept = kept::input_key(op_model.name(), &members);
        let op = Operation::from_members(op_model.name(), members)?;
        // Authorized before it acts; the caller it acts as may reach another account's domain.
        // The request's tags count for its own permission (the first) only.
        let permissions = op.permissions(op_model.name());
        let mut acting = None;
        let mut tags = op.request_tags();
        for (action, target) in &permissions {
            let allowed = state
                .service
                .authorize_tagged(&caller, action, target, &tags)
                .await?;
            tags = arca_service::policy::RequestTags::None;
            acting.get_or_insert(allowed);
        }
        let caller = acting.unwrap_or(caller);
        // A write is recorded once all its permissions hold, before it acts (or, a publish, in
        // its own transaction).
        let caller = match permissions.first() {
            Some((action, target)) => state.service.audited(caller, action, target).await?,
            None => caller,
        };
        let content_length = parts
            .headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let run = handlers::dispatch(&state.service, &caller, op, body, content_length);
        kept::answer(&state.service, kept, &caller, run).await
    }
    .await;
    (op_name, result)
}

/// What the server put on the request (the client's address, TLS; absent when the router runs
/// without it, as in-process tests do), named with this request's id.
fn request_facts(parts: &axum::http::request::Parts, request_id: &str) -> RequestFacts {
    RequestFacts {
        request_id: request_id.to_string(),
        ..parts.extensions.get().cloned().unwrap_or_default()
    }
}

/// Lowercase hex SHA-256 of a request body; a read's empty body is the constant.
fn body_sha256(bytes: &[u8]) -> std::borrow::Cow<'static, str> {
    if bytes.is_empty() {
        arca_sigv4::EMPTY_PAYLOAD_SHA256.into()
    } else {
        hex::encode(Sha256::digest(bytes)).into()
    }
}

/// Whether a streaming request announces a body small enough to read whole ([`MAX_JSON_BODY`]).
fn small_body(parts: &axum::http::request::Parts) -> bool {
    parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n <= MAX_JSON_BODY)
}

/// Reads a non-streaming body, refusing more than [`MAX_JSON_BODY`] bytes.
async fn read_body(body: Body) -> Result<bytes::Bytes, ApiError> {
    let limited = http_body_util::Limited::new(body, MAX_JSON_BODY);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::validation(format!(
            "The request body exceeds {MAX_JSON_BODY} bytes."
        ))),
        Err(e) => Err(ApiError::validation(format!(
            "The request body could not be read: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_hashes_are_the_hex_sha256() {
        for body in [&b""[..], b"{}", b"abc"] {
            assert_eq!(body_sha256(body), hex::encode(Sha256::digest(body)));
        }
    }
}
