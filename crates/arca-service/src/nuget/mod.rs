//! NuGet v3: package ids and versions (normalized as NuGet does), the push rule (a `.nupkg`
//! whose `.nuspec` is read bounded with `arca-archive`'s zip scanner), and the reads behind the
//! flat container (version list, `.nupkg`, `.nuspec`). The wire shapes (the service index, the
//! multipart push, JSON documents, NuGet's auth challenge) are the native API crate's; `version`
//! and `nuspec` are the pure format bits.
//!
//! Decisions (README, "NuGet"):
//! - A package is stored under its lowercased id (CodeArtifact normalizes NuGet names so); the id
//!   as first pushed is the display name.
//! - Versions are stored normalized (`1.01.0.0+build` → `1.1.0`, lowercased, as the flat container
//!   and CodeArtifact's API name them); versions differing only in build metadata are one version.
//! - One asset per version, `{lower_id}.{normalized_version}.nupkg`; the `.nuspec` is served from
//!   inside it.
//! - The flat container lists Published and Unlisted versions (NuGet's unlisted versions still
//!   restore); Archived, Disposed and Unfinished versions are not served.

mod nuspec;
mod publish;
mod read;
mod registration;
mod search;
pub(crate) mod upstream;
pub mod version;

use arca_metadata::{PackageFormat, PackageKey};

pub use nuspec::{Nuspec, NuspecDependency, NuspecGroup};
pub use publish::NugetPushed;
pub use read::NugetVersions;
pub use registration::{NugetLeaf, NugetRegistration};
pub use search::{NugetQuery, NugetSearchHit};
pub use version::{compare_versions, is_semver2, normalize_version};

/// The one asset of a version: `{lower_id}.{normalized_version}.nupkg`.
pub fn asset_name(id: &str, version: &str) -> String {
    format!("{}.{version}.nupkg", id.to_lowercase())
}

/// The manifest's file name in the flat container: `{lower_id}.nuspec`.
pub fn nuspec_name(id: &str) -> String {
    format!("{}.nuspec", id.to_lowercase())
}

/// The key a package is stored under.
pub(crate) fn key(id: &str) -> PackageKey {
    PackageKey {
        format: PackageFormat::Nuget,
        namespace: String::new(),
        name: id.to_lowercase(),
    }
}

/// Checks a package id: 1–100 characters, letters, digits, `.`, `-` and `_`, not starting or
/// ending with `.` (NuGet's `PackageIdValidator`).
pub fn check_id(id: &str) -> Result<(), String> {
    let ok = (1..=100).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && !id.starts_with('.')
        && !id.ends_with('.')
        && !id.contains("..");
    ok.then_some(()).ok_or_else(|| {
        format!("'{id}' is not a valid NuGet package id (1-100 letters, digits, '.', '-' or '_'; no leading, trailing or doubled '.').")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names() {
        assert!(check_id("Newtonsoft.Json").is_ok());
        assert!(check_id("a_b-c.d").is_ok());
        for bad in ["", ".a", "a.", "a..b", "a b", "a/b", &"x".repeat(101)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
        assert_eq!(
            asset_name("Kit.Core", "1.0.0-beta"),
            "kit.core.1.0.0-beta.nupkg"
        );
        assert_eq!(nuspec_name("Kit.Core"), "kit.core.nuspec");
        assert_eq!(key("Kit.Core").name, "kit.core");
    }
}
