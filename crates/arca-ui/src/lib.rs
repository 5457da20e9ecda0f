//! The web UI at `/ui/`: server-rendered pages (askama templates, auto-escaped) to browse domains,
//! repositories, packages, versions and assets, on top of `arca-service` like the two API crates.
//!
//! Architecture invariants:
//! - Every page calls the service with the signed-in [`arca_service::Caller`] after
//!   [`arca_service::Service::authorize`] with the action the matching API operation needs: one
//!   permission model. A missing item and an item the caller may not see are the same 404 page.
//! - Nothing user-controlled reaches a page unescaped: templates escape everything; the one HTML
//!   value, a readme, is rendered from Markdown and sanitized by ammonia ([`markdown`]).
//! - Every form that changes something carries a CSRF token tied to its cookie, and a POST that
//!   `Origin` or `Sec-Fetch-Site` says is cross-site is refused with 403 ([`auth`]).
//! - Errors are one [`UiError`], turned into HTML in one place; a 500 never shows its detail.

mod auth;
mod error;
mod install;
mod markdown;
mod pages;
pub mod session;

use std::sync::Arc;

use arca_service::Service;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub use error::UiError;

/// The root's access key, which signs in as the account's root.
#[derive(Clone)]
pub struct RootKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
}

/// What the UI needs besides the service.
pub struct UiConfig {
    pub root: RootKey,
    /// The server secret (the one pagination and authorization tokens derive their keys from).
    pub server_secret: Vec<u8>,
    /// Set `Secure` on cookies (the public URL is https).
    pub secure_cookies: bool,
}

#[derive(Clone)]
pub(crate) struct UiState {
    pub service: Service,
    pub inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub root: RootKey,
    pub keys: session::Keys,
    pub secure: bool,
}

/// The UI's routes, all below `/ui`.
pub fn router(service: Service, config: UiConfig) -> Router {
    let state = UiState {
        service,
        inner: Arc::new(Inner {
            root: config.root,
            keys: session::Keys::derive(&config.server_secret),
            secure: config.secure_cookies,
        }),
    };
    Router::new()
        .route("/ui", get(|| async { see_other("/ui/") }))
        .route("/ui/", get(pages::domains))
        .route("/ui/ui.css", get(stylesheet))
        .route("/ui/signin", get(auth::signin_form).post(auth::signin))
        .route("/ui/signout", post(auth::signout))
        .route("/ui/d/{owner}/{domain}/", get(pages::domain))
        .route("/ui/d/{owner}/{domain}/{repo}/", get(pages::repository))
        .route("/ui/d/{owner}/{domain}/{repo}/package", get(pages::package))
        .route("/ui/d/{owner}/{domain}/{repo}/version", get(pages::version))
        .route("/ui/d/{owner}/{domain}/{repo}/asset", get(pages::asset))
        .route("/ui/{*rest}", get(|| async { UiError::NotFound }))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers on every UI response: no framing, no sniffing, and a CSP that allows no script at all
/// (the pages need none), as a second line behind escaping and sanitizing.
async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "same-origin");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    r
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/ui.css"),
    )
        .into_response()
}

pub(crate) fn see_other(to: &str) -> Response {
    let mut r = axum::http::StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A rendered template as an HTML response; a template failure is a 500 with a fixed body.
pub(crate) fn html(rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(body) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "web UI: template failed");
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Internal error",
            )
                .into_response()
        }
    }
}
