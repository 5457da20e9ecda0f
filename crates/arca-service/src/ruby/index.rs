//! The pure RubyGems formats: gem names, versions and platforms, file names, `Gem::Version`'s
//! order, compact index lines (`info/NAME`), and the Marshal documents (dependency API entries,
//! `specs.4.8` tuples, the `quick/Marshal.4.8` specification).

use std::cmp::Ordering;
use std::io::Write;

use super::gemspec::{GemSpec, Requirement};
use super::marshal::{dump, Value};

/// The platform of a pure-Ruby gem.
pub const RUBY: &str = "ruby";

/// Longest gem name, version or platform accepted.
const MAX_PART: usize = 128;

fn part_ok(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= MAX_PART
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b) || extra.contains(&b))
}

/// A gem name as the public registry accepts them: letters, digits, `.`, `_`, `-`, with a letter.
pub fn check_name(name: &str) -> Result<(), String> {
    if part_ok(name, b"") && name.bytes().any(|b| b.is_ascii_alphabetic()) {
        Ok(())
    } else {
        Err(format!(
            "'{name}' is not a valid gem name (letters, digits, '.', '_' and '-', with at least one letter, at most {MAX_PART})."
        ))
    }
}

/// A `Gem::Version`: digits and letters in `.`-separated segments, starting with a digit.
pub fn check_version(version: &str) -> Result<(), String> {
    let ok = part_ok(version, b"")
        && version.starts_with(|c: char| c.is_ascii_digit())
        && !version.contains("..")
        && !version.ends_with('.');
    if ok {
        Ok(())
    } else {
        Err(format!("'{version}' is not a valid gem version."))
    }
}

pub fn check_platform(platform: &str) -> Result<(), String> {
    if part_ok(platform, b"") {
        Ok(())
    } else {
        Err(format!("'{platform}' is not a valid gem platform."))
    }
}

/// `NAME-VERSION[-PLATFORM]` (no platform suffix for `ruby`).
pub fn full_name(name: &str, version: &str, platform: &str) -> String {
    if platform == RUBY {
        format!("{name}-{version}")
    } else {
        format!("{name}-{version}-{platform}")
    }
}

/// The stored asset of one platform of a version: `{full_name}.gem`.
pub fn asset_name(name: &str, version: &str, platform: &str) -> String {
    format!("{}.gem", full_name(name, version, platform))
}

/// The platform of asset `asset` of `name` `version`, if it is one of its gems.
pub fn platform_of_asset(asset: &str, name: &str, version: &str) -> Option<String> {
    let rest = asset
        .strip_suffix(".gem")?
        .strip_prefix(name)?
        .strip_prefix('-')?
        .strip_prefix(version)?;
    match rest {
        "" => Some(RUBY.to_string()),
        _ => rest.strip_prefix('-').map(str::to_string),
    }
}

