//! A POM's coordinates, the metadata DescribePackageVersion shows (name, description, url, scm
//! url, licenses), its parent and its `<dependencies>`. Parent POMs are not read (as on AWS), and
//! `${…}` properties are kept as written.

use arca_metadata::{PackageDependency, VersionDetails, VersionMetadata};
use serde_json::json;

use super::xml::{walk, Step};
use super::Coords;
use crate::ServiceError;

/// Longest metadata field kept; longer text (a long description) is cut there.
const MAX_FIELD_CHARS: usize = 4096;
const MAX_DEPENDENCIES: usize = 2000;
const MAX_LICENSES: usize = 50;

/// What Arca reads from a POM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pom {
    pub group_id: Option<String>,
    pub artifact_id: Option<String>,
    pub version: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub scm_url: Option<String>,
    /// (name, url) of each `<license>`.
    pub licenses: Vec<(Option<String>, Option<String>)>,
    pub parent: Option<PomParent>,
    /// `<project><dependencies>` (not `<dependencyManagement>`), in document order.
    pub dependencies: Vec<PomDependency>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PomParent {
    pub group_id: String,
    pub artifact_id: String,
    pub version: String,
}

/// One `<dependency>`; `scope` as written (Maven's default is `compile`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PomDependency {
    pub group_id: String,
    pub artifact_id: String,
    pub version: Option<String>,
    pub scope: Option<String>,
    pub optional: bool,
}

