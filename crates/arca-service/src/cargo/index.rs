//! The pure format bits of a cargo registry (no store, no HTTP): crate names and their index paths,
//! the publish body's framing and JSON, the index line, and the conversions between them.
//!
//! - An index line is what `cargo` reads from `{index}/{path}`: one compact JSON object per
//!   version ([`IndexLine`]). Every dependency field is always written (older cargos expect them
//!   all); `features` that use `dep:` or `?` syntax go to `features2` with `v: 2`, as crates.io
//!   writes them, so cargos that do not understand them skip the line rather than misread it.
//! - The publish JSON ([`PublishMeta`]) names dependencies by their real crate name with the
//!   Cargo.toml key in `explicit_name_in_toml`, and calls the requirement `version_req`; the index
//!   names them by key with the real name in `package`, and calls it `req` ([`PublishMeta::entry`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest crate name (crates.io's limit).
pub const MAX_NAME_LEN: usize = 64;
/// The index URL cargo writes for dependencies on crates.io when publishing elsewhere.
pub const CRATES_IO_INDEX: &str = "https://github.com/rust-lang/crates.io-index";

/// Checks a crate name: ASCII letters, digits, `-` and `_`, starting with a letter, at most
/// [`MAX_NAME_LEN`] characters.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid crate name '{name}': ASCII letters, digits, '-' and '_', starting with a letter, at most {MAX_NAME_LEN} characters"
        ))
    }
}

/// The name two crates may not share: lowercase, `_` read as `-` (cargo's uniqueness rule).
pub fn canonical_name(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// The index file of a crate below the index root: `1/{n}`, `2/{n}`, `3/{c}/{n}` or
/// `{ab}/{cd}/{n}`, of the lowercased name.
pub fn index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    format!("{}/{n}", prefix(&n))
}

/// The directories of a name's index path (cargo's `{prefix}`), in the name's case.
/// (A source's names are not checked: cut at characters.)
pub fn prefix(name: &str) -> String {
    let cut = |n: usize| name.char_indices().nth(n).map_or(name.len(), |(i, _)| i);
    match name.chars().count() {
        1 => "1".into(),
        2 => "2".into(),
        3 => format!("3/{}", &name[..cut(1)]),
        _ => format!("{}/{}", &name[..cut(2)], &name[cut(2)..cut(4)]),
    }
}

/// The crate name an index path stands for, when the path is the one [`index_path`] gives it.
pub fn name_of_index_path(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    (check_name(name).is_ok() && index_path(name) == path).then_some(name)
}

/// A version string cargo accepts (SemVer 2.0), and the part uniqueness compares (without build
/// metadata: `1.0.0+a` and `1.0.0+b` are the same version).
pub fn version_identity(version: &str) -> Result<String, String> {
    let v = semver::Version::parse(version)
        .map_err(|e| format!("invalid version '{version}': {e} (cargo versions are SemVer)"))?;
    let mut core = v.clone();
    core.build = semver::BuildMetadata::EMPTY;
    Ok(core.to_string())
}

/// A dependency of an index line; field order as cargo documents it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IndexDep {
    /// The name the dependent uses (its Cargo.toml key, which may be a rename).
    pub name: String,
    pub req: String,
    pub features: Vec<String>,
    pub optional: bool,
    pub default_features: bool,
    pub target: Option<String>,
    pub kind: String,
    /// The dependency's index when it is not this registry.
    pub registry: Option<String>,
    /// The real crate name, when `name` is a rename.
    pub package: Option<String>,
}

/// What a version's index line says, apart from what the registry adds (checksum, yank state,
/// publish time): the same whether read from the publish JSON or from the crate's Cargo.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub name: String,
    pub vers: String,
    /// Sorted (by name, then kind and target), so both sources compare equal.
    pub deps: Vec<IndexDep>,
    /// Every feature, `dep:`/`?` ones included ([`IndexLine`] splits them).
    pub features: BTreeMap<String, Vec<String>>,
    pub links: Option<String>,
    pub rust_version: Option<String>,
}

impl IndexEntry {
    /// ListPackageVersionDependencies' list: each dependency by its real crate name, its kind as
    /// type, its requirement.
    pub fn dependencies(&self) -> Vec<arca_metadata::PackageDependency> {
        self.deps
            .iter()
            .map(|d| arca_metadata::PackageDependency {
                namespace: String::new(),
                package: d.package.clone().unwrap_or(d.name.clone()),
                dependency_type: Some(d.kind.clone()),
                version_requirement: Some(d.req.clone()),
            })
            .collect()
    }
}

/// One line of an index file.
#[derive(Debug, Clone, Serialize)]
pub struct IndexLine<'a> {
    pub name: &'a str,
    pub vers: &'a str,
    pub deps: &'a [IndexDep],
    pub cksum: &'a str,
    pub features: BTreeMap<&'a str, &'a [String]>,
    pub yanked: bool,
    pub links: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features2: Option<BTreeMap<&'a str, &'a [String]>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rust_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pubtime: Option<&'a str>,
}

impl IndexEntry {
    /// The line of this version, given its checksum, yank state and publish time
    /// (`yyyy-mm-ddThh:mm:ssZ`).
    pub fn line<'a>(&'a self, cksum: &'a str, yanked: bool, pubtime: &'a str) -> IndexLine<'a> {
        let new_syntax = |values: &[String]| {
            values
                .iter()
                .any(|v| v.starts_with("dep:") || v.contains("?/"))
        };
        let (mut features, mut features2) = (BTreeMap::new(), BTreeMap::new());
        for (k, values) in &self.features {
            let to = if new_syntax(values) {
                &mut features2
            } else {
                &mut features
            };
            to.insert(k.as_str(), values.as_slice());
        }
        let v2 = !features2.is_empty();
        IndexLine {
            name: &self.name,
            vers: &self.vers,
            deps: &self.deps,
            cksum,
            features,
            yanked,
            links: self.links.as_deref(),
            v: v2.then_some(2),
            features2: v2.then_some(features2),
            rust_version: self.rust_version.as_deref(),
            pubtime: Some(pubtime),
        }
    }
}

