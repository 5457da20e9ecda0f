//! Package coordinates: the per-format namespace rules and the name/version normalizations AWS applies
//! before lookup (`decisions.md`, "Case" and "Namespace").

use arca_metadata::{PackageFormat, PackageKey};

use crate::ServiceError;

/// Checks the namespace against the format's rule and returns the normalized key for lookup.
pub fn package_key(
    format: PackageFormat,
    namespace: Option<&str>,
    name: &str,
) -> Result<PackageKey, ServiceError> {
    if let Some(ns) = namespace {
        check_text("namespace", ns)?;
    }
    check_text("package name", name)?;
    let namespace = match (namespace_rule(format), namespace) {
        (NamespaceRule::Required, None) => {
            return Err(ServiceError::validation(format!(
                "A namespace is required for packages of format {format}."
            )))
        }
        (NamespaceRule::Forbidden, Some(ns)) => {
            return Err(ServiceError::validation(format!(
            "Packages of format {format} do not have a namespace, but namespace '{ns}' was given."
        )))
        }
        (_, ns) => ns.unwrap_or(""),
    };
    let (namespace, name) = match format {
        PackageFormat::Pypi => (String::new(), pep503_normalize(name)),
        PackageFormat::Nuget => (String::new(), name.to_lowercase()),
        // Crates are stored under their lowercased name (cargo's index paths are lowercase).
        PackageFormat::Cargo => (String::new(), name.to_ascii_lowercase()),
        PackageFormat::Swift => (namespace.to_lowercase(), name.to_lowercase()),
        _ => (namespace.to_string(), name.to_string()),
    };
    Ok(PackageKey {
        format,
        namespace,
        name,
    })
}

/// Text the store cannot keep (U+0000, which the API model's name patterns let through) is
/// refused before any store call, as the store itself refuses it (`StoreError::InvalidText`).
pub fn check_text(field: &str, value: &str) -> Result<(), ServiceError> {
    if value.contains('\0') {
        return Err(ServiceError::validation(format!(
            "Invalid {field}: it must not contain U+0000 (NUL)."
        )));
    }
    Ok(())
}

/// A version as given by a client, checked ([`check_text`]) and normalized for lookup.
pub fn version_key(format: PackageFormat, version: &str) -> Result<String, ServiceError> {
    check_text("version", version)?;
    Ok(normalize_version(format, version))
}

/// The version string used for lookup (NuGet versions are normalized; others are exact).
pub fn normalize_version(format: PackageFormat, version: &str) -> String {
    match format {
        PackageFormat::Nuget => nuget_normalize_version(version),
        _ => version.to_string(),
    }
}

/// Checks a namespace given to a listing filter (ListPackages): it needs a format, and the format must
/// have namespaces.
pub fn check_namespace_filter(
    format: Option<PackageFormat>,
    namespace: Option<&str>,
) -> Result<(), ServiceError> {
    match (format, namespace) {
        (None, Some(_)) => Err(ServiceError::validation(
            "namespace cannot be used without format.",
        )),
        (Some(f), Some(ns)) if namespace_rule(f) == NamespaceRule::Forbidden => {
            Err(ServiceError::validation(format!(
                "Packages of format {f} do not have a namespace, but namespace '{ns}' was given."
            )))
        }
        _ => Ok(()),
    }
}

/// Whether a format's packages have a namespace.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NamespaceRule {
    Required,
    Optional,
    Forbidden,
}

pub(crate) fn namespace_rule(format: PackageFormat) -> NamespaceRule {
    match format {
        PackageFormat::Maven | PackageFormat::Swift | PackageFormat::Generic => {
            NamespaceRule::Required
        }
        PackageFormat::Npm => NamespaceRule::Optional,
        PackageFormat::Pypi | PackageFormat::Nuget | PackageFormat::Ruby | PackageFormat::Cargo => {
            NamespaceRule::Forbidden
        }
    }
}

/// PEP 503: lowercase, and every run of `-`, `_` or `.` becomes one `-`.
pub fn pep503_normalize(name: &str) -> String {
    fold_separators(name, '-')
}

/// `name` lowercased, every run of `-`, `_` or `.` replaced by one `separator`.
pub fn fold_separators(name: &str, separator: char) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push(separator);
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// NuGet version normalization: drop build metadata, leading zeros of numeric parts and a zero fourth
/// part; lowercase the rest (`1.01.1` → `1.1.1`, `1.0.0.0` → `1.0.0`, `1.0.7+r3456` → `1.0.7`).
/// A valid NuGet version gets NuGet's full normalization (`1.0` → `1.0.0`, see `nuget::version`).
pub fn nuget_normalize_version(version: &str) -> String {
    if let Ok(normal) = crate::nuget::normalize_version(version) {
        return normal;
    }
    let no_build = version.split('+').next().unwrap_or(version);
    let (release, pre) = match no_build.split_once('-') {
        Some((r, p)) => (r, Some(p)),
        None => (no_build, None),
    };
    let mut parts: Vec<String> = release
        .split('.')
        .map(|p| {
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                let t = p.trim_start_matches('0');
                if t.is_empty() {
                    "0".to_string()
                } else {
                    t.to_string()
                }
            } else {
                p.to_string()
            }
        })
        .collect();
    if parts.len() == 4 && parts[3] == "0" {
        parts.pop();
    }
    let mut out = parts.join(".");
    if let Some(p) = pre {
        out.push('-');
        out.push_str(p);
    }
    out.to_lowercase()
}

