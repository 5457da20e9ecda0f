//! Maven: the standard (Maven 2) repository layout, coordinates, SNAPSHOT builds, the publish state
//! machine (files make a version Unfinished, the artifact-level `maven-metadata.xml` publishes it),
//! checksums served from stored hashes, and POM metadata. The HTTP shapes are the native API
//! crate's; what is accepted, stored and shown is decided here.
//!
//! A SNAPSHOT (`1.0-SNAPSHOT`) is published as timestamped builds (`1.0-20250101.120000-3`); each
//! build is its own package version. Publishing a build makes it Published and every other build
//! of that SNAPSHOT Unlisted, and `1.0-SNAPSHOT` resolves to the Published build.

mod metadata;
mod pom;
mod publish;
mod read;
pub(crate) mod upstream;
mod version;
mod xml;

use crate::ServiceError;

pub use metadata::{parse_metadata, MavenMetadataDoc};
pub use pom::{parse_pom, Pom, PomDependency, PomParent};
pub use publish::MavenPut;
pub use read::MavenGet;

/// Largest POM, `maven-metadata.xml` or checksum body read into memory.
pub const MAX_XML_BYTES: usize = 1024 * 1024;
pub const MAX_CHECKSUM_BYTES: usize = 1024;
/// Longest path segment (group part, artifactId, version, file name).
const MAX_SEGMENT: usize = 255;
const METADATA_FILE: &str = "maven-metadata.xml";
const SNAPSHOT: &str = "-SNAPSHOT";

/// The hashes served as `{file}.md5|.sha1|.sha256|.sha512`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Checksum {
    const ALL: [(Checksum, &'static str); 4] = [
        (Checksum::Md5, ".md5"),
        (Checksum::Sha1, ".sha1"),
        (Checksum::Sha256, ".sha256"),
        (Checksum::Sha512, ".sha512"),
    ];

    /// Splits `file.jar.sha1` into (`file.jar`, Sha1).
    fn split(file: &str) -> (&str, Option<Checksum>) {
        for (kind, suffix) in Self::ALL {
            if let Some(base) = file.strip_suffix(suffix) {
                if !base.is_empty() {
                    return (base, Some(kind));
                }
            }
        }
        (file, None)
    }

    /// Length of the hex digest.
    pub fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha1 => 40,
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }

    pub(crate) fn of(self, asset: &arca_metadata::AssetRow) -> &str {
        match self {
            Self::Md5 => &asset.md5,
            Self::Sha1 => &asset.sha1,
            Self::Sha256 => &asset.sha256,
            Self::Sha512 => &asset.sha512,
        }
    }

    /// The digest of `bytes` (for documents Arca generates).
    pub(crate) fn digest(self, bytes: &[u8]) -> String {
        let info = arca_blobstore::MultiHasher::digest(bytes);
        match self {
            Self::Md5 => info.md5,
            Self::Sha1 => info.sha1,
            Self::Sha256 => info.sha256.to_hex(),
            Self::Sha512 => info.sha512,
        }
    }
}

/// What a path below the Maven endpoint names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MavenPath {
    /// `{group}/{artifact}/{version}/{file}[.sha1…]`.
    File {
        coords: Coords,
        version: String,
        file: String,
        checksum: Option<Checksum>,
    },
    /// `{group}/{artifact}/maven-metadata.xml[.sha1…]`.
    ArtifactMetadata {
        coords: Coords,
        checksum: Option<Checksum>,
    },
    /// `{group}/{artifact}/{X-SNAPSHOT}/maven-metadata.xml[.sha1…]`.
    SnapshotMetadata {
        coords: Coords,
        version: String,
        checksum: Option<Checksum>,
    },
}

/// A package: groupId (the namespace) and artifactId (the name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coords {
    pub group_id: String,
    pub artifact_id: String,
}

