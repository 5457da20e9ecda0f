//! Package release metadata (SE-0292 Appendix B): the `metadata` part of a publish, checked
//! against the schema (an object; `author` and `author.organization` objects with a string `name`;
//! string fields; `repositoryURLs` an array of strings; `originalPublicationTime` an RFC 3339
//! date-time) and kept as given. What DescribePackageVersion shows is taken from it.

use arca_metadata::VersionMetadata;
use serde_json::{json, Map, Value};

/// Largest metadata document accepted.
pub(crate) const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// A checked metadata document.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ReleaseMetadata {
    pub object: Map<String, Value>,
}

fn string_field(obj: &Map<String, Value>, field: &str, at: &str) -> Result<(), String> {
    match obj.get(field) {
        None | Some(Value::String(_)) => Ok(()),
        Some(_) => Err(format!("release metadata: `{at}{field}` must be a string")),
    }
}

fn person(v: &Value, at: &str, extra: &[&str]) -> Result<(), String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("release metadata: `{at}` must be an object"))?;
    match obj.get("name") {
        Some(Value::String(_)) => {}
        _ => {
            return Err(format!(
                "release metadata: `{at}.name` is required (a string)"
            ))
        }
    }
    for f in ["email", "description", "url"].iter().chain(extra) {
        string_field(obj, f, &format!("{at}."))?;
    }
    Ok(())
}

impl ReleaseMetadata {
    /// Parses and checks a metadata part.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_METADATA_BYTES {
            return Err(format!(
                "release metadata: larger than {MAX_METADATA_BYTES} bytes"
            ));
        }
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("release metadata: invalid JSON ({e})"))?;
        let Value::Object(object) = v else {
            return Err("release metadata: the document must be a JSON object".into());
        };
        for f in [
            "description",
            "licenseURL",
            "readmeURL",
            "originalPublicationTime",
        ] {
            string_field(&object, f, "")?;
        }
        if let Some(author) = object.get("author") {
            person(author, "author", &[])?;
            if let Some(org) = author.get("organization") {
                person(org, "author.organization", &[])?;
            }
        }
        match object.get("repositoryURLs") {
            None => {}
            Some(Value::Array(urls)) if urls.iter().all(Value::is_string) => {}
            Some(_) => {
                return Err("release metadata: `repositoryURLs` must be an array of strings".into())
            }
        }
        if let Some(Value::String(t)) = object.get("originalPublicationTime") {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    format!("release metadata: `originalPublicationTime` '{t}' is not an ISO 8601 date-time")
                })?;
        }
        Ok(Self { object })
    }

    fn text(&self, field: &str) -> Option<String> {
        self.object
            .get(field)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// The repository URLs the release claims.
    pub(crate) fn repository_urls(&self) -> Vec<String> {
        self.object
            .get("repositoryURLs")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// DescribePackageVersion's metadata: the name as published, `description` as summary, the
    /// first repository URL as source code repository, `licenseURL` as the license's URL.
    pub(crate) fn version_metadata(&self, display_name: &str) -> VersionMetadata {
        VersionMetadata {
            display_name: Some(display_name.to_string()),
            summary: self.text("description"),
            home_page: None,
            source_code_repository: self.repository_urls().into_iter().next(),
            licenses_json: self
                .text("licenseURL")
                .map(|url| json!([{ "name": url, "url": url }]).to_string()),
        }
    }
}

/// A repository URL in a form that compares equal across its spellings: no scheme, user or
/// trailing `/` and `.git`, lowercase, an scp-like `host:path` as `host/path`
/// (`git@github.com:mona/LinkedList.git` and `https://github.com/Mona/LinkedList` are the same).
pub fn normalize_repository_url(url: &str) -> String {
    let mut u = url.trim().to_lowercase();
    let had_scheme = match u.find("://") {
        Some(i) => {
            u.drain(..i + 3);
            true
        }
        None => false,
    };
    if let Some(at) = u.find('@').filter(|&at| !u[..at].contains('/')) {
        u.drain(..=at);
    }
    if !had_scheme {
        if let Some(colon) = u.find(':').filter(|&c| !u[..c].contains('/')) {
            u.replace_range(colon..=colon, "/");
        }
    }
    let mut u = u.trim_end_matches('/').to_string();
    if let Some(s) = u.strip_suffix(".git") {
        u = s.trim_end_matches('/').to_string();
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_the_schema() {
        let ok = br#"{"description":"One thing links to another.","repositoryURLs":["https://github.com/mona/LinkedList"],"licenseURL":"https://www.apache.org/licenses/LICENSE-2.0","author":{"name":"Mona","organization":{"name":"GitHub"}},"originalPublicationTime":"2023-02-16T04:00:00Z","x-extra":1}"#;
        let m = ReleaseMetadata::parse(ok).unwrap();
        let v = m.version_metadata("LinkedList");
        assert_eq!(v.summary.as_deref(), Some("One thing links to another."));
        assert_eq!(
            v.source_code_repository.as_deref(),
            Some("https://github.com/mona/LinkedList")
        );
        assert!(v.licenses_json.unwrap().contains("LICENSE-2.0"));
        assert!(ReleaseMetadata::parse(b"{}").is_ok());
        for bad in [
            &b"[]"[..],
            b"{",
            br#"{"description":1}"#,
            br#"{"author":{}}"#,
            br#"{"author":{"name":"a","organization":{"url":"x"}}}"#,
            br#"{"repositoryURLs":"https://x"}"#,
            br#"{"repositoryURLs":[1]}"#,
            br#"{"originalPublicationTime":"yesterday"}"#,
        ] {
            assert!(
                ReleaseMetadata::parse(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn repository_urls_compare_across_spellings() {
        let n = normalize_repository_url;
        let want = "github.com/mona/linkedlist";
        for u in [
            "https://github.com/mona/LinkedList",
            "https://github.com/mona/LinkedList.git",
            "https://github.com/mona/LinkedList/",
            "git@github.com:mona/LinkedList.git",
            "ssh://git@github.com/mona/LinkedList.git",
            "http://github.com/Mona/linkedlist",
        ] {
            assert_eq!(n(u), want, "{u}");
        }
        assert_ne!(n("https://github.com/mona/HashMap"), want);
        assert_eq!(n("https://host:8443/x"), "host:8443/x");
    }
}
