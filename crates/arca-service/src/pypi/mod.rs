//! PyPI: project names (PEP 503 normalization), versions and distribution file names, the upload
//! rule (`twine upload`) and the reads behind the simple API. The wire shapes (HTML, JSON,
//! multipart) are the native API crate's; what is accepted, stored and shown is decided here.

mod merge;
mod metadata;
mod read;
mod upload;
pub(crate) mod upstream;

use crate::coords::pep503_normalize;
use crate::ServiceError;

pub use metadata::CoreMetadata;
pub use read::{PypiFile, PypiProject};
pub use upload::{PypiUpload, PypiUploaded};

/// Longest project name, version and file name accepted.
const MAX_NAME_LEN: usize = 200;
const MAX_VERSION_LEN: usize = 128;
const MAX_FILENAME_LEN: usize = 255;
/// Distribution files an upload may carry, by extension.
const EXTENSIONS: [&str; 3] = [".whl", ".tar.gz", ".zip"];

/// The name a project is stored and served under (PEP 503).
pub fn normalize(name: &str) -> String {
    pep503_normalize(name)
}

/// Checks a project name as PEP 508 allows it (letters, digits, `.`, `_`, `-`; alphanumeric ends).
pub(crate) fn check_name(name: &str) -> Result<(), ServiceError> {
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && ends_ok(name.chars().next())
        && ends_ok(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::validation(format!(
            "Invalid PyPI project name '{name}': letters, digits, '.', '_' and '-', starting and ending with a letter or digit, at most {MAX_NAME_LEN} characters."
        )))
    }
}

/// Checks a version's characters (PEP 440 spellings, including local versions); the full grammar
/// is pip's business, this keeps versions safe in URLs and file names.
pub(crate) fn check_version(version: &str) -> Result<(), ServiceError> {
    let ok = !version.is_empty()
        && version.len() <= MAX_VERSION_LEN
        && version.starts_with(|c: char| c.is_ascii_alphanumeric())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '!'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::validation(format!(
            "Invalid version '{version}': a PEP 440 version of at most {MAX_VERSION_LEN} characters."
        )))
    }
}

/// Checks a distribution file name: no path, a known extension, and `{project}-{version}` at its
/// start (wheels and sdists both begin so; the project part is compared normalized).
pub(crate) fn check_filename(
    filename: &str,
    project: &str,
    version: &str,
) -> Result<(), ServiceError> {
    let invalid = |why: &str| {
        ServiceError::validation(format!(
            "Invalid distribution file name '{filename}': {why}."
        ))
    };
    if filename.is_empty()
        || filename.len() > MAX_FILENAME_LEN
        || filename.contains(['/', '\\'])
        || filename.contains("..")
        || filename.starts_with('.')
        || filename.chars().any(char::is_control)
    {
        return Err(invalid(
            "it must be a plain file name (no '/', '\\', '..' or control characters, at most 255 bytes)",
        ));
    }
    let stem = EXTENSIONS
        .iter()
        .find_map(|ext| filename.strip_suffix(ext))
        .ok_or_else(|| invalid("only .whl, .tar.gz and .zip distributions are accepted"))?;
    let marker = format!("-{version}");
    let names_it = stem.match_indices(&marker).any(|(at, _)| {
        let after = &stem[at + marker.len()..];
        (after.is_empty() || after.starts_with('-')) && normalize(&stem[..at]) == normalize(project)
    });
    if !names_it {
        return Err(invalid(&format!(
            "it must start with the project and version ({project}-{version})"
        )));
    }
    Ok(())
}

/// The version a distribution file name stands for, given its project: `{project}-{version}`,
/// then `-{tags}.whl` for a wheel or the extension for an sdist. `None` when the name does not name
/// the project or is not a kind Arca keeps ([`check_filename`] holds for what it returns). Epochs
/// (`1!2.0`) and `v`-prefixed versions are not read from file names.
pub(crate) fn file_version(filename: &str, project: &str) -> Option<String> {
    let stem = EXTENSIONS
        .iter()
        .find_map(|ext| filename.strip_suffix(ext))?;
    let wheel = filename.ends_with(".whl");
    let project = normalize(project);
    stem.match_indices('-').find_map(|(at, _)| {
        if normalize(&stem[..at]) != project {
            return None;
        }
        let rest = &stem[at + 1..];
        let version = if wheel { rest.split('-').next()? } else { rest };
        // A version starts with a digit (PEP 440); this also tells `kit-core-utils-1.0.tar.gz`
        // (another project) from a version of `kit-core`.
        let ok = version.starts_with(|c: char| c.is_ascii_digit())
            && check_version(version).is_ok()
            && check_filename(filename, &project, version).is_ok();
        ok.then(|| version.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        assert_eq!(normalize("Kit_Core.Utils"), "kit-core-utils");
        for ok in ["kit", "Kit_Core", "a.b-c", "x1"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-kit", "kit-", "a b", "a/b", "ки"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        for ok in ["1.0.0", "2!1.0rc1", "1.0+local.1", "1.0.post1.dev2"] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        for bad in ["", "../1", "1/0", ".1", "1 0"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_from_file_names() {
        let v = |f: &str| file_version(f, "kit-core");
        assert_eq!(
            v("kit_core-1.0.0-py3-none-any.whl").as_deref(),
            Some("1.0.0")
        );
        assert_eq!(
            v("Kit.Core-2.0rc1-1-cp312-cp312-manylinux_2_17_x86_64.whl").as_deref(),
            Some("2.0rc1")
        );
        assert_eq!(v("kit-core-1.0.tar.gz").as_deref(), Some("1.0"));
        assert_eq!(v("kit_core-1.0+local.zip").as_deref(), Some("1.0+local"));
        assert_eq!(v("kit-core-utils-1.0.tar.gz"), None, "another project");
        assert_eq!(v("kit_core-1.0.0.exe"), None);
        assert_eq!(v("kit_core-1.0.0.tar.bz2"), None);
        assert_eq!(v("kit_core-.tar.gz"), None);
        assert_eq!(v("../kit_core-1.0.tar.gz"), None);
    }

    #[test]
    fn file_names() {
        let ok = |f: &str| check_filename(f, "Kit.Core", "1.0.0").is_ok();
        assert!(ok("kit_core-1.0.0-py3-none-any.whl"));
        assert!(ok("kit_core-1.0.0.tar.gz"));
        assert!(ok("Kit.Core-1.0.0.zip"));
        assert!(!ok("kit_core-1.0.0.exe"));
        assert!(!ok("other-1.0.0.tar.gz"));
        assert!(!ok("kit_core-1.0.01.tar.gz"));
        assert!(!ok("../kit_core-1.0.0.tar.gz"));
        assert!(!ok("a/kit_core-1.0.0.tar.gz"));
        assert!(!ok("a\\kit_core-1.0.0.tar.gz"));
        assert!(!ok("kit_core-1.0.0..tar.gz"));
    }
}
