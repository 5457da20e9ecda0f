//! The simple repository API pages: PEP 503 HTML and PEP 691 JSON (api-version 1.1), chosen by
//! the `Accept` header (HTML by default). File URLs are relative to the project page
//! (`{version}/{filename}`), so they keep the host and the credentials pip used for the index.
//! Wheels whose METADATA could be read carry its SHA-256 (PEP 658/714) and `Requires-Python`.
//! Files only an upstream source has so far carry what its index said (hashes, core metadata flag,
//! `Requires-Python`, `yanked`, upload time), linked on Arca's own host like the others.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use arca_service::pypi::{PypiFile, PypiProject};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub(super) const JSON: &str = "application/vnd.pypi.simple.v1+json";
pub(super) const HTML: &str = "application/vnd.pypi.simple.v1+html";
const API_VERSION: &str = "1.1";

/// Characters left as they are in a URL path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Whether the client prefers JSON: the best quality among the JSON types beats every HTML one.
pub(super) fn wants_json(accept: Option<&str>) -> bool {
    let (mut json, mut html) = (0.0f32, 0.0f32);
    for item in accept.unwrap_or("").split(',') {
        let mut parts = item.split(';');
        let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        match mime.as_str() {
            "application/vnd.pypi.simple.v1+json" | "application/vnd.pypi.simple.latest+json" => {
                json = json.max(q)
            }
            "application/vnd.pypi.simple.v1+html"
            | "application/vnd.pypi.simple.latest+html"
            | "text/html"
            | "*/*" => html = html.max(q),
            _ => {}
        }
    }
    json > 0.0 && json > html
}

/// HTML-escaped for text and double-quoted attributes; borrowed when nothing needs escaping.
fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn file_url(version: &str, filename: &str) -> String {
    format!(
        "{}/{}",
        utf8_percent_encode(version, SEGMENT),
        utf8_percent_encode(filename, SEGMENT)
    )
}

/// `simple/`: every project, linked by its normalized name.
pub(super) fn index_html(projects: &[String]) -> String {
    let mut out = html_head("Simple index");
    for p in projects {
        let p = escape(p);
        out.push_str(&format!("<a href=\"{p}/\">{p}</a><br/>\n"));
    }
    out.push_str("</body></html>\n");
    out
}

pub(super) fn index_json(projects: &[String]) -> serde_json::Value {
    serde_json::json!({
        "meta": {"api-version": API_VERSION},
        "projects": projects.iter().map(|p| serde_json::json!({"name": p})).collect::<Vec<_>>(),
    })
}

/// The hash a link's fragment carries: SHA-256, else the first one the index gave.
fn fragment(f: &PypiFile) -> Option<(&str, &str)> {
    f.hashes
        .get_key_value("sha256")
        .or_else(|| f.hashes.iter().next())
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

/// `data-core-metadata`'s value: `sha256=…` (else another hash, else `true`).
fn core_metadata_attr(hashes: &BTreeMap<String, String>) -> String {
    hashes
        .get_key_value("sha256")
        .or_else(|| hashes.iter().next())
        .map_or("true".to_string(), |(k, v)| format!("{k}={v}"))
}

/// `simple/{project}/`: one link per file, with its SHA-256 in the fragment.
pub(super) fn project_html(p: &PypiProject) -> String {
    let mut out = html_head(&format!("Links for {}", p.name));
    out.reserve(p.files.len() * 400);
    // Writing to a String cannot fail.
    let _ = writeln!(out, "<h1>Links for {}</h1>", escape(&p.name));
    for f in &p.files {
        let mut href = file_url(&f.version, &f.filename);
        if let Some((k, v)) = fragment(f) {
            let _ = write!(href, "#{k}={v}");
        }
        let _ = write!(out, "<a href=\"{}\"", escape(&href));
        if let Some(m) = &f.core_metadata {
            // PEP 714's name and, for older pips, PEP 658's.
            let v = core_metadata_attr(m);
            let v = escape(&v);
            let _ = write!(
                out,
                " data-core-metadata=\"{v}\" data-dist-info-metadata=\"{v}\""
            );
        }
        if let Some(rp) = &f.requires_python {
            let _ = write!(out, " data-requires-python=\"{}\"", escape(rp));
        }
        if let Some(reason) = &f.yanked {
            let _ = write!(out, " data-yanked=\"{}\"", escape(reason));
        }
        let _ = writeln!(out, ">{}</a><br/>", escape(&f.filename));
    }
    out.push_str("</body></html>\n");
    out
}

pub(super) fn project_json(p: &PypiProject) -> serde_json::Value {
    let files: Vec<_> = p
        .files
        .iter()
        .map(|f| {
            let mut file = serde_json::json!({
                "filename": f.filename,
                "url": file_url(&f.version, &f.filename),
                "hashes": f.hashes,
            });
            if let Some(size) = f.size {
                file["size"] = size.into();
            }
            let upload_time = f
                .upload_ms
                .and_then(|ms| time::OffsetDateTime::from_unix_timestamp(ms / 1000).ok())
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                });
            if let Some(t) = upload_time {
                file["upload-time"] = t.into();
            }
            if let Some(m) = &f.core_metadata {
                let value = if m.is_empty() {
                    serde_json::Value::Bool(true)
                } else {
                    serde_json::json!(m)
                };
                file["core-metadata"] = value.clone();
                file["dist-info-metadata"] = value;
            }
            if let Some(rp) = &f.requires_python {
                file["requires-python"] = rp.as_str().into();
            }
            if let Some(reason) = &f.yanked {
                file["yanked"] = if reason.is_empty() {
                    true.into()
                } else {
                    reason.as_str().into()
                };
            }
            file
        })
        .collect();
    serde_json::json!({
        "meta": {"api-version": API_VERSION},
        "name": p.name,
        "versions": p.versions,
        "files": files,
    })
}

fn html_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"{API_VERSION}\"><title>{}</title></head><body>\n",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert!(!wants_json(None));
        assert!(!wants_json(Some("text/html")));
        assert!(!wants_json(Some("*/*")));
        assert!(wants_json(Some(JSON)));
        // What pip sends.
        assert!(wants_json(Some(
            "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
        )));
        assert!(!wants_json(Some(
            "application/vnd.pypi.simple.v1+json; q=0.1, text/html"
        )));
        assert!(!wants_json(Some(
            "application/vnd.pypi.simple.v1+json; q=0"
        )));
    }

    #[test]
    fn urls_are_relative_and_encoded() {
        assert_eq!(
            file_url("1.0+local", "kit-1.0+local.tar.gz"),
            "1.0%2Blocal/kit-1.0%2Blocal.tar.gz"
        );
        assert_eq!(escape("<a \"&\">"), "&lt;a &quot;&amp;&quot;&gt;");
    }
}