impl MavenPath {
    /// Parses a decoded path relative to the endpoint (`com/acme/app/1.0/app-1.0.jar`).
    pub fn parse(path: &str) -> Result<Self, ServiceError> {
        let segments: Vec<&str> = path.split('/').collect();
        if segments.len() < 3 {
            return Err(ServiceError::not_found(
                crate::ResourceType::Asset,
                path,
                format!("'{path}' is not a Maven repository path ({{group}}/{{artifact}}/{{version}}/{{file}})."),
            ));
        }
        let n = segments.len();
        let (last, checksum) = Checksum::split(segments[n - 1]);
        if last == METADATA_FILE {
            if n >= 4 && segments[n - 2].ends_with(SNAPSHOT) {
                let version = check_version(segments[n - 2])?;
                return Ok(Self::SnapshotMetadata {
                    coords: coords(&segments[..n - 3], segments[n - 3])?,
                    version,
                    checksum,
                });
            }
            return Ok(Self::ArtifactMetadata {
                coords: coords(&segments[..n - 2], segments[n - 2])?,
                checksum,
            });
        }
        if n < 4 {
            return Err(ServiceError::validation(format!(
                "'{path}' is not a Maven file path: {{group}}/{{artifact}}/{{version}}/{{file}}."
            )));
        }
        Ok(Self::File {
            coords: coords(&segments[..n - 3], segments[n - 3])?,
            version: check_version(segments[n - 2])?,
            file: check_file(last)?.to_string(),
            checksum,
        })
    }
}

fn invalid(what: &str, value: &str, rule: &str) -> ServiceError {
    ServiceError::validation(format!("Invalid Maven {what} '{value}': {rule}."))
}

fn coords(group: &[&str], artifact: &str) -> Result<Coords, ServiceError> {
    const RULE: &str = "letters, digits, '_' and '-' per path segment (dots separate segments)";
    if group.is_empty() {
        return Err(invalid("groupId", "", RULE));
    }
    for g in group {
        let ok = !g.is_empty()
            && g.len() <= MAX_SEGMENT
            && g.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !ok {
            return Err(invalid("groupId", &group.join("/"), RULE));
        }
    }
    let ok = !artifact.is_empty()
        && artifact.len() <= MAX_SEGMENT
        && artifact.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && artifact
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        return Err(invalid(
            "artifactId",
            artifact,
            "letters, digits, '_', '-' and '.', starting with a letter, digit or '_'",
        ));
    }
    Ok(Coords {
        group_id: group.join("."),
        artifact_id: artifact.to_string(),
    })
}

fn check_version(v: &str) -> Result<String, ServiceError> {
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(invalid(
            "version",
            v,
            "letters, digits, '_', '-', '.' and '+', starting with a letter or digit, at most 128 characters",
        ))
    }
}

fn check_file(f: &str) -> Result<&str, ServiceError> {
    let ok = !f.is_empty()
        && f.len() <= MAX_SEGMENT
        && !f.starts_with('.')
        && !f.contains('\\')
        && !f.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        Ok(f)
    } else {
        Err(invalid(
            "file name",
            f,
            "no path, no leading '.', no spaces or control characters, at most 255 bytes",
        ))
    }
}

/// A SNAPSHOT build version: `1.0-20250101.120000-3` of `1.0-SNAPSHOT`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Build {
    /// `20250101.120000`.
    pub timestamp: String,
    pub number: u32,
}

/// The build a version string names, if it is a build of `snapshot` (`X-SNAPSHOT`).
pub(crate) fn build_of(snapshot: &str, version: &str) -> Option<Build> {
    let base = snapshot.strip_suffix(SNAPSHOT)?;
    let rest = version.strip_prefix(base)?.strip_prefix('-')?;
    let (timestamp, number) = rest.split_once('-')?;
    let (date, time) = timestamp.split_once('.')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(date, 8) || !digits(time, 6) || !digits(number, number.len()) || number.is_empty() {
        return None;
    }
    Some(Build {
        timestamp: timestamp.to_string(),
        number: number.parse().ok()?,
    })
}

pub(crate) fn is_snapshot(version: &str) -> bool {
    version.ends_with(SNAPSHOT)
}

/// What a file name in version directory `dir` says: the version it belongs to (a build for a
/// SNAPSHOT), its classifier and extension. `None` if it is not `{artifact}-{version}[-{classifier}].{ext}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileName {
    pub version: String,
    pub classifier: Option<String>,
    pub extension: String,
}

