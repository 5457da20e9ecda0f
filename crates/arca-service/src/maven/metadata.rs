//! `maven-metadata.xml`: reading what a client uploads (which versions it lists) and writing the
//! documents Arca serves, generated from the stored versions rather than stored.

use super::xml::{element, walk, Step};
use super::Coords;
use crate::ServiceError;

/// What an uploaded `maven-metadata.xml` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MavenMetadataDoc {
    pub group_id: Option<String>,
    pub artifact_id: Option<String>,
    /// `<version>` (version-level documents).
    pub version: Option<String>,
    /// `<versioning><versions><version>…`, in document order.
    pub versions: Vec<String>,
    /// `<versioning><lastUpdated>` (`yyyyMMddHHmmss`).
    pub last_updated: Option<String>,
}

const MAX_VERSIONS: usize = 100_000;

/// Parses an uploaded `maven-metadata.xml`; garbage → 400.
pub fn parse_metadata(bytes: &[u8]) -> Result<MavenMetadataDoc, ServiceError> {
    let mut doc = MavenMetadataDoc::default();
    walk(bytes, "maven-metadata.xml", |step| {
        match step {
            Step::Open { path } if path.len() == 1 && path[0] != "metadata" => {
                return Err(ServiceError::validation(
                    "maven-metadata.xml's root element must be <metadata>.",
                ))
            }
            Step::Open { .. } => {}
            Step::Close { path, text } => {
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                match p.as_slice() {
                    ["metadata", "groupId"] => doc.group_id = Some(text.to_string()),
                    ["metadata", "artifactId"] => doc.artifact_id = Some(text.to_string()),
                    ["metadata", "version"] => doc.version = Some(text.to_string()),
                    ["metadata", "versioning", "lastUpdated"] => {
                        doc.last_updated = Some(text.to_string())
                    }
                    ["metadata", "versioning", "versions", "version"] => {
                        if doc.versions.len() >= MAX_VERSIONS {
                            return Err(ServiceError::validation(
                                "maven-metadata.xml lists too many versions.",
                            ));
                        }
                        doc.versions.push(text.to_string());
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    })?;
    Ok(doc)
}

impl MavenMetadataDoc {
    /// Refuses a document about another artifact than the path it was uploaded to.
    pub(crate) fn check_matches(&self, coords: &Coords) -> Result<(), ServiceError> {
        let check = |field: &str, got: &Option<String>, want: &str| match got {
            Some(g) if g != want => Err(ServiceError::validation(format!(
                "maven-metadata.xml's {field} '{g}' does not match the path's '{want}'."
            ))),
            _ => Ok(()),
        };
        check("groupId", &self.group_id, &coords.group_id)?;
        check("artifactId", &self.artifact_id, &coords.artifact_id)
    }
}

/// `yyyyMMddHHmmss` (UTC), Maven's `lastUpdated`.
pub(crate) fn last_updated(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Maven's `lastUpdated` (`yyyyMMddHHmmss`, UTC) as ms since the epoch.
pub(crate) fn parse_last_updated(s: &str) -> Option<i64> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u8>().ok();
    let date = time::Date::from_calendar_date(
        s[0..4].parse().ok()?,
        time::Month::try_from(n(4..6)?).ok()?,
        n(6..8)?,
    )
    .ok()?;
    let t = date
        .with_hms(n(8..10)?, n(10..12)?, n(12..14)?)
        .ok()?
        .assume_utc();
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

fn header(out: &mut String, coords: &Coords) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<metadata>\n");
    element(out, 2, "groupId", &coords.group_id);
    element(out, 2, "artifactId", &coords.artifact_id);
}

/// The artifact-level document: `versions` in order (oldest first), `latest` the last,
/// `release` the last that is not a SNAPSHOT.
pub(crate) fn artifact_document(coords: &Coords, versions: &[String], updated_ms: i64) -> String {
    let mut out = String::new();
    header(&mut out, coords);
    out.push_str("  <versioning>\n");
    if let Some(latest) = versions.last() {
        element(&mut out, 4, "latest", latest);
    }
    if let Some(release) = versions.iter().rev().find(|v| !super::is_snapshot(v)) {
        element(&mut out, 4, "release", release);
    }
    out.push_str("    <versions>\n");
    for v in versions {
        element(&mut out, 6, "version", v);
    }
    out.push_str("    </versions>\n");
    element(&mut out, 4, "lastUpdated", &last_updated(updated_ms));
    out.push_str("  </versioning>\n</metadata>\n");
    out
}

/// One file of a SNAPSHOT build, as `<snapshotVersion>` lists it.
pub(crate) struct SnapshotFile {
    pub classifier: Option<String>,
    pub extension: String,
}

/// The version-level document of `snapshot` whose current build is `build` (`1.0-20250101.120000-3`).
pub(crate) fn snapshot_document(
    coords: &Coords,
    snapshot: &str,
    build: &str,
    b: &super::Build,
    files: &[SnapshotFile],
    updated_ms: i64,
) -> String {
    let updated = last_updated(updated_ms);
    let mut out = String::new();
    header(&mut out, coords);
    element(&mut out, 2, "version", snapshot);
    out.push_str("  <versioning>\n    <snapshot>\n");
    element(&mut out, 6, "timestamp", &b.timestamp);
    element(&mut out, 6, "buildNumber", &b.number.to_string());
    out.push_str("    </snapshot>\n");
    element(&mut out, 4, "lastUpdated", &updated);
    out.push_str("    <snapshotVersions>\n");
    for f in files {
        out.push_str("      <snapshotVersion>\n");
        if let Some(c) = &f.classifier {
            element(&mut out, 8, "classifier", c);
        }
        element(&mut out, 8, "extension", &f.extension);
        element(&mut out, 8, "value", build);
        element(&mut out, 8, "updated", &updated);
        out.push_str("      </snapshotVersion>\n");
    }
    out.push_str("    </snapshotVersions>\n  </versioning>\n</metadata>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coords() -> Coords {
        Coords {
            group_id: "com.acme".into(),
            artifact_id: "app".into(),
        }
    }

    #[test]
    fn reads_what_mvn_uploads() {
        let doc = parse_metadata(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<metadata><groupId>com.acme</groupId><artifactId>app</artifactId>
<versioning><release>1.1</release><versions><version>1.0</version><version>1.1</version></versions>
<lastUpdated>20250101120000</lastUpdated></versioning></metadata>"#,
        )
        .unwrap();
        assert_eq!(doc.versions, ["1.0", "1.1"]);
        doc.check_matches(&coords()).unwrap();
        let other = MavenMetadataDoc {
            artifact_id: Some("other".into()),
            ..doc
        };
        assert!(other.check_matches(&coords()).is_err());
        assert!(parse_metadata(b"<project/>").is_err());
        assert!(parse_metadata(b"<metadata>").is_err());
    }

    #[test]
    fn documents_round_trip() {
        let versions = vec!["1.0".to_string(), "1.1".into(), "2.0-SNAPSHOT".into()];
        let xml = artifact_document(&coords(), &versions, 1_735_732_800_000);
        assert!(xml.contains("<latest>2.0-SNAPSHOT</latest>"), "{xml}");
        assert!(xml.contains("<release>1.1</release>"), "{xml}");
        assert!(
            xml.contains("<lastUpdated>20250101120000</lastUpdated>"),
            "{xml}"
        );
        assert_eq!(
            parse_last_updated(&last_updated(1_735_732_800_000)),
            Some(1_735_732_800_000)
        );
        assert_eq!(parse_last_updated("2025010112000"), None);
        assert_eq!(parse_last_updated("20251301120000"), None);
        assert_eq!(parse_metadata(xml.as_bytes()).unwrap().versions, versions);
        let b = super::super::build_of("2.0-SNAPSHOT", "2.0-20250101.120000-4").unwrap();
        let files = [
            SnapshotFile {
                classifier: None,
                extension: "jar".into(),
            },
            SnapshotFile {
                classifier: Some("sources".into()),
                extension: "jar".into(),
            },
        ];
        let xml = snapshot_document(
            &coords(),
            "2.0-SNAPSHOT",
            "2.0-20250101.120000-4",
            &b,
            &files,
            0,
        );
        assert!(xml.contains("<buildNumber>4</buildNumber>"), "{xml}");
        assert!(xml.contains("<classifier>sources</classifier>"), "{xml}");
        assert_eq!(
            parse_metadata(xml.as_bytes()).unwrap().version.as_deref(),
            Some("2.0-SNAPSHOT")
        );
    }
}
