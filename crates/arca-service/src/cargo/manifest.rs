//! A `.crate`'s `Cargo.toml` (the manifest cargo normalized when it packaged the crate): found
//! with arca-archive's bounded tar walker (gzip; entries, scanned bytes and the manifest's own size
//! capped) and read into the index entry and the API's metadata. The publish JSON is checked
//! against it, and index lines are rendered from it (cached by the file's digest), so the index
//! says exactly what the stored crate declares.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use toml::{Table, Value};

use super::index::{IndexDep, IndexEntry};

/// Most entries walked in a `.crate`.
const MAX_ENTRIES: usize = 100_000;
/// Most bytes unpacked while looking for the manifest (crates.io's limit on a crate's size).
const MAX_SCAN_BYTES: u64 = 512 * 1024 * 1024;
/// Largest `Cargo.toml` read.
pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// What a crate's manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateManifest {
    /// Dependencies carry their `registry-index` as `registry` (`None`: crates.io); see
    /// [`super::read`] for what the index shows.
    pub entry: IndexEntry,
    pub description: Option<String>,
    pub license: Option<String>,
    pub homepage: Option<String>,
    pub repository: Option<String>,
    /// Bytes of the manifest text (for the cache's weight).
    pub size: usize,
}

impl crate::digest_cache::Weigh for Arc<CrateManifest> {
    fn weight(&self) -> usize {
        // The parsed form holds about what the text held, in many small strings.
        std::mem::size_of::<CrateManifest>() + 4 * self.size
    }
}

/// `{name}-{version}/Cargo.toml` of a gzipped `.crate`, bounded; `None` when it is not there (or
/// the archive is not readable within the bounds).
pub fn find_manifest(r: impl Read, name: &str, version: &str) -> Option<Vec<u8>> {
    let limits = arca_archive::Limits {
        max_entries: MAX_ENTRIES,
        max_scanned_bytes: MAX_SCAN_BYTES,
        ..arca_archive::Limits::default()
    };
    let want = format!("{name}-{version}/Cargo.toml");
    let mut archive = arca_archive::TarWalker::new(arca_archive::gunzip(r), limits);
    while let Some(mut entry) = archive.next_entry().ok()? {
        if entry.is_file() && entry.path() == want {
            return entry.read_to_vec(MAX_MANIFEST_BYTES).ok();
        }
    }
    None
}

/// Reads a normalized `Cargo.toml`.
pub fn parse_manifest(text: &[u8]) -> Result<CrateManifest, String> {
    let text = std::str::from_utf8(text).map_err(|_| "Cargo.toml is not UTF-8".to_string())?;
    let toml: Table = toml::from_str(text).map_err(|e| format!("Cargo.toml is not valid: {e}"))?;
    let package = toml
        .get("package")
        .and_then(Value::as_table)
        .ok_or("Cargo.toml has no [package]")?;
    let field = |k: &str| package.get(k).and_then(Value::as_str).map(str::to_string);
    let mut deps = Vec::new();
    deps_of(&toml, None, &mut deps)?;
    if let Some(targets) = toml.get("target").and_then(Value::as_table) {
        for (cfg, t) in targets {
            let t = t.as_table().ok_or("a [target] entry is not a table")?;
            deps_of(t, Some(cfg), &mut deps)?;
        }
    }
    deps.sort();
    let mut features = BTreeMap::new();
    if let Some(f) = toml.get("features").and_then(Value::as_table) {
        for (k, v) in f {
            features.insert(
                k.clone(),
                strings(v).ok_or("a feature is not a list of strings")?,
            );
        }
    }
    Ok(CrateManifest {
        entry: IndexEntry {
            name: field("name").ok_or("Cargo.toml has no package name")?,
            vers: field("version").ok_or("Cargo.toml has no package version")?,
            deps,
            features,
            links: field("links"),
            rust_version: field("rust-version"),
        },
        description: field("description"),
        license: field("license"),
        homepage: field("homepage"),
        repository: field("repository"),
        size: text.len(),
    })
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The dependency tables of `table` (the manifest, or one `[target.'cfg'.…]`).
fn deps_of(table: &Table, target: Option<&str>, out: &mut Vec<IndexDep>) -> Result<(), String> {
    const SECTIONS: [(&str, &str); 5] = [
        ("dependencies", "normal"),
        ("dev-dependencies", "dev"),
        ("dev_dependencies", "dev"),
        ("build-dependencies", "build"),
        ("build_dependencies", "build"),
    ];
    for (section, kind) in SECTIONS {
        let Some(deps) = table.get(section) else {
            continue;
        };
        let deps = deps
            .as_table()
            .ok_or_else(|| format!("[{section}] is not a table"))?;
        for (key, value) in deps {
            out.push(dependency(key, value, kind, target)?);
        }
    }
    Ok(())
}

fn dependency(
    key: &str,
    value: &Value,
    kind: &str,
    target: Option<&str>,
) -> Result<IndexDep, String> {
    let mut dep = IndexDep {
        name: key.to_string(),
        req: String::new(),
        features: Vec::new(),
        optional: false,
        default_features: true,
        target: target.map(str::to_string),
        kind: kind.to_string(),
        registry: None,
        package: None,
    };
    let req = match value {
        Value::String(req) => req.as_str(),
        Value::Table(t) => {
            let text = |k: &str| t.get(k).and_then(Value::as_str).map(str::to_string);
            dep.features = t.get("features").and_then(strings).unwrap_or_default();
            dep.optional = t.get("optional").and_then(Value::as_bool).unwrap_or(false);
            dep.default_features = t
                .get("default-features")
                .or_else(|| t.get("default_features"))
                .and_then(Value::as_bool)
                .unwrap_or(true);
            dep.registry = text("registry-index");
            dep.package = text("package");
            t.get("version")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("dependency '{key}' has no version requirement"))?
        }
        _ => {
            return Err(format!(
                "dependency '{key}' is neither a string nor a table"
            ))
        }
    };
    dep.req = normalize_req(req)?;
    Ok(dep)
}

