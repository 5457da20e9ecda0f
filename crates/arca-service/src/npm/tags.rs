//! npm dist-tags and deprecations.
//!
//! Dist-tags are stored per package and point at a version string. What npm sees
//! ([`visible_tags`]) is only the tags whose version is Published: a tag of an
//! Unlisted, Archived or Disposed version is hidden (kept, so it shows again if the version is
//! published again), and deleting a version deletes its tags. `latest` is the stored one when it is
//! visible, else — as before tags were stored — the most recently published version; a publish
//! with another tag pins the current `latest` first, so it does not move.
//!
//! `npm deprecate` GETs the packument, sets `versions[v].deprecated` and PUTs the document back
//! (with its `_rev`, which must be current): each version the document lists gets the message it
//! carries (`""` or none clears it).

use std::collections::{BTreeMap, HashMap};

use arca_metadata::{StoreError, VersionRow, VersionStatus};

use super::{is_semver, NpmName};
use crate::native::NativeRepo;
use crate::versions::version_not_found;
use crate::{Caller, ResourceType, Service, ServiceError, ServiceResult};

/// Longest tag name.
const MAX_TAG_CHARS: usize = 128;
/// Longest deprecation message, in characters.
pub const MAX_DEPRECATION_CHARS: usize = 4096;

/// A tag is a letter then letters, digits, `.`, `_`, `-` (URL-safe as npm sends it), and must not
/// read as a SemVer version or range (`1.x`, `v2`, `x`), which npm would resolve as one.
pub(crate) fn check_tag(tag: &str) -> ServiceResult<()> {
    let invalid = |why: &str| ServiceError::validation(format!("Invalid dist-tag '{tag}': {why}."));
    if tag.is_empty() || tag.chars().count() > MAX_TAG_CHARS {
        return Err(invalid("it must have 1 to 128 characters"));
    }
    if !tag.starts_with(|c: char| c.is_ascii_alphabetic())
        || !tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(invalid(
            "it must start with a letter and use only letters, digits, '.', '_' and '-'",
        ));
    }
    let v_digit = tag
        .strip_prefix(['v', 'V'])
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    if matches!(tag, "x" | "X") || v_digit || is_semver(tag) {
        return Err(invalid("it must not be a version or a version range"));
    }
    Ok(())
}

/// The dist-tags npm sees, given the stored ones and the package's Published versions.
pub(super) fn visible_tags(
    stored: &[(String, String)],
    published: &[&VersionRow],
) -> BTreeMap<String, String> {
    let mut tags: BTreeMap<String, String> = stored
        .iter()
        .filter(|(_, v)| published.iter().any(|p| &p.version == v))
        .cloned()
        .collect();
    if !tags.contains_key("latest") {
        if let Some(newest) = published.iter().max_by_key(|v| v.published_ms) {
            tags.insert("latest".into(), newest.version.clone());
        }
    }
    tags
}

