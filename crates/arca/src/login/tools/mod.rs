//! One configuration writer per tool: each turns the endpoint and token into [`Change`]s of the
//! tool's own files, merged into what is there (other settings, comments and order kept).

mod cargo;
mod jvm;
mod npm;
mod nuget;
mod python;
mod ruby;
mod swift;

use anyhow::bail;

use super::edit::Change;
use super::Target;

/// The tools `arca login` configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Tool {
    Npm,
    Pip,
    Twine,
    Uv,
    Poetry,
    Maven,
    Gradle,
    Cargo,
    Gem,
    Bundler,
    Nuget,
    Dotnet,
    Swift,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::Pip => "pip",
            Self::Twine => "twine",
            Self::Uv => "uv",
            Self::Poetry => "poetry",
            Self::Maven => "maven",
            Self::Gradle => "gradle",
            Self::Cargo => "cargo",
            Self::Gem => "gem",
            Self::Bundler => "bundler",
            Self::Nuget => "nuget",
            Self::Dotnet => "dotnet",
            Self::Swift => "swift",
        }
    }

    /// The package format whose endpoint the tool uses.
    pub fn format(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::Pip | Self::Twine | Self::Uv | Self::Poetry => "pypi",
            Self::Maven | Self::Gradle => "maven",
            Self::Cargo => "cargo",
            Self::Gem | Self::Bundler => "ruby",
            Self::Nuget | Self::Dotnet => "nuget",
            Self::Swift => "swift",
        }
    }

    /// `--namespace` is an npm or Swift scope, checked as the AWS CLI checks it.
    pub fn check_namespaces(self, namespaces: &[String]) -> anyhow::Result<()> {
        match self {
            _ if namespaces.is_empty() => Ok(()),
            Self::Npm => namespaces.iter().try_for_each(|n| npm::check_scope(n)),
            Self::Swift => namespaces.iter().try_for_each(|n| swift::check_scope(n)),
            _ => bail!("Argument --namespace is not supported for {}", self.name()),
        }
    }

    /// The files to change.
    pub fn plan(self, t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
        match self {
            Self::Npm => npm::plan(t),
            Self::Pip => python::pip(t),
            Self::Twine => python::twine(t),
            Self::Uv => python::uv(t),
            Self::Poetry => python::poetry(t),
            Self::Maven => jvm::maven(t),
            Self::Gradle => jvm::gradle(t),
            Self::Cargo => cargo::plan(t),
            Self::Gem => ruby::gem(t),
            Self::Bundler => ruby::bundler(t),
            Self::Nuget | Self::Dotnet => nuget::plan(t),
            Self::Swift => swift::plan(t),
        }
    }

    /// How to use what was written, where that is not obvious.
    pub fn hints(self, t: &Target<'_>) -> Vec<String> {
        let name = t.name();
        match self {
            Self::Twine => vec!["Upload with: twine upload --repository codeartifact dist/*".into()],
            Self::Poetry => vec![format!("Publish with: poetry publish --repository {name}")],
            Self::Maven => vec![format!(
                "Deploy with: mvn deploy -DaltDeploymentRepository={name}::{}",
                t.endpoint
            )],
            Self::Cargo => vec![format!(
                "Use it with: cargo publish --registry {name}, and registry = \"{name}\" in dependencies"
            )],
            Self::Gem => vec![format!(
                "Push with: gem push --host {} FILE.gem",
                t.endpoint.trim_end_matches('/')
            )],
            _ => Vec::new(),
        }
    }
}

/// `s` with XML's five special characters escaped (for text and attribute values).
pub(crate) fn xml_escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// Parses a TOML file for editing ("" is an empty document).
pub(crate) fn toml_doc(text: &str) -> anyhow::Result<toml_edit::DocumentMut> {
    text.parse::<toml_edit::DocumentMut>()
        .map_err(|e| anyhow::anyhow!("not valid TOML: {e}"))
}

/// `doc[a][b]` as a table (created implicitly when missing, so no empty `[a]` header appears).
pub(crate) fn toml_table<'d>(
    doc: &'d mut toml_edit::DocumentMut,
    a: &str,
    b: &str,
) -> anyhow::Result<&'d mut toml_edit::Table> {
    let outer = doc
        .entry(a)
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| anyhow::anyhow!("`{a}` is not a table"))?;
    outer
        .entry(b)
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_mut()
        .ok_or_else(|| anyhow::anyhow!("`{a}.{b}` is not a table"))
}

#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashMap;
    use std::path::Path;

    use super::super::{Env, Target};

    /// An environment whose HOME (and working directory) is `home`.
    pub fn env(home: &Path, vars: &[(&str, &str)]) -> Env {
        Env {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
            home: home.to_path_buf(),
            cwd: home.to_path_buf(),
        }
    }

    pub const ENDPOINT_PATH: &str = "/d/acme-111122223333/releases/";

    /// The `format` endpoint of acme/releases on `http://arca.test:8080`.
    pub fn endpoint(format: &str) -> String {
        format!("http://arca.test:8080/{format}{ENDPOINT_PATH}")
    }

    /// acme/releases at `endpoint`, token `TOKEN`.
    pub fn target<'a>(env: &'a Env, endpoint: &'a str) -> Target<'a> {
        Target {
            endpoint,
            token: "TOKEN",
            domain: "acme",
            repository: "releases",
            namespaces: &[],
            extra_index: false,
            env,
        }
    }
}

#[cfg(test)]
mod escape_tests {
    #[test]
    fn xml_escape_escapes_the_five_special_characters() {
        assert_eq!(
            super::xml_escape(r#"a<b>&'c"d"#),
            "a&lt;b&gt;&amp;&apos;c&quot;d"
        );
    }
}