/// A requirement as cargo writes it into the publish JSON (`1.2` → `^1.2`).
pub fn normalize_req(req: &str) -> Result<String, String> {
    semver::VersionReq::parse(req)
        .map(|r| r.to_string())
        .map_err(|e| format!("invalid version requirement '{req}': {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[package]
edition = "2021"
rust-version = "1.70"
name = "kit_app"
version = "0.2.0+build.5"
build = "build.rs"
description = "The kit app"
license = "MIT OR Apache-2.0"
repository = "https://example.test/kit"
links = "kit"

[features]
default = ["fast"]
fast = []
serde = ["dep:serde", "core2/serde"]

[dependencies.core2]
version = "0.1.0"
registry-index = "sparse+http://127.0.0.1:1/cargo/d/acme-111122223333/releases/"
package = "kit-core"

[dependencies.serde]
version = "1"
optional = true
default-features = false
features = ["derive"]

[build-dependencies.cc]
version = ">= 1.0, < 2"

[target."cfg(unix)".dependencies]
libc = "0.2"
"#;

    #[test]
    fn reads_the_normalized_manifest() {
        let m = parse_manifest(MANIFEST.as_bytes()).unwrap();
        let e = &m.entry;
        assert_eq!(
            (e.name.as_str(), e.vers.as_str()),
            ("kit_app", "0.2.0+build.5")
        );
        assert_eq!(e.rust_version.as_deref(), Some("1.70"));
        assert_eq!(e.links.as_deref(), Some("kit"));
        assert_eq!(e.features["serde"], vec!["dep:serde", "core2/serde"]);
        let d: Vec<(&str, &str, &str, Option<&str>)> = e
            .deps
            .iter()
            .map(|d| {
                (
                    d.name.as_str(),
                    d.req.as_str(),
                    d.kind.as_str(),
                    d.target.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            d,
            vec![
                ("cc", ">=1.0, <2", "build", None),
                ("core2", "^0.1.0", "normal", None),
                ("libc", "^0.2", "normal", Some("cfg(unix)")),
                ("serde", "^1", "normal", None),
            ]
        );
        let core2 = &e.deps[1];
        assert_eq!(core2.package.as_deref(), Some("kit-core"));
        assert!(core2.registry.as_deref().unwrap().ends_with("/releases/"));
        let serde = &e.deps[3];
        assert!(serde.optional && !serde.default_features);
        assert_eq!(serde.features, vec!["derive"]);
        assert_eq!(m.license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(m.description.as_deref(), Some("The kit app"));
    }

    #[test]
    fn refuses_what_is_not_a_manifest() {
        assert!(parse_manifest(b"[package]\nname = \"x\"\n").is_err());
        assert!(parse_manifest(b"not toml =").is_err());
        assert!(parse_manifest(
            b"[package]\nname='x'\nversion='1.0.0'\n[dependencies]\nd = { path = '../d' }\n"
        )
        .is_err());
    }

    #[test]
    fn finds_the_manifest_in_a_crate() {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, data) in [
            ("kit-0.1.0/Cargo.toml.orig", &b"orig"[..]),
            ("kit-0.1.0/src/lib.rs", b""),
            ("kit-0.1.0/Cargo.toml", b"[package]"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, path, data).unwrap();
        }
        let raw = tar.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &raw).unwrap();
        let crate_file = gz.finish().unwrap();
        assert_eq!(
            find_manifest(&crate_file[..], "kit", "0.1.0").as_deref(),
            Some(&b"[package]"[..])
        );
        assert_eq!(find_manifest(&crate_file[..], "kit", "0.2.0"), None);
        assert_eq!(find_manifest(&b"not gzip"[..], "kit", "0.1.0"), None);
    }
}
