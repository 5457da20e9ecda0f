//! Registrations (`RegistrationsBaseUrl`, every variant at one base, SemVer 2.0 versions included):
//! the index of a package with its pages inlined up to [`INLINE_MAX`] versions, else pages of
//! [`PAGE_SIZE`] that the client fetches by their `@id`; a page; a leaf. Unlisted versions have
//! `listed: false` and `published` 1900-01-01, as the public gallery answers. Documents are gzipped
//! when `Accept-Encoding` asks for gzip (`RegistrationsBaseUrl/3.4.0` and later expect it).
//! Catalog entries carry the package's `packageHash` (SHA-512, base64) when Arca has it, so another
//! Arca can verify what it retains from this one; a version only an external source has comes
//! with the source's catalog entry, its URLs pointing at Arca.

use std::io::Write;

use arca_service::nuget::{NugetLeaf, NugetRegistration};
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Response};
use base64::Engine;
use serde_json::{json, Map, Value};

/// Most versions whose pages are inlined in the index.
pub(super) const INLINE_MAX: usize = 128;
/// Versions per page beyond that.
pub(super) const PAGE_SIZE: usize = 64;

/// URLs of one package's registration, below the endpoint `url`.
pub(super) struct Urls<'a> {
    pub url: &'a str,
    pub lower_id: String,
}

impl Urls<'_> {
    fn base(&self) -> String {
        format!("{}v3/registration/", self.url)
    }
    pub(super) fn index(&self) -> String {
        self.of(&self.lower_id)
    }
    /// The registration index of another package.
    fn of(&self, id: &str) -> String {
        format!("{}{}/index.json", self.base(), id.to_lowercase())
    }
    fn page(&self, lower: &str, upper: &str) -> String {
        format!("{}{}/page/{lower}/{upper}.json", self.base(), self.lower_id)
    }
    pub(super) fn leaf(&self, version: &str) -> String {
        format!("{}{}/{version}.json", self.base(), self.lower_id)
    }
    fn content(&self, version: &str) -> String {
        let id = &self.lower_id;
        format!("{}v3/package/{id}/{version}/{id}.{version}.nupkg", self.url)
    }
}

