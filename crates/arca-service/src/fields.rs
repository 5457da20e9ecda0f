//! What every publish path stores for the API to answer, bounded once to the botocore model's
//! shapes (`model/codeartifact-2018-09-22.json`), whatever the format: the asset-name rule
//! (`AssetName`: `\P{C}+`, 1–255 characters) and the limits of a version's metadata and details.
//!
//! Applied in the common paths — [`Service::publish_native`](crate::Service) for npm, PyPI and
//! Maven, the generic publish, and copy — before anything is stored; metadata is also bounded again
//! when a description is answered, so rows stored before these limits answer within them too.
//!
//! Limits (characters, counted as the model counts them): `displayName` 255 (`String255`);
//! `summary`, `homePage`, `sourceCodeRepository`, each license's `name` and `url`, a dependency's
//! type and version requirement, a deprecation message: [`MAX_FIELD_CHARS`]; at most
//! [`MAX_LICENSES`] licenses. Longer text is cut (a publish is never refused over its description);
//! U+0000, which no store keeps, is removed; blank fields are dropped. A dependency whose namespace
//! or name the model's `PackageNamespace`/`PackageName` would refuse is dropped.

use arca_metadata::{PackageDependency, VersionDetails, VersionMetadata};
use serde_json::{json, Value};

use crate::{ServiceError, ServiceResult};

/// Longest asset name (`AssetName`).
pub const MAX_ASSET_NAME_CHARS: usize = 255;
/// Longest `displayName` (`String255`).
pub const MAX_DISPLAY_NAME_CHARS: usize = 255;
/// Longest free-text metadata field.
pub const MAX_FIELD_CHARS: usize = 4096;
/// Most licenses kept per version.
pub const MAX_LICENSES: usize = 50;
/// Longest dependency namespace or name (`PackageNamespace`, `PackageName`).
const MAX_NAME_CHARS: usize = 255;

/// The API's asset-name rule, for every format: 1 to 255 characters, none of Unicode category C
/// (controls, format characters such as U+202E or U+200B, surrogates, private use, unassigned),
/// so that every stored asset can be listed and downloaded through the API.
pub fn check_asset_name(name: &str) -> ServiceResult<()> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"^\P{C}+$").expect("valid regex"));
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_ASSET_NAME_CHARS || !re.is_match(name) {
        return Err(ServiceError::validation(format!(
            "Invalid asset name '{}': asset names have 1 to {MAX_ASSET_NAME_CHARS} characters, none of them control or format characters (Unicode category C).",
            name.escape_default()
        )));
    }
    Ok(())
}

/// `text` without U+0000, trimmed and cut to `max` characters; `None` when blank.
fn bounded(text: &str, max: usize) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let cut: String = text.chars().filter(|c| *c != '\0').take(max).collect();
    let cut = cut.trim_end();
    (!cut.is_empty()).then(|| cut.to_string())
}

fn bounded_opt(text: Option<String>, max: usize) -> Option<String> {
    text.as_deref().and_then(|t| bounded(t, max))
}

/// A version's metadata within the model's limits (see the module docs).
pub fn bound_metadata(m: VersionMetadata) -> VersionMetadata {
    VersionMetadata {
        display_name: bounded_opt(m.display_name, MAX_DISPLAY_NAME_CHARS),
        summary: bounded_opt(m.summary, MAX_FIELD_CHARS),
        home_page: bounded_opt(m.home_page, MAX_FIELD_CHARS),
        source_code_repository: bounded_opt(m.source_code_repository, MAX_FIELD_CHARS),
        licenses_json: m.licenses_json.as_deref().and_then(bound_licenses),
    }
}

/// Stored licenses (`[{"name": …, "url": …}]`) within the limits; `None` when none is left.
fn bound_licenses(json: &str) -> Option<String> {
    let Ok(Value::Array(list)) = serde_json::from_str::<Value>(json) else {
        return None;
    };
    let text = |l: &Value, k: &str| {
        l.get(k)
            .and_then(Value::as_str)
            .and_then(|s| bounded(s, MAX_FIELD_CHARS))
    };
    let kept: Vec<Value> = list
        .iter()
        .filter_map(|l| {
            let mut out = serde_json::Map::new();
            if let Some(n) = text(l, "name") {
                out.insert("name".into(), json!(n));
            }
            if let Some(u) = text(l, "url") {
                out.insert("url".into(), json!(u));
            }
            (!out.is_empty()).then_some(Value::Object(out))
        })
        .take(MAX_LICENSES)
        .collect();
    (!kept.is_empty()).then(|| Value::Array(kept).to_string())
}

