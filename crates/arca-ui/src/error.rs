//! The one error type of the web UI, turned into an HTML page in one place ([`IntoResponse`]).
//!
//! A missing item and one the caller may not see are the same [`UiError::NotFound`], rendered
//! from constant text (nothing of the service's message, which names the resource), so the two
//! answers are byte for byte the same. A 500 logs its detail and shows a generic page.

use arca_service::ServiceError;
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::html;

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// Not signed in (or the session ended): go to the sign-in page.
    #[error("sign-in required")]
    SignIn,
    /// Missing, or not visible to the caller: the same page either way.
    #[error("not found")]
    NotFound,
    /// A request the UI refuses (cross-site POST, bad CSRF token).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Input the service or the UI refused; the message is the caller's to see.
    #[error("{0}")]
    BadRequest(String),
    /// The version's state forbids it (e.g. an Archived version's assets).
    #[error("{0}")]
    Conflict(String),
    /// An upstream source failed.
    #[error("upstream: {0}")]
    Upstream(String),
    /// Anything else: logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<ServiceError> for UiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound { .. } | ServiceError::AccessDenied(_) => Self::NotFound,
            ServiceError::Validation(m) | ServiceError::QuotaExceeded { message: m, .. } => {
                Self::BadRequest(m)
            }
            ServiceError::Conflict { message, .. } => Self::Conflict(message),
            ServiceError::Upstream(m) => Self::Upstream(m),
            ServiceError::Internal(m) => Self::Internal(m),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, title, message): (StatusCode, &str, &str) = match &self {
            Self::SignIn => {
                let mut r = StatusCode::SEE_OTHER.into_response();
                r.headers_mut()
                    .insert(header::LOCATION, HeaderValue::from_static("/ui/signin"));
                return r;
            }
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or you may not see it.",
            ),
            Self::Forbidden(why) => (StatusCode::FORBIDDEN, "Forbidden", why),
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m),
            Self::Conflict(m) => (StatusCode::CONFLICT, "Not available", m),
            Self::Upstream(m) => {
                tracing::warn!(error = %m, "web UI: upstream failure");
                (
                    StatusCode::BAD_GATEWAY,
                    "Upstream failure",
                    "An upstream source failed; try again later.",
                )
            }
            Self::Internal(m) => {
                tracing::error!(error = %m, "web UI: internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "Something went wrong on the server. The details are in its log.",
                )
            }
        };
        let mut r = html(ErrorPage { title, message }.render());
        *r.status_mut() = status;
        r
    }
}