/// The display name of a package as users spell it (`@scope/name` for npm, `namespace:name` for
/// Maven, `namespace/name` elsewhere).
pub fn display_name(key: &PackageKey) -> String {
    if key.namespace.is_empty() {
        return key.name.clone();
    }
    match key.format {
        PackageFormat::Npm => format!("@{}/{}", key.namespace, key.name),
        PackageFormat::Maven => format!("{}:{}", key.namespace, key.name),
        _ => format!("{}/{}", key.namespace, key.name),
    }
}

/// Generic asset names (`codeartifact-behavior.md` §4): Unicode letters and numbers, the specials
/// ``~!@^&()-`_+[]{};,.``, single inner spaces; never `.` or `..`.
pub fn check_generic_asset_name(name: &str) -> Result<(), ServiceError> {
    crate::fields::check_asset_name(name)?;
    let allowed = |c: char| {
        c.is_alphanumeric() && is_letter_or_number_category(c) || "~!@^&()-`_+[]{};,.".contains(c)
    };
    let ok = name != "."
        && name != ".."
        && !name.is_empty()
        && !name.starts_with(' ')
        && !name.ends_with(' ')
        && !name.contains("  ")
        && name.chars().all(|c| c == ' ' || allowed(c));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::validation(format!(
            "Invalid asset name '{name}': generic asset names may contain only Unicode letters and \
             numbers, single inner spaces and the characters ~ ! @ ^ & ( ) - ` _ + [ ] {{ }} ; , . \
             and may not be '.' or '..'."
        )))
    }
}

/// Letters Ll, Lm, Lo, Lt, Lu and numbers Nl, Nd — but not No (e.g. `²`), which `char::is_alphanumeric`
/// would accept.
fn is_letter_or_number_category(c: char) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^[\p{Ll}\p{Lm}\p{Lo}\p{Lt}\p{Lu}\p{Nl}\p{Nd}]$").expect("valid regex")
    });
    let mut buf = [0u8; 4];
    re.is_match(c.encode_utf8(&mut buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_rules() {
        use PackageFormat::*;
        assert!(package_key(Generic, None, "x").is_err());
        assert!(package_key(Maven, None, "x").is_err());
        assert!(package_key(Swift, None, "x").is_err());
        assert!(package_key(Npm, None, "x").is_ok());
        assert!(package_key(Npm, Some("s"), "x").is_ok());
        for f in [Pypi, Nuget, Ruby, Cargo] {
            assert!(package_key(f, Some("ns"), "x").is_err(), "{f}");
            assert!(package_key(f, None, "x").is_ok(), "{f}");
        }
    }

    #[test]
    fn normalizations() {
        assert_eq!(pep503_normalize("Flatten_JSON..x-_y"), "flatten-json-x-y");
        let k = package_key(PackageFormat::Nuget, None, "Newtonsoft.JSON").unwrap();
        assert_eq!(k.name, "newtonsoft.json");
        assert_eq!(nuget_normalize_version("12.0.03.0"), "12.0.3");
        assert_eq!(nuget_normalize_version("1.0.7+r3456"), "1.0.7");
        assert_eq!(nuget_normalize_version("1.01.1"), "1.1.1");
        assert_eq!(nuget_normalize_version("1.0.0-Beta"), "1.0.0-beta");
        let k = package_key(PackageFormat::Swift, Some("Acme"), "Kit").unwrap();
        assert_eq!((k.namespace.as_str(), k.name.as_str()), ("acme", "kit"));
        let k = package_key(PackageFormat::Generic, Some("Acme"), "Kit").unwrap();
        assert_eq!((k.namespace.as_str(), k.name.as_str()), ("Acme", "Kit"));
    }

    #[test]
    fn generic_asset_names() {
        for ok in [
            "a.txt",
            "widget-1.2.tar.gz",
            "a b",
            "ünïcødé",
            "日本語.bin",
            "~!@^&()-`_+[]{};,.",
        ] {
            assert!(check_generic_asset_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            ".", "..", " a", "a ", "a  b", "a/b", "a\\b", "a#b", "a\tb", "x²", "a%b", "a*b", "a?b",
            "",
        ] {
            assert!(check_generic_asset_name(bad).is_err(), "{bad}");
        }
    }
}
