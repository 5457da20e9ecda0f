//! The package-group half of origin controls (§A8.3): whether the group a package belongs to lets
//! a version enter a repository by publishing, from an external connection or from an upstream
//! repository. The package's own origin configuration (§A5) is checked beside it by the callers
//! (`upstream/controls.rs`, `upstream/retain.rs`, `copy.rs`); the more restrictive one wins.
//!
//! Every path funnels through [`Service::group_refusal`]: `check_publish_origin` (API publish and
//! every native publish), CopyPackageVersions, and `upstream_allowed` (retention and the merged
//! native indexes of every format), so a format added later is covered by calling those.

use arca_metadata::{GroupMode, GroupRestriction, PackageKey, RepositoryRow};

use super::index::{AssociationType, GroupIndex};
use crate::coords::display_name;
use crate::{Service, ServiceResult};

/// How a version would enter a repository, for [`Service::upstream_allowed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Fetched from the external connection of the repository it enters.
    ExternalConnection,
    /// Retained from an upstream repository of the domain.
    Upstream,
}

impl Via {
    pub(crate) fn restriction(self) -> GroupRestriction {
        match self {
            Self::ExternalConnection => GroupRestriction::ExternalUpstream,
            Self::Upstream => GroupRestriction::InternalUpstream,
        }
    }
}

fn action(restriction: GroupRestriction) -> &'static str {
    match restriction {
        GroupRestriction::Publish => "Publishing",
        GroupRestriction::ExternalUpstream => "Ingesting from an external connection",
        GroupRestriction::InternalUpstream => "Retaining from an upstream repository",
    }
}

impl Service {
    /// `None` when the package's group lets a version of `key` enter `repo` by `restriction`,
    /// else why not: the message names the group and the restriction.
    pub(crate) async fn group_refusal(
        &self,
        repo: &RepositoryRow,
        key: &PackageKey,
        restriction: GroupRestriction,
    ) -> ServiceResult<Option<String>> {
        let ix = self
            .group_index_of(repo.domain_id, &repo.domain_owner, &repo.domain_name)
            .await?;
        Ok(refusal(&ix, repo, key, restriction))
    }
}

/// [`Service::group_refusal`] against an index already in hand: for a caller that checks many
/// packages of one domain at once (a merged listing of a source's every package), which would
/// otherwise read the group revision once per package.
pub(crate) fn refusal(
    ix: &GroupIndex,
    repo: &RepositoryRow,
    key: &PackageKey,
    restriction: GroupRestriction,
) -> Option<String> {
    let (g, association) = ix.associate(key)?;
    let pattern = &ix.groups[g].row.pattern;
    let what = format!(
        "{} {} into repository {}",
        action(restriction),
        display_name(key),
        repo.name
    );
    if association == AssociationType::Weak {
        return Some(format!(
            "{what} is blocked by package group {pattern}: the package matches it only \
                 weakly (it differs from the pattern only by case or by '-', '.' or '_'), and a \
                 weak match blocks every origin ({} blocked).",
            restriction.as_str()
        ));
    }
    let e = ix.effective(g, restriction);
    let source = match e.from == g {
        true => String::new(),
        false => format!(", inherited from {}", ix.groups[e.from].row.pattern),
    };
    let t = restriction.as_str();
    match e.mode {
        GroupMode::Allow | GroupMode::Inherit => None,
        GroupMode::Block => Some(format!(
            "{what} is blocked by package group {pattern} ({t}: BLOCK{source})."
        )),
        GroupMode::AllowSpecificRepositories => {
            if ix.is_allowed(e.from, restriction, repo.id) {
                None
            } else {
                Some(format!(
                    "{what} is blocked by package group {pattern} ({t}: \
                         ALLOW_SPECIFIC_REPOSITORIES{source}), and repository {} is not in its \
                         allowed repositories for {t}.",
                    repo.name
                ))
            }
        }
    }
}