fn published(leaf: &NugetLeaf) -> String {
    if !leaf.listed {
        return "1900-01-01T00:00:00+00:00".into();
    }
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(leaf.published_ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn dependency_groups(leaf: &NugetLeaf, u: &Urls<'_>) -> Vec<Value> {
    leaf.dependency_groups
        .iter()
        .map(|group| {
            let deps: Vec<Value> = group
                .dependencies
                .iter()
                .map(|d| {
                    json!({
                        "id": d.id,
                        "range": d.range.clone().unwrap_or_else(|| "(, )".into()),
                        "registration": u.of(&d.id),
                    })
                })
                .collect();
            let mut g = json!({ "dependencies": deps });
            if let Some(tf) = &group.target_framework {
                g["targetFramework"] = json!(tf);
            }
            g
        })
        .collect()
}

/// A source's catalog entry with Arca's URLs: its own, the package content's, and each
/// dependency's registration.
fn passed_through(entry: &Map<String, Value>, leaf: &NugetLeaf, u: &Urls<'_>) -> Value {
    let mut e = entry.clone();
    e.insert("@id".into(), json!(u.leaf(&leaf.version)));
    e.insert("packageContent".into(), json!(u.content(&leaf.version)));
    if let Some(Value::Array(groups)) = e.get_mut("dependencyGroups") {
        for g in groups {
            if let Some(Value::Array(deps)) = g.get_mut("dependencies") {
                for d in deps.iter_mut().filter_map(Value::as_object_mut) {
                    if let Some(id) = d.get("id").and_then(Value::as_str).map(str::to_string) {
                        d.insert("registration".into(), json!(u.of(&id)));
                    }
                    d.remove("@id");
                }
            }
            if let Some(g) = g.as_object_mut() {
                g.remove("@id");
            }
        }
    }
    Value::Object(e)
}

fn item(reg: &NugetRegistration, leaf: &NugetLeaf, u: &Urls<'_>) -> Value {
    let entry = match &leaf.source_entry {
        Some(source) => passed_through(source, leaf, u),
        None => {
            let mut entry = json!({
                "@id": u.leaf(&leaf.version),
                "@type": "PackageDetails",
                "id": reg.id,
                "version": leaf.version,
                "listed": leaf.listed,
                "published": published(leaf),
                "packageContent": u.content(&leaf.version),
                "dependencyGroups": dependency_groups(leaf, u),
                "authors": "",
                "description": leaf.description.clone().unwrap_or_default(),
            });
            if let Some(p) = &leaf.project_url {
                entry["projectUrl"] = json!(p);
            }
            if let Some(l) = &leaf.license_expression {
                entry["licenseExpression"] = json!(l);
            }
            if let Some(h) = leaf.sha512.as_deref().and_then(|h| hex::decode(h).ok()) {
                entry["packageHash"] = json!(base64::engine::general_purpose::STANDARD.encode(h));
                entry["packageHashAlgorithm"] = json!("SHA512");
            }
            entry
        }
    };
    json!({
        "@id": u.leaf(&leaf.version),
        "@type": "Package",
        "catalogEntry": entry,
        "packageContent": u.content(&leaf.version),
        "registration": u.index(),
    })
}

fn page(reg: &NugetRegistration, leaves: &[NugetLeaf], u: &Urls<'_>, inline: bool) -> Value {
    let (lower, upper) = (
        leaves.first().map(|l| l.version.as_str()).unwrap_or(""),
        leaves.last().map(|l| l.version.as_str()).unwrap_or(""),
    );
    let mut p = json!({
        "@id": u.page(lower, upper),
        "@type": "catalog:CatalogPage",
        "count": leaves.len(),
        "lower": lower,
        "upper": upper,
        "parent": u.index(),
    });
    if inline {
        p["items"] = leaves.iter().map(|l| item(reg, l, u)).collect();
    }
    p
}

/// The pages of a registration: one up to [`INLINE_MAX`] versions, else [`PAGE_SIZE`] each.
fn pages(reg: &NugetRegistration) -> Vec<&[NugetLeaf]> {
    if reg.leaves.len() <= INLINE_MAX {
        vec![&reg.leaves[..]]
    } else {
        reg.leaves.chunks(PAGE_SIZE).collect()
    }
}

/// The registration index: one inlined page, or pages to fetch.
pub(super) fn index(reg: &NugetRegistration, u: &Urls<'_>) -> Value {
    let inline = reg.leaves.len() <= INLINE_MAX;
    let pages: Vec<Value> = pages(reg)
        .into_iter()
        .map(|c| page(reg, c, u, inline))
        .collect();
    json!({
        "@id": u.index(),
        "@type": ["catalog:CatalogRoot", "PackageRegistration", "catalog:Permalink"],
        "count": pages.len(),
        "items": pages,
    })
}

/// The page `lower`..`upper` with its items, if the registration has it.
pub(super) fn page_of(
    reg: &NugetRegistration,
    u: &Urls<'_>,
    lower: &str,
    upper: &str,
) -> Option<Value> {
    pages(reg)
        .into_iter()
        .find(|c| {
            c.first().is_some_and(|l| l.version == lower)
                && c.last().is_some_and(|l| l.version == upper)
        })
        .map(|c| page(reg, c, u, true))
}

/// The leaf of `version`, if the registration has it.
pub(super) fn leaf(reg: &NugetRegistration, u: &Urls<'_>, version: &str) -> Option<Value> {
    let l = reg.leaves.iter().find(|l| l.version == version)?;
    Some(json!({
        "@id": u.leaf(&l.version),
        "@type": ["Package", "http://schema.nuget.org/catalog#Permalink"],
        "catalogEntry": u.leaf(&l.version),
        "listed": l.listed,
        "packageContent": u.content(&l.version),
        "published": published(l),
        "registration": u.index(),
    }))
}

/// Whether `Accept-Encoding` accepts gzip (listed without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// A registration document, gzipped when the client accepts it (marked stale when `reg` is).
pub(super) fn respond(reg: &NugetRegistration, doc: &Value, headers: &HeaderMap) -> Response<Body> {
    let body = doc.to_string().into_bytes();
    let gzipped = accepts_gzip(headers)
        .then(|| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&body).ok()?;
            e.finish().ok()
        })
        .flatten();
    let zipped = gzipped.is_some();
    let mut resp = Response::new(Body::from(gzipped.unwrap_or(body)));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if zipped {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    super::stale_marked(resp, reg.stale.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_only_when_accepted() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, v.parse().unwrap());
            h
        };
        assert!(accepts_gzip(&with("gzip, deflate")));
        assert!(accepts_gzip(&with("deflate, GZIP;q=0.5")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("deflate, br")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
