//! Packuments as npm expects them: the full document (`npm view`, and what npm's writes read,
//! with the `_rev` they must send back) and the abbreviated install form
//! (`application/vnd.npm.install-v1+json`, without `_rev`, as on the public registry). Each
//! version is its tarball's `package.json` plus `_id` and `dist` (tarball URL back at this server,
//! SHA-1 `shasum`, SHA-512 `integrity`).

use arca_service::npm::{NpmPackument, NpmVersion};
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

/// The media type of abbreviated packuments.
pub(crate) const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";

/// The manifest fields an abbreviated packument keeps (what npm needs to install).
const INSTALL_FIELDS: [&str; 15] = [
    "name",
    "version",
    "dependencies",
    "optionalDependencies",
    "devDependencies",
    "bundleDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "acceptDependencies",
    "bin",
    "directories",
    "engines",
    "os",
    "cpu",
    "libc",
];

fn iso(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// A JSON object written straight to bytes, members in the order they are given (callers give
/// them sorted, as a `serde_json::Map` would hold them).
struct Object<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, empty: true }
    }

    /// Starts a member and returns the buffer its value goes to.
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        write_json(self.out, key);
        self.out.push(b':');
        self.out
    }

    fn member(&mut self, key: &str, value: &(impl Serialize + ?Sized)) {
        let out = self.key(key);
        write_json(out, value);
    }

    fn end(self) {
        self.out.push(b'}');
    }
}

/// Strings, numbers and `serde_json::Value`s always serialize; writing to a `Vec` cannot fail.
fn write_json(out: &mut Vec<u8>, value: &(impl Serialize + ?Sized)) {
    if let Err(e) = serde_json::to_writer(out, value) {
        tracing::error!(error = %e, "a packument member did not serialize");
    }
}

