//! Reading SDK errors: status, code, message and the modeled members, and assertions on them.

use std::collections::BTreeMap;

use aws_sdk_codeartifact::error::{ProvideErrorMetadata, SdkError};

/// What a failed SDK call saw on the wire, with the modeled members the SDK parsed.
#[derive(Debug, Clone)]
pub struct ErrInfo {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// `resourceType` of ConflictException / ResourceNotFoundException / ServiceQuotaExceededException.
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// `reason` of ValidationException.
    pub reason: Option<String>,
}

/// Human-readable description of any SDK error (for panics).
pub fn show<E: ProvideErrorMetadata + std::error::Error + 'static>(e: &SdkError<E>) -> String {
    let status = e.raw_response().map(|r| r.status().as_u16());
    format!(
        "status {status:?}, code {:?}, message {:?} ({})",
        e.code(),
        e.message(),
        aws_sdk_codeartifact::error::DisplayErrorContext(e)
    )
}

/// The error of a call that must fail with a service error.
pub fn err<T, E>(r: Result<T, SdkError<E>>) -> ErrInfo
where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_codeartifact::Error: From<SdkError<E>>,
{
    use aws_sdk_codeartifact::Error as E2;
    let e = match r {
        Ok(v) => panic!("expected an error, got success: {v:?}"),
        Err(e) => e,
    };
    let status = e
        .raw_response()
        .map(|r| r.status().as_u16())
        .unwrap_or_else(|| panic!("no HTTP response: {}", show(&e)));
    let code = e.code().unwrap_or_default().to_string();
    let message = e.message().unwrap_or_default().to_string();
    let (resource_type, resource_id, reason) = match E2::from(e) {
        E2::ConflictException(x) => (
            x.resource_type().map(|t| t.as_str().to_string()),
            x.resource_id().map(str::to_string),
            None,
        ),
        E2::ResourceNotFoundException(x) => (
            x.resource_type().map(|t| t.as_str().to_string()),
            x.resource_id().map(str::to_string),
            None,
        ),
        E2::ServiceQuotaExceededException(x) => (
            x.resource_type().map(|t| t.as_str().to_string()),
            x.resource_id().map(str::to_string),
            None,
        ),
        E2::ValidationException(x) => (None, None, x.reason().map(|r| r.as_str().to_string())),
        _ => (None, None, None),
    };
    ErrInfo {
        status,
        code,
        message,
        resource_type,
        resource_id,
        reason,
    }
}

/// Asserts that the call failed with `status` and `code` (and a message); returns the details.
#[track_caller]
pub fn assert_err<T, E>(r: Result<T, SdkError<E>>, status: u16, code: &str) -> ErrInfo
where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_codeartifact::Error: From<SdkError<E>>,
{
    let e = err(r);
    assert_eq!(
        (e.status, e.code.as_str()),
        (status, code),
        "unexpected error (message: {})",
        e.message
    );
    assert!(!e.message.is_empty(), "error without a message");
    e
}

/// ResourceNotFoundException (404) naming the given resource type.
#[track_caller]
pub fn assert_not_found<T, E>(r: Result<T, SdkError<E>>, resource_type: &str) -> ErrInfo
where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_codeartifact::Error: From<SdkError<E>>,
{
    let e = assert_err(r, 404, "ResourceNotFoundException");
    assert_eq!(
        e.resource_type.as_deref(),
        Some(resource_type),
        "resourceType (message: {})",
        e.message
    );
    e
}

/// ConflictException (409) naming the given resource type.
#[track_caller]
pub fn assert_conflict<T, E>(r: Result<T, SdkError<E>>, resource_type: &str) -> ErrInfo
where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_codeartifact::Error: From<SdkError<E>>,
{
    let e = assert_err(r, 409, "ConflictException");
    assert_eq!(
        e.resource_type.as_deref(),
        Some(resource_type),
        "resourceType (message: {})",
        e.message
    );
    e
}

/// ValidationException (400).
#[track_caller]
pub fn assert_validation<T, E>(r: Result<T, SdkError<E>>) -> ErrInfo
where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_codeartifact::Error: From<SdkError<E>>,
{
    let e = assert_err(r, 400, "ValidationException");
    assert!(
        e.reason.is_some(),
        "ValidationException without reason: {}",
        e.message
    );
    e
}

/// A batch result (`successfulVersions`, `failedVersions`) as sorted maps of strings:
/// version → (revision, status) and version → (errorCode, errorMessage).
pub type Batch = (
    BTreeMap<String, (String, String)>,
    BTreeMap<String, (String, String)>,
);

pub fn batch(
    ok: Option<
        &std::collections::HashMap<
            String,
            aws_sdk_codeartifact::types::SuccessfulPackageVersionInfo,
        >,
    >,
    failed: Option<
        &std::collections::HashMap<String, aws_sdk_codeartifact::types::PackageVersionError>,
    >,
) -> Batch {
    let ok = ok
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                (
                    v.revision().unwrap_or_default().to_string(),
                    v.status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                ),
            )
        })
        .collect();
    let failed = failed
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                (
                    v.error_code()
                        .map(|c| c.as_str().to_string())
                        .unwrap_or_default(),
                    v.error_message().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect();
    (ok, failed)
}

/// Builds a `BTreeMap<String, (String, String)>` from literal triples.
pub fn map3(items: &[(&str, &str, &str)]) -> BTreeMap<String, (String, String)> {
    items
        .iter()
        .map(|(a, b, c)| (a.to_string(), (b.to_string(), c.to_string())))
        .collect()
}

/// Asserts an SDK timestamp lies within five minutes of now.
#[track_caller]
pub fn assert_recent(t: Option<&aws_sdk_codeartifact::primitives::DateTime>) {
    let t = t.expect("timestamp present");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!(
        (t.secs() - now).abs() < 300,
        "timestamp {t:?} is not within 5 minutes of now ({now})"
    );
}