/// Parses a POM (at most [`super::MAX_XML_BYTES`]); garbage → 400.
pub fn parse_pom(bytes: &[u8]) -> Result<Pom, ServiceError> {
    let mut pom = Pom::default();
    let mut parent = PomParent::default();
    let mut dep = PomDependency::default();
    let mut license: (Option<String>, Option<String>) = (None, None);
    let mut root_ok = false;
    walk(bytes, "The POM", |step| {
        match step {
            Step::Open { path } => {
                if path.len() == 1 {
                    root_ok = path[0] == "project";
                }
                if !root_ok {
                    return Err(ServiceError::validation(
                        "The POM's root element must be <project>.",
                    ));
                }
            }
            Step::Close { path, text } => {
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                let t = || Some(cut(text));
                match p.as_slice() {
                    ["project", "groupId"] => pom.group_id = t(),
                    ["project", "artifactId"] => pom.artifact_id = t(),
                    ["project", "version"] => pom.version = t(),
                    ["project", "name"] => pom.name = t(),
                    ["project", "description"] => pom.description = t(),
                    ["project", "url"] => pom.url = t(),
                    ["project", "scm", "url"] => pom.scm_url = t(),
                    ["project", "parent", "groupId"] => parent.group_id = cut(text),
                    ["project", "parent", "artifactId"] => parent.artifact_id = cut(text),
                    ["project", "parent", "version"] => parent.version = cut(text),
                    ["project", "parent"] => pom.parent = Some(std::mem::take(&mut parent)),
                    ["project", "licenses", "license", "name"] => license.0 = t(),
                    ["project", "licenses", "license", "url"] => license.1 = t(),
                    ["project", "licenses", "license"] => {
                        if pom.licenses.len() >= MAX_LICENSES {
                            return Err(ServiceError::validation(format!(
                                "The POM lists more than {MAX_LICENSES} licenses."
                            )));
                        }
                        pom.licenses.push(std::mem::take(&mut license));
                    }
                    ["project", "dependencies", "dependency", field] => match *field {
                        "groupId" => dep.group_id = cut(text),
                        "artifactId" => dep.artifact_id = cut(text),
                        "version" => dep.version = t(),
                        "scope" => dep.scope = t(),
                        "optional" => dep.optional = text == "true",
                        _ => {}
                    },
                    ["project", "dependencies", "dependency"] => {
                        let d = std::mem::take(&mut dep);
                        if d.group_id.is_empty() || d.artifact_id.is_empty() {
                            return Err(ServiceError::validation(
                                "A dependency in the POM has no groupId or artifactId.",
                            ));
                        }
                        if pom.dependencies.len() >= MAX_DEPENDENCIES {
                            return Err(ServiceError::validation(format!(
                                "The POM lists more than {MAX_DEPENDENCIES} dependencies."
                            )));
                        }
                        pom.dependencies.push(d);
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    })?;
    Ok(pom)
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_FIELD_CHARS).collect()
}

impl Pom {
    /// The groupId, inherited from the parent when the POM has none.
    pub fn effective_group(&self) -> Option<&str> {
        self.group_id
            .as_deref()
            .or(self.parent.as_ref().map(|p| p.group_id.as_str()))
    }

    pub fn effective_version(&self) -> Option<&str> {
        self.version
            .as_deref()
            .or(self.parent.as_ref().map(|p| p.version.as_str()))
    }

    /// Refuses a POM that names another artifact than the path it was uploaded to (values that
    /// still hold a `${…}` property are not compared).
    pub(crate) fn check_matches(
        &self,
        coords: &Coords,
        dir_version: &str,
    ) -> Result<(), ServiceError> {
        let differs = |field: &str, got: Option<&str>, want: &str| match got {
            Some(g) if !g.contains("${") && g != want => Err(ServiceError::validation(format!(
                "The POM's {field} '{g}' does not match the path's '{want}'."
            ))),
            None => Err(ServiceError::validation(format!("The POM has no {field}."))),
            _ => Ok(()),
        };
        differs("groupId", self.effective_group(), &coords.group_id)?;
        differs(
            "artifactId",
            self.artifact_id.as_deref(),
            &coords.artifact_id,
        )?;
        differs("version", self.effective_version(), dir_version)
    }

    /// DescribePackageVersion's metadata: displayName (`<name>`, else the artifactId), summary
    /// (`<description>`), homePage (`<url>`), sourceCodeRepository (`<scm><url>`), licenses.
    pub fn version_metadata(&self) -> VersionMetadata {
        let licenses: Vec<serde_json::Value> = self
            .licenses
            .iter()
            .filter(|(n, u)| n.is_some() || u.is_some())
            .map(|(n, u)| {
                let mut l = serde_json::Map::new();
                if let Some(n) = n {
                    l.insert("name".into(), json!(n));
                }
                if let Some(u) = u {
                    l.insert("url".into(), json!(u));
                }
                serde_json::Value::Object(l)
            })
            .collect();
        let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        VersionMetadata {
            display_name: non_empty(&self.name).or_else(|| non_empty(&self.artifact_id)),
            summary: non_empty(&self.description),
            home_page: non_empty(&self.url),
            source_code_repository: non_empty(&self.scm_url),
            licenses_json: (!licenses.is_empty())
                .then(|| serde_json::Value::Array(licenses).to_string()),
        }
    }

    /// ListPackageVersionDependencies' view: the parent (type `parent`), then each dependency
    /// with its scope as type (`compile` when unset, `optional` when marked so); Maven has no
    /// readme.
    pub fn version_details(&self) -> VersionDetails {
        let dep = |group: &str, artifact: &str, kind: &str, version: &str| PackageDependency {
            namespace: group.to_string(),
            package: artifact.to_string(),
            dependency_type: Some(kind.to_string()),
            version_requirement: (!version.is_empty()).then(|| version.to_string()),
        };
        let parent = self
            .parent
            .iter()
            .map(|p| dep(&p.group_id, &p.artifact_id, "parent", &p.version));
        let deps = self.dependencies.iter().map(|d| {
            let kind = match (d.optional, d.scope.as_deref()) {
                (true, _) => "optional",
                (false, Some(scope)) if !scope.is_empty() => scope,
                _ => "compile",
            };
            dep(
                &d.group_id,
                &d.artifact_id,
                kind,
                d.version.as_deref().unwrap_or(""),
            )
        });
        VersionDetails {
            dependencies: parent.chain(deps).collect(),
            readme: None,
            deprecated: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.acme</groupId><artifactId>parent</artifactId><version>7</version></parent>
  <artifactId>app</artifactId>
  <version>1.0</version>
  <name>Acme &amp; App</name>
  <description> The app </description>
  <url>https://acme.example/app</url>
  <scm><url>https://git.example/app</url></scm>
  <licenses><license><name>Apache-2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0</url></license></licenses>
  <dependencyManagement><dependencies><dependency>
    <groupId>x</groupId><artifactId>managed</artifactId><version>1</version>
  </dependency></dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>lib</artifactId><version>2.1</version></dependency>
    <dependency>
      <groupId>junit</groupId><artifactId>junit</artifactId><version>${junit.version}</version>
      <scope>test</scope><optional>true</optional>
    </dependency>
  </dependencies>
</project>"#;

    #[test]
    fn reads_metadata_parent_and_dependencies() {
        let pom = parse_pom(POM.as_bytes()).unwrap();
        assert_eq!(pom.effective_group(), Some("com.acme"));
        let coords = Coords {
            group_id: "com.acme".into(),
            artifact_id: "app".into(),
        };
        pom.check_matches(&coords, "1.0").unwrap();
        assert!(pom.check_matches(&coords, "2.0").is_err());
        assert_eq!(
            pom.dependencies,
            vec![
                PomDependency {
                    group_id: "com.acme".into(),
                    artifact_id: "lib".into(),
                    version: Some("2.1".into()),
                    scope: None,
                    optional: false,
                },
                PomDependency {
                    group_id: "junit".into(),
                    artifact_id: "junit".into(),
                    version: Some("${junit.version}".into()),
                    scope: Some("test".into()),
                    optional: true,
                },
            ]
        );
        let m = pom.version_metadata();
        assert_eq!(m.display_name.as_deref(), Some("Acme & App"));
        assert_eq!(m.summary.as_deref(), Some("The app"));
        assert_eq!(m.home_page.as_deref(), Some("https://acme.example/app"));
        assert_eq!(
            m.source_code_repository.as_deref(),
            Some("https://git.example/app")
        );
        assert_eq!(
            m.licenses_json.as_deref(),
            Some(r#"[{"name":"Apache-2.0","url":"https://www.apache.org/licenses/LICENSE-2.0"}]"#)
        );
        let types: Vec<_> = pom
            .version_details()
            .dependencies
            .into_iter()
            .map(|d| {
                (
                    d.namespace,
                    d.package,
                    d.dependency_type.unwrap(),
                    d.version_requirement,
                )
            })
            .collect();
        let s = |x: &str| x.to_string();
        assert_eq!(
            types,
            vec![
                (s("com.acme"), s("parent"), s("parent"), Some(s("7"))),
                (s("com.acme"), s("lib"), s("compile"), Some(s("2.1"))),
                (
                    s("junit"),
                    s("junit"),
                    s("optional"),
                    Some(s("${junit.version}"))
                ),
            ]
        );
    }

    #[test]
    fn refuses_garbage() {
        for bad in [
            "not xml at all",
            "<project><artifactId>a</project>",
            "<metadata/>",
            "<!DOCTYPE project [<!ENTITY x \"y\">]><project/>",
            "<project><name>&x;</name></project>",
            "<project/><project/>",
            "",
        ] {
            assert!(parse_pom(bad.as_bytes()).is_err(), "{bad}");
        }
        let deep = format!(
            "<project>{}{}</project>",
            "<a>".repeat(40),
            "</a>".repeat(40)
        );
        assert!(parse_pom(deep.as_bytes()).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// A POM (at most 1 MiB, read whole by the caller) is parsed or refused, never a panic,
        /// and every field it yields is within its bound, however the document is damaged.
        #[test]
        fn parser_is_total_and_bounded(
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 0..6),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
            long in 0usize..6000,
        ) {
            let mut bytes = POM.replace("Acme &amp; App", &"n".repeat(long)).into_bytes();
            for (at, v) in &flips {
                let i = at.index(bytes.len());
                bytes[i] = *v;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Ok(pom) = parse_pom(&bytes) {
                let fields = [&pom.name, &pom.description, &pom.url, &pom.scm_url, &pom.version];
                for f in fields.into_iter().flatten() {
                    proptest::prop_assert!(f.chars().count() <= MAX_FIELD_CHARS);
                }
                proptest::prop_assert!(pom.licenses.len() <= MAX_LICENSES);
                proptest::prop_assert!(pom.dependencies.len() <= MAX_DEPENDENCIES);
            }
        }
    }
}
