//! A `.gem`'s specification: the gem is a plain tar whose `metadata.gz` is the gzipped YAML of its
//! `Gem::Specification` (as `gem build` writes it, tags `!ruby/object:Gem::…`). Found with
//! arca-archive's bounded tar walker, unpacked to at most [`MAX_METADATA_BYTES`], and read with
//! yaml-rust2's event parser into a small tree: no aliases (RubyGems writes none), at most
//! [`MAX_DEPTH`] levels, so a hostile document costs what its bytes cost.

use std::io::Read;
use std::sync::Arc;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// Most entries walked in a `.gem` (it has three: metadata.gz, data.tar.gz, checksums.yaml.gz).
const MAX_ENTRIES: usize = 64;
/// Largest `metadata.gz`, compressed and unpacked.
pub const MAX_METADATA_BYTES: u64 = 2 * 1024 * 1024;
/// Deepest YAML nesting read.
const MAX_DEPTH: usize = 32;

/// A version requirement: `(operator, version)`, e.g. `("~>", "1.0")`.
pub type Requirement = Vec<(String, String)>;

/// What Arca keeps of a gem's specification.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GemSpec {
    pub name: String,
    pub version: String,
    /// `ruby` for a pure gem.
    pub platform: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub licenses: Vec<String>,
    pub authors: Vec<String>,
    pub email: Vec<String>,
    /// The `metadata` hash (`source_code_uri`, …).
    pub metadata: Vec<(String, String)>,
    pub required_ruby_version: Requirement,
    pub required_rubygems_version: Requirement,
    pub dependencies: Vec<GemDependency>,
    /// `rubygems_version`, `specification_version` and `date` as the gem has them.
    pub rubygems_version: String,
    pub specification_version: i64,
    pub date: Option<String>,
    /// Bytes of the YAML (for the cache's weight).
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GemDependency {
    pub name: String,
    /// `runtime` or `development`.
    pub kind: String,
    pub requirement: Requirement,
}

impl crate::digest_cache::Weigh for Arc<GemSpec> {
    fn weight(&self) -> usize {
        std::mem::size_of::<GemSpec>() + 2 * self.size
    }
}

/// The gzipped specification (`metadata.gz`) of a `.gem`, bounded.
pub fn find_metadata(r: impl Read) -> Result<Vec<u8>, String> {
    let limits = arca_archive::Limits {
        max_entries: MAX_ENTRIES,
        ..arca_archive::Limits::default()
    };
    let mut archive = arca_archive::TarWalker::new(r, limits);
    loop {
        let entry = archive
            .next_entry()
            .map_err(|e| format!("the .gem is not a readable tar ({e})"))?;
        let Some(mut entry) = entry else {
            return Err("the .gem has no metadata.gz".into());
        };
        if entry.is_file() && entry.path() == "metadata.gz" {
            let gz = entry
                .read_to_vec(MAX_METADATA_BYTES)
                .map_err(|e| format!("metadata.gz: {e}"))?;
            let gunzipped = arca_archive::gunzip(&gz[..]);
            return arca_archive::read_bounded(gunzipped, MAX_METADATA_BYTES, "metadata.gz")
                .map_err(|e| format!("metadata.gz is not a readable gzip ({e})"));
        }
    }
}

/// Reads a `.gem` into its specification.
pub fn read_gem(r: impl Read) -> Result<GemSpec, String> {
    parse_spec(&find_metadata(r)?)
}

/// A YAML node, tags dropped (the field names say what each node is).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| matches!(k, Node::Scalar(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            Node::Scalar(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// A string, or the strings of a list.
    fn texts(&self) -> Vec<String> {
        match self {
            Node::Scalar(s) => vec![s.clone()],
            Node::Seq(items) => items.iter().filter_map(Node::text).collect(),
            _ => Vec::new(),
        }
    }
}