/// The JSON part of a publish request (`cargo publish`), as cargo sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct PublishMeta {
    pub name: String,
    pub vers: String,
    #[serde(default)]
    pub deps: Vec<PublishDep>,
    #[serde(default)]
    pub features: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub authors: Vec<String>,
    pub description: Option<String>,
    pub documentation: Option<String>,
    pub homepage: Option<String>,
    /// The readme's content.
    pub readme: Option<String>,
    pub readme_file: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub license: Option<String>,
    pub license_file: Option<String>,
    pub repository: Option<String>,
    pub links: Option<String>,
    pub rust_version: Option<String>,
}

/// A dependency in the publish JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct PublishDep {
    /// The real crate name.
    pub name: String,
    pub version_req: String,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default = "yes")]
    pub default_features: bool,
    pub target: Option<String>,
    #[serde(default = "normal")]
    pub kind: String,
    pub registry: Option<String>,
    /// The Cargo.toml key, when it renames the crate.
    pub explicit_name_in_toml: Option<String>,
}

fn yes() -> bool {
    true
}

fn normal() -> String {
    "normal".into()
}

impl PublishMeta {
    /// The index form of what cargo published (renames swapped, `version_req` → `req`).
    pub fn entry(&self) -> IndexEntry {
        let mut deps: Vec<IndexDep> = self
            .deps
            .iter()
            .map(|d| IndexDep {
                name: d.explicit_name_in_toml.clone().unwrap_or(d.name.clone()),
                req: d.version_req.clone(),
                features: d.features.clone(),
                optional: d.optional,
                default_features: d.default_features,
                target: d.target.clone(),
                kind: d.kind.clone(),
                registry: d.registry.clone(),
                package: d.explicit_name_in_toml.as_ref().map(|_| d.name.clone()),
            })
            .collect();
        deps.sort();
        IndexEntry {
            name: self.name.clone(),
            vers: self.vers.clone(),
            deps,
            features: self.features.clone(),
            links: self.links.clone(),
            rust_version: self.rust_version.clone(),
        }
    }
}

/// Largest publish JSON accepted.
pub const MAX_META_BYTES: u64 = 8 * 1024 * 1024;

/// Bytes of each length prefix of the publish body: `u32 json_len ‖ json ‖ u32 crate_len ‖ crate`.
pub const FRAME_HEADER: usize = 4;

/// A length prefix of the publish body (`u32`, little-endian).
pub fn frame_len(header: [u8; FRAME_HEADER]) -> u64 {
    u64::from(u32::from_le_bytes(header))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        for ok in ["a", "kit", "kit-core", "Kit_Core2"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1kit",
            "-kit",
            "kit core",
            "kit.core",
            "ки",
            &"a".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("Abc"), "3/a/abc");
        assert_eq!(index_path("Serde_json"), "se/rd/serde_json");
        assert_eq!(name_of_index_path("se/rd/serde_json"), Some("serde_json"));
        assert_eq!(name_of_index_path("3/a/abc"), Some("abc"));
        assert_eq!(name_of_index_path("3/b/abc"), None);
        assert_eq!(name_of_index_path("se/rd/Serde"), None);
        assert_eq!(name_of_index_path("config.json"), None);
        assert_eq!(canonical_name("Kit_Core"), canonical_name("kit-core"));
    }

    #[test]
    fn versions_compare_without_build_metadata() {
        assert_eq!(version_identity("1.0.0+a").unwrap(), "1.0.0");
        assert_eq!(version_identity("1.0.0-rc.1+b").unwrap(), "1.0.0-rc.1");
        assert!(version_identity("1.0").is_err());
        assert!(version_identity("../1.0.0").is_err());
    }

    #[test]
    fn publish_json_becomes_an_index_line() {
        let meta: PublishMeta = serde_json::from_value(serde_json::json!({
            "name": "kit", "vers": "0.1.0",
            "deps": [
                {"name": "kit-core", "version_req": "^1", "features": [], "optional": false,
                 "default_features": true, "target": null, "kind": "normal", "registry": null,
                 "explicit_name_in_toml": "core2"},
                {"name": "serde", "version_req": "^1", "features": ["derive"], "optional": true,
                 "default_features": false, "target": "cfg(unix)", "kind": "normal",
                 "registry": CRATES_IO_INDEX, "explicit_name_in_toml": null}
            ],
            "features": {"default": ["std"], "std": [], "serde": ["dep:serde"]},
            "links": null, "rust_version": "1.70"
        }))
        .unwrap();
        let entry = meta.entry();
        let line =
            serde_json::to_string(&entry.line("ab12", false, "2026-01-01T00:00:00Z")).unwrap();
        assert_eq!(
            line,
            concat!(
                r#"{"name":"kit","vers":"0.1.0","deps":["#,
                r#"{"name":"core2","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","registry":null,"package":"kit-core"},"#,
                r#"{"name":"serde","req":"^1","features":["derive"],"optional":true,"default_features":false,"target":"cfg(unix)","kind":"normal","registry":"https://github.com/rust-lang/crates.io-index","package":null}],"#,
                r#""cksum":"ab12","features":{"default":["std"],"std":[]},"yanked":false,"links":null,"v":2,"features2":{"serde":["dep:serde"]},"rust_version":"1.70","pubtime":"2026-01-01T00:00:00Z"}"#
            )
        );
    }
}
