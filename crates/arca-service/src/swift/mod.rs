//! Swift: a package registry (SE-0292, the registry specification of swift-package-manager's
//! `Documentation/PackageRegistry/Registry.md`). Package identities and versions, the publish rule
//! (a source archive checked bounded, its manifests, the release metadata and signatures as given),
//! and the reads behind the release list, release information, manifests, archives and the
//! identifier lookup. The wire shapes (URLs, media types, `Link` headers, problem details, the
//! multipart form) are the native API crate's; `archive` and `metadata` are the pure format bits.
//!
//! Decisions (README, "Swift"):
//! - A package is `{scope}.{name}`: the scope is the namespace; both are stored lowercased (as
//!   CodeArtifact normalizes them), the name as first published is the display name.
//! - Versions are SemVer 2.0 strings, kept exactly as given; a release is immutable (409).
//! - A release's assets: `{name}-{version}.zip` (the source archive as uploaded), every manifest of
//!   its package directory (`Package.swift`, `Package@swift-X.swift`) as extracted, `metadata.json`
//!   (the metadata part as given), and the signatures as given
//!   (`source-archive.{format}.sig`, `metadata.{format}.sig`).
//! - The release list shows Published releases, and Archived or Disposed ones with a 410
//!   `problem`; Unlisted releases are left out of it but still resolve (like a cargo yank).
//! - Through upstreams, the release list is the union over the search order (local releases first);
//!   a release only an upstream has is served from there, and retained on its archive download.

mod archive;
mod metadata;
mod publish;
mod read;

use arca_metadata::{PackageFormat, PackageKey};

pub use archive::{parse_tools_version, PackageManifest};
pub use metadata::normalize_repository_url;
pub use publish::{SwiftPublish, SwiftPublished};
pub use read::{
    SwiftAlternate, SwiftArchive, SwiftManifest, SwiftManifestAnswer, SwiftRelease,
    SwiftReleaseInfo, SwiftReleaseList, SwiftSigning,
};

/// The one manifest every release has.
pub const MANIFEST: &str = "Package.swift";
/// The asset holding the release metadata as published.
pub const METADATA_ASSET: &str = "metadata.json";

/// The source archive's asset name (and download file name): `{name}-{version}.zip`.
pub fn archive_name(name: &str, version: &str) -> String {
    format!("{name}-{version}.zip")
}

/// The asset of a signature: `{part}.{format}.sig` (`part`: `source-archive` or `metadata`).
pub(crate) fn signature_asset(part: &str, format: &str) -> String {
    format!("{part}.{format}.sig")
}

/// The signature format of a signature asset of `part`, if `asset` is one.
pub(crate) fn signature_format_of<'a>(part: &str, asset: &'a str) -> Option<&'a str> {
    asset
        .strip_prefix(part)?
        .strip_prefix('.')?
        .strip_suffix(".sig")
        .filter(|f| !f.is_empty())
}

/// Checks a package scope (SE-0292 §3.6.1): alphanumerics and single inner hyphens, at most 39.
pub fn check_scope(scope: &str) -> Result<(), String> {
    let ok = (1..=39).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !scope.starts_with('-')
        && !scope.ends_with('-')
        && !scope.contains("--");
    ok.then_some(()).ok_or_else(|| {
        format!(
            "Invalid package scope '{scope}': 1 to 39 letters, digits and single inner hyphens."
        )
    })
}

/// Checks a package name (SE-0292 §3.6.2): alphanumerics and single inner `-` or `_`, at most 100.
pub fn check_name(name: &str) -> Result<(), String> {
    let b = name.as_bytes();
    let sep = |c: u8| c == b'-' || c == b'_';
    let ok = (1..=100).contains(&b.len())
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || sep(c))
        && !sep(b[0])
        && !sep(b[b.len() - 1])
        && !b.windows(2).any(|w| sep(w[0]) && sep(w[1]));
    ok.then_some(()).ok_or_else(|| {
        format!(
            "Invalid package name '{name}': 1 to 100 letters, digits and single inner '-' or '_'."
        )
    })
}

/// Checks a release version: SemVer 2.0.
pub fn check_version(version: &str) -> Result<semver::Version, String> {
    semver::Version::parse(version).map_err(|e| {
        format!("Invalid version '{version}': a release version is a SemVer 2.0 version ({e}).")
    })
}

/// The key a package is stored under.
pub(crate) fn key(scope: &str, name: &str) -> PackageKey {
    PackageKey {
        format: PackageFormat::Swift,
        namespace: scope.to_lowercase(),
        name: name.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities() {
        for ok in ["mona", "a", "a-b-c", &"x".repeat(39), "A1"] {
            assert!(check_scope(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "a_b", "a.b", &"x".repeat(40), "é"] {
            assert!(check_scope(bad).is_err(), "{bad}");
        }
        for ok in ["LinkedList", "a_b-c", "x", &"y".repeat(100)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "_a",
            "a_",
            "a-_b",
            "a__b",
            "a.b",
            &"y".repeat(101),
            "a b",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_version("1.0.0-beta.1+build.5").is_ok());
        for bad in ["1.0", "v1.0.0", "01.0.0", "1.0.0-", ""] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
        assert_eq!(key("Mona", "LinkedList").namespace, "mona");
        assert_eq!(key("Mona", "LinkedList").name, "linkedlist");
    }

    #[test]
    fn signature_assets() {
        let a = signature_asset("source-archive", "cms-1.0.0");
        assert_eq!(a, "source-archive.cms-1.0.0.sig");
        assert_eq!(signature_format_of("source-archive", &a), Some("cms-1.0.0"));
        assert_eq!(signature_format_of("metadata", &a), None);
        assert_eq!(signature_format_of("metadata", "metadata.json"), None);
        assert_eq!(signature_format_of("metadata", "metadata..sig"), None);
    }
}