/// Parses one YAML document into a [`Node`].
fn parse_yaml(text: &str) -> Result<Node, String> {
    let mut parser = Parser::new_from_str(text);
    // Containers being filled: (sequence items or mapping entries, pending mapping key).
    enum Open {
        Seq(Vec<Node>),
        Map(Vec<(Node, Node)>, Option<Node>),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut root = None;
    loop {
        let (event, _) = parser.next_token().map_err(|e| format!("YAML: {e}"))?;
        let node = match event {
            Event::StreamEnd | Event::DocumentEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentStart => continue,
            Event::Alias(_) => return Err("YAML aliases are not accepted in a gemspec".into()),
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("the gemspec nests deeper than {MAX_DEPTH} levels"));
                }
                stack.push(match event {
                    Event::SequenceStart(..) => Open::Seq(Vec::new()),
                    _ => Open::Map(Vec::new(), None),
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(items)) => Node::Seq(items),
                Some(Open::Map(pairs, _)) => Node::Map(pairs),
                None => return Err("YAML: unbalanced document".into()),
            },
            Event::Scalar(s, style, ..) => {
                let null = style == TScalarStyle::Plain && matches!(s.as_str(), "" | "~" | "null");
                if null {
                    Node::Null
                } else {
                    Node::Scalar(s)
                }
            }
        };
        match stack.last_mut() {
            None => {
                root = Some(node);
            }
            Some(Open::Seq(items)) => items.push(node),
            Some(Open::Map(pairs, key)) => match key.take() {
                None => *key = Some(node),
                Some(k) => pairs.push((k, node)),
            },
        }
    }
    root.ok_or_else(|| "the gemspec is empty".into())
}

fn requirement(node: Option<&Node>) -> Requirement {
    let Some(list) = node.and_then(|n| n.get("requirements")) else {
        return Vec::new();
    };
    let Node::Seq(items) = list else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|pair| match pair {
            Node::Seq(p) if p.len() == 2 => {
                let op = p[0].text()?;
                let version = p[1].get("version").and_then(Node::text)?;
                Some((op, version))
            }
            _ => None,
        })
        .collect()
}

