//! GetRepositoryEndpoint: `{public_url}/{format}/d/{domain}-{owner}/{repository}/` — the path form
//! AWS uses for VPC endpoints, so no wildcard DNS is needed (`decisions.md`, "Native endpoints").

use std::sync::{Arc, OnceLock};

use arca_metadata::PackageFormat;

use crate::{Caller, RepoRef, Service, ServiceError, ServiceResult};

/// The base URL clients reach this server at: the configured one, or else the address the server
/// bound (known only once it listens, e.g. with port 0).
#[derive(Debug, Clone, Default)]
pub(crate) struct PublicUrl {
    configured: Option<String>,
    bound: Arc<OnceLock<String>>,
}

impl PublicUrl {
    pub(crate) fn new(configured: Option<String>) -> Self {
        Self {
            configured: configured.map(|u| u.trim_end_matches('/').to_string()),
            bound: Arc::default(),
        }
    }

    fn get(&self) -> ServiceResult<&str> {
        self.configured
            .as_deref()
            .or_else(|| self.bound.get().map(String::as_str))
            .ok_or_else(|| ServiceError::Internal("the public URL is not known yet".into()))
    }
}

/// The path of a repository's native endpoint below the public URL, ending in `/`.
pub fn endpoint_path(format: PackageFormat, domain: &str, owner: &str, repository: &str) -> String {
    format!("/{format}/d/{domain}-{owner}/{repository}/")
}

impl Service {
    /// Sets the URL derived from the bound listen address; a configured `public_url` wins.
    pub fn set_listen_url(&self, url: String) {
        let _ = self
            .public_url
            .bound
            .set(url.trim_end_matches('/').to_string());
    }

    /// The public base URL, without a trailing `/`.
    pub fn public_url(&self) -> ServiceResult<&str> {
        self.public_url.get()
    }

    /// GetRepositoryEndpoint. Every format has an endpoint URL; which ones serve a native protocol
    /// is the native layer's business (`endpointType` does not change the URL: there is one host).
    pub async fn get_repository_endpoint(
        &self,
        caller: &Caller,
        repo: &RepoRef,
        format: PackageFormat,
    ) -> ServiceResult<String> {
        let (domain, repo) = self.resolve_repo(caller, repo).await?;
        Ok(format!(
            "{}{}",
            self.public_url()?,
            endpoint_path(format, &domain.name, &domain.owner, &repo.name)
        ))
    }
}