/// One version's object: the manifest's members with `_id`, `deprecated` and `dist` set by Arca
/// (the stored deprecation wins over whatever the tarball's package.json says), merged in key
/// order. `keep` limits the manifest's members (the abbreviated form).
fn write_version(
    out: &mut Vec<u8>,
    p: &NpmPackument,
    v: &NpmVersion,
    base: &str,
    keep: Option<&[&str]>,
    id: bool,
) {
    let manifest = match v.manifest.as_ref() {
        Value::Object(m) => Some(m),
        _ => None,
    };
    let mut obj = Object::new(out);
    let tarball = format!("{base}{}/-/{}", p.name, p.name.tarball_file(&v.version));
    let dist = |out: &mut Vec<u8>| {
        let mut d = Object::new(out);
        if !v.integrity.is_empty() {
            d.member("integrity", &v.integrity);
        }
        if !v.shasum.is_empty() {
            d.member("shasum", &v.shasum);
        }
        d.member("tarball", &tarball);
        d.end();
    };
    let mut overrides: Vec<(&str, Override<'_>)> = Vec::with_capacity(4);
    if id {
        overrides.push(("_id", Override::Id));
    }
    if let Some(d) = &v.deprecated {
        overrides.push(("deprecated", Override::Str(d)));
    }
    overrides.push(("dist", Override::Dist));
    if keep.is_some() && has_install_script(v) {
        overrides.push(("hasInstallScript", Override::True));
    }
    let mut overrides = overrides.into_iter().peekable();
    let emit = |obj: &mut Object<'_>, key: &str, o: Override<'_>| match o {
        Override::Id => obj.member(key, &format!("{}@{}", p.name, v.version)),
        Override::Str(s) => obj.member(key, s),
        Override::True => obj.member(key, &true),
        Override::Dist => dist(obj.key(key)),
    };
    for (key, value) in manifest.into_iter().flatten() {
        if keep.is_some_and(|k| !k.contains(&key.as_str())) {
            continue;
        }
        while let Some((k, _)) = overrides.peek() {
            if *k > key.as_str() {
                break;
            }
            if let Some((k, o)) = overrides.next() {
                emit(&mut obj, k, o);
            }
        }
        if matches!(key.as_str(), "deprecated" | "dist") || (id && key == "_id") {
            continue;
        }
        obj.member(key, value);
    }
    for (k, o) in overrides {
        emit(&mut obj, k, o);
    }
    obj.end();
}

/// What Arca sets in a version's object over the manifest's own members.
enum Override<'a> {
    Id,
    Str(&'a str),
    True,
    Dist,
}

fn has_install_script(v: &NpmVersion) -> bool {
    let scripts = v.manifest.get("scripts");
    ["preinstall", "install", "postinstall"]
        .iter()
        .any(|s| scripts.and_then(|x| x.get(s)).is_some())
}

fn modified(p: &NpmPackument) -> String {
    iso(p.versions.iter().map(|v| v.published_ms).max().unwrap_or(0))
}

/// `versions`, by version string (as a `serde_json::Map` orders them).
fn write_versions(obj: &mut Object<'_>, p: &NpmPackument, base: &str, keep: Option<&[&str]>) {
    let mut sorted: Vec<&NpmVersion> = p.versions.iter().collect();
    sorted.sort_by(|a, b| a.version.cmp(&b.version));
    let out = obj.key("versions");
    let mut versions = Object::new(out);
    for v in sorted {
        write_version(versions.key(&v.version), p, v, base, keep, keep.is_none());
    }
    versions.end();
}

/// The full packument, serialized. Members in key order, with the package-level fields npm view
/// shows (author, description, homepage, keywords, license, repository) from the latest version.
pub(crate) fn full(p: &NpmPackument, base: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(512 + p.versions.len() * 1024);
    let mut doc = Object::new(&mut out);
    let name = p.name.to_string();
    let latest = p
        .latest
        .as_ref()
        .and_then(|l| p.versions.iter().find(|v| &v.version == l));
    let from_latest = |doc: &mut Object<'_>, fields: &[&str]| {
        for field in fields {
            if let Some(v) = latest.and_then(|l| l.manifest.get(field)) {
                doc.member(field, v);
            }
        }
    };
    doc.member("_id", &name);
    doc.member("_rev", &p.rev);
    from_latest(&mut doc, &["author", "description"]);
    doc.member("dist-tags", &p.dist_tags);
    from_latest(&mut doc, &["homepage", "keywords", "license"]);
    doc.member("name", &name);
    from_latest(&mut doc, &["repository"]);
    let mut times: BTreeMap<&str, String> = p
        .versions
        .iter()
        .map(|v| (v.version.as_str(), iso(v.published_ms)))
        .collect();
    let created = p.versions.iter().map(|v| v.published_ms).min().unwrap_or(0);
    times.insert("created", iso(created));
    times.insert("modified", modified(p));
    doc.member("time", &times);
    write_versions(&mut doc, p, base, None);
    doc.end();
    out
}