/// Reads the YAML of a `Gem::Specification`.
pub fn parse_spec(yaml: &[u8]) -> Result<GemSpec, String> {
    let text = std::str::from_utf8(yaml).map_err(|_| "the gemspec is not UTF-8".to_string())?;
    let root = parse_yaml(text)?;
    let field = |k: &str| root.get(k).and_then(Node::text);
    let name = field("name").ok_or("the gemspec has no name")?;
    let version = root
        .get("version")
        .and_then(|v| v.get("version").or(Some(v)))
        .and_then(Node::text)
        .ok_or("the gemspec has no version")?;
    let mut dependencies = Vec::new();
    if let Some(Node::Seq(deps)) = root.get("dependencies") {
        for d in deps {
            let name = d
                .get("name")
                .and_then(Node::text)
                .ok_or("a dependency has no name")?;
            let kind = d
                .get("type")
                .and_then(Node::text)
                .map(|t| t.trim_start_matches(':').to_string())
                .unwrap_or_else(|| "runtime".into());
            let mut requirement = requirement(d.get("requirement"));
            if requirement.is_empty() {
                requirement = vec![(">=".into(), "0".into())];
            }
            dependencies.push(GemDependency {
                name,
                kind,
                requirement,
            });
        }
    }
    let metadata = match root.get("metadata") {
        Some(Node::Map(pairs)) => pairs
            .iter()
            .filter_map(|(k, v)| Some((k.text()?, v.text()?)))
            .collect(),
        _ => Vec::new(),
    };
    let text_or_none = |k: &str| {
        field(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    Ok(GemSpec {
        name,
        version,
        platform: field("platform").unwrap_or_else(|| "ruby".into()),
        summary: text_or_none("summary"),
        description: text_or_none("description"),
        homepage: text_or_none("homepage"),
        licenses: root.get("licenses").map(Node::texts).unwrap_or_default(),
        authors: root.get("authors").map(Node::texts).unwrap_or_default(),
        email: root.get("email").map(Node::texts).unwrap_or_default(),
        metadata,
        required_ruby_version: requirement(root.get("required_ruby_version")),
        required_rubygems_version: requirement(root.get("required_rubygems_version")),
        dependencies,
        rubygems_version: field("rubygems_version").unwrap_or_default(),
        specification_version: field("specification_version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(4),
        date: field("date"),
        size: yaml.len(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// What `gem build` (RubyGems 3.3) writes for a gem with one runtime and one development
    /// dependency and a `required_ruby_version`.
    pub(crate) const KIT_YAML: &str = r#"--- !ruby/object:Gem::Specification
name: kit
version: !ruby/object:Gem::Version
  version: 1.2.0
platform: x86_64-linux
authors:
- Acme
autorequire:
bindir: bin
cert_chain: []
date: 2024-01-02 00:00:00.000000000 Z
dependencies:
- !ruby/object:Gem::Dependency
  name: kit-core
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - "~>"
      - !ruby/object:Gem::Version
        version: '1.0'
    - - ">="
      - !ruby/object:Gem::Version
        version: 1.0.1
  type: :runtime
  prerelease: false
  version_requirements: !ruby/object:Gem::Requirement
    requirements:
    - - "~>"
      - !ruby/object:Gem::Version
        version: '1.0'
- !ruby/object:Gem::Dependency
  name: rake
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - ">="
      - !ruby/object:Gem::Version
        version: '0'
  type: :development
  prerelease: false
description: The kit, with everything.
email: kit@acme.test
executables: []
extensions: []
extra_rdoc_files: []
files:
- lib/kit.rb
homepage: https://kit.acme.test
licenses:
- MIT
metadata:
  source_code_uri: https://git.acme.test/kit
post_install_message:
rdoc_options: []
require_paths:
- lib
required_ruby_version: !ruby/object:Gem::Requirement
  requirements:
  - - ">="
    - !ruby/object:Gem::Version
      version: '2.7'
required_rubygems_version: !ruby/object:Gem::Requirement
  requirements:
  - - ">="
    - !ruby/object:Gem::Version
      version: '0'
requirements: []
rubygems_version: 3.3.15
signing_key:
specification_version: 4
summary: The Acme kit
test_files: []
"#;

    #[test]
    fn a_built_gemspec_reads() {
        let s = parse_spec(KIT_YAML.as_bytes()).unwrap();
        assert_eq!(
            (s.name.as_str(), s.version.as_str(), s.platform.as_str()),
            ("kit", "1.2.0", "x86_64-linux")
        );
        assert_eq!(s.summary.as_deref(), Some("The Acme kit"));
        assert_eq!(s.homepage.as_deref(), Some("https://kit.acme.test"));
        assert_eq!(s.licenses, ["MIT"]);
        assert_eq!(s.email, ["kit@acme.test"]);
        assert_eq!(
            s.metadata,
            [(
                "source_code_uri".to_string(),
                "https://git.acme.test/kit".to_string()
            )]
        );
        assert_eq!(s.required_ruby_version, [(">=".into(), "2.7".into())]);
        assert_eq!(s.required_rubygems_version, [(">=".into(), "0".into())]);
        assert_eq!(
            s.dependencies,
            [
                GemDependency {
                    name: "kit-core".into(),
                    kind: "runtime".into(),
                    requirement: vec![("~>".into(), "1.0".into()), (">=".into(), "1.0.1".into())],
                },
                GemDependency {
                    name: "rake".into(),
                    kind: "development".into(),
                    requirement: vec![(">=".into(), "0".into())],
                },
            ]
        );
        assert_eq!(s.date.as_deref(), Some("2024-01-02 00:00:00.000000000 Z"));
        assert_eq!(
            (s.rubygems_version.as_str(), s.specification_version),
            ("3.3.15", 4)
        );
    }

    #[test]
    fn hostile_yaml_is_refused() {
        let bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n";
        assert!(parse_spec(bomb.as_bytes()).is_err());
        let deep = format!("name: {}x{}", "[".repeat(100), "]".repeat(100));
        assert!(parse_spec(deep.as_bytes()).is_err());
        assert!(parse_spec(b"version: 1").is_err());
        assert!(parse_spec(b"- a\n- b").is_err());
        assert!(parse_spec(b"\xff").is_err());
    }

    /// A plain tar of `files`.
    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, path, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    /// A `.gem` (plain tar) holding `metadata.gz` with `yaml`.
    pub(crate) fn gem_bytes(yaml: &str) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(yaml.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        tar_of(&[("metadata.gz", &gz), ("data.tar.gz", b"x")])
    }

    #[test]
    fn a_gem_file_reads() {
        let s = read_gem(&gem_bytes(KIT_YAML)[..]).unwrap();
        assert_eq!(s.name, "kit");
        assert!(read_gem(&b"not a tar"[..]).is_err());
        let no_meta = tar_of(&[("data.tar.gz", b"x")]);
        assert!(read_gem(&no_meta[..]).is_err());
    }
}
