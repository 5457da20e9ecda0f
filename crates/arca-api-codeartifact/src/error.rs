//! `ApiError`: every failure of a CodeArtifact API request, turned into the wire format here and only
//! here (status, `x-amzn-ErrorType`, JSON body with `message`, `__type` and the modeled members).
//! A 500 never leaks internals: its detail is logged once, by the request logger.

use arca_service::{ResourceType, ServiceError};
use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use serde_json::json;

use crate::model::BindError;

/// `ValidationException.reason` values Arca sends besides the model binder's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    FieldValidationFailed,
    UnknownOperation,
    Other,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FieldValidationFailed => "FIELD_VALIDATION_FAILED",
            Self::UnknownOperation => "UNKNOWN_OPERATION",
            Self::Other => "OTHER",
        }
    }
}

/// Why authentication failed; each maps to the AWS front-end error of the same name (all 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    MissingAuthenticationToken,
    UnrecognizedClient,
    InvalidSignature,
    ExpiredToken,
}

impl AuthFailure {
    fn code(self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
            Self::InvalidSignature => "InvalidSignatureException",
            Self::ExpiredToken => "ExpiredTokenException",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{1}")]
    Auth(AuthFailure, String),
    /// A request that failed model validation (constraint, parse).
    #[error("{}", .0.message())]
    Bind(BindError),
    /// A semantic validation failure (`reason` OTHER or FIELD_VALIDATION_FAILED).
    #[error("{message}")]
    Validation { reason: Reason, message: String },
    #[error("Unknown operation: {method} {path}")]
    UnknownOperation { method: String, path: String },
    #[error("The operation {0} is not implemented by this Arca server.")]
    NotImplemented(String),
    /// The account's request rate limit is exhausted; retry after this many seconds.
    #[error("Rate exceeded. Retry after {0} seconds.")]
    Throttled(u64),
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// An Arca bug or backend failure; the string is for logs only.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation {
            reason: Reason::Other,
            message: message.into(),
        }
    }

    /// The AWS error code (`x-amzn-ErrorType` and `__type`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Auth(f, _) => f.code(),
            Self::Bind(_) | Self::Validation { .. } | Self::UnknownOperation { .. } => {
                "ValidationException"
            }
            Self::NotImplemented(_) => "NotImplementedException",
            Self::Throttled(_) => "ThrottlingException",
            Self::Service(e) => match e {
                ServiceError::Validation(_) => "ValidationException",
                ServiceError::NotFound { .. } => "ResourceNotFoundException",
                ServiceError::Conflict { .. } => "ConflictException",
                ServiceError::QuotaExceeded { .. } => "ServiceQuotaExceededException",
                ServiceError::AccessDenied(_) => "AccessDeniedException",
                // API reads never consult upstreams; should a rule ever surface this, it is ours.
                ServiceError::Internal(_) | ServiceError::Upstream(_) => "InternalServerException",
            },
            Self::Internal(_) => "InternalServerException",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self.code() {
            "ValidationException" => StatusCode::BAD_REQUEST,
            "ResourceNotFoundException" => StatusCode::NOT_FOUND,
            "ConflictException" => StatusCode::CONFLICT,
            "ServiceQuotaExceededException" => StatusCode::PAYMENT_REQUIRED,
            "NotImplementedException" => StatusCode::NOT_IMPLEMENTED,
            "ThrottlingException" => StatusCode::TOO_MANY_REQUESTS,
            "InternalServerException" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::FORBIDDEN,
        }
    }

    /// Detail for the log line of a 5xx; `None` for client errors.
    pub fn internal_detail(&self) -> Option<String> {
        match self {
            Self::Internal(s)
            | Self::Service(ServiceError::Internal(s))
            | Self::Service(ServiceError::Upstream(s)) => Some(s.clone()),
            _ => None,
        }
    }

    fn body(&self) -> serde_json::Value {
        let code = self.code();
        let resource = |rt: &ResourceType, id: &str, message: &str| json!({"message": message, "__type": code, "resourceType": rt.as_str(), "resourceId": id});
        match self {
            Self::Bind(e) => {
                json!({"message": e.message(), "__type": code, "reason": e.reason.as_str()})
            }
            Self::Validation { reason, message } => {
                json!({"message": message, "__type": code, "reason": reason.as_str()})
            }
            Self::UnknownOperation { .. } => json!({
                "message": self.to_string(), "__type": code, "reason": Reason::UnknownOperation.as_str()
            }),
            Self::Service(ServiceError::Validation(m)) => {
                json!({"message": m, "__type": code, "reason": Reason::Other.as_str()})
            }
            Self::Service(ServiceError::NotFound {
                resource_type,
                resource_id,
                message,
            })
            | Self::Service(ServiceError::Conflict {
                resource_type,
                resource_id,
                message,
            })
            | Self::Service(ServiceError::QuotaExceeded {
                resource_type,
                resource_id,
                message,
            }) => resource(resource_type, resource_id, message),
            Self::Internal(_)
            | Self::Service(ServiceError::Internal(_))
            | Self::Service(ServiceError::Upstream(_)) => {
                json!({"message": "An internal error occurred. It has been logged.", "__type": code})
            }
            Self::Auth(_, m) | Self::Service(ServiceError::AccessDenied(m)) => {
                json!({"message": m, "__type": code})
            }
            Self::NotImplemented(_) | Self::Throttled(_) => {
                json!({"message": self.to_string(), "__type": code})
            }
        }
    }

    /// The wire response.
    pub fn to_response(&self, request_id: &str) -> Response<Body> {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut resp = Response::new(Body::from(body));
        *resp.status_mut() = self.status();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert("x-amzn-ErrorType", HeaderValue::from_static(self.code()));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert("x-amzn-RequestId", v);
        }
        if let Self::Throttled(seconds) = self {
            h.insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
        }
        resp
    }
}
