//! npm: package names and versions, the publish rule, and the reads behind packuments and tarball
//! downloads. The wire shapes (JSON documents, URLs) are the native API crate's; what is accepted,
//! stored and shown is decided here.

mod manifest;
mod publish;
mod read;
mod state;
mod tags;
mod unpublish;
pub(crate) mod upstream;

use arca_metadata::{PackageFormat, PackageKey};

use crate::ServiceError;

pub use publish::{NpmPublish, NpmPublished};
pub use read::{NpmPackument, NpmVersion};

/// The one asset of every npm version.
pub const NPM_ASSET: &str = "package.tgz";

/// The longest package name npm accepts, scope included.
const MAX_NAME_LEN: usize = 214;

/// An npm package name: `name` or `@scope/name`. The scope (without `@`) is the namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmName {
    pub scope: Option<String>,
    pub name: String,
}

impl NpmName {
    /// Parses and checks a name as npm writes it (URL-safe characters, no leading `.` or `_`).
    pub fn parse(full: &str) -> Result<Self, ServiceError> {
        let invalid = |why: &str| {
            ServiceError::validation(format!("Invalid npm package name '{full}': {why}."))
        };
        if full.is_empty() || full.len() > MAX_NAME_LEN {
            return Err(invalid("it must have 1 to 214 characters"));
        }
        let (scope, name) = match full.strip_prefix('@') {
            Some(rest) => match rest.split_once('/') {
                Some((s, n)) => (Some(s), n),
                None => return Err(invalid("a scoped name is '@scope/name'")),
            },
            None => (None, full),
        };
        for part in scope.into_iter().chain([name]) {
            if part.is_empty() {
                return Err(invalid("the scope and the name must not be empty"));
            }
            if part.starts_with(['.', '_']) {
                return Err(invalid("it must not start with '.' or '_'"));
            }
            if !part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
            {
                return Err(invalid("only letters, digits and - . _ ~ are allowed"));
            }
        }
        Ok(Self {
            scope: scope.map(str::to_string),
            name: name.to_string(),
        })
    }

    pub fn key(&self) -> PackageKey {
        PackageKey {
            format: PackageFormat::Npm,
            namespace: self.scope.clone().unwrap_or_default(),
            name: self.name.clone(),
        }
    }

    /// The file name of a version's tarball, as npm names it (`name-1.0.0.tgz`, scope dropped).
    pub fn tarball_file(&self, version: &str) -> String {
        format!("{}-{version}.tgz", self.name)
    }
}

impl std::fmt::Display for NpmName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.scope {
            Some(s) => write!(f, "@{s}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Whether `v` is a SemVer 2.0 version, which is what npm publishes.
pub fn is_semver(v: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        let n = r"(?:0|[1-9][0-9]*)";
        let pre = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)";
        regex::Regex::new(&format!(
            r"^{n}\.{n}\.{n}(?:-{pre}(?:\.{pre})*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
        ))
        .expect("valid regex")
    });
    v.len() <= 255 && re.is_match(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = NpmName::parse("@acme/widget-ui").unwrap();
        assert_eq!(
            (n.scope.as_deref(), n.name.as_str()),
            (Some("acme"), "widget-ui")
        );
        assert_eq!(n.to_string(), "@acme/widget-ui");
        assert_eq!(n.key().namespace, "acme");
        assert_eq!(n.tarball_file("1.0.0"), "widget-ui-1.0.0.tgz");
        assert_eq!(NpmName::parse("left-pad").unwrap().key().namespace, "");
        for bad in [
            "", "@acme", "@/x", "@acme/", ".x", "_x", "a b", "a/b", "@a/b/c", "x%2f",
        ] {
            assert!(NpmName::parse(bad).is_err(), "{bad}");
        }
        assert!(NpmName::parse(&"x".repeat(215)).is_err());
    }

    #[test]
    fn versions() {
        for ok in ["1.0.0", "0.0.1-alpha.1", "1.2.3+build.5", "10.20.30-rc.1+x"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "1.0", "01.0.0", "1.0.0-", "1.0.0/x", "../1.0.0", "v1.0.0", "",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }
}
