//! External connections: the ten names CodeArtifact knows, the sources the operator configured for
//! them, and AssociateExternalConnection / DisassociateExternalConnection.
//!
//! Rules (`upstreams-formats-permissions.md` §A6): one connection per repository (a second one, or
//! the same one again, is a `ConflictException`); an unknown name, or a known one the operator gave no
//! URL, is a `ValidationException`; disassociating a name that is not attached is a
//! `ResourceNotFoundException`.

use std::time::Duration;

use arca_metadata::{ExternalConnectionChange, PackageFormat, StoreError};

use crate::{
    Caller, RepoRef, RepositoryDescription, ResourceType, Service, ServiceError, ServiceResult,
};

/// Every external connection name of the API model, with the format of its packages.
pub const KNOWN_CONNECTIONS: [(&str, PackageFormat); 10] = [
    ("public:npmjs", PackageFormat::Npm),
    ("public:pypi", PackageFormat::Pypi),
    ("public:maven-central", PackageFormat::Maven),
    ("public:maven-googleandroid", PackageFormat::Maven),
    ("public:maven-gradleplugins", PackageFormat::Maven),
    ("public:maven-commonsware", PackageFormat::Maven),
    ("public:maven-clojars", PackageFormat::Maven),
    ("public:nuget-org", PackageFormat::Nuget),
    ("public:ruby-gems-org", PackageFormat::Ruby),
    ("public:crates-io", PackageFormat::Cargo),
];

/// The package format of a known connection name.
pub fn connection_format(name: &str) -> Option<PackageFormat> {
    KNOWN_CONNECTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
}

/// Credentials Arca sends to a private upstream registry.
#[derive(Clone, PartialEq, Eq)]
pub enum UpstreamAuth {
    Basic { username: String, password: String },
    Bearer(String),
}

impl std::fmt::Debug for UpstreamAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// Where an external connection fetches from, as the operator configured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalSource {
    /// Base URL of the registry (`http(s)://…/`, ending with `/`).
    pub url: String,
    /// How long fetched metadata is fresh; `None`: the format's default.
    pub metadata_ttl: Option<Duration>,
    /// Per request to the source.
    pub timeout: Duration,
    /// Versions the source published more recently than this are left out.
    pub min_release_age: Option<Duration>,
    pub auth: Option<UpstreamAuth>,
}

/// Default of [`ExternalSource::timeout`].
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

impl ExternalSource {
    pub fn new(url: &str) -> Result<Self, String> {
        Ok(Self {
            url: normalize_url(url)?,
            metadata_ttl: None,
            timeout: DEFAULT_UPSTREAM_TIMEOUT,
            min_release_age: None,
            auth: None,
        })
    }
}

/// Checks a source URL (absolute http or https, no query or fragment) and makes it end with `/`.
pub fn normalize_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} is not an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{url:?} has no host"));
    }
    if url.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{url:?} must not have a query, a fragment or spaces"
        ));
    }
    Ok(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

impl Service {
    /// The configured source of a connection name, if the operator gave one.
    pub(crate) fn external_source(&self, name: &str) -> Option<&ExternalSource> {
        self.config.external_connections.get(name)
    }

    pub async fn associate_external_connection(
        &self,
        caller: &Caller,
        r: &RepoRef,
        name: &str,
    ) -> ServiceResult<RepositoryDescription> {
        if connection_format(name).is_none() {
            let known: Vec<&str> = KNOWN_CONNECTIONS.iter().map(|(n, _)| *n).collect();
            return Err(ServiceError::validation(format!(
                "Unknown external connection {name}; the known ones are {}.",
                known.join(", ")
            )));
        }
        if self.external_source(name).is_none() {
            return Err(ServiceError::validation(format!(
                "External connection {name} has no URL on this server; the operator sets it with \
                 `--external-connection {name}=URL`, ARCA_EXTERNAL_CONNECTIONS or \
                 [external_connections.\"{name}\"] url in the configuration file."
            )));
        }
        let (_, repo) = self.resolve_repo(caller, r).await?;
        let change = ExternalConnectionChange {
            expect: None,
            set: Some(name.to_string()),
        };
        match self.store.set_external_connection(repo.id, &change).await {
            Ok(row) => Ok(self.describe_repo(&row)),
            Err(StoreError::PreconditionFailed) => {
                let current = self.resolve_repo(caller, r).await?.1.external_connection;
                Err(ServiceError::conflict(
                    ResourceType::Repository,
                    &repo.name,
                    format!(
                        "Repository {} already has the external connection {}; a repository can \
                         have one.",
                        repo.name,
                        current.as_deref().unwrap_or("(being changed)")
                    ),
                ))
            }
            Err(StoreError::NotFound) => Err(crate::repositories::repo_not_found(
                &repo.name,
                &repo.domain_name,
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn disassociate_external_connection(
        &self,
        caller: &Caller,
        r: &RepoRef,
        name: &str,
    ) -> ServiceResult<RepositoryDescription> {
        let (_, repo) = self.resolve_repo(caller, r).await?;
        let not_attached = || {
            ServiceError::not_found(
                ResourceType::Repository,
                &repo.name,
                format!(
                    "External connection {name} is not associated with repository {}.",
                    repo.name
                ),
            )
        };
        if repo.external_connection.as_deref() != Some(name) {
            return Err(not_attached());
        }
        let change = ExternalConnectionChange {
            expect: Some(name.to_string()),
            set: None,
        };
        match self.store.set_external_connection(repo.id, &change).await {
            Ok(row) => Ok(self.describe_repo(&row)),
            Err(StoreError::PreconditionFailed) => Err(not_attached()),
            Err(StoreError::NotFound) => Err(crate::repositories::repo_not_found(
                &repo.name,
                &repo.domain_name,
            )),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_end_with_a_slash() {
        assert_eq!(
            normalize_url("http://127.0.0.1:4873").unwrap(),
            "http://127.0.0.1:4873/"
        );
        assert_eq!(
            normalize_url("https://registry.example/npm/").unwrap(),
            "https://registry.example/npm/"
        );
        for bad in [
            "ftp://x/",
            "http://",
            "https:///x",
            "http://x/?a=1",
            "http://x/#f",
            "x",
        ] {
            assert!(normalize_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_known_name_has_a_format_and_secrets_are_redacted() {
        assert_eq!(connection_format("public:npmjs"), Some(PackageFormat::Npm));
        assert_eq!(
            connection_format("public:crates-io"),
            Some(PackageFormat::Cargo)
        );
        assert_eq!(connection_format("public:swift"), None);
        let auth = UpstreamAuth::Basic {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
        assert!(!format!("{:?}", UpstreamAuth::Bearer("t0k".into())).contains("t0k"));
    }
}
