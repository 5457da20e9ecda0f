//! The operator's HTTP endpoints beside the APIs: `GET /health` (liveness: the process answers),
//! `GET /ready` (readiness: the metadata and blob stores answer; 503 when not) and `GET /metrics`
//! (Prometheus / OpenMetrics text; with `metrics_token` set, only with `Authorization: Bearer`
//! and that token, else 401).

use std::sync::Arc;

use arca_service::metrics::CONTENT_TYPE;
use arca_service::Service;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use subtle::ConstantTimeEq;

#[derive(Clone)]
struct OpsState {
    service: Service,
    metrics_token: Option<Arc<str>>,
}

/// The routes `/health`, `/ready` and `/metrics`.
pub fn router(service: Service, metrics_token: Option<String>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(OpsState {
            service,
            metrics_token: metrics_token.map(Arc::from),
        })
}

async fn ready(State(state): State<OpsState>) -> Response {
    match state.service.readiness().await {
        Ok(()) => "ready\n".into_response(),
        Err(e) => {
            tracing::warn!(component = e.component, error = %e.reason, "not ready");
            let body = format!("not ready: the {} does not answer\n", e.component);
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}

async fn metrics(State(state): State<OpsState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        if !bearer_matches(&headers, token) {
            let mut resp =
                (StatusCode::UNAUTHORIZED, "a metrics token is required\n").into_response();
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"arca-metrics\""),
            );
            return resp;
        }
    }
    let body = state.service.metrics().encode();
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

/// Whether the request carries `Authorization: Bearer <token>` (compared in constant time).
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| bool::from(given.as_bytes().ct_eq(token.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(bearer_matches(&with("Bearer s3cret"), "s3cret"));
        assert!(!bearer_matches(&with("Bearer s3cre"), "s3cret"));
        assert!(!bearer_matches(&with("Basic s3cret"), "s3cret"));
        assert!(!bearer_matches(&HeaderMap::new(), "s3cret"));
    }
}
