//! Native package-manager endpoints: `/{format}/d/{domain}-{owner}/{repository}/…`, the URL
//! GetRepositoryEndpoint hands out (the path form AWS uses for VPC endpoints).
//!
//! This crate only translates HTTP to service calls and back: it authenticates the token
//! (`auth`), parses each protocol's URLs and documents (`npm`, `pypi`, `maven`, `cargo`, `ruby`,
//! `swift`, `nuget`), streams bodies, and
//! renders the answers. Which versions are visible, what may be published and how it is stored are
//! decided in `arca-service`. npm, PyPI, Maven, cargo, RubyGems, Swift and NuGet are served; the
//! generic format has no native endpoint (404).
//!
//! Invariants: every request logs one line (format, method, path, status, duration); a 5xx body is
//! generic and its detail is logged on that line; request bodies stream with bounded memory.

mod auth;
mod body;
mod cargo;
mod document;
mod error;
mod maven;
mod multipart;
mod npm;
mod nuget;
mod pypi;
mod ruby;
mod swift;

use std::time::Instant;

use arca_service::metrics::http::{content_length, response_length};
use arca_service::metrics::{Protocol, RequestSample};
use arca_service::{PackageFormat, Service};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Response;
use axum::routing::any;
use axum::Router;

pub use error::{NativeError, Wire};

/// Default cap on an npm publish request (the JSON document with its base64 tarball).
pub const DEFAULT_MAX_PUBLISH_BYTES: u64 = 1024 * 1024 * 1024;

/// What native handlers share.
#[derive(Debug, Clone)]
pub struct NativeState {
    pub service: Service,
    /// Largest accepted publish request body, in bytes.
    pub max_publish_bytes: u64,
}

/// The routes of every native endpoint.
pub fn router(state: NativeState) -> Router {
    Router::new()
        .route("/{format}/d/{*rest}", any(handle))
        .with_state(state)
}

/// The repository a native URL names, and the rest of its path (still percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint<'a> {
    pub format: PackageFormat,
    pub domain: &'a str,
    pub owner: &'a str,
    pub repository: &'a str,
    pub rest: &'a str,
}

impl<'a> Endpoint<'a> {
    /// The repository the endpoint names, as `caller` sees it.
    pub(crate) async fn repository(
        &self,
        svc: &Service,
        caller: &arca_service::Caller,
    ) -> Result<arca_service::NativeRepo, NativeError> {
        Ok(svc
            .native_repository(caller, self.domain, self.owner, self.repository)
            .await?)
    }

    /// The endpoint's URL (`{public_url}/{format}/d/{domain}-{owner}/{repo}/`).
    pub(crate) fn url(&self, svc: &Service) -> Result<String, NativeError> {
        let base = svc.public_url()?;
        let path =
            arca_service::endpoint_path(self.format, self.domain, self.owner, self.repository);
        Ok(format!("{base}{path}"))
    }

    /// Parses `/{format}/d/{domain}-{owner}/{repository}/{rest}`. The owner is the 12 digits after
    /// the last `-` (domain names may contain `-`, owners never do).
    fn parse(path: &'a str) -> Result<Self, NativeError> {
        let not_found = || NativeError::NotFound(format!("No repository endpoint at {path}."));
        let mut parts = path.trim_start_matches('/').splitn(4, '/');
        let format = parts
            .next()
            .and_then(PackageFormat::parse)
            .ok_or_else(not_found)?;
        if parts.next() != Some("d") {
            return Err(not_found());
        }
        let (domain, owner) = parts
            .next()
            .and_then(|d| d.rsplit_once('-'))
            .filter(|(d, o)| {
                !d.is_empty() && o.len() == 12 && o.bytes().all(|b| b.is_ascii_digit())
            })
            .ok_or_else(not_found)?;
        let repository = parts.next().ok_or_else(not_found)?;
        let (repository, rest) = repository.split_once('/').unwrap_or((repository, ""));
        if repository.is_empty() {
            return Err(not_found());
        }
        Ok(Self {
            format,
            domain,
            owner,
            repository,
            rest,
        })
    }
}