/// The abbreviated install packument, serialized.
pub(crate) fn abbreviated(p: &NpmPackument, base: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(512 + p.versions.len() * 512);
    let mut doc = Object::new(&mut out);
    doc.member("dist-tags", &p.dist_tags);
    doc.member("modified", &modified(p));
    doc.member("name", &p.name.to_string());
    write_versions(&mut doc, p, base, Some(&INSTALL_FIELDS));
    doc.end();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;

    use arca_service::npm::NpmName;
    use serde_json::json;

    fn version(v: &str, ms: i64, manifest: Value, deprecated: Option<&str>) -> NpmVersion {
        NpmVersion {
            version: v.into(),
            published_ms: ms,
            manifest: Arc::new(manifest),
            shasum: "5h4".into(),
            integrity: "sha512-abc".into(),
            deprecated: deprecated.map(str::to_string),
        }
    }

    fn packument() -> NpmPackument {
        let manifest = |v: &str| {
            json!({
                "name": "@acme/kit", "version": v, "_id": "forged", "dist": {"tarball": "http://evil/"},
                "deprecated": "from the tarball", "description": "a \"kit\"\n", "ALLCAPS": 1,
                "_private": true, "zz": [1, {"b": 2, "a": 1}], "license": "MIT",
                "scripts": {"postinstall": "node x"}, "dependencies": {"left-pad": "^1"},
                "repository": {"type": "git"}, "hasInstallScript": "manifest's own"
            })
        };
        NpmPackument {
            name: NpmName::parse("@acme/kit").unwrap(),
            rev: "3-abc".into(),
            versions: vec![
                version("1.10.0", 3_000, manifest("1.10.0"), None),
                version("1.2.0", 2_000, manifest("1.2.0"), Some("use 1.10")),
                version("0.1.0", 1_000, json!("not an object"), None),
            ],
            latest: Some("1.10.0".into()),
            dist_tags: [("latest".to_string(), "1.10.0".to_string())].into(),
            stale: None,
            sourced: false,
        }
    }

    /// Valid JSON with every object's members in key order: re-serializing the parsed document
    /// (whose maps are sorted) gives the same bytes.
    fn parsed(bytes: &[u8]) -> Value {
        let text = std::str::from_utf8(bytes).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(value.to_string(), text);
        value
    }

    #[test]
    fn the_full_packument_overrides_what_arca_owns() {
        let doc = parsed(&full(&packument(), "http://arca/npm/"));
        assert_eq!(doc["_id"], "@acme/kit");
        assert_eq!(doc["_rev"], "3-abc");
        assert_eq!(doc["description"], "a \"kit\"\n");
        assert_eq!(doc["repository"], json!({"type": "git"}));
        assert_eq!(doc["time"]["1.2.0"], "1970-01-01T00:00:02Z");
        assert_eq!(doc["time"]["created"], "1970-01-01T00:00:01Z");
        assert_eq!(doc["time"]["modified"], "1970-01-01T00:00:03Z");
        let v = &doc["versions"]["1.10.0"];
        assert_eq!(v["_id"], "@acme/kit@1.10.0");
        assert_eq!(
            v["dist"],
            json!({"integrity": "sha512-abc", "shasum": "5h4",
                   "tarball": "http://arca/npm/@acme/kit/-/kit-1.10.0.tgz"})
        );
        assert!(v.get("deprecated").is_none(), "{v}");
        // The manifest's other members pass through, whatever their key.
        assert_eq!(v["ALLCAPS"], 1);
        assert_eq!(v["_private"], true);
        assert_eq!(v["zz"], json!([1, {"a": 1, "b": 2}]));
        assert_eq!(v["hasInstallScript"], "manifest's own");
        assert_eq!(doc["versions"]["1.2.0"]["deprecated"], "use 1.10");
        // A manifest that is not an object gives only what Arca sets.
        let odd = doc["versions"]["0.1.0"].as_object().unwrap();
        assert_eq!(odd.keys().collect::<Vec<_>>(), ["_id", "dist"]);
        assert_eq!(
            odd["dist"]["tarball"],
            "http://arca/npm/@acme/kit/-/kit-0.1.0.tgz"
        );
    }

    #[test]
    fn the_abbreviated_packument_keeps_what_installs_need() {
        let doc = parsed(&abbreviated(&packument(), "http://arca/npm/"));
        assert_eq!(doc["name"], "@acme/kit");
        assert_eq!(doc["modified"], "1970-01-01T00:00:03Z");
        assert_eq!(doc["dist-tags"], json!({"latest": "1.10.0"}));
        let v = doc["versions"]["1.10.0"].as_object().unwrap();
        let keys: Vec<&str> = v.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "dependencies",
                "dist",
                "hasInstallScript",
                "name",
                "version"
            ]
        );
        assert_eq!(v["hasInstallScript"], true);
        assert_eq!(doc["versions"]["1.2.0"]["deprecated"], "use 1.10");
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_500), "1970-01-01T00:00:01.5Z");
    }
}
