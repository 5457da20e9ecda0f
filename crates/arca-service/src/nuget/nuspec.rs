//! The `.nuspec` of a `.nupkg`: found at the zip's top level with `arca-archive`'s bounded
//! scanner (read as a stream, the scan ends at the manifest), and read with a bounded quick-xml
//! walk (no DTDs or entities beyond XML's own, depth 16, at most [`MAX_NUSPEC_BYTES`]): the
//! fields a feed answers with (id, version, authors, description, license, project URL, tags,
//! dependency groups).

use std::io::Read;

use arca_archive::{ArchiveError, Limits, ZipScanner};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Largest `.nuspec` read.
pub(crate) const MAX_NUSPEC_BYTES: u64 = 1024 * 1024;
/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 16;
/// Longest entry name of a package.
const MAX_NAME_BYTES: u64 = 4096;

/// What a package's manifest declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nuspec {
    pub id: String,
    pub version: String,
    pub authors: Option<String>,
    pub description: Option<String>,
    pub summary: Option<String>,
    pub title: Option<String>,
    pub tags: Option<String>,
    pub project_url: Option<String>,
    pub icon_url: Option<String>,
    pub license_url: Option<String>,
    /// `<license type="expression">` (an SPDX expression).
    pub license_expression: Option<String>,
    pub require_license_acceptance: bool,
    pub min_client_version: Option<String>,
    pub language: Option<String>,
    /// Dependency groups; dependencies outside any group form one group without a framework.
    pub groups: Vec<NuspecGroup>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NuspecGroup {
    pub target_framework: Option<String>,
    pub dependencies: Vec<NuspecDependency>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NuspecDependency {
    pub id: String,
    /// The version range as written (`1.0.0` means `[1.0.0, )`); `None` when absent.
    pub range: Option<String>,
}

/// The bytes of the package's top-level `.nuspec`, or why there is none.
pub(crate) fn find_nuspec(r: impl Read) -> Result<Vec<u8>, String> {
    let limits = Limits {
        max_header_bytes: MAX_NAME_BYTES,
        ..Limits::default()
    };
    let mut zip = ZipScanner::new(r, limits);
    let unreadable = |e: ArchiveError| format!("the package is not a zip Arca can read ({e})");
    while let Some(mut entry) = zip.next_entry().map_err(unreadable)? {
        let name = entry.name().into_owned();
        if name.contains('/') || !name.to_ascii_lowercase().ends_with(".nuspec") {
            continue;
        }
        return entry.read_to_vec(MAX_NUSPEC_BYTES).map_err(|e| match e {
            ArchiveError::Limit { .. } => {
                format!("the package's {name} is larger than {MAX_NUSPEC_BYTES} bytes")
            }
            e => unreadable(e),
        });
    }
    Err("the package has no .nuspec at its top level".into())
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.local_name().as_ref() == name.as_bytes() {
            let v = a.unescape_value().map_err(|e| e.to_string())?;
            return Ok(Some(v.trim().to_string()));
        }
    }
    Ok(None)
}

/// Parses a `.nuspec`; the error says what is wrong with it.
pub fn parse_nuspec(bytes: &[u8]) -> Result<Nuspec, String> {
    let garbage = |why: String| format!("the .nuspec is not valid XML: {why}");
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut out = Nuspec::default();
    let mut license_type: Option<String> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| garbage(e.to_string()))?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                if path.len() >= MAX_DEPTH {
                    return Err(garbage(format!("elements nest deeper than {MAX_DEPTH}")));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                path.push(name);
                text.clear();
                let at: Vec<&str> = path.iter().map(String::as_str).collect();
                match at.as_slice() {
                    ["package", "metadata", "license"] => license_type = attr(&e, "type")?,
                    ["package", "metadata", "dependencies", "group"] => {
                        out.groups.push(NuspecGroup {
                            target_framework: attr(&e, "targetFramework")?
                                .filter(|s| !s.is_empty()),
                            dependencies: Vec::new(),
                        })
                    }
                    ["package", "metadata", "dependencies", rest @ ..]
                        if rest.last() == Some(&"dependency") && rest.len() <= 2 =>
                    {
                        let id = attr(&e, "id")?
                            .filter(|s| !s.is_empty())
                            .ok_or("a <dependency> of the .nuspec has no id")?;
                        let range = attr(&e, "version")?.filter(|s| !s.is_empty());
                        if rest.len() == 1
                            && out
                                .groups
                                .first()
                                .is_none_or(|g| g.target_framework.is_some())
                        {
                            out.groups.insert(0, NuspecGroup::default());
                        }
                        let group = if rest.len() == 1 {
                            out.groups.first_mut()
                        } else {
                            out.groups.last_mut()
                        };
                        if let Some(g) = group {
                            g.dependencies.push(NuspecDependency { id, range });
                        }
                    }
                    _ => {}
                }
                if empty {
                    close(&mut out, &path, "", &license_type);
                    path.pop();
                }
            }
            Event::End(_) => {
                close(&mut out, &path, text.trim(), &license_type);
                path.pop();
                text.clear();
            }
            Event::Text(t) => {
                let t = t.decode().map_err(|e| garbage(e.to_string()))?;
                let t = quick_xml::escape::unescape(&t).map_err(|e| garbage(e.to_string()))?;
                text.push_str(&t);
            }
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| garbage(e.to_string()))?;
                let resolved = match r.resolve_char_ref().map_err(|e| garbage(e.to_string()))? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_xml_entity(&name)
                        .ok_or_else(|| garbage(format!("unknown entity &{name};")))?
                        .to_string(),
                };
                text.push_str(&resolved);
            }
            Event::DocType(_) => return Err(garbage("a DOCTYPE is not accepted".into())),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if out.id.is_empty() || out.version.is_empty() {
        return Err("the .nuspec has no <id> or no <version> in <package><metadata>".into());
    }
    Ok(out)
}