/// The ways a `NAME-VERSION[-PLATFORM]` stem can be read (names and platforms may hold `-`; a
/// version starts with a digit and holds none), most likely first: the longest name first, as a
/// name such as `kit-2` is rarer than a version.
pub fn split_full_name(stem: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (i, _) in stem.match_indices('-').rev() {
        let (name, rest) = (&stem[..i], &stem[i + 1..]);
        if name.is_empty() || !rest.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let (version, platform) = match rest.split_once('-') {
            Some((v, p)) => (v, p),
            None => (rest, RUBY),
        };
        if check_version(version).is_ok() && check_platform(platform).is_ok() {
            out.push((name.to_string(), version.to_string(), platform.to_string()));
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Num(u128),
    Text(String),
}

fn segments(version: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<Segment>| {
        if !cur.is_empty() {
            let s = std::mem::take(cur);
            out.push(match s.parse::<u128>() {
                Ok(n) => Segment::Num(n),
                Err(_) => Segment::Text(s),
            });
        }
    };
    for c in version.chars() {
        let boundary = !cur.is_empty()
            && (c == '.'
                || c == '-'
                || c.is_ascii_digit() != cur.chars().all(|x| x.is_ascii_digit()));
        if boundary || c == '.' || c == '-' {
            flush(&mut cur, &mut out);
        }
        if c != '.' && c != '-' {
            cur.push(c);
        }
    }
    flush(&mut cur, &mut out);
    // Trailing zeros do not count (`1.0` == `1`).
    while matches!(out.last(), Some(Segment::Num(0))) {
        out.pop();
    }
    out
}

/// A version with a letter is a prerelease (`1.0.0.rc1`, `2.0.beta`).
pub fn is_prerelease(version: &str) -> bool {
    version.bytes().any(|b| b.is_ascii_alphabetic())
}

/// `Gem::Version#<=>`: segment by segment, numbers numerically, a text segment before any
/// number, missing segments as 0.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a, b) = (segments(a), segments(b));
    for i in 0..a.len().max(b.len()) {
        let ord = match (a.get(i), b.get(i)) {
            (Some(Segment::Num(x)), Some(Segment::Num(y))) => x.cmp(y),
            (Some(Segment::Text(x)), Some(Segment::Text(y))) => x.cmp(y),
            (Some(Segment::Text(_)), _) => Ordering::Less,
            (_, Some(Segment::Text(_))) => Ordering::Greater,
            (Some(Segment::Num(x)), None) => x.cmp(&0),
            (None, Some(Segment::Num(y))) => 0.cmp(y),
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// A requirement as text, its parts joined by `sep` (`", "` for the dependency API, `"&"` for
/// the compact index).
pub fn requirement_text(req: &Requirement, sep: &str) -> String {
    let parts: Vec<String> = req.iter().map(|(op, v)| format!("{op} {v}")).collect();
    if parts.is_empty() {
        ">= 0".to_string()
    } else {
        parts.join(sep)
    }
}

fn is_default(req: &Requirement) -> bool {
    req.is_empty() || req.iter().all(|(op, v)| op == ">=" && v == "0")
}

/// The compact index line of one gem file:
/// `VERSION[-PLATFORM] dep:req&req,dep:req|checksum:SHA256[,ruby:REQ][,rubygems:REQ]`; runtime
/// dependencies only, as Bundler resolves with them.
pub fn info_line(spec: &GemSpec, sha256: &str) -> String {
    let version = match spec.platform.as_str() {
        RUBY => spec.version.clone(),
        p => format!("{}-{p}", spec.version),
    };
    let deps: Vec<String> = spec
        .dependencies
        .iter()
        .filter(|d| d.kind == "runtime")
        .map(|d| format!("{}:{}", d.name, requirement_text(&d.requirement, "&")))
        .collect();
    let mut line = format!("{version} {}|checksum:{sha256}", deps.join(","));
    if !is_default(&spec.required_ruby_version) {
        line.push_str(",ruby:");
        line.push_str(&requirement_text(&spec.required_ruby_version, "&"));
    }
    if !is_default(&spec.required_rubygems_version) {
        line.push_str(",rubygems:");
        line.push_str(&requirement_text(&spec.required_rubygems_version, "&"));
    }
    line
}

/// What a compact index line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoLine {
    pub version: String,
    /// `ruby` when the line names none.
    pub platform: String,
    /// Runtime dependencies: (name, requirement as `~> 1.0, >= 1.0.1`).
    pub dependencies: Vec<(String, String)>,
    pub checksum: Option<String>,
}

/// Reads an [`info_line`] (a source's, or Arca's own).
pub fn parse_info_line(raw: &str) -> Option<InfoLine> {
    let (head, rest) = raw.split_once(' ').unwrap_or((raw, ""));
    let (version, platform) = head.split_once('-').unwrap_or((head, RUBY));
    let (deps, requirements) = rest.split_once('|').unwrap_or((rest, ""));
    let dependencies = deps
        .split(',')
        .filter_map(|d| d.split_once(':'))
        .map(|(name, req)| {
            (
                name.to_string(),
                req.split('&').collect::<Vec<_>>().join(", "),
            )
        })
        .collect();
    let checksum = requirements
        .split(',')
        .find_map(|r| r.strip_prefix("checksum:"))
        .map(str::to_string);
    (!version.is_empty()).then(|| InfoLine {
        version: version.to_string(),
        platform: platform.to_string(),
        dependencies,
        checksum,
    })
}

/// `Gem::Version.new(v)` as Marshal writes it.
pub fn version_value(v: &str) -> Value {
    Value::UserMarshal {
        class: "Gem::Version".into(),
        data: Box::new(Value::Array(vec![Value::str(v)])),
    }
}

fn requirement_value(req: &Requirement) -> Value {
    let mut parts: Vec<Value> = req
        .iter()
        .map(|(op, v)| Value::Array(vec![Value::str(op.as_str()), version_value(v)]))
        .collect();
    if parts.is_empty() {
        parts.push(Value::Array(vec![Value::str(">="), version_value("0")]));
    }
    Value::UserMarshal {
        class: "Gem::Requirement".into(),
        data: Box::new(Value::Array(vec![Value::Array(parts)])),
    }
}

/// One entry of the dependency API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubyDependency {
    pub name: String,
    pub number: String,
    pub platform: String,
    /// Runtime dependencies: (name, requirement as `~> 1.0, >= 1.0.1`).
    pub dependencies: Vec<(String, String)>,
}

/// A gem's runtime dependencies as the dependency API lists them.
pub fn runtime_dependencies(spec: &GemSpec) -> Vec<(String, String)> {
    spec.dependencies
        .iter()
        .filter(|d| d.kind == "runtime")
        .map(|d| (d.name.clone(), requirement_text(&d.requirement, ", ")))
        .collect()
}

/// The dependency API's answer: `Marshal.dump([{name:, number:, platform:, dependencies:}…])`.
pub fn dependencies_marshal(entries: &[RubyDependency]) -> Vec<u8> {
    let entry = |e: &RubyDependency| {
        let deps = e
            .dependencies
            .iter()
            .map(|(n, r)| Value::Array(vec![Value::str(n.as_str()), Value::str(r.as_str())]))
            .collect();
        Value::Hash(vec![
            (Value::sym("name"), Value::str(e.name.as_str())),
            (Value::sym("number"), Value::str(e.number.as_str())),
            (Value::sym("platform"), Value::str(e.platform.as_str())),
            (Value::sym("dependencies"), Value::Array(deps)),
        ])
    };
    dump(&Value::Array(entries.iter().map(entry).collect()))
}

/// One tuple of `specs.4.8`: `[name, Gem::Version, platform]`.
pub fn specs_tuple(name: &str, version: &str, platform: &str) -> Value {
    Value::Array(vec![
        Value::str(name),
        version_value(version),
        Value::str(platform),
    ])
}

/// gzip of `Marshal.dump(tuples)`: a `specs.4.8.gz` file.
pub fn specs_file(tuples: Vec<Value>) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(&dump(&Value::Array(tuples)));
    gz.finish().unwrap_or_default()
}

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| Value::str(s.as_str())).collect())
}

