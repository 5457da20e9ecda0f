//! The install snippet of a package, for its format's tools, with the repository's native
//! endpoint URL (what GetRepositoryEndpoint answers). Credentials are left to `arca login` or
//! `aws codeartifact login`, which the page names.

use arca_service::PackageFormat;

/// What a snippet names.
pub struct Coordinates<'a> {
    pub format: PackageFormat,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub version: &'a str,
    /// The repository's endpoint for the format, ending in `/`.
    pub endpoint: &'a str,
    pub domain: &'a str,
    pub owner: &'a str,
    pub repository: &'a str,
}

/// `(tool, snippet)` pairs; plain text, escaped by the template.
pub fn snippets(c: &Coordinates<'_>) -> Vec<(&'static str, String)> {
    let (url, name, v) = (c.endpoint, c.name, c.version);
    let ns = c.namespace.unwrap_or("");
    match c.format {
        PackageFormat::Npm => {
            let (config, full) = match c.namespace {
                Some(scope) => (
                    format!("npm config set @{scope}:registry {url}"),
                    format!("@{scope}/{name}"),
                ),
                None => (format!("npm config set registry {url}"), name.to_string()),
            };
            vec![("npm", format!("{config}\nnpm install {full}@{v}"))]
        }
        PackageFormat::Pypi => vec![
            (
                "pip",
                format!("pip install --index-url {url}simple/ '{name}=={v}'"),
            ),
            (
                "uv",
                format!("uv pip install --index-url {url}simple/ '{name}=={v}'"),
            ),
        ],
        PackageFormat::Maven => vec![
            (
                "Maven",
                format!(
                    "<!-- repository: {url} -->\n<dependency>\n  <groupId>{ns}</groupId>\n  \
                     <artifactId>{name}</artifactId>\n  <version>{v}</version>\n</dependency>"
                ),
            ),
            (
                "Gradle",
                format!(
                    "repositories {{ maven {{ url = uri(\"{url}\") }} }}\n\
                     dependencies {{ implementation(\"{ns}:{name}:{v}\") }}"
                ),
            ),
        ],
        PackageFormat::Cargo => vec![(
            "cargo",
            format!(
                "# .cargo/config.toml\n[registries.arca]\nindex = \"sparse+{url}\"\n\n\
                 cargo add {name}@={v} --registry arca"
            ),
        )],
        PackageFormat::Ruby => vec![
            ("gem", format!("gem install {name} -v {v} --source {url}")),
            (
                "Bundler",
                format!("source \"{url}\" do\n  gem \"{name}\", \"{v}\"\nend"),
            ),
        ],
        PackageFormat::Nuget => vec![
            (
                "dotnet",
                format!(
                    "dotnet nuget add source {url}v3/index.json -n arca\n\
                     dotnet add package {name} --version {v}"
                ),
            ),
            (
                "NuGet",
                format!("nuget install {name} -Version {v} -Source {url}v3/index.json"),
            ),
        ],
        PackageFormat::Swift => vec![(
            "Swift",
            format!(
                "swift package-registry set {url}\n\
                 // Package.swift\n.package(id: \"{ns}.{name}\", exact: \"{v}\")"
            ),
        )],
        PackageFormat::Generic => vec![(
            "AWS CLI",
            format!(
                "aws codeartifact list-package-version-assets --domain {} --domain-owner {} \
                 --repository {} --format generic --namespace '{ns}' --package '{name}' \
                 --package-version '{v}'",
                c.domain, c.owner, c.repository
            ),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(format: PackageFormat, namespace: Option<&'static str>) -> Coordinates<'static> {
        Coordinates {
            format,
            namespace,
            name: "kit",
            version: "1.0.0",
            endpoint: "http://h/x/",
            domain: "acme",
            owner: "111122223333",
            repository: "r",
        }
    }

    #[test]
    fn every_format_has_a_snippet_naming_the_endpoint() {
        for f in PackageFormat::ALL {
            let s = snippets(&c(f, Some("ns")));
            assert!(!s.is_empty(), "{f}");
            assert!(s.iter().all(|(_, t)| t.contains("kit")), "{f}: {s:?}");
        }
        let npm = snippets(&c(PackageFormat::Npm, Some("scope")));
        assert!(npm[0].1.contains("@scope:registry http://h/x/"));
        assert!(npm[0].1.contains("npm install @scope/kit@1.0.0"));
        let pip = snippets(&c(PackageFormat::Pypi, None));
        assert!(pip[0].1.contains("--index-url http://h/x/simple/"));
    }
}