async fn handle(State(state): State<NativeState>, req: Request) -> Response<Body> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let bytes_in = content_length(req.headers());
    // Boxed, as in the API crate: unboxed, the large future would be copied at every move.
    let result = Box::pin(serve(&state, req, &request_id)).await;
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            if let Some(detail) = e.internal_detail() {
                tracing::error!(request_id, error = %detail, "internal error");
            }
            e.to_response_as(&wire(&state.service, &path))
        }
    };
    // A refused upload may leave its body unread; the connection cannot be reused then.
    let upload = !matches!(method, axum::http::Method::GET | axum::http::Method::HEAD);
    if upload && !resp.status().is_success() {
        resp.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    let duration = started.elapsed();
    state.service.metrics().request(&RequestSample {
        protocol: Protocol::Native,
        operation: arca_service::metrics::http::method_label(&method),
        format: Endpoint::parse(&path).map_or("", |e| e.format.as_str()),
        status: resp.status().as_u16(),
        duration,
        bytes_in,
        bytes_out: response_length(&resp),
    });
    tracing::info!(
        request_id,
        native = true,
        http.method = %method,
        http.path = %path,
        status = resp.status().as_u16(),
        duration_ms = duration.as_secs_f64() * 1000.0,
        "request"
    );
    resp
}

/// The error shape of the client a path belongs to.
fn wire(svc: &Service, path: &str) -> Wire {
    match Endpoint::parse(path) {
        Ok(e) if e.format == PackageFormat::Cargo => Wire::Cargo {
            login_url: cargo::login_url(svc, &e),
        },
        Ok(e) if e.format == PackageFormat::Ruby => Wire::Text,
        Ok(e) if e.format == PackageFormat::Swift => Wire::Swift,
        _ => Wire::Npm,
    }
}

/// The resource `parse` reads in the endpoint's path (else 404, naming `protocol`), and the
/// repository as the caller sees it.
pub(crate) async fn resolve<T>(
    state: &NativeState,
    caller: &arca_service::Caller,
    endpoint: &Endpoint<'_>,
    protocol: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<(T, arca_service::NativeRepo), NativeError> {
    let target = parse(endpoint.rest).ok_or_else(|| {
        NativeError::NotFound(format!("No {protocol} resource at '{}'.", endpoint.rest))
    })?;
    let repo = state
        .service
        .native_repository(caller, endpoint.domain, endpoint.owner, endpoint.repository)
        .await?;
    Ok((target, repo))
}

async fn serve(
    state: &NativeState,
    req: Request,
    request_id: &str,
) -> Result<Response<Body>, NativeError> {
    let path = req.uri().path().to_string();
    let endpoint = Endpoint::parse(&path)?;
    if endpoint.format == PackageFormat::Swift && req.method() == axum::http::Method::OPTIONS {
        // What a resource allows is no secret (SE-0292 §4: OPTIONS without credentials).
        return swift::options(&endpoint);
    }
    // The client's address and TLS, as the server saw them (absent in in-process tests).
    let facts = arca_service::RequestFacts {
        request_id: request_id.to_string(),
        ..req.extensions().get().cloned().unwrap_or_default()
    };
    let caller = auth::authorize(&state.service, req.headers(), &endpoint)
        .await?
        .with_facts(facts);
    // Each format's future boxed on its own: this one stays small, and a request only copies the
    // state of its own format's handler.
    match endpoint.format {
        PackageFormat::Npm => Box::pin(npm::serve(state, &caller, &endpoint, req)).await,
        PackageFormat::Pypi => Box::pin(pypi::serve(state, &caller, &endpoint, req)).await,
        PackageFormat::Maven => Box::pin(maven::serve(state, &caller, &endpoint, req)).await,
        PackageFormat::Cargo => Box::pin(cargo::serve(state, &caller, &endpoint, req)).await,
        PackageFormat::Ruby => Box::pin(ruby::serve(state, &caller, &endpoint, req)).await,
        PackageFormat::Swift => Box::pin(swift::serve(state, &caller, &endpoint, req)).await,
        PackageFormat::Nuget => Box::pin(nuget::serve(state, &caller, &endpoint, req)).await,
        other => Err(NativeError::NotFound(format!(
            "This server has no native {other} endpoint yet; use the CodeArtifact API."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_paths() {
        let e = Endpoint::parse("/npm/d/my-domain-111122223333/releases/@acme%2fkit").unwrap();
        assert_eq!(
            (e.format, e.domain, e.owner, e.repository, e.rest),
            (
                PackageFormat::Npm,
                "my-domain",
                "111122223333",
                "releases",
                "@acme%2fkit"
            )
        );
        let e = Endpoint::parse("/pypi/d/acme-111122223333/r").unwrap();
        assert_eq!((e.repository, e.rest), ("r", ""));
        for bad in [
            "/tarball/d/acme-111122223333/r/",
            "/npm/x/acme-111122223333/r/",
            "/npm/d/acme-1111/r/",
            "/npm/d/-111122223333/r/",
            "/npm/d/acme111122223333/r/",
            "/npm/d/acme-111122223333/",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
