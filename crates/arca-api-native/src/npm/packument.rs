//! Packuments as npm expects them: the full document (`npm view`, and what npm's writes read,
//! with the `_rev` they must send back) and the abbreviated install form
//! (`application/vnd.npm.install-v1+json`, without `_rev`, as on the public registry). Each
//! version is its tarball's `package.json` plus `_id` and `dist` (tarball URL back at this server,
//! SHA-1 `shasum`, SHA-512 `integrity`).

use arca_service::npm::{NpmPackument, NpmVersion};
use serde_json::{json, Map, Value};
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

/// The tarball always downloads from this server (whoever has it upstream), so lockfiles stay
/// valid when upstreams change.
fn dist(p: &NpmPackument, v: &NpmVersion, base: &str) -> Value {
    let mut dist = Map::new();
    dist.insert(
        "tarball".into(),
        format!("{base}{}/-/{}", p.name, p.name.tarball_file(&v.version)).into(),
    );
    if !v.shasum.is_empty() {
        dist.insert("shasum".into(), v.shasum.clone().into());
    }
    if !v.integrity.is_empty() {
        dist.insert("integrity".into(), v.integrity.clone().into());
    }
    Value::Object(dist)
}

fn dist_tags(p: &NpmPackument) -> Value {
    json!(p.dist_tags)
}

/// The stored deprecation wins over whatever the tarball's package.json says.
fn set_deprecated(m: &mut Map<String, Value>, v: &NpmVersion) {
    match &v.deprecated {
        Some(d) => m.insert("deprecated".into(), d.clone().into()),
        None => m.remove("deprecated"),
    };
}

fn modified(p: &NpmPackument) -> String {
    iso(p.versions.iter().map(|v| v.published_ms).max().unwrap_or(0))
}

pub(crate) fn full(p: &NpmPackument, base: &str) -> Value {
    let mut versions = Map::new();
    let mut times = Map::new();
    for v in &p.versions {
        let mut m = match v.manifest.as_ref() {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        m.insert("_id".into(), format!("{}@{}", p.name, v.version).into());
        set_deprecated(&mut m, v);
        m.insert("dist".into(), dist(p, v, base));
        versions.insert(v.version.clone(), Value::Object(m));
        times.insert(v.version.clone(), iso(v.published_ms).into());
    }
    let created = p.versions.iter().map(|v| v.published_ms).min().unwrap_or(0);
    times.insert("created".into(), iso(created).into());
    times.insert("modified".into(), modified(p).into());
    let mut doc = json!({
        "_id": p.name.to_string(),
        "_rev": p.rev,
        "name": p.name.to_string(),
        "dist-tags": dist_tags(p),
        "versions": versions,
        "time": times,
    });
    // Package-level fields npm view shows, from the latest version.
    let latest = p
        .latest
        .as_ref()
        .and_then(|l| p.versions.iter().find(|v| &v.version == l));
    if let (Some(latest), Value::Object(d)) = (latest, &mut doc) {
        for field in [
            "description",
            "homepage",
            "repository",
            "license",
            "keywords",
            "author",
        ] {
            if let Some(value) = latest.manifest.get(field) {
                d.insert(field.into(), value.clone());
            }
        }
    }
    doc
}

pub(crate) fn abbreviated(p: &NpmPackument, base: &str) -> Value {
    let mut versions = Map::new();
    for v in &p.versions {
        let mut m = Map::new();
        for field in INSTALL_FIELDS {
            if let Some(value) = v.manifest.get(field) {
                m.insert(field.into(), value.clone());
            }
        }
        let scripts = v.manifest.get("scripts");
        if ["preinstall", "install", "postinstall"]
            .iter()
            .any(|s| scripts.and_then(|x| x.get(s)).is_some())
        {
            m.insert("hasInstallScript".into(), true.into());
        }
        set_deprecated(&mut m, v);
        m.insert("dist".into(), dist(p, v, base));
        versions.insert(v.version.clone(), Value::Object(m));
    }
    json!({
        "name": p.name.to_string(),
        "modified": modified(p),
        "dist-tags": dist_tags(p),
        "versions": versions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_500), "1970-01-01T00:00:01.5Z");
    }
}
