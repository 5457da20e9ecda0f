//! What `gem` and Bundler read, rendered from the stored gems' specifications (cached by digest):
//! the compact index (`names`, `versions`, `info/NAME`), the dependency API, the full index
//! (`specs.4.8.gz` and its `latest_`/`prerelease_` variants), `quick/Marshal.4.8` specifications
//! and `gems/` downloads; and `gem yank` (module doc).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arca_metadata::{
    AssetRow, GroupRestriction, PackageFilter, PackageFormat, PackageRow, RepositoryRow,
    VersionRow, VersionStatus,
};
use base64::Engine;
use sha2::Digest;

use super::compact::{etag, listed_files, versions_text, IndexedVersion};
use super::gemspec::{read_gem, GemSpec};
use super::index::{
    compare_versions, info_line, is_prerelease, platform_of_asset, quick_spec, specs_file,
    specs_tuple, split_full_name, RUBY,
};
use super::index::{parse_info_line, RubyDependency};
use super::key;
use crate::groups::{refusal, Via};
use crate::native::{read_blocking, NativeRepo};
use crate::upstream::retain::downloadable;
use crate::upstream::SourceIndex;
use crate::{FileDownload, ResourceType, Service, ServiceError, ServiceResult};

/// A compact index file with its validators.
#[derive(Debug, Clone)]
pub struct RubyIndexFile {
    pub body: Vec<u8>,
    /// Quoted MD5 of the body, for `ETag`, `If-None-Match` and Bundler's checks.
    pub etag: String,
    /// Base64 SHA-256 of the body, for `Repr-Digest` and `Digest`.
    pub sha256: String,
}

impl RubyIndexFile {
    fn new(body: String) -> Self {
        let body = body.into_bytes();
        Self {
            etag: etag(&body),
            sha256: base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&body)),
            body,
        }
    }
}

/// Which full index file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecsKind {
    /// `specs.4.8`: every release version.
    All,
    /// `latest_specs.4.8`: the highest release version of each gem and platform.
    Latest,
    /// `prerelease_specs.4.8`: every prerelease version.
    Prerelease,
}

/// One stored gem file of a version.
struct GemFile {
    platform: String,
    asset: AssetRow,
    spec: Arc<GemSpec>,
}

/// A version in an index (Published, or Unlisted: yanked) with its readable gem files.
struct Release {
    row: VersionRow,
    files: Vec<GemFile>,
}

/// Gems listed per store call.
const PAGE: u32 = 1000;

fn gem_not_found(name: &str, repo: &NativeRepo) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Package,
        name,
        format!("gem '{name}' not found in repository {}.", repo.name()),
    )
}

fn file_not_found(file: &str, repo: &NativeRepo) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Asset,
        file,
        format!("'{file}' not found in repository {}.", repo.name()),
    )
}

impl Service {
    /// The specification of a stored gem (cached by digest); `None` if it cannot be read.
    async fn ruby_spec(
        &self,
        domain_id: i64,
        asset: &AssetRow,
    ) -> ServiceResult<Option<Arc<GemSpec>>> {
        if let Some(s) = self.ruby_specs.get(domain_id, &asset.sha256) {
            return Ok(s);
        }
        let read = self.open_blob(domain_id, asset).await?;
        let spec = read_blocking(read, "a .gem", |r| read_gem(r).ok().map(Arc::new)).await?;
        self.ruby_specs.put(domain_id, &asset.sha256, spec.clone());
        Ok(spec)
    }

    /// The gem files of version `v`, `ruby` first, then by platform.
    async fn ruby_files(
        &self,
        repo: &NativeRepo,
        name: &str,
        v: &VersionRow,
    ) -> ServiceResult<Vec<GemFile>> {
        let mut files = Vec::new();
        for asset in self.store.version_assets(v.id).await? {
            let Some(platform) = platform_of_asset(&asset.name, name, &v.version) else {
                continue;
            };
            let Some(spec) = self.ruby_spec(repo.repo.domain_id, &asset).await? else {
                tracing::warn!(
                    package.name = name,
                    version = v.version,
                    asset = asset.name,
                    "stored gem has no readable specification; left out of the index"
                );
                continue;
            };
            files.push(GemFile {
                platform,
                asset,
                spec,
            });
        }
        files.sort_by(|a, b| {
            (a.platform != RUBY, &a.platform).cmp(&(b.platform != RUBY, &b.platform))
        });
        Ok(files)
    }

