//! `npm publish`: the document npm sends (one version, its manifest, dist-tags) and the tarball,
//! already staged and hashed. Checked before anything is committed: the names agree, the version
//! is SemVer, `dist.integrity`/`dist.shasum` match the bytes, and the tarball's own `package.json`
//! names the same package and version. Then one version with one asset, `package.tgz`, Published.

use std::collections::BTreeMap;
use std::sync::Arc;

use arca_metadata::{PackageDependency, VersionDetails, VersionMetadata, VersionStatus};
use base64::Engine;
use serde_json::{json, Value};

use super::manifest::read_publish_files;
use super::tags::check_tag;
use super::{is_semver, NpmName, NPM_ASSET};
use crate::details::{bounded_readme, check_dependency_count};
use crate::native::{NativeRepo, NativeVersion, OnExisting, StagedAsset};
use crate::{Service, ServiceError, ServiceResult};

/// What the native layer read from the publish document.
#[derive(Debug, Clone)]
pub struct NpmPublish {
    /// The package the URL names.
    pub url_name: String,
    /// The document's `name`, if any.
    pub name: Option<String>,
    /// `versions`: npm sends exactly one.
    pub versions: BTreeMap<String, Value>,
    pub dist_tags: BTreeMap<String, String>,
    /// The document's top-level `readme`, if any.
    pub readme: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NpmPublished {
    pub name: String,
    pub version: String,
    pub revision: String,
}

impl Service {
    pub async fn npm_publish(
        &self,
        repo: &NativeRepo,
        doc: NpmPublish,
        tarball: StagedAsset,
    ) -> ServiceResult<NpmPublished> {
        let name = NpmName::parse(&doc.url_name)?;
        if doc.name.as_deref().is_some_and(|n| n != doc.url_name) {
            return Err(ServiceError::validation(format!(
                "The document names package '{}' but was sent to '{}'.",
                doc.name.unwrap_or_default(),
                doc.url_name
            )));
        }
        let mut versions = doc.versions.into_iter();
        let (version, manifest) = match (versions.next(), versions.next()) {
            (Some(v), None) => v,
            _ => {
                return Err(ServiceError::validation(
                    "A publish must carry exactly one version in 'versions'.",
                ))
            }
        };
        check_manifest(&name, &version, &manifest)?;
        let dist_tags = check_dist_tags(&version, &doc.dist_tags)?;
        check_integrity(&manifest, tarball.info())?;

        let (packed, packed_readme) = read_publish_files(tarball.blob.read().await?).await?;
        if packed.get("name").and_then(Value::as_str) != Some(&name.to_string())
            || packed.get("version").and_then(Value::as_str) != Some(&version)
        {
            return Err(ServiceError::validation(format!(
                "The tarball's package.json names {}@{}, not {name}@{version}.",
                packed.get("name").and_then(Value::as_str).unwrap_or("?"),
                packed.get("version").and_then(Value::as_str).unwrap_or("?"),
            )));
        }
        // What installs see is the tarball's package.json: its dependencies are the version's.
        let dependencies = dependencies(&packed);
        check_dependency_count(dependencies.len())?;
        let readme = doc
            .readme
            .as_deref()
            .or_else(|| manifest.get("readme").and_then(Value::as_str))
            .and_then(bounded_readme)
            .or(packed_readme);
        let deprecated = packed
            .get("deprecated")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        if !dist_tags.iter().any(|t| t == "latest") {
            self.npm_pin_latest(repo, &name).await?;
        }
        let sha256 = tarball.info().sha256.to_hex();
        let row = self
            .publish_as(
                repo,
                NativeVersion {
                    key: name.key(),
                    version: version.clone(),
                    metadata: metadata(&name, &manifest),
                    asset_name: NPM_ASSET.to_string(),
                    requires_python: None,
                    status: VersionStatus::Published,
                    on_existing: OnExisting::Conflict,
                    details: VersionDetails {
                        dependencies,
                        readme,
                        deprecated,
                    },
                    dist_tags,
                    origin: None,
                },
                tarball,
            )
            .await?;
        self.npm_manifests
            .put(repo.repo.domain_id, &sha256, Arc::new(packed));
        Ok(NpmPublished {
            name: name.to_string(),
            version,
            revision: row.revision,
        })
    }
}

fn check_manifest(name: &NpmName, version: &str, manifest: &Value) -> ServiceResult<()> {
    if !is_semver(version) {
        return Err(ServiceError::validation(format!(
            "Invalid version '{version}': npm versions are SemVer 2.0 (e.g. 1.2.3)."
        )));
    }
    let says = |field: &str| manifest.get(field).and_then(Value::as_str);
    if says("name") != Some(&name.to_string()) || says("version") != Some(version) {
        return Err(ServiceError::validation(format!(
            "versions['{version}'] must have name '{name}' and version '{version}'."
        )));
    }
    Ok(())
}

/// The tags a publish points at its version (`npm publish --tag beta` sends `{"beta": v}`, a
/// plain publish `{"latest": v}`): every one must name the published version and be a valid tag.
fn check_dist_tags(version: &str, tags: &BTreeMap<String, String>) -> ServiceResult<Vec<String>> {
    for (tag, v) in tags {
        check_tag(tag)?;
        if v != version {
            return Err(ServiceError::validation(format!(
                "dist-tag '{tag}' names version {v}, but this publish is of {version}."
            )));
        }
    }
    Ok(tags.keys().cloned().collect())
}

/// The package.json dependency maps, as the API's `dependencyType`s.
const DEPENDENCY_TYPES: [(&str, &str); 4] = [
    ("dependencies", "regular"),
    ("devDependencies", "dev"),
    ("peerDependencies", "peer"),
    ("optionalDependencies", "optional"),
];

/// Every declared dependency, map by map (by name within a map); a scoped name's scope becomes
/// the namespace. Entries that are not `name: "range"` are skipped.
pub(super) fn dependencies(packed: &Value) -> Vec<PackageDependency> {
    let mut out = Vec::new();
    for (field, kind) in DEPENDENCY_TYPES {
        let Some(Value::Object(map)) = packed.get(field) else {
            continue;
        };
        for (dep, range) in map {
            let Some(range) = range.as_str() else {
                continue;
            };
            let (namespace, package) = match dep.strip_prefix('@').and_then(|d| d.split_once('/')) {
                Some((scope, name)) => (scope.to_string(), name.to_string()),
                None => (String::new(), dep.clone()),
            };
            if package.is_empty() {
                continue;
            }
            out.push(PackageDependency {
                namespace,
                package,
                dependency_type: Some(kind.to_string()),
                version_requirement: Some(range.to_string()),
            });
        }
    }
    out
}

/// `dist.integrity` (SRI, any number of space-separated `alg-base64` entries; sha512 and sha1 are
/// checked) and `dist.shasum` (SHA-1 hex). At least one must be present and every one must match.
fn check_integrity(manifest: &Value, info: &arca_blobstore::BlobInfo) -> ServiceResult<()> {
    let dist = manifest.get("dist");
    let integrity = dist
        .and_then(|d| d.get("integrity"))
        .and_then(Value::as_str);
    let shasum = dist.and_then(|d| d.get("shasum")).and_then(Value::as_str);
    let b64 = |hex_digest: &str| {
        hex::decode(hex_digest)
            .map(|raw| base64::engine::general_purpose::STANDARD.encode(raw))
            .unwrap_or_default()
    };
    let mut checked = 0;
    let mismatch = |what: &str| {
        ServiceError::validation(format!(
            "The tarball does not match its {what}: it was corrupted or changed in transit. Nothing was stored."
        ))
    };
    for entry in integrity.unwrap_or("").split_whitespace() {
        let (alg, digest) = entry.split_once('-').unwrap_or((entry, ""));
        // Options after '?' are allowed by SRI and carry nothing to check.
        let digest = digest.split('?').next().unwrap_or("");
        let actual = match alg {
            "sha512" => b64(&info.sha512),
            "sha1" => b64(&info.sha1),
            _ => continue,
        };
        if digest != actual {
            return Err(mismatch("dist.integrity"));
        }
        checked += 1;
    }
    if let Some(s) = shasum {
        if !s.eq_ignore_ascii_case(&info.sha1) {
            return Err(mismatch("dist.shasum"));
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(ServiceError::validation(
            "The version has no dist.integrity (sha512 or sha1) or dist.shasum to check the tarball against.",
        ));
    }
    Ok(())
}

/// DescribePackageVersion's metadata from the manifest npm sent (built from package.json).
pub(super) fn metadata(name: &NpmName, m: &Value) -> VersionMetadata {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let repository = match m.get("repository") {
        Some(Value::Object(r)) => text(r.get("url")),
        other => text(other),
    };
    VersionMetadata {
        display_name: Some(name.to_string()),
        summary: text(m.get("description")),
        home_page: text(m.get("homepage")),
        source_code_repository: repository,
        licenses_json: licenses(m).map(|l| Value::Array(l).to_string()),
    }
}

/// `license: "MIT"`, `license: {type, url}` or the legacy `licenses: [{type, url}]`.
fn licenses(m: &Value) -> Option<Vec<Value>> {
    let one = |v: &Value| match v {
        Value::String(s) if !s.trim().is_empty() => Some(json!({"name": s.trim()})),
        Value::Object(o) => {
            let name = o.get("type").and_then(Value::as_str);
            let url = o.get("url").and_then(Value::as_str);
            (name.is_some() || url.is_some()).then(|| {
                let mut l = serde_json::Map::new();
                if let Some(n) = name {
                    l.insert("name".into(), n.into());
                }
                if let Some(u) = url {
                    l.insert("url".into(), u.into());
                }
                Value::Object(l)
            })
        }
        _ => None,
    };
    let list: Vec<Value> = match (m.get("license"), m.get("licenses")) {
        (Some(l), _) => one(l).into_iter().collect(),
        (None, Some(Value::Array(ls))) => ls.iter().filter_map(one).collect(),
        _ => Vec::new(),
    };
    (!list.is_empty()).then_some(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(data: &[u8]) -> arca_blobstore::BlobInfo {
        arca_blobstore::MultiHasher::digest(data)
    }

    fn sri(data: &[u8]) -> String {
        use sha2::Digest;
        let d = sha2::Sha512::digest(data);
        format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(d)
        )
    }

    #[test]
    fn integrity_is_checked_against_the_bytes() {
        let i = info(b"tarball");
        let ok = json!({"dist": {"integrity": sri(b"tarball"), "shasum": i.sha1}});
        assert!(check_integrity(&ok, &i).is_ok());
        let only_sri = json!({"dist": {"integrity": format!("sha256-xyz {}", sri(b"tarball"))}});
        assert!(check_integrity(&only_sri, &i).is_ok());
        let bad = json!({"dist": {"integrity": sri(b"other"), "shasum": i.sha1}});
        assert!(check_integrity(&bad, &i).is_err());
        let bad_sha1 = json!({"dist": {"shasum": info(b"other").sha1}});
        assert!(check_integrity(&bad_sha1, &i).is_err());
        assert!(check_integrity(&json!({"dist": {}}), &i).is_err());
    }

    #[test]
    fn metadata_from_package_json() {
        let n = NpmName::parse("@acme/kit").unwrap();
        let m = metadata(
            &n,
            &json!({
                "description": "A kit", "homepage": "https://acme.test",
                "repository": {"type": "git", "url": "git+https://git.acme.test/kit.git"},
                "license": "MIT"
            }),
        );
        assert_eq!(m.display_name.as_deref(), Some("@acme/kit"));
        assert_eq!(m.summary.as_deref(), Some("A kit"));
        assert_eq!(m.home_page.as_deref(), Some("https://acme.test"));
        assert_eq!(
            m.source_code_repository.as_deref(),
            Some("git+https://git.acme.test/kit.git")
        );
        assert_eq!(m.licenses_json.as_deref(), Some(r#"[{"name":"MIT"}]"#));
        let legacy = metadata(
            &n,
            &json!({"repository": "github:acme/kit", "licenses": [{"type": "BSD", "url": "u"}]}),
        );
        assert_eq!(
            legacy.source_code_repository.as_deref(),
            Some("github:acme/kit")
        );
        assert_eq!(
            legacy.licenses_json.as_deref(),
            Some(r#"[{"name":"BSD","url":"u"}]"#)
        );
        assert_eq!(metadata(&n, &json!({})).licenses_json, None);
    }

    #[test]
    fn dist_tags() {
        let tags = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(
            check_dist_tags("1.0.0", &tags(&[("latest", "1.0.0")])).unwrap(),
            vec!["latest".to_string()]
        );
        assert!(check_dist_tags("1.0.0", &tags(&[])).unwrap().is_empty());
        assert_eq!(
            check_dist_tags("1.0.0", &tags(&[("beta", "1.0.0"), ("next", "1.0.0")])).unwrap(),
            vec!["beta".to_string(), "next".to_string()]
        );
        assert!(check_dist_tags("1.0.0", &tags(&[("beta", "2.0.0")])).is_err());
        assert!(check_dist_tags("1.0.0", &tags(&[("1.x", "1.0.0")])).is_err());
    }

    #[test]
    fn dependencies_from_package_json() {
        let deps = dependencies(&json!({
            "dependencies": {"@acme/widget": "^2.0.0", "left-pad": "1.x", "odd": 3},
            "devDependencies": {"jest": "29"},
            "peerDependencies": {"react": ">=18"},
            "optionalDependencies": {"fsevents": "*"}
        }));
        let got: Vec<(&str, &str, &str, &str)> = deps
            .iter()
            .map(|d| {
                (
                    d.namespace.as_str(),
                    d.package.as_str(),
                    d.dependency_type.as_deref().unwrap(),
                    d.version_requirement.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("acme", "widget", "regular", "^2.0.0"),
                ("", "left-pad", "regular", "1.x"),
                ("", "jest", "dev", "29"),
                ("", "react", "peer", ">=18"),
                ("", "fsevents", "optional", "*"),
            ]
        );
    }
}
