//! `NativeError`: every failure of a native request, turned into a status and a body here and
//! only here: npm-style (`{"success": false, "error": "…"}`, which npm prints) for every format but
//! cargo, which prints `{"errors":[{"detail":"…"}]}`, RubyGems, whose clients print plain text, and
//! Swift, whose registry specification wants RFC 7807 problem details (`application/problem+json`
//! with `Content-Version: 1`). A 401 carries `WWW-Authenticate: Basic
//! realm="arca"` so clients send (or prompt for) credentials — for cargo `Cargo login_url="…"`, on
//! which it retries with its credential provider's token (never a 403, which cargo would not
//! retry); a 405 carries
//! `Allow` with the methods the resource takes; a 500 never shows its detail, which is logged on the
//! request's line.

use arca_service::ServiceError;
use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};

/// The error shape a client understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// `{"success": false, "error": …}` (npm prints it; pip, twine and mvn show the status).
    Npm,
    /// `{"errors":[{"detail": …}]}`; a 401 names the URL that explains how to get a token.
    Cargo { login_url: String },
    /// The message as plain text (`gem` and Bundler print the body).
    Text,
    /// `application/problem+json` `{"detail", "status", "title"}`, with `Content-Version: 1`.
    Swift,
}

#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    TooLarge(String),
    /// Well-formed but refused on its content (Swift: an invalid archive or metadata, 422).
    #[error("{0}")]
    Unprocessable(String),
    /// An `Accept` naming an API version the server does not serve (Swift, 415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A `Range` that starts past the end of a file of `size` bytes (416, `Content-Range: */size`).
    #[error("The requested range is not within the {size} bytes of the file.")]
    RangeNotSatisfiable { size: u64 },
    /// The resource exists but not for this method; `allow` lists the ones it takes (`GET, HEAD`).
    #[error("{message}")]
    MethodNotAllowed {
        allow: &'static str,
        message: String,
    },
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// An Arca bug or backend failure; the string is for logs only.
    #[error("internal: {0}")]
    Internal(String),
}

impl NativeError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Service(e) => match e {
                ServiceError::Validation(_) => StatusCode::BAD_REQUEST,
                ServiceError::NotFound { .. } => StatusCode::NOT_FOUND,
                ServiceError::Conflict { .. } => StatusCode::CONFLICT,
                ServiceError::AccessDenied(_) => StatusCode::FORBIDDEN,
                ServiceError::QuotaExceeded { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                ServiceError::Upstream(_) => StatusCode::BAD_GATEWAY,
            },
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Detail for the log line of a 5xx; `None` for client errors.
    pub fn internal_detail(&self) -> Option<String> {
        match self {
            Self::Internal(s) | Self::Service(ServiceError::Internal(s)) => Some(s.clone()),
            _ => None,
        }
    }

    pub fn to_response(&self) -> Response<Body> {
        self.to_response_as(&Wire::Npm)
    }

    pub fn to_response_as(&self, wire: &Wire) -> Response<Body> {
        let status = self.status();
        // A 502 says what the upstream did (no internals of Arca's); other 5xx say nothing.
        let message = if status.is_server_error() && status != StatusCode::BAD_GATEWAY {
            "An internal error occurred. It has been logged.".to_string()
        } else {
            self.to_string()
        };
        let (body, content_type) = match wire {
            Wire::Npm => (
                serde_json::json!({"success": false, "error": message}).to_string(),
                "application/json",
            ),
            Wire::Cargo { .. } => (
                serde_json::json!({"errors": [{"detail": message}]}).to_string(),
                "application/json",
            ),
            Wire::Text => (format!("{message}\n"), "text/plain; charset=utf-8"),
            Wire::Swift => (
                serde_json::json!({
                    "detail": message,
                    "status": status.as_u16(),
                    "title": status.canonical_reason().unwrap_or(""),
                })
                .to_string(),
                "application/problem+json",
            ),
        };
        let mut resp = Response::new(Body::from(body));
        *resp.status_mut() = status;
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if *wire == Wire::Swift {
            h.insert("content-version", HeaderValue::from_static("1"));
            h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("en"));
        }
        if status == StatusCode::UNAUTHORIZED {
            let challenge = match wire {
                Wire::Npm | Wire::Text | Wire::Swift => None,
                Wire::Cargo { login_url } => {
                    HeaderValue::from_str(&format!("Cargo login_url=\"{login_url}\"")).ok()
                }
            };
            h.insert(
                header::WWW_AUTHENTICATE,
                challenge.unwrap_or(HeaderValue::from_static("Basic realm=\"arca\"")),
            );
        }
        if let Self::MethodNotAllowed { allow, .. } = self {
            h.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if let Self::RangeNotSatisfiable { size } = self {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                h.insert(header::CONTENT_RANGE, v);
            }
        }
        resp
    }
}