    /// The listed versions of a gem in publish order, each with its files.
    async fn ruby_releases(
        &self,
        repo: &NativeRepo,
        package: &PackageRow,
    ) -> ServiceResult<Vec<Release>> {
        let mut versions: Vec<VersionRow> = self
            .versions_with_status(package.id, None)
            .await?
            .into_iter()
            .filter(|v| downloadable(v.status))
            .collect();
        versions.sort_by_key(|v| (v.published_ms, v.id));
        let mut out = Vec::new();
        for row in versions {
            let files = self.ruby_files(repo, &package.key.name, &row).await?;
            out.push(Release { row, files });
        }
        Ok(out)
    }

    /// Every gem of the repository, by name.
    async fn ruby_packages(&self, repo: &RepositoryRow) -> ServiceResult<Vec<PackageRow>> {
        let mut filter = PackageFilter {
            format: Some(PackageFormat::Ruby),
            ..PackageFilter::default()
        };
        let mut out = Vec::new();
        loop {
            let page = self.store.list_packages(repo.id, &filter, PAGE).await?;
            let done = page.len() < PAGE as usize;
            filter.after = page.last().map(|p| p.key.clone());
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }

    async fn ruby_package(&self, repo: &NativeRepo, name: &str) -> ServiceResult<PackageRow> {
        self.store
            .get_package(repo.repo.id, &key(name))
            .await?
            .ok_or_else(|| gem_not_found(name, repo))
    }

    /// The compact index view of a gem's releases.
    fn indexed(releases: &[Release]) -> Vec<IndexedVersion> {
        releases
            .iter()
            .map(|r| {
                let files = r
                    .files
                    .iter()
                    .map(|f| (f.platform.clone(), info_line(&f.spec, &f.asset.sha256)))
                    .collect();
                IndexedVersion {
                    order: (r.row.published_ms, r.row.id),
                    version: r.row.version.clone(),
                    yanked: r.row.status == VersionStatus::Unlisted,
                    files,
                }
            })
            .collect()
    }

    /// `GET info/NAME`: the union over the repository's search order, each version from the
    /// first repository (or source) that has it (yanked there: left out); a source's lines byte
    /// for byte, unless the package's `upstream` origin control is BLOCK here. 404 when no one has
    /// a version of the gem.
    pub async fn ruby_info(&self, repo: &NativeRepo, name: &str) -> ServiceResult<RubyIndexFile> {
        let key = key(name);
        let order = self.search_order(&repo.repo).await?;
        // (version, its info lines; none when yanked where it was found).
        let mut versions: Vec<(String, Vec<String>)> = Vec::new();
        let mut unavailable = None;
        for (i, hop) in order.iter().enumerate() {
            if i == 1
                && !self
                    .upstream_allowed(&repo.repo, &key, Via::Upstream)
                    .await?
            {
                break;
            }
            if let Some(package) = self.store.get_package(hop.id, &key).await? {
                for v in Self::indexed(&self.ruby_releases(repo, &package).await?) {
                    if !versions.iter().any(|(seen, _)| *seen == v.version) {
                        let lines = match v.yanked {
                            true => Vec::new(),
                            false => v.files.into_iter().map(|(_, l)| l).collect(),
                        };
                        versions.push((v.version, lines));
                    }
                }
            }
            let Some((connection, source)) =
                self.open_source(hop, PackageFormat::Ruby, &key).await?
            else {
                continue;
            };
            if source.min_release_age.is_some() {
                // The compact index dates nothing: a minimum age keeps the source out.
                continue;
            }
            let cache = &self.upstream_caches.ruby;
            let index = match self.source_index(cache, &connection, source, &key).await {
                SourceIndex::Fresh(index) | SourceIndex::Stale(index, _) => index,
                SourceIndex::Missing => continue,
                SourceIndex::Unavailable(why) => {
                    unavailable = Some(why);
                    continue;
                }
            };
            let known: Vec<String> = versions.iter().map(|(v, _)| v.clone()).collect();
            for l in index
                .lines
                .iter()
                .filter(|l| !known.contains(&l.line.version))
            {
                match versions.iter_mut().find(|(v, _)| *v == l.line.version) {
                    Some((_, lines)) => lines.push(l.raw.clone()),
                    None => versions.push((l.line.version.clone(), vec![l.raw.clone()])),
                }
            }
        }
        let lines: Vec<String> = versions.into_iter().flat_map(|(_, l)| l).collect();
        if lines.is_empty() {
            return Err(match unavailable {
                Some(why) => ServiceError::Upstream(format!(
                    "gem '{name}' is not in repository {} and its upstream source is unavailable ({why}); try again later.",
                    repo.name()
                )),
                None => gem_not_found(name, repo),
            });
        }
        let mut body = String::from("---\n");
        for l in lines {
            body.push_str(&l);
            body.push('\n');
        }
        Ok(RubyIndexFile::new(body))
    }

    /// `GET names`: every gem with a listed version in the merged `versions` (the repository's
    /// own gems and, through upstreams, those of its upstream repositories and sources that their
    /// package groups let in), sorted.
    pub async fn ruby_names(&self, repo: &NativeRepo) -> ServiceResult<RubyIndexFile> {
        let versions = self.ruby_versions(repo).await?;
        let names: BTreeSet<String> = listed_files(&String::from_utf8_lossy(&versions.body))
            .into_iter()
            .map(|(name, ..)| name)
            .collect();
        let mut body = String::from("---\n");
        for name in names {
            body.push_str(&name);
            body.push('\n');
        }
        Ok(RubyIndexFile::new(body))
    }

    /// `GET versions` (see `compact`): the repository's own gems, then, through upstreams, one line
    /// for each gem whose merged `info/NAME` has more (its versions from upstream repositories and
    /// sources, and the merged file's MD5), then the lines of each source's `versions` for the gems
    /// no repository of the search order holds, byte for byte.
    pub async fn ruby_versions(&self, repo: &NativeRepo) -> ServiceResult<RubyIndexFile> {
        let mut gems = Vec::new();
        for p in self.ruby_packages(&repo.repo).await? {
            let releases = self.ruby_releases(repo, &p).await?;
            gems.push((p.key.name.clone(), Self::indexed(&releases)));
        }
        let created = crate::native::iso8601(repo.repo.created_ms);
        let mut body = versions_text(&created, &gems);
        let order = self.search_order(&repo.repo).await?;
        let sources: Vec<_> = order
            .iter()
            .enumerate()
            .filter_map(|(i, hop)| {
                let (connection, source) = self.source_of(hop, PackageFormat::Ruby)?;
                // As in `info/NAME`: a minimum age keeps an undated source out.
                source
                    .min_release_age
                    .is_none()
                    .then_some((i, hop, connection, source))
            })
            .collect();
        if order.len() == 1 && sources.is_empty() {
            return Ok(RubyIndexFile::new(body));
        }
        let mut names: BTreeSet<String> = gems.iter().map(|(n, _)| n.clone()).collect();
        for hop in order.iter().skip(1) {
            names.extend(
                self.ruby_packages(hop)
                    .await?
                    .into_iter()
                    .map(|p| p.key.name),
            );
        }
        for name in &names {
            let own: Vec<String> = gems
                .iter()
                .filter(|(n, _)| n == name)
                .flat_map(|(_, vs)| vs.iter().filter(|v| !v.yanked))
                .flat_map(|v| v.files.iter().map(|(_, line)| line.clone()))
                .collect();
            let merged = match self.ruby_info(repo, name).await {
                Ok(info) => info,
                Err(ServiceError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let text = String::from_utf8_lossy(&merged.body).into_owned();
            let more: Vec<String> = text
                .lines()
                .skip(1)
                .filter(|l| !own.iter().any(|o| o == l))
                .filter_map(|l| l.split(' ').next().map(str::to_string))
                .collect();
            if !more.is_empty() {
                let digest = merged.etag.trim_matches('"');
                body.push_str(&format!("{name} {} {digest}\n", more.join(",")));
            }
        }
        // The source's gems that no repository holds: their package groups must let them in
        // (checked against one index for the whole listing; none of them has an origin
        // configuration, which belongs to a package some repository holds).
        let groups = self
            .group_index_of(
                repo.repo.domain_id,
                &repo.repo.domain_owner,
                &repo.repo.domain_name,
            )
            .await?;
        for (i, hop, connection, source) in sources {
            let cache = &self.upstream_caches.ruby_versions;
            let index = match self
                .source_index(cache, &connection, source, &key("versions"))
                .await
            {
                SourceIndex::Fresh(i) | SourceIndex::Stale(i, _) => i,
                SourceIndex::Missing | SourceIndex::Unavailable(_) => continue,
            };
            for (name, line) in &index.lines {
                if names.contains(name) {
                    continue;
                }
                let k = key(name);
                let refused = (i > 0
                    && refusal(&groups, &repo.repo, &k, GroupRestriction::InternalUpstream)
                        .is_some())
                    || refusal(&groups, hop, &k, GroupRestriction::ExternalUpstream).is_some();
                if !refused {
                    body.push_str(line);
                    body.push('\n');
                }
            }
            names.extend(index.lines.iter().map(|(n, _)| n.clone()));
        }
        Ok(RubyIndexFile::new(body))
    }

    /// `GET api/v1/dependencies?gems=…`: every file of the named gems that `info/NAME` lists (so
    /// through upstreams too); unknown names are left out, as the public registry does.
    pub async fn ruby_dependencies(
        &self,
        repo: &NativeRepo,
        names: &[String],
    ) -> ServiceResult<Vec<RubyDependency>> {
        let mut out = Vec::new();
        for name in names {
            let info = match self.ruby_info(repo, name).await {
                Ok(info) => info,
                Err(ServiceError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let text = String::from_utf8_lossy(&info.body);
            for line in text.lines().skip(1).filter_map(parse_info_line) {
                out.push(RubyDependency {
                    name: name.clone(),
                    number: line.version,
                    platform: line.platform,
                    dependencies: line.dependencies,
                });
            }
        }
        Ok(out)
    }

    /// `GET specs.4.8.gz`, `latest_specs.4.8.gz`, `prerelease_specs.4.8.gz`: gzipped Marshal of
    /// the files the merged `versions` lists (the repository's own gems and, through upstreams,
    /// those of its upstream repositories and sources), yanked ones left out, by gem and version.
    pub async fn ruby_specs(&self, repo: &NativeRepo, kind: SpecsKind) -> ServiceResult<Vec<u8>> {
        let versions = self.ruby_versions(repo).await?;
        let mut gems: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (name, version, platform) in listed_files(&String::from_utf8_lossy(&versions.body)) {
            if (kind == SpecsKind::Prerelease) == is_prerelease(&version) {
                gems.entry(name).or_default().push((version, platform));
            }
        }
        let mut tuples = Vec::new();
        for (name, mut entries) in gems {
            entries.sort_by(|a, b| compare_versions(&a.0, &b.0).then(a.1.cmp(&b.1)));
            if kind == SpecsKind::Latest {
                // The highest version of each platform.
                let mut latest: Vec<(String, String)> = Vec::new();
                for (v, platform) in entries.into_iter().rev() {
                    if !latest.iter().any(|(_, p)| *p == platform) {
                        latest.push((v, platform));
                    }
                }
                latest.reverse();
                entries = latest;
            }
            tuples.extend(
                entries
                    .iter()
                    .map(|(v, platform)| specs_tuple(&name, v, platform)),
            );
        }
        Ok(specs_file(tuples))
    }

    /// The listed version and gem file a `NAME-VERSION[-PLATFORM]` stem names.
    async fn ruby_file(
        &self,
        repo: &NativeRepo,
        stem: &str,
    ) -> ServiceResult<Option<(VersionRow, AssetRow, String)>> {
        for (name, version, platform) in split_full_name(stem) {
            let Some(package) = self.store.get_package(repo.repo.id, &key(&name)).await? else {
                continue;
            };
            let Some(v) = self.store.get_version(package.id, &version).await? else {
                continue;
            };
            let file = super::index::asset_name(&name, &version, &platform);
            if !downloadable(v.status) {
                continue;
            }
            let assets = self.store.version_assets(v.id).await?;
            if let Some(asset) = assets.into_iter().find(|a| a.name == file) {
                return Ok(Some((v, asset, name)));
            }
        }
        Ok(None)
    }

    /// `GET quick/Marshal.4.8/{stem}.gemspec.rz`, rendered from the gem (retained from the
    /// upstreams first when the repository does not have it).
    pub async fn ruby_quick_spec(&self, repo: &NativeRepo, stem: &str) -> ServiceResult<Vec<u8>> {
        use futures::TryStreamExt;
        let missing = || file_not_found(&format!("{stem}.gemspec.rz"), repo);
        let asset = match self.ruby_file(repo, stem).await? {
            Some((_, asset, _)) => asset,
            None => {
                // Retained as a download would; the bytes are kept, not sent anywhere.
                let d = self.ruby_download(repo, &format!("{stem}.gem")).await?;
                d.stream
                    .try_for_each(|_| std::future::ready(Ok(())))
                    .await
                    .map_err(|e| ServiceError::Upstream(format!("retaining {stem}.gem: {e}")))?;
                let (_, asset, _) = self.ruby_file(repo, stem).await?.ok_or_else(missing)?;
                asset
            }
        };
        let spec = self
            .ruby_spec(repo.repo.domain_id, &asset)
            .await?
            .ok_or_else(missing)?;
        Ok(quick_spec(&spec))
    }

    /// `GET gems/{file}`: a gem of a Published or Unlisted (yanked) version, retained from the
    /// upstreams first when the repository does not have it (a gem fetched from a source streams
    /// to the client as it is kept).
    pub async fn ruby_download(
        &self,
        repo: &NativeRepo,
        file: &str,
    ) -> ServiceResult<FileDownload> {
        let missing = || file_not_found(file, repo);
        let stem = file.strip_suffix(".gem").ok_or_else(missing)?;
        if let Some(d) = self.ruby_local_download(repo, stem).await? {
            return Ok(d);
        }
        // The likeliest reading of the name (a source's file is asked for by its full name).
        let (name, version, platform) = split_full_name(stem)
            .into_iter()
            .next()
            .ok_or_else(missing)?;
        let flight = format!("{}\nruby\n{file}", repo.repo.id);
        let local = || self.ruby_local_download(repo, stem);
        let (svc, requested, file_owned) = (self.clone(), repo.repo.clone(), file.to_string());
        self.fetch_through(flight, local, |tee| async move {
            let ingest = |read| svc.ruby_ingest(&name, &version, &platform, read);
            let cache = &svc.upstream_caches.ruby;
            let key = key(&name);
            svc.retain_from_upstreams(
                cache,
                &requested,
                &key,
                &version,
                &file_owned,
                &ingest,
                &tee,
            )
            .await
        })
        .await?
        .ok_or_else(missing)
    }

    async fn ruby_local_download(
        &self,
        repo: &NativeRepo,
        stem: &str,
    ) -> ServiceResult<Option<FileDownload>> {
        Ok(match self.ruby_file(repo, stem).await? {
            Some((v, asset, _)) => Some(self.download(repo.repo.domain_id, v, asset).await?.into()),
            None => None,
        })
    }

    /// `gem yank NAME -v VERSION [--platform P]`: the version becomes Unlisted (every platform);
    /// a platform it does not have is a 404.
    pub async fn ruby_yank(
        &self,
        repo: &NativeRepo,
        name: &str,
        version: &str,
        platform: Option<&str>,
    ) -> ServiceResult<()> {
        let package = self.ruby_package(repo, name).await?;
        if let Some(platform) = platform.filter(|p| !p.is_empty()) {
            let file = super::index::asset_name(name, version, platform);
            let v = self.store.get_version(package.id, version).await?;
            let found = match v {
                Some(v) => self
                    .store
                    .version_assets(v.id)
                    .await?
                    .iter()
                    .any(|a| a.name == file),
                None => false,
            };
            if !found {
                return Err(file_not_found(&file, repo));
            }
        }
        self.authorize_native_write(repo, &package.key, "codeartifact:PutPackageMetadata")
            .await?;
        self.set_unlisted(&package, version, true, |status| {
            format!(
                "gem {} {version} is {status}; only Published versions can be yanked.",
                package.key.name
            )
        })
        .await
    }
}
