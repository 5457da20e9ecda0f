//! The pages: domains → repositories → a repository (its upstream graph and its packages) → a
//! package (versions, readme, dependencies, install snippets) → a version (assets) → an asset's
//! bytes.
//!
//! Each handler authorizes with the action of the API operation it stands for, then calls that
//! operation's service method as the caller `authorize` returned — what the CodeArtifact API does
//! for the same request. Lists page on the server through the service's own paging tokens.

use arca_service::{
    Caller, DomainRef, PackageFormat, PackageListing, PackageRef, RepoRef, RepositoryListing,
    Target, VersionListing, VersionRef,
};
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;

use crate::auth::Session;
use crate::install::{snippets, Coordinates};
use crate::{html, markdown, UiError, UiState};

const PAGE: u32 = 50;

/// Characters left as they are in a path segment or query value.
const KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, KEEP).to_string()
}

/// A query string from pairs, leaving out empty values.
fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `2026-01-02 03:04:05 UTC` for epoch milliseconds.
fn when(ms: i64) -> String {
    let fmt =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_default()
}

fn size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {} ({bytes} bytes)", UNITS[u])
    }
}

/// The header of every signed-in page: who, the sign-out form's CSRF token, the breadcrumbs.
pub(crate) struct Nav {
    pub who: String,
    pub csrf: String,
    pub crumbs: Vec<(String, String)>,
}

impl Nav {
    fn new(s: &Session, crumbs: Vec<(String, String)>) -> Self {
        let mut all = vec![("/ui/".to_string(), "Domains".to_string())];
        all.extend(crumbs);
        Self {
            who: s.who.clone(),
            csrf: s.csrf.clone(),
            crumbs: all,
        }
    }
}

/// Where a repository's pages live.
struct RepoPath {
    owner: String,
    domain: String,
    repo: String,
}

impl RepoPath {
    fn domain_href(&self) -> String {
        format!("/ui/d/{}/{}/", enc(&self.owner), enc(&self.domain))
    }
    fn href(&self) -> String {
        format!("{}{}/", self.domain_href(), enc(&self.repo))
    }
    fn repo_ref(&self) -> RepoRef {
        RepoRef {
            domain: DomainRef {
                name: self.domain.clone(),
                owner: Some(self.owner.clone()),
            },
            repository: self.repo.clone(),
        }
    }
    fn crumbs(&self) -> Vec<(String, String)> {
        vec![
            (self.domain_href(), self.domain.clone()),
            (self.href(), self.repo.clone()),
        ]
    }
    fn package_query(&self, format: PackageFormat, ns: &str, name: &str) -> String {
        query(&[("f", format.as_str()), ("ns", ns), ("n", name)])
    }
    fn package_href(&self, format: PackageFormat, ns: &str, name: &str) -> String {
        format!(
            "{}package?{}",
            self.href(),
            self.package_query(format, ns, name)
        )
    }
    fn version_href(&self, format: PackageFormat, ns: &str, name: &str, v: &str) -> String {
        let q = self.package_query(format, ns, name);
        format!("{}version?{q}&{}", self.href(), query(&[("v", v)]))
    }
}

impl UiState {
    /// The caller to act as for `action` on `target`, as the API decides it.
    async fn allowed(&self, s: &Session, action: &str, target: Target) -> Result<Caller, UiError> {
        Ok(self.service.authorize(&s.caller, action, &target).await?)
    }
}