impl Service {
    /// Before a publish that does not tag `latest` (`npm publish --tag beta`): stores the `latest`
    /// npm sees now, so that the new version does not become `latest` as the most recently
    /// published one. Changes nothing visible, so it needs no transaction with the publish.
    pub(crate) async fn npm_pin_latest(
        &self,
        repo: &NativeRepo,
        name: &NpmName,
    ) -> ServiceResult<()> {
        let state = match self.npm_state(repo, name).await {
            Ok(state) => state,
            Err(ServiceError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        let published: Vec<&VersionRow> = state.published().collect();
        let tags = visible_tags(&state.tags, &published);
        match tags.get("latest") {
            Some(v) if !state.tags.iter().any(|(t, sv)| t == "latest" && sv == v) => {
                match self.store.set_dist_tag(state.package.id, "latest", v).await {
                    // Deleted meanwhile: nothing to pin.
                    Ok(()) | Err(StoreError::NotFound) => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
            _ => Ok(()),
        }
    }

    /// `npm dist-tag ls`.
    pub async fn npm_dist_tags(
        &self,
        repo: &NativeRepo,
        name: &str,
    ) -> ServiceResult<BTreeMap<String, String>> {
        let name = NpmName::parse(name)?;
        let package = self.npm_package(repo, &name).await?;
        let published = self.published_versions(package.id).await?;
        let stored = self.store.list_dist_tags(package.id).await?;
        Ok(visible_tags(&stored, &published.iter().collect::<Vec<_>>()))
    }

    /// `npm dist-tag add name@version tag`: the version must be Published. Answers the tags after.
    pub async fn npm_set_dist_tag(
        &self,
        _caller: &Caller,
        repo: &NativeRepo,
        name: &str,
        tag: &str,
        version: &str,
    ) -> ServiceResult<BTreeMap<String, String>> {
        let name = NpmName::parse(name)?;
        self.authorize_native_write(repo, &name.key(), "codeartifact:PutPackageMetadata")
            .await?;
        check_tag(tag)?;
        let package = self.npm_package(repo, &name).await?;
        let key = name.key();
        let v = self
            .store
            .get_version(package.id, version)
            .await?
            .ok_or_else(|| version_not_found(&key, version))?;
        if v.status != VersionStatus::Published {
            return Err(ServiceError::conflict(
                ResourceType::PackageVersion,
                version,
                format!(
                    "{name} {version} is {}; only Published versions can be tagged.",
                    v.status
                ),
            ));
        }
        match self.store.set_dist_tag(package.id, tag, version).await {
            Ok(()) => {}
            // Deleted meanwhile.
            Err(StoreError::NotFound) => return Err(version_not_found(&key, version)),
            Err(e) => return Err(e.into()),
        }
        self.npm_dist_tags(repo, &name.to_string()).await
    }

    /// `npm dist-tag rm name tag`. Removing `latest` makes it the most recently published version
    /// again. A tag that does not exist is a 404.
    pub async fn npm_delete_dist_tag(
        &self,
        _caller: &Caller,
        repo: &NativeRepo,
        name: &str,
        tag: &str,
    ) -> ServiceResult<BTreeMap<String, String>> {
        let name = NpmName::parse(name)?;
        self.authorize_native_write(repo, &name.key(), "codeartifact:PutPackageMetadata")
            .await?;
        let package = self.npm_package(repo, &name).await?;
        if !self.store.delete_dist_tag(package.id, tag).await? {
            return Err(ServiceError::not_found(
                ResourceType::Package,
                name.to_string(),
                format!("{name} has no dist-tag '{tag}'."),
            ));
        }
        self.npm_dist_tags(repo, &name.to_string()).await
    }

    /// `npm deprecate`: `messages` maps each version the document lists to its `deprecated` text
    /// (`None` or `""`: not deprecated); `rev` is the document's `_rev`, which must be current
    /// (`state.rs`), so a stale document never undoes a newer deprecation. Versions the package
    /// does not have are ignored. The package is read once and the changes are written in one
    /// batched store call, whatever the size of the document. Returns how many versions changed.
    pub async fn npm_deprecate(
        &self,
        _caller: &Caller,
        repo: &NativeRepo,
        name: &str,
        rev: Option<&str>,
        messages: &BTreeMap<String, Option<String>>,
    ) -> ServiceResult<usize> {
        let name = NpmName::parse(name)?;
        self.authorize_native_write(repo, &name.key(), "codeartifact:PutPackageMetadata")
            .await?;
        for (v, m) in messages {
            if m.as_deref()
                .is_some_and(|m| m.chars().count() > MAX_DEPRECATION_CHARS)
            {
                return Err(ServiceError::validation(format!(
                    "The deprecation message of {v} exceeds {MAX_DEPRECATION_CHARS} characters."
                )));
            }
        }
        let state = self.npm_state(repo, &name).await?;
        state.check_rev(&name, rev)?;
        let current: HashMap<&str, &str> = state
            .deprecations
            .iter()
            .map(|(v, m)| (v.as_str(), m.as_str()))
            .collect();
        let ids: HashMap<&str, i64> = state
            .versions
            .iter()
            .map(|v| (v.version.as_str(), v.id))
            .collect();
        let changes: Vec<(i64, Option<String>)> = messages
            .iter()
            .filter_map(|(version, message)| {
                let wanted = message.as_deref().filter(|m| !m.is_empty());
                if current.get(version.as_str()).copied() == wanted {
                    return None;
                }
                let id = ids.get(version.as_str())?;
                Some((*id, wanted.map(str::to_string)))
            })
            .collect();
        if changes.is_empty() {
            return Ok(0);
        }
        match self.store.set_deprecations(&changes).await {
            Ok(()) => Ok(changes.len()),
            Err(StoreError::NotFound) => Err(ServiceError::conflict(
                ResourceType::Package,
                name.to_string(),
                format!("A version of {name} was deleted meanwhile; run npm deprecate again."),
            )),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names() {
        for ok in ["latest", "beta", "next-2", "rc.1", "Legacy_v1", "v"] {
            assert!(check_tag(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "1.x", "1.0.0", "v1", "V2.0", "x", "X", "a/b", "a b", "-x", "ü", "%2f",
        ] {
            assert!(check_tag(bad).is_err(), "{bad}");
        }
        assert!(check_tag(&"a".repeat(129)).is_err());
    }
}