pub(crate) fn file_name(artifact: &str, dir: &str, file: &str) -> Option<FileName> {
    let rest = file.strip_prefix(artifact)?.strip_prefix('-')?;
    let candidates: Vec<String> = if is_snapshot(dir) {
        // `{base}-{timestamp}-{n}`: the build number ends at the next '-' or '.'.
        let base = dir.strip_suffix(SNAPSHOT)?;
        let after = rest.strip_prefix(base)?.strip_prefix('-')?;
        let end = after
            .char_indices()
            .filter(|(_, c)| *c == '-' || *c == '.')
            .map(|(i, _)| i)
            .nth(2)
            .unwrap_or(after.len());
        vec![
            format!("{base}-{}", &after[..end]),
            dir.to_string(), // the non-unique spelling, resolved at read time
        ]
    } else {
        vec![dir.to_string()]
    };
    for version in candidates {
        let Some(tail) = rest.strip_prefix(&version) else {
            continue;
        };
        if version != dir && build_of(dir, &version).is_none() {
            continue;
        }
        let (classifier, extension) = if let Some(t) = tail.strip_prefix('-') {
            let (c, e) = t.split_once('.')?;
            (Some(c.to_string()), e)
        } else {
            (None, tail.strip_prefix('.')?)
        };
        if extension.is_empty() || classifier.as_deref() == Some("") {
            return None;
        }
        return Some(FileName {
            version,
            classifier,
            extension: extension.to_string(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let p = MavenPath::parse("com/acme/app/1.0/app-1.0.jar.sha1").unwrap();
        assert_eq!(
            p,
            MavenPath::File {
                coords: Coords {
                    group_id: "com.acme".into(),
                    artifact_id: "app".into()
                },
                version: "1.0".into(),
                file: "app-1.0.jar".into(),
                checksum: Some(Checksum::Sha1)
            }
        );
        assert!(matches!(
            MavenPath::parse("com/acme/app/maven-metadata.xml").unwrap(),
            MavenPath::ArtifactMetadata { checksum: None, .. }
        ));
        assert!(matches!(
            MavenPath::parse("com/acme/app/1.0-SNAPSHOT/maven-metadata.xml.md5").unwrap(),
            MavenPath::SnapshotMetadata {
                checksum: Some(Checksum::Md5),
                ..
            }
        ));
        for bad in [
            "com/acme/app/1.0/../x.jar",
            "com/ac.me/app/1.0/app-1.0.jar",
            "com//app/1.0/app-1.0.jar",
            "com/acme/app/../app-1.0.jar",
            "com/acme/app/1.0/.hidden",
            "acme/app/x.jar",
        ] {
            assert!(MavenPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_names_and_builds() {
        let f = file_name("app", "1.0", "app-1.0-sources.jar").unwrap();
        assert_eq!(
            (
                f.version.as_str(),
                f.classifier.as_deref(),
                f.extension.as_str()
            ),
            ("1.0", Some("sources"), "jar")
        );
        let f = file_name("app", "1.0", "app-1.0.tar.gz").unwrap();
        assert_eq!((f.classifier, f.extension.as_str()), (None, "tar.gz"));
        assert!(file_name("app", "1.0", "other-1.0.jar").is_none());
        assert!(file_name("app", "1.0", "app-1.01.jar").is_none());
        let f = file_name(
            "app",
            "1.0-SNAPSHOT",
            "app-1.0-20250101.120000-12-tests.jar",
        )
        .unwrap();
        assert_eq!(f.version, "1.0-20250101.120000-12");
        assert_eq!(f.classifier.as_deref(), Some("tests"));
        let f = file_name("app", "1.0-SNAPSHOT", "app-1.0-SNAPSHOT.pom").unwrap();
        assert_eq!(f.version, "1.0-SNAPSHOT");
        assert!(file_name("app", "1.0-SNAPSHOT", "app-1.0-2025.jar").is_none());
        assert_eq!(
            build_of("1.0-SNAPSHOT", "1.0-20250101.120000-3"),
            Some(Build {
                timestamp: "20250101.120000".into(),
                number: 3
            })
        );
        assert!(build_of("1.0-SNAPSHOT", "1.0").is_none());
        assert!(build_of("1.0-SNAPSHOT", "1.0-20250101.1200-3").is_none());
        assert!(
            build_of("1.0-SNAPSHOT", "1.0-20250101.120000-3")
                < build_of("1.0-SNAPSHOT", "1.0-20250101.120000-10")
        );
    }
}