/// Whether the model accepts `name` as a `PackageName`/`PackageNamespace` (`[^#/\s]+`, Java's
/// `\s`), at most 255 characters and without U+0000.
fn is_model_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(|c| {
            matches!(
                c,
                '#' | '/' | ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | '\0'
            )
        })
}

/// A version's details within the limits: dependencies the model could not answer dropped, their
/// text fields bounded; the readme without U+0000 (its length is `details::MAX_README_BYTES`'s).
pub fn bound_details(d: VersionDetails) -> VersionDetails {
    let dependencies = d
        .dependencies
        .into_iter()
        .filter(|p| {
            (p.namespace.is_empty() || is_model_name(&p.namespace)) && is_model_name(&p.package)
        })
        .map(|p| PackageDependency {
            namespace: p.namespace,
            package: p.package,
            dependency_type: bounded_opt(p.dependency_type, MAX_FIELD_CHARS),
            version_requirement: bounded_opt(p.version_requirement, MAX_FIELD_CHARS),
        })
        .collect();
    VersionDetails {
        dependencies,
        readme: d
            .readme
            .map(|r| r.replace('\0', ""))
            .filter(|r| !r.trim().is_empty()),
        deprecated: bounded_opt(d.deprecated, MAX_FIELD_CHARS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_follow_the_model() {
        for ok in [
            "package.tgz",
            "kit_core-1.0-py3-none-any.whl",
            "日本語.bin",
            "a b",
            &"x".repeat(255),
        ] {
            assert!(check_asset_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a\u{202e}gpj.exe",
            "zero\u{200b}width",
            "bom\u{feff}",
            "tab\there",
            "nul\0",
            "private\u{e000}",
            &"x".repeat(256),
        ] {
            assert!(check_asset_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn metadata_is_cut_to_the_model() {
        let licenses: Vec<Value> = (0..100_000)
            .map(|i| json!({"name": format!("L{i}")}))
            .collect();
        let m = bound_metadata(VersionMetadata {
            display_name: Some("n".repeat(1000)),
            summary: Some(format!("{}\0", "é".repeat(3_000_000))),
            home_page: Some("   ".into()),
            source_code_repository: Some("git\0+https://x".into()),
            licenses_json: Some(Value::Array(licenses).to_string()),
        });
        assert_eq!(
            m.display_name.unwrap().chars().count(),
            MAX_DISPLAY_NAME_CHARS
        );
        assert_eq!(m.summary.unwrap().chars().count(), MAX_FIELD_CHARS);
        assert_eq!(m.home_page, None);
        assert_eq!(m.source_code_repository.as_deref(), Some("git+https://x"));
        let kept: Vec<Value> = serde_json::from_str(&m.licenses_json.unwrap()).unwrap();
        assert_eq!(kept.len(), MAX_LICENSES);
        let long_url = json!([{"url": "u".repeat(5000)}, {"other": 1}]).to_string();
        let one: Vec<Value> = serde_json::from_str(&bound_licenses(&long_url).unwrap()).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0]["url"].as_str().unwrap().len(), MAX_FIELD_CHARS);
        assert_eq!(bound_licenses("not json"), None);
    }

    #[test]
    fn details_keep_what_the_model_can_answer() {
        let dep = |ns: &str, name: &str| PackageDependency {
            namespace: ns.into(),
            package: name.into(),
            dependency_type: Some("regular".into()),
            version_requirement: Some("r".repeat(5000)),
        };
        let d = bound_details(VersionDetails {
            dependencies: vec![
                dep("", "ok"),
                dep("s", "a b"),
                dep("a/b", "x"),
                dep("", &"x".repeat(256)),
                dep("s", "fine"),
            ],
            readme: Some("# r\0".into()),
            deprecated: Some("\0".into()),
        });
        let names: Vec<&str> = d.dependencies.iter().map(|p| p.package.as_str()).collect();
        assert_eq!(names, ["ok", "fine"]);
        assert_eq!(
            d.dependencies[0]
                .version_requirement
                .as_ref()
                .unwrap()
                .len(),
            MAX_FIELD_CHARS
        );
        assert_eq!(d.readme.as_deref(), Some("# r"));
        assert_eq!(d.deprecated, None);
    }
}
