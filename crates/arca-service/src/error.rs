//! The service layer's one error type. The API crate maps it to the wire in exactly one place.

use arca_metadata::StoreError;

/// CodeArtifact resource types, as named in error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    Domain,
    Repository,
    Package,
    PackageVersion,
    Asset,
    PackageGroup,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::Repository => "repository",
            Self::Package => "package",
            Self::PackageVersion => "package-version",
            Self::Asset => "asset",
            Self::PackageGroup => "package-group",
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A semantic rule about the input failed (e.g. a namespace where the format has none).
    #[error("{0}")]
    Validation(String),
    #[error("{message}")]
    NotFound {
        resource_type: ResourceType,
        resource_id: String,
        message: String,
    },
    #[error("{message}")]
    Conflict {
        resource_type: ResourceType,
        resource_id: String,
        message: String,
    },
    #[error("{message}")]
    QuotaExceeded {
        resource_type: ResourceType,
        resource_id: String,
        message: String,
    },
    /// No policy allows the caller to do this (AccessDeniedException, 403). The message names the
    /// caller, the action and the resource, as AWS's does.
    #[error("{0}")]
    AccessDenied(String),
    /// An upstream source failed or sent something Arca refused (not Arca's fault, nor the
    /// client's): native endpoints answer 502 with the message.
    #[error("{0}")]
    Upstream(String),
    /// Something failed inside Arca. The message is for logs only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn not_found(rt: ResourceType, id: impl Into<String>, message: impl Into<String>) -> Self {
        Self::NotFound {
            resource_type: rt,
            resource_id: id.into(),
            message: message.into(),
        }
    }
    pub fn conflict(rt: ResourceType, id: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            resource_type: rt,
            resource_id: id.into(),
            message: message.into(),
        }
    }
    pub fn quota(rt: ResourceType, id: impl Into<String>, message: impl Into<String>) -> Self {
        Self::QuotaExceeded {
            resource_type: rt,
            resource_id: id.into(),
            message: message.into(),
        }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation(message.into())
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        if let StoreError::InvalidText(_) = e {
            return ServiceError::Validation(format!("Invalid input: {e}."));
        }
        // Store errors that carry meaning are handled where they occur; anything reaching here is a
        // failure of the backend or of our own bookkeeping.
        ServiceError::Internal(format!("metadata store: {}", with_sources(&e)))
    }
}

/// An error and its chain of causes, for the one log line of a 500 (e.g. the ENOSPC under an
/// object-store error).
fn with_sources(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

impl From<arca_blobstore::BlobError> for ServiceError {
    fn from(e: arca_blobstore::BlobError) -> Self {
        ServiceError::Internal(format!("blob store: {}", with_sources(&e)))
    }
}