/// A section the page shows only when the caller may see it.
fn optional<T>(r: Result<T, UiError>) -> Result<Option<T>, UiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(UiError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

fn domain_ref(s: &Session, owner: &str, domain: &str) -> Result<DomainRef, UiError> {
    if !s.sees_domain(owner, domain) {
        return Err(UiError::NotFound);
    }
    Ok(DomainRef {
        name: domain.to_string(),
        owner: Some(owner.to_string()),
    })
}

/// What every page below a repository starts from: the signed-in session and the repository's
/// path (a domain outside a token session's domain is not found).
pub(crate) struct InRepo {
    state: UiState,
    s: Session,
    at: RepoPath,
}

impl axum::extract::FromRequestParts<UiState> for InRepo {
    type Rejection = UiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &UiState,
    ) -> Result<Self, UiError> {
        let Path((owner, domain, repo)) =
            Path::<(String, String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| UiError::NotFound)?;
        let s = state.session(parts).await?;
        domain_ref(&s, &owner, &domain)?;
        Ok(Self {
            state: state.clone(),
            s,
            at: RepoPath {
                owner,
                domain,
                repo,
            },
        })
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Paging {
    next: Option<String>,
}

// ---- domains ------------------------------------------------------------------------------

struct DomainRow {
    name: String,
    owner: String,
    href: String,
    repositories: String,
    size: String,
    created: String,
}

#[derive(Template)]
#[template(path = "domains.html")]
struct DomainsPage {
    nav: Nav,
    domains: Vec<DomainRow>,
    next: Option<String>,
}

pub(crate) async fn domains(
    State(state): State<UiState>,
    parts: Parts,
    Query(p): Query<Paging>,
) -> Result<Response, UiError> {
    let s = state.session(&parts).await?;
    let caller = state
        .allowed(&s, "codeartifact:ListDomains", Target::Any)
        .await?;
    let page = state
        .service
        .list_domains(&caller, Some(PAGE), p.next.as_deref())
        .await?;
    let domains = page
        .items
        .into_iter()
        .filter(|d| s.sees_domain(&d.owner, &d.name))
        .map(|d| DomainRow {
            href: format!("/ui/d/{}/{}/", enc(&d.owner), enc(&d.name)),
            repositories: d.repository_count.unwrap_or(0).to_string(),
            size: size(d.asset_size_bytes.unwrap_or(0)),
            created: when(d.created_ms),
            name: d.name,
            owner: d.owner,
        })
        .collect();
    let next = page
        .next_token
        .map(|t| format!("/ui/?{}", query(&[("next", &t)])));
    Ok(html(
        DomainsPage {
            nav: Nav::new(&s, vec![]),
            domains,
            next,
        }
        .render(),
    ))
}

// ---- a domain's repositories ------------------------------------------------------------------

struct RepoRow {
    name: String,
    href: String,
    description: String,
    upstreams: String,
    external: String,
}

#[derive(Template)]
#[template(path = "domain.html")]
struct DomainPage {
    nav: Nav,
    domain: String,
    owner: String,
    repositories: Vec<RepoRow>,
    next: Option<String>,
}

pub(crate) async fn domain(
    State(state): State<UiState>,
    parts: Parts,
    Path((owner, domain)): Path<(String, String)>,
    Query(p): Query<Paging>,
) -> Result<Response, UiError> {
    let s = state.session(&parts).await?;
    let d = domain_ref(&s, &owner, &domain)?;
    let caller = state
        .allowed(
            &s,
            "codeartifact:ListRepositoriesInDomain",
            Target::Domain(d.clone()),
        )
        .await?;
    let listing = RepositoryListing {
        max_results: Some(PAGE),
        next_token: p.next,
        ..Default::default()
    };
    let page = state
        .service
        .list_repositories(&caller, Some(&d), listing)
        .await?;
    let base = format!("/ui/d/{}/{}/", enc(&owner), enc(&domain));
    let repositories = page
        .items
        .into_iter()
        .map(|r| RepoRow {
            href: format!("{base}{}/", enc(&r.name)),
            description: r.description.unwrap_or_default(),
            upstreams: r.upstreams.join(", "),
            external: r
                .external_connection
                .map(|(name, _)| name)
                .unwrap_or_default(),
            name: r.name,
        })
        .collect();
    let next = page
        .next_token
        .map(|t| format!("{base}?{}", query(&[("next", &t)])));
    Ok(html(
        DomainPage {
            nav: Nav::new(&s, vec![(base.clone(), domain.clone())]),
            domain,
            owner,
            repositories,
            next,
        }
        .render(),
    ))
}

// ---- a repository: its upstream graph and its packages ---------------------------------------

/// One line of the upstream graph: a repository (or its external connection) at a depth.
struct GraphRow {
    depth: usize,
    label: String,
    href: Option<String>,
    external: bool,
}

struct PackageRow {
    format: &'static str,
    namespace: String,
    name: String,
    href: String,
    publish: &'static str,
    upstream: &'static str,
}

#[derive(Deserialize, Default)]
pub(crate) struct PackageFilter {
    #[serde(default)]
    format: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    publish: String,
    #[serde(default)]
    upstream: String,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "repository.html")]
struct RepositoryPage {
    nav: Nav,
    name: String,
    domain: String,
    description: String,
    arn: String,
    created: String,
    graph: Vec<GraphRow>,
    formats: Vec<&'static str>,
    filter: PackageFilter,
    packages: Vec<PackageRow>,
    next: Option<String>,
}

/// Upstreams are followed this deep (the API allows chains; the page shows the near part).
const GRAPH_DEPTH: usize = 4;

impl UiState {
    /// The repository and, below it, its upstreams (each once, in the order the repository
    /// searches them) and external connections. An upstream the caller may not describe is shown
    /// by name only.
    async fn graph(&self, s: &Session, at: &RepoPath) -> Result<Vec<GraphRow>, UiError> {
        let mut rows = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![(0usize, at.repo.clone())];
        while let Some((depth, name)) = stack.pop() {
            let path = RepoPath {
                owner: at.owner.clone(),
                domain: at.domain.clone(),
                repo: name.clone(),
            };
            let first = seen.insert(name.clone());
            let described = if first && depth <= GRAPH_DEPTH {
                let target = Target::Repository(path.repo_ref());
                let caller = optional(
                    self.allowed(s, "codeartifact:DescribeRepository", target)
                        .await,
                )?;
                match caller {
                    Some(c) => optional(
                        self.service
                            .describe_repository(&c, &path.repo_ref())
                            .await
                            .map_err(UiError::from),
                    )?,
                    None => None,
                }
            } else {
                None
            };
            rows.push(GraphRow {
                depth,
                label: if first {
                    name
                } else {
                    format!("{name} (again)")
                },
                href: Some(path.href()),
                external: false,
            });
            if let Some(r) = described {
                if let Some((conn, _)) = r.external_connection {
                    rows.push(GraphRow {
                        depth: depth + 1,
                        label: conn,
                        href: None,
                        external: true,
                    });
                }
                // Pushed in reverse so they pop in search order.
                for u in r.upstreams.into_iter().rev() {
                    stack.push((depth + 1, u));
                }
            }
        }
        Ok(rows)
    }
}

pub(crate) async fn repository(
    InRepo { state, s, at }: InRepo,
    Query(filter): Query<PackageFilter>,
) -> Result<Response, UiError> {
    let target = || Target::Repository(at.repo_ref());
    let caller = state
        .allowed(&s, "codeartifact:DescribeRepository", target())
        .await?;
    let desc = state
        .service
        .describe_repository(&caller, &at.repo_ref())
        .await?;
    let caller = state
        .allowed(&s, "codeartifact:ListPackages", target())
        .await?;
    let format = match filter.format.as_str() {
        "" => None,
        f => Some(
            PackageFormat::parse(f)
                .ok_or_else(|| UiError::BadRequest(format!("Unknown format '{f}'.")))?,
        ),
    };
    let rule = |v: &str| match v {
        "" => Ok(None),
        v => arca_service::OriginRule::parse(v)
            .map(Some)
            .ok_or_else(|| UiError::BadRequest(format!("Unknown origin rule '{v}'."))),
    };
    let listing = PackageListing {
        format,
        namespace: Some(filter.namespace.clone()).filter(|n| !n.is_empty()),
        package_prefix: Some(filter.prefix.clone()).filter(|n| !n.is_empty()),
        publish: rule(&filter.publish)?,
        upstream: rule(&filter.upstream)?,
        max_results: Some(PAGE),
        next_token: filter.next.clone(),
    };
    let page = state
        .service
        .list_packages(&caller, &at.repo_ref(), listing)
        .await?;
    let packages = page
        .items
        .into_iter()
        .map(|p| {
            let ns = p.namespace.unwrap_or_default();
            PackageRow {
                format: p.format.as_str(),
                href: at.package_href(p.format, &ns, &p.name),
                namespace: ns,
                name: p.name,
                publish: p.publish.as_str(),
                upstream: p.upstream.as_str(),
            }
        })
        .collect();
    let next = page.next_token.map(|t| {
        let q = query(&[
            ("format", &filter.format),
            ("namespace", &filter.namespace),
            ("prefix", &filter.prefix),
            ("publish", &filter.publish),
            ("upstream", &filter.upstream),
            ("next", &t),
        ]);
        format!("{}?{q}", at.href())
    });
    let graph = state.graph(&s, &at).await?;
    Ok(html(
        RepositoryPage {
            nav: Nav::new(&s, at.crumbs()),
            name: desc.name,
            domain: desc.domain_name,
            description: desc.description.unwrap_or_default(),
            arn: desc.arn,
            created: when(desc.created_ms),
            graph,
            formats: PackageFormat::ALL.iter().map(|f| f.as_str()).collect(),
            filter,
            packages,
            next,
        }
        .render(),
    ))
}

// ---- a package ----------------------------------------------------------------------------------

#[derive(Deserialize)]
pub(crate) struct PackageQuery {
    f: String,
    #[serde(default)]
    ns: String,
    n: String,
    v: Option<String>,
    a: Option<String>,
    next: Option<String>,
}

impl PackageQuery {
    fn package_ref(&self, at: &RepoPath) -> Result<PackageRef, UiError> {
        let format = PackageFormat::parse(&self.f)
            .ok_or_else(|| UiError::BadRequest(format!("Unknown format '{}'.", self.f)))?;
        Ok(PackageRef {
            repo: at.repo_ref(),
            format,
            namespace: Some(self.ns.clone()).filter(|n| !n.is_empty()),
            package: self.n.clone(),
        })
    }

    fn version_ref(&self, at: &RepoPath) -> Result<VersionRef, UiError> {
        Ok(VersionRef {
            package: self.package_ref(at)?,
            version: self
                .v
                .clone()
                .ok_or_else(|| UiError::BadRequest("No version named.".into()))?,
        })
    }
}

struct VersionRow {
    version: String,
    href: String,
    status: &'static str,
    origin: String,
    published: String,
}

struct DependencyRow {
    name: String,
    requirement: String,
    kind: String,
}

#[derive(Template)]
#[template(path = "package.html")]
struct PackagePage {
    nav: Nav,
    format: &'static str,
    namespace: String,
    name: String,
    publish: &'static str,
    upstream: &'static str,
    versions: Vec<VersionRow>,
    next: Option<String>,
    shown_version: Option<String>,
    readme: Option<String>,
    dependencies: Vec<DependencyRow>,
    install: Vec<(&'static str, String)>,
}

fn origin_text(o: &arca_service::VersionSummary) -> String {
    let via = o
        .origin
        .external_connection
        .as_deref()
        .or(o.origin.repository.as_deref());
    match via {
        Some(v) => format!("{} via {v}", o.origin.origin_type.as_str()),
        None => o.origin.origin_type.as_str().to_string(),
    }
}

pub(crate) async fn package(
    InRepo { state, s, at }: InRepo,
    Query(q): Query<PackageQuery>,
) -> Result<Response, UiError> {
    let p = q.package_ref(&at)?;
    let caller = state
        .allowed(
            &s,
            "codeartifact:DescribePackage",
            Target::Package(p.clone()),
        )
        .await?;
    let desc = state.service.describe_package(&caller, &p).await?;
    let caller = state
        .allowed(
            &s,
            "codeartifact:ListPackageVersions",
            Target::Package(p.clone()),
        )
        .await?;
    let listing = VersionListing {
        sort_by_published_time: true,
        max_results: Some(PAGE),
        next_token: q.next.clone(),
        ..Default::default()
    };
    let list = state
        .service
        .list_package_versions(&caller, &p, listing)
        .await?;
    let ns = desc.namespace.clone().unwrap_or_default();
    let versions: Vec<VersionRow> = list
        .versions
        .iter()
        .map(|v| VersionRow {
            href: at.version_href(desc.format, &ns, &desc.name, &v.version),
            status: v.status.as_str(),
            origin: origin_text(v),
            published: when(v.published_ms),
            version: v.version.clone(),
        })
        .collect();
    let next = list.next_token.as_ref().map(|t| {
        format!(
            "{}&{}",
            at.package_href(desc.format, &ns, &desc.name),
            query(&[("next", t)])
        )
    });
    let shown = list
        .default_display_version
        .clone()
        .or_else(|| list.versions.first().map(|v| v.version.clone()));
    let mut page = PackagePage {
        nav: Nav::new(&s, at.crumbs()),
        format: desc.format.as_str(),
        namespace: ns,
        name: desc.name.clone(),
        publish: desc.publish.as_str(),
        upstream: desc.upstream.as_str(),
        versions,
        next,
        shown_version: shown.clone(),
        readme: None,
        dependencies: Vec::new(),
        install: Vec::new(),
    };
    if let Some(v) = shown {
        let vref = VersionRef {
            package: p.clone(),
            version: v,
        };
        state.details(&s, &at, &vref, &mut page).await?;
    }
    Ok(html(page.render()))
}

impl UiState {
    /// The shown version's readme, dependencies and install snippets, each when the caller may
    /// read it.
    async fn details(
        &self,
        s: &Session,
        at: &RepoPath,
        v: &VersionRef,
        page: &mut PackagePage,
    ) -> Result<(), UiError> {
        let target = || Target::Package(v.package.clone());
        if let Some(c) = optional(
            self.allowed(s, "codeartifact:GetPackageVersionReadme", target())
                .await,
        )? {
            let readme = optional(
                self.service
                    .get_package_version_readme(&c, v)
                    .await
                    .map_err(UiError::from),
            )?;
            page.readme = readme.and_then(|r| r.readme).map(|r| markdown::render(&r));
        }
        if let Some(c) = optional(
            self.allowed(s, "codeartifact:ListPackageVersionDependencies", target())
                .await,
        )? {
            if let Some(deps) = optional(
                self.service
                    .list_package_version_dependencies(&c, v, None)
                    .await
                    .map_err(UiError::from),
            )? {
                page.dependencies = deps
                    .dependencies
                    .into_iter()
                    .map(|d| DependencyRow {
                        name: if d.namespace.is_empty() {
                            d.package
                        } else {
                            format!("{}/{}", d.namespace, d.package)
                        },
                        requirement: d.version_requirement.unwrap_or_default(),
                        kind: d.dependency_type.unwrap_or_default(),
                    })
                    .collect();
            }
        }
        let repo_target = Target::Repository(at.repo_ref());
        if let Some(c) = optional(
            self.allowed(s, "codeartifact:GetRepositoryEndpoint", repo_target)
                .await,
        )? {
            let format = v.package.format;
            let endpoint = self
                .service
                .get_repository_endpoint(&c, &at.repo_ref(), format)
                .await?;
            page.install = snippets(&Coordinates {
                format,
                namespace: v.package.namespace.as_deref(),
                name: &v.package.package,
                version: &v.version,
                endpoint: &endpoint,
                domain: &at.domain,
                owner: &at.owner,
                repository: &at.repo,
            });
        }
        Ok(())
    }
}

// ---- a version and its assets --------------------------------------------------------------------

struct AssetRowView {
    name: String,
    size: String,
    md5: String,
    sha1: String,
    sha256: String,
    sha512: String,
    href: String,
}

#[derive(Template)]
#[template(path = "version.html")]
struct VersionPage {
    nav: Nav,
    format: &'static str,
    namespace: String,
    name: String,
    version: String,
    summary: String,
    status: &'static str,
    origin: String,
    published: String,
    revision: String,
    licenses: Vec<String>,
    home_page: String,
    assets: Vec<AssetRowView>,
    next: Option<String>,
}

pub(crate) async fn version(
    InRepo { state, s, at }: InRepo,
    Query(q): Query<PackageQuery>,
) -> Result<Response, UiError> {
    let v = q.version_ref(&at)?;
    let target = || Target::Package(v.package.clone());
    let caller = state
        .allowed(&s, "codeartifact:DescribePackageVersion", target())
        .await?;
    let d = state.service.describe_package_version(&caller, &v).await?;
    let caller = state
        .allowed(&s, "codeartifact:ListPackageVersionAssets", target())
        .await?;
    let list = state
        .service
        .list_package_version_assets(&caller, &v, Some(PAGE), q.next.as_deref())
        .await?;
    let ns = d.namespace.clone().unwrap_or_default();
    let version_href = at.version_href(d.format, &ns, &d.package_name, &d.version);
    let assets = list
        .assets
        .into_iter()
        .map(|a| AssetRowView {
            href: format!(
                "{}asset?{}&{}",
                at.href(),
                at.package_query(d.format, &ns, &d.package_name),
                query(&[("v", &d.version), ("a", &a.name)])
            ),
            size: size(a.size),
            name: a.name,
            md5: a.md5,
            sha1: a.sha1,
            sha256: a.sha256,
            sha512: a.sha512,
        })
        .collect();
    let next = list
        .next_token
        .map(|t| format!("{version_href}&{}", query(&[("next", &t)])));
    let mut crumbs = at.crumbs();
    crumbs.push((
        at.package_href(d.format, &ns, &d.package_name),
        d.package_name.clone(),
    ));
    let origin = match (&d.origin.external_connection, &d.origin.repository) {
        (Some(v), _) | (None, Some(v)) => format!("{} via {v}", d.origin.origin_type.as_str()),
        (None, None) => d.origin.origin_type.as_str().to_string(),
    };
    Ok(html(
        VersionPage {
            nav: Nav::new(&s, crumbs),
            format: d.format.as_str(),
            namespace: ns,
            name: d.package_name,
            version: d.version,
            summary: d.summary.unwrap_or_default(),
            status: d.status.as_str(),
            origin,
            published: when(d.published_ms),
            revision: d.revision,
            licenses: d
                .licenses
                .into_iter()
                .filter_map(|l| l.name.or(l.url))
                .collect(),
            home_page: d
                .home_page
                .filter(|h| h.starts_with("https://") || h.starts_with("http://"))
                .unwrap_or_default(),
            assets,
            next,
        }
        .render(),
    ))
}

/// `attachment` with an ASCII fallback name and the exact name in `filename*` (RFC 6266).
fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        enc(name)
    )
}

/// An asset's bytes, streamed, read with the session's identity (GetPackageVersionAsset).
pub(crate) async fn asset(
    InRepo { state, s, at }: InRepo,
    Query(q): Query<PackageQuery>,
) -> Result<Response, UiError> {
    let v = q.version_ref(&at)?;
    let name =
        q.a.clone()
            .ok_or_else(|| UiError::BadRequest("No asset named.".into()))?;
    let caller = state
        .allowed(
            &s,
            "codeartifact:GetPackageVersionAsset",
            Target::Package(v.package.clone()),
        )
        .await?;
    let download = state
        .service
        .get_package_version_asset(&caller, &v, &name, None)
        .await?;
    let size = download.body.size;
    let body = Body::from_stream(download.body.stream.map_err(std::io::Error::other));
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_dispositions_are_encoded() {
        assert_eq!(query(&[("a", "x y&z"), ("b", "")]), "a=x%20y%26z");
        assert_eq!(
            content_disposition("a \"b\".tgz"),
            "attachment; filename=\"a__b_.tgz\"; filename*=UTF-8''a%20%22b%22.tgz"
        );
        assert_eq!(when(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(size(5), "5 B");
        assert_eq!(size(2048), "2.0 KiB (2048 bytes)");
    }
}
