//! Arca's own operator requests, beside the CodeArtifact operations: same SigV4 authentication
//! (the root credentials), throttling, logging and error shapes, under paths the AWS model does not
//! use (`/_arca/…`).
//!
//! - `POST /_arca/cache/purge?[domain=D&[domain-owner=O&]repository=R][&format=F[&namespace=N]&package=P]`
//!   (`arca cache purge`): drops cached upstream indexes of this server process; answers
//!   `{"purged": N, "connections": [...]}`.

use arca_service::upstream::purge::{CachePurge, PackageName};
use arca_service::{Caller, DomainRef, PackageFormat, RepoRef, Service};
use axum::body::Body;
use axum::extract::Query;
use axum::http::{header, Method, Response, Uri};
use serde::Deserialize;

use crate::error::ApiError;

/// The path of the cache purge.
pub const PURGE_CACHE_PATH: &str = "/_arca/cache/purge";

/// An operator request, by (method, path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorOp {
    PurgeUpstreamCache,
}

impl OperatorOp {
    pub fn route(method: &Method, path: &str) -> Option<Self> {
        (method == Method::POST && path == PURGE_CACHE_PATH).then_some(Self::PurgeUpstreamCache)
    }

    /// The name in the request's log line.
    pub fn name(self) -> &'static str {
        match self {
            Self::PurgeUpstreamCache => "PurgeUpstreamCache",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PurgeQuery {
    domain: Option<String>,
    domain_owner: Option<String>,
    repository: Option<String>,
    format: Option<String>,
    namespace: Option<String>,
    package: Option<String>,
}

/// Runs an authenticated operator request.
pub async fn dispatch(
    service: &Service,
    caller: &Caller,
    op: OperatorOp,
    uri: &Uri,
) -> Result<Response<Body>, ApiError> {
    match op {
        OperatorOp::PurgeUpstreamCache => {
            let what = purge_filter(uri)?;
            let report = service.purge_upstream_cache(caller, &what).await?;
            let body = serde_json::json!({
                "purged": report.purged,
                "connections": report.connections,
            });
            Response::builder()
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .map_err(|e| ApiError::Internal(e.to_string()))
        }
    }
}

/// The purge's filter from its query string; contradictory or incomplete filters are refused.
fn purge_filter(uri: &Uri) -> Result<CachePurge, ApiError> {
    let q = Query::<PurgeQuery>::try_from_uri(uri)
        .map_err(|e| ApiError::validation(format!("Invalid cache purge query: {e}")))?
        .0;
    let repository =
        match (q.domain, q.repository) {
            (Some(domain), Some(repository)) => Some(RepoRef {
                domain: DomainRef {
                    name: domain,
                    owner: q.domain_owner,
                },
                repository,
            }),
            (None, None) if q.domain_owner.is_none() => None,
            _ => return Err(ApiError::validation(
                "A repository is named by both domain and repository (domain-owner is optional).",
            )),
        };
    let package =
        match (q.format, q.package) {
            (Some(format), Some(name)) => Some(PackageName {
                format: PackageFormat::parse(&format).ok_or_else(|| {
                    ApiError::validation(format!(
                    "Unknown package format {format:?}; use the API's names (npm, pypi, maven, …)."
                ))
                })?,
                namespace: q.namespace,
                name,
            }),
            (None, None) if q.namespace.is_none() => None,
            _ => return Err(ApiError::validation(
                "A package is named by both format and package (namespace where the format has \
                 one).",
            )),
        };
    Ok(CachePurge {
        repository,
        package,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(query: &str) -> Result<CachePurge, String> {
        let uri: Uri = format!("{PURGE_CACHE_PATH}?{query}").parse().unwrap();
        purge_filter(&uri).map_err(|e| e.to_string())
    }

    #[test]
    fn filters_must_be_complete_and_known() {
        let all = filter("").unwrap();
        assert!(all.repository.is_none() && all.package.is_none());
        let one =
            filter("domain=acme&repository=app&format=npm&namespace=acme&package=kit").unwrap();
        let r = one.repository.unwrap();
        assert_eq!(
            (r.domain.name.as_str(), r.repository.as_str()),
            ("acme", "app")
        );
        let p = one.package.unwrap();
        assert_eq!(
            (p.format, p.namespace.as_deref(), p.name.as_str()),
            (PackageFormat::Npm, Some("acme"), "kit")
        );
        for bad in [
            "repository=app",
            "domain=acme",
            "domain-owner=111122223333",
            "package=kit",
            "format=npm",
            "namespace=acme",
            "format=rpm&package=kit",
            "repo=app",
        ] {
            assert!(filter(bad).is_err(), "{bad}");
        }
    }
}