/// Keeps the text of a closing element of interest.
fn close(out: &mut Nuspec, path: &[String], text: &str, license_type: &Option<String>) {
    let at: Vec<&str> = path.iter().map(String::as_str).collect();
    let ["package", "metadata", field] = at.as_slice() else {
        return;
    };
    let value = (!text.is_empty()).then(|| text.to_string());
    match *field {
        "id" => out.id = text.to_string(),
        "version" => out.version = text.to_string(),
        "authors" => out.authors = value,
        "description" => out.description = value,
        "summary" => out.summary = value,
        "title" => out.title = value,
        "tags" => out.tags = value,
        "projectUrl" => out.project_url = value,
        "iconUrl" => out.icon_url = value,
        "licenseUrl" => out.license_url = value,
        "license" if license_type.as_deref() == Some("expression") => {
            out.license_expression = value
        }
        "requireLicenseAcceptance" => {
            out.require_license_acceptance = text.eq_ignore_ascii_case("true")
        }
        "minClientVersion" => {}
        "language" => out.language = value,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="2.12">
    <id>Kit.App</id>
    <version>1.02.0</version>
    <authors>Acme &amp; Co</authors>
    <description>The app.</description>
    <license type="expression">MIT</license>
    <projectUrl>https://acme.test/kit</projectUrl>
    <dependencies>
      <group targetFramework=".NETStandard2.0">
        <dependency id="Kit.Core" version="[1.0.0, )" exclude="Build" />
      </group>
      <group targetFramework="net45" />
    </dependencies>
  </metadata>
</package>"#;

    #[test]
    fn reads_fields_and_groups() {
        let n = parse_nuspec(SPEC.as_bytes()).unwrap();
        assert_eq!((n.id.as_str(), n.version.as_str()), ("Kit.App", "1.02.0"));
        assert_eq!(n.authors.as_deref(), Some("Acme & Co"));
        assert_eq!(n.license_expression.as_deref(), Some("MIT"));
        assert_eq!(n.project_url.as_deref(), Some("https://acme.test/kit"));
        assert_eq!(n.groups.len(), 2);
        assert_eq!(
            n.groups[0].target_framework.as_deref(),
            Some(".NETStandard2.0")
        );
        assert_eq!(
            n.groups[0].dependencies,
            [NuspecDependency {
                id: "Kit.Core".into(),
                range: Some("[1.0.0, )".into())
            }]
        );
        assert!(n.groups[1].dependencies.is_empty());
    }

    #[test]
    fn flat_dependencies_and_refusals() {
        let flat = r#"<package><metadata><id>A</id><version>1.0.0</version><dependencies><dependency id="B" version="2.0.0"/></dependencies></metadata></package>"#;
        let n = parse_nuspec(flat.as_bytes()).unwrap();
        assert_eq!(n.groups.len(), 1);
        assert_eq!(n.groups[0].target_framework, None);
        assert_eq!(n.groups[0].dependencies[0].id, "B");
        for bad in [
            "<package><metadata><version>1.0.0</version></metadata></package>",
            "<package><metadata><id>A</id></metadata></package>",
            "<!DOCTYPE x [<!ENTITY a 'b'>]><package/>",
            "<package><metadata><id>A</metadata></package>",
            "<package><metadata><id>&foo;</id><version>1</version></metadata></package>",
        ] {
            assert!(parse_nuspec(bad.as_bytes()).is_err(), "{bad}");
        }
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        assert!(parse_nuspec(deep.as_bytes()).is_err());
    }

    #[test]
    fn finds_the_top_level_nuspec() {
        let pkg = crate::test_zip::zip(&[
            ("lib/net45/a.nuspec", b"nope", false),
            ("Kit.App.nuspec", SPEC.as_bytes(), true),
        ]);
        assert_eq!(find_nuspec(&pkg[..]).unwrap(), SPEC.as_bytes());
        let none = crate::test_zip::zip(&[("lib/a.dll", b"x", false)]);
        assert!(find_nuspec(&none[..]).is_err());
        assert!(find_nuspec(&b"not a zip"[..]).is_err());
    }
}