fn opt(v: &Option<String>) -> Value {
    v.as_deref().map_or(Value::Nil, Value::str)
}

/// `Marshal.dump(spec)` of a `Gem::Specification` (its `_dump` array: the fields of
/// specification version 4, in RubyGems' order), zlib-deflated: a `quick/Marshal.4.8/…gemspec.rz`.
pub fn quick_spec(spec: &GemSpec) -> Vec<u8> {
    let dependencies = spec
        .dependencies
        .iter()
        .map(|d| Value::Object {
            class: "Gem::Dependency".into(),
            ivars: vec![
                ("@name".into(), Value::str(d.name.as_str())),
                ("@requirement".into(), requirement_value(&d.requirement)),
                ("@type".into(), Value::sym(d.kind.as_str())),
                ("@prerelease".into(), Value::Bool(false)),
            ],
        })
        .collect();
    let email = match spec.email.as_slice() {
        [] => Value::Nil,
        [one] => Value::str(one.as_str()),
        many => strings(many),
    };
    let metadata = Value::Hash(
        spec.metadata
            .iter()
            .map(|(k, v)| (Value::str(k.as_str()), Value::str(v.as_str())))
            .collect(),
    );
    let rubygems_version = if spec.rubygems_version.is_empty() {
        "3.3.15"
    } else {
        &spec.rubygems_version
    };
    let fields = Value::Array(vec![
        Value::str(rubygems_version),
        Value::Int(spec.specification_version.clamp(1, 4)),
        Value::str(spec.name.as_str()),
        version_value(&spec.version),
        // `date=` takes a `YYYY-MM-DD…` string.
        opt(&spec.date),
        opt(&spec.summary),
        requirement_value(&spec.required_ruby_version),
        requirement_value(&spec.required_rubygems_version),
        Value::str(spec.platform.as_str()),
        Value::Array(dependencies),
        Value::str(""),
        email,
        strings(&spec.authors),
        opt(&spec.description),
        opt(&spec.homepage),
        Value::Bool(true),
        Value::str(spec.platform.as_str()),
        strings(&spec.licenses),
        metadata,
    ]);
    let value = Value::UserDef {
        class: "Gem::Specification".into(),
        bytes: dump(&fields),
    };
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(&dump(&value));
    z.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruby::gemspec::{parse_spec, tests::KIT_YAML};
    use crate::ruby::marshal::load;

    #[test]
    fn names_versions_platforms() {
        for ok in ["kit", "kit-core", "kit_core.rb", "a1"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "123", "kit/core", "kit core", "ki\u{e9}"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        for ok in ["1", "1.0.0", "1.0.0.rc1", "2.0.beta"] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        for bad in ["", "v1", "1..0", "1.0.", "1 0"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_names_split_into_candidates() {
        assert_eq!(
            split_full_name("kit-core-1.0.0"),
            [("kit-core".into(), "1.0.0".into(), "ruby".into())]
        );
        assert_eq!(
            split_full_name("kit-1.0.0-x86_64-linux"),
            [("kit".into(), "1.0.0".into(), "x86_64-linux".into())]
        );
        assert_eq!(
            split_full_name("kit-2-1.0"),
            [
                ("kit-2".into(), "1.0".into(), "ruby".into()),
                ("kit".into(), "2".into(), "1.0".into())
            ]
        );
        assert!(split_full_name("kit").is_empty());
        assert_eq!(
            platform_of_asset("kit-1.0-java.gem", "kit", "1.0").as_deref(),
            Some("java")
        );
        assert_eq!(
            platform_of_asset("kit-1.0.gem", "kit", "1.0").as_deref(),
            Some("ruby")
        );
        assert_eq!(platform_of_asset("kit-1.0.gemx", "kit", "1.0"), None);
        assert_eq!(asset_name("kit", "1.0", "java"), "kit-1.0-java.gem");
        assert_eq!(asset_name("kit", "1.0", "ruby"), "kit-1.0.gem");
    }

    #[test]
    fn versions_order_as_gem_version() {
        let mut v = vec![
            "1.10",
            "1.2",
            "1.0.0.rc1",
            "1.0",
            "1.0.0.beta",
            "0.9",
            "1.0.1",
            "2.a",
        ];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            v,
            [
                "0.9",
                "1.0.0.beta",
                "1.0.0.rc1",
                "1.0",
                "1.0.1",
                "1.2",
                "1.10",
                "2.a"
            ]
        );
        assert_eq!(compare_versions("1.0", "1"), Ordering::Equal);
        assert!(is_prerelease("1.0.rc1") && !is_prerelease("1.0"));
    }

    #[test]
    fn info_lines_carry_runtime_dependencies_checksum_and_ruby() {
        let spec = parse_spec(KIT_YAML.as_bytes()).unwrap();
        assert_eq!(
            info_line(&spec, "abc"),
            "1.2.0-x86_64-linux kit-core:~> 1.0&>= 1.0.1|checksum:abc,ruby:>= 2.7"
        );
        let bare = GemSpec {
            name: "core".into(),
            version: "1.0".into(),
            platform: RUBY.into(),
            ..GemSpec::default()
        };
        assert_eq!(info_line(&bare, "00"), "1.0 |checksum:00");
    }

    #[test]
    fn info_lines_read_back() {
        let spec = parse_spec(KIT_YAML.as_bytes()).unwrap();
        let line = parse_info_line(&info_line(&spec, "abc")).unwrap();
        assert_eq!(
            line,
            InfoLine {
                version: "1.2.0".into(),
                platform: "x86_64-linux".into(),
                dependencies: runtime_dependencies(&spec),
                checksum: Some("abc".into()),
            }
        );
        let bare = parse_info_line("2.0 |checksum:00").unwrap();
        assert_eq!(
            (bare.platform.as_str(), bare.dependencies.len()),
            ("ruby", 0)
        );
        assert!(parse_info_line("").is_none());
    }

    #[test]
    fn dependency_entries_and_quick_specs_are_marshal() {
        let spec = parse_spec(KIT_YAML.as_bytes()).unwrap();
        let entry = RubyDependency {
            name: spec.name.clone(),
            number: spec.version.clone(),
            platform: spec.platform.clone(),
            dependencies: runtime_dependencies(&spec),
        };
        let all = load(&dependencies_marshal(&[entry])).unwrap();
        let Value::Hash(pairs) = &all.as_array().unwrap()[0] else {
            panic!()
        };
        assert_eq!(pairs[1], (Value::sym("number"), Value::str("1.2.0")));
        assert_eq!(
            pairs[3].1,
            Value::Array(vec![Value::Array(vec![
                Value::str("kit-core"),
                Value::str("~> 1.0, >= 1.0.1")
            ])])
        );

        let rz = quick_spec(&spec);
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&rz[..]), &mut raw).unwrap();
        let Value::UserDef { class, bytes } = load(&raw).unwrap() else {
            panic!()
        };
        assert_eq!(class, "Gem::Specification");
        let fields = load(&bytes).unwrap();
        let fields = fields.as_array().unwrap();
        assert_eq!(fields.len(), 19);
        assert_eq!(fields[2], Value::str("kit"));
        assert_eq!(fields[3], version_value("1.2.0"));
        assert_eq!(fields[16], Value::str("x86_64-linux"));
    }
}
