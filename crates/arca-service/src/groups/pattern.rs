//! Package-group patterns (`upstreams-formats-permissions.md` §A8.1): parsing the six shapes into
//! [`Pattern`], rendering the canonical text, matching a package (strongly, or weakly: after folding
//! case and separators), and the chain of more general patterns that association and parents walk.
//! Pure: no I/O.

use std::fmt;
use std::sync::LazyLock;

use arca_metadata::{PackageFormat, PackageKey};

use crate::coords::{fold_separators, namespace_rule, pep503_normalize, NamespaceRule};
use crate::ServiceError;

/// A parsed pattern. Names and namespaces are kept normalized as the format stores them (PyPI
/// PEP 503, NuGet and cargo lowercase, Swift namespace and name lowercase), so that matching
/// compares them with stored package keys directly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// `/*`
    All,
    /// `/{format}/*`
    Format(PackageFormat),
    /// `/{format}/{namespace prefix}~`
    NamespacePrefix(PackageFormat, String),
    /// `/{format}/{namespace}/*`
    Namespace(PackageFormat, String),
    /// `/{format}/{namespace}/{name prefix}~`
    NamePrefix(PackageFormat, String, String),
    /// `/{format}/{namespace}/{name}$`
    Exact(PackageFormat, String, String),
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("/*"),
            Self::Format(fm) => write!(f, "/{fm}/*"),
            Self::NamespacePrefix(fm, p) => write!(f, "/{fm}/{p}~"),
            Self::Namespace(fm, n) => write!(f, "/{fm}/{n}/*"),
            Self::NamePrefix(fm, n, p) => write!(f, "/{fm}/{n}/{p}~"),
            Self::Exact(fm, n, x) => write!(f, "/{fm}/{n}/{x}$"),
        }
    }
}

fn invalid(pattern: &str, why: impl fmt::Display) -> ServiceError {
    ServiceError::validation(format!("Invalid package group pattern '{pattern}': {why}."))
}

/// A name (or name prefix) as the format stores it.
fn normalize_name(format: PackageFormat, name: &str) -> String {
    match format {
        PackageFormat::Pypi => pep503_normalize(name),
        PackageFormat::Nuget | PackageFormat::Swift => name.to_lowercase(),
        PackageFormat::Cargo => name.to_ascii_lowercase(),
        _ => name.to_string(),
    }
}

fn normalize_namespace(format: PackageFormat, namespace: &str) -> String {
    match format {
        PackageFormat::Swift => namespace.to_lowercase(),
        _ => namespace.to_string(),
    }
}

/// `python` is what the documentation writes; the format is `pypi`.
fn parse_format(pattern: &str, text: &str) -> Result<PackageFormat, ServiceError> {
    if text == "python" {
        return Ok(PackageFormat::Pypi);
    }
    PackageFormat::parse(text).ok_or_else(|| {
        let known: Vec<&str> = PackageFormat::ALL.iter().map(|f| f.as_str()).collect();
        invalid(
            pattern,
            format_args!(
                "unknown package format '{text}' (expected one of {})",
                known.join(", ")
            ),
        )
    })
}

/// Checks one namespace or name component: no special characters of the syntax inside it.
fn check_component(pattern: &str, what: &str, text: &str) -> Result<(), ServiceError> {
    if text.contains('\0') {
        return Err(invalid(pattern, format_args!("the {what} contains U+0000")));
    }
    if let Some(c) = text.chars().find(|c| matches!(c, '*' | '$' | '~')) {
        let why = match c {
            '*' => "'*' must directly follow '/' and end the pattern",
            '$' => "'$' may only end a pattern naming a package",
            _ => "'~' may only end a pattern",
        };
        return Err(invalid(
            pattern,
            format_args!("{why} (found in the {what} '{text}')"),
        ));
    }
    Ok(())
}

impl Pattern {
    /// Parses one of the six shapes; anything else is a ValidationException saying what is wrong.
    pub fn parse(text: &str) -> Result<Pattern, ServiceError> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(invalid(text, "it must start with '/'"));
        };
        if rest == "*" {
            return Ok(Pattern::All);
        }
        let Some((format_text, rest)) = rest.split_once('/') else {
            return Err(invalid(
                text,
                "it must be '/*' or start with '/{format}/' (e.g. '/npm/*')",
            ));
        };
        let format = parse_format(text, format_text)?;
        let rule = namespace_rule(format);
        if rest == "*" {
            return Ok(Pattern::Format(format));
        }
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [prefix] => {
                let Some(prefix) = prefix.strip_suffix('~') else {
                    check_component(text, "namespace", prefix)?;
                    return Err(invalid(
                        text,
                        "after the format comes '*', a namespace prefix ending in '~', or \
                         '{namespace}/' followed by '*', a name prefix ending in '~' or a name \
                         ending in '$'",
                    ));
                };
                check_component(text, "namespace prefix", prefix)?;
                if rule == NamespaceRule::Forbidden {
                    return Err(invalid(
                        text,
                        format_args!("packages of format {format} have no namespace"),
                    ));
                }
                if prefix.is_empty() {
                    return Err(invalid(text, "the namespace prefix before '~' is empty"));
                }
                Ok(Pattern::NamespacePrefix(
                    format,
                    normalize_namespace(format, prefix),
                ))
            }
            [namespace, last] => {
                check_component(text, "namespace", namespace)?;
                match rule {
                    NamespaceRule::Forbidden if !namespace.is_empty() => {
                        return Err(invalid(
                            text,
                            format_args!(
                                "packages of format {format} have no namespace: write \
                                 '/{format}//…' with an empty namespace"
                            ),
                        ))
                    }
                    NamespaceRule::Required if namespace.is_empty() => {
                        return Err(invalid(
                            text,
                            format_args!(
                                "packages of format {format} always have a namespace, so the \
                                 pattern must name it"
                            ),
                        ))
                    }
                    _ => {}
                }
                if format == PackageFormat::Npm && namespace.starts_with('@') {
                    return Err(invalid(
                        text,
                        "npm namespaces are written without '@' (e.g. '/npm/acme/*')",
                    ));
                }
                let namespace = normalize_namespace(format, namespace);
                if *last == "*" {
                    return Ok(Pattern::Namespace(format, namespace));
                }
                for (suffix, what) in [('~', "name prefix"), ('$', "package name")] {
                    let Some(name) = last.strip_suffix(suffix) else {
                        continue;
                    };
                    check_component(text, what, name)?;
                    if name.is_empty() {
                        return Err(invalid(
                            text,
                            format_args!("the {what} before '{suffix}' is empty"),
                        ));
                    }
                    let name = normalize_name(format, name);
                    return Ok(match suffix {
                        '~' => Pattern::NamePrefix(format, namespace, name),
                        _ => Pattern::Exact(format, namespace, name),
                    });
                }
                check_component(text, "package name", last)?;
                Err(invalid(
                    text,
                    "it must end with '$' (exact name), '~' (prefix) or '/*' (every package)",
                ))
            }
            _ => Err(invalid(
                text,
                "it has too many components (at most '/{format}/{namespace}/{name}')",
            )),
        }
    }

    pub fn format(&self) -> Option<PackageFormat> {
        match self {
            Self::All => None,
            Self::Format(f)
            | Self::NamespacePrefix(f, _)
            | Self::Namespace(f, _)
            | Self::NamePrefix(f, _, _)
            | Self::Exact(f, _, _) => Some(*f),
        }
    }

    /// Whether the package matches (strongly: names as stored, case-sensitive).
    pub fn matches(&self, key: &PackageKey) -> bool {
        if self.format().is_some_and(|f| f != key.format) {
            return false;
        }
        match self {
            Self::All | Self::Format(_) => true,
            Self::NamespacePrefix(_, p) => prefix_match(&key.namespace, p),
            Self::Namespace(_, n) => key.namespace == *n,
            Self::NamePrefix(_, n, p) => key.namespace == *n && prefix_match(&key.name, p),
            Self::Exact(_, n, x) => key.namespace == *n && key.name == *x,
        }
    }

    /// The pattern with namespace and name folded for weak comparison ([`fold`]).
    pub fn folded(&self) -> Pattern {
        match self {
            Self::All | Self::Format(_) => self.clone(),
            Self::NamespacePrefix(f, p) => Self::NamespacePrefix(*f, fold(p)),
            Self::Namespace(f, n) => Self::Namespace(*f, fold(n)),
            Self::NamePrefix(f, n, p) => Self::NamePrefix(*f, fold(n), fold(p)),
            Self::Exact(f, n, x) => Self::Exact(*f, fold(n), fold(x)),
        }
    }

    /// How specific the pattern is: a pattern matching a subset of another's packages ranks
    /// higher. Exact > longer name prefix > shorter > namespace > longer namespace prefix >
    /// shorter > format > all. Prefixes are measured folded, so strong and weak matches compare.
    pub fn rank(&self) -> (u8, usize) {
        match self {
            Self::All => (0, 0),
            Self::Format(_) => (1, 0),
            Self::NamespacePrefix(_, p) => (2, fold(p).chars().count()),
            Self::Namespace(..) => (3, 0),
            Self::NamePrefix(_, _, p) => (4, fold(p).chars().count()),
            Self::Exact(..) => (5, 0),
        }
    }

    /// Every pattern strictly more general than this one that could contain it, most specific
    /// first: the patterns a parent (or, from [`Pattern::Exact`] of a package, an association)
    /// is looked up among. O(length of the names), whatever the number of groups.
    pub fn generalizations(&self) -> Vec<Pattern> {
        let mut out = Vec::new();
        let f = match self.format() {
            Some(f) => f,
            None => return out,
        };
        let namespace_prefixes = |ns: &str, include_whole: bool, out: &mut Vec<Pattern>| {
            for end in boundary_prefixes(ns).into_iter().rev() {
                if end == ns.len() && !include_whole {
                    continue;
                }
                out.push(Self::NamespacePrefix(f, ns[..end].to_string()));
            }
        };
        match self {
            Self::All | Self::Format(_) => {}
            Self::NamespacePrefix(_, p) => namespace_prefixes(p, false, &mut out),
            Self::Namespace(_, n) => namespace_prefixes(n, true, &mut out),
            Self::NamePrefix(_, n, p) | Self::Exact(_, n, p) => {
                let whole = matches!(self, Self::Exact(..));
                for end in boundary_prefixes(p).into_iter().rev() {
                    if end == p.len() && !whole {
                        continue;
                    }
                    out.push(Self::NamePrefix(f, n.clone(), p[..end].to_string()));
                }
                out.push(Self::Namespace(f, n.clone()));
                namespace_prefixes(n, true, &mut out);
            }
        }
        if !matches!(self, Self::Format(_)) {
            out.push(Self::Format(f));
        }
        out.push(Self::All);
        out
    }

    /// The exact pattern of a package: with [`Pattern::generalizations`], every pattern that can
    /// match it.
    pub fn of_package(key: &PackageKey) -> Pattern {
        Self::Exact(key.format, key.namespace.clone(), key.name.clone())
    }
}

/// Letters, numbers and marks: what words are made of (`[\p{L}\p{N}][\p{L}\p{N}\p{M}]*`).
fn is_word(c: char) -> bool {
    static MARK: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"^\p{M}$").expect("a valid regex"));
    c.is_alphanumeric() || (!c.is_ascii() && MARK.is_match(c.encode_utf8(&mut [0; 4])))
}

/// Byte offsets `end` (0 < end ≤ len) where `value[..end]` ends on a word boundary: at the end,
/// or between a word character and a non-word one (either way round).
fn boundary_prefixes(value: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev: Option<bool> = None;
    for (i, c) in value.char_indices() {
        let word = is_word(c);
        if prev.is_some_and(|p| p != word) {
            out.push(i);
        }
        prev = Some(word);
    }
    if !value.is_empty() {
        out.push(value.len());
    }
    out
}

/// `~` matching: `value` starts with `prefix`, and the prefix ends on a word boundary of `value`
/// (`foo~` matches `foo` and `foo-bar`, not `food`).
pub fn prefix_match(value: &str, prefix: &str) -> bool {
    let Some(rest) = value.strip_prefix(prefix) else {
        return false;
    };
    let (Some(last), Some(next)) = (prefix.chars().next_back(), rest.chars().next()) else {
        return !prefix.is_empty();
    };
    is_word(last) != is_word(next)
}

/// The weak form of a name: case folded, every run of `-`, `.` and `_` one `.`. Two names with
/// the same weak form differ only by case or separators.
pub fn fold(value: &str) -> String {
    fold_separators(value, '.')
}

/// A package key in weak form.
pub fn folded_key(key: &PackageKey) -> PackageKey {
    PackageKey {
        format: key.format,
        namespace: fold(&key.namespace),
        name: fold(&key.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(format: PackageFormat, ns: &str, name: &str) -> PackageKey {
        PackageKey {
            format,
            namespace: ns.into(),
            name: name.into(),
        }
    }

    fn p(s: &str) -> Pattern {
        Pattern::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        match Pattern::parse(s) {
            Ok(p) => panic!("{s} parsed as {p:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_six_shapes_round_trip() {
        use PackageFormat::*;
        let cases = [
            ("/*", Pattern::All),
            ("/npm/*", Pattern::Format(Npm)),
            (
                "/maven/com.anycompany~",
                Pattern::NamespacePrefix(Maven, "com.anycompany".into()),
            ),
            ("/npm/space/*", Pattern::Namespace(Npm, "space".into())),
            ("/npm//*", Pattern::Namespace(Npm, String::new())),
            (
                "/npm/space/anycompany-ui~",
                Pattern::NamePrefix(Npm, "space".into(), "anycompany-ui".into()),
            ),
            (
                "/maven/org.apache.logging.log4j/log4j-core$",
                Pattern::Exact(
                    Maven,
                    "org.apache.logging.log4j".into(),
                    "log4j-core".into(),
                ),
            ),
            (
                "/pypi//requests$",
                Pattern::Exact(Pypi, String::new(), "requests".into()),
            ),
        ];
        for (text, want) in cases {
            let got = p(text);
            assert_eq!(got, want, "{text}");
            assert_eq!(got.to_string(), text);
        }
    }

    #[test]
    fn names_are_normalized_per_format() {
        assert_eq!(p("/python//Foo_Bar$").to_string(), "/pypi//foo-bar$");
        assert_eq!(p("/python//Foo.~").to_string(), "/pypi//foo-~");
        assert_eq!(
            p("/nuget//Newtonsoft.Json$").to_string(),
            "/nuget//newtonsoft.json$"
        );
        assert_eq!(
            p("/swift/Apple/Swift-NIO~").to_string(),
            "/swift/apple/swift-nio~"
        );
        assert_eq!(p("/cargo//Serde$").to_string(), "/cargo//serde$");
        // Case-sensitive elsewhere.
        assert_eq!(p("/npm//React$").to_string(), "/npm//React$");
        assert_eq!(p("/maven/Com.Acme~").to_string(), "/maven/Com.Acme~");
    }

    #[test]
    fn malformed_patterns_say_what_is_wrong() {
        let cases = [
            ("npm/*", "must start with '/'"),
            ("/npm", "must be '/*' or start with '/{format}/'"),
            ("/**", "must be '/*' or start with"),
            ("/rust/*", "unknown package format 'rust'"),
            ("/npm/a*", "'*' must directly follow '/'"),
            ("/npm/a/b*", "'*' must directly follow '/'"),
            ("/npm/a/*/b", "too many components"),
            ("/npm/a/b", "must end with '$'"),
            ("/npm/a", "after the format comes"),
            ("/npm/a$", "'$' may only end a pattern naming a package"),
            ("/npm/a/b$c$", "'$' may only end"),
            ("/npm/a~b/*", "'~' may only end"),
            ("/npm/~", "namespace prefix before '~' is empty"),
            ("/npm/a/~", "name prefix before '~' is empty"),
            ("/npm/a/$", "package name before '$' is empty"),
            ("/pypi/x/requests$", "have no namespace"),
            ("/pypi/x~", "have no namespace"),
            ("/maven//log4j$", "always have a namespace"),
            ("/generic//*", "always have a namespace"),
            ("/swift//nio~", "always have a namespace"),
            ("/npm/@acme/*", "without '@'"),
            ("/npm/a/b/c$", "too many components"),
        ];
        for (text, want) in cases {
            let got = err(text);
            assert!(got.contains(want), "{text}: {got}");
            assert!(
                got.contains(text),
                "{text}: message names the pattern: {got}"
            );
        }
    }

    #[test]
    fn tilde_matches_on_word_boundaries_only() {
        assert!(prefix_match("foo", "foo"));
        assert!(prefix_match("foo-bar", "foo"));
        assert!(prefix_match("foo.bar", "foo"));
        assert!(!prefix_match("food", "foo"));
        assert!(!prefix_match("fo", "foo"));
        assert!(prefix_match("foo-bar", "foo-"));
        assert!(!prefix_match("foo--bar", "foo-"));
        assert!(prefix_match("com.acme.tools", "com.acme"));
        assert!(!prefix_match("com.acmetools", "com.acme"));
        assert!(prefix_match("a1-x", "a1"));
        assert!(!prefix_match("a12", "a1"));
        // A combining mark continues its word.
        assert!(!prefix_match("cafe\u{301}", "cafe"));
        assert!(prefix_match("café-x", "café"));
        assert!(!prefix_match("x", ""));
    }

    #[test]
    fn matching_each_shape() {
        use PackageFormat::*;
        let kit = key(Npm, "space", "anycompany-ui-kit");
        assert!(p("/*").matches(&kit));
        assert!(p("/npm/*").matches(&kit));
        assert!(!p("/pypi/*").matches(&kit));
        assert!(p("/npm/space~").matches(&kit));
        assert!(!p("/npm/spa~").matches(&kit));
        assert!(p("/npm/space/*").matches(&kit));
        assert!(!p("/npm//*").matches(&kit));
        assert!(p("/npm//*").matches(&key(Npm, "", "x")));
        assert!(p("/npm/space/anycompany-ui~").matches(&kit));
        assert!(p("/npm/space/anycompany~").matches(&kit));
        assert!(!p("/npm/space/anycompany-u~").matches(&kit));
        assert!(p("/npm/space/anycompany-ui-kit$").matches(&kit));
        assert!(!p("/npm/space/anycompany-ui$").matches(&kit));
        assert!(
            !p("/npm/space/Anycompany-ui-kit$").matches(&kit),
            "case-sensitive"
        );
        assert!(p("/python//foo_bar$").matches(&key(Pypi, "", "foo-bar")));
        assert!(p("/maven/com.acme~").matches(&key(Maven, "com.acme.tools", "x")));
        assert!(!p("/maven/com.acme~").matches(&key(Maven, "com.acmetools", "x")));
    }

    #[test]
    fn generalizations_are_most_specific_first() {
        let got: Vec<String> = p("/npm/space/anycompany-ui-kit$")
            .generalizations()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "/npm/space/anycompany-ui-kit~",
                "/npm/space/anycompany-ui-~",
                "/npm/space/anycompany-ui~",
                "/npm/space/anycompany-~",
                "/npm/space/anycompany~",
                "/npm/space/*",
                "/npm/space~",
                "/npm/*",
                "/*",
            ]
        );
        let got: Vec<String> = p("/maven/com.acme.tools~")
            .generalizations()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "/maven/com.acme.~",
                "/maven/com.acme~",
                "/maven/com.~",
                "/maven/com~",
                "/maven/*",
                "/*"
            ]
        );
        assert_eq!(p("/npm/*").generalizations(), vec![Pattern::All]);
        assert!(p("/*").generalizations().is_empty());
        let unscoped: Vec<String> = p("/npm//lodash$")
            .generalizations()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(unscoped, ["/npm//lodash~", "/npm//*", "/npm/*", "/*"]);
    }

    #[test]
    fn every_generalization_contains_the_pattern() {
        // Each generalization of an exact pattern matches the package itself.
        let k = key(PackageFormat::Maven, "com.acme.x", "lib-core.api");
        for g in Pattern::of_package(&k).generalizations() {
            assert!(g.matches(&k), "{g}");
            assert!(g.rank() < Pattern::of_package(&k).rank(), "{g}");
        }
    }

    #[test]
    fn ranks_order_by_specificity() {
        let order = [
            "/*",
            "/npm/*",
            "/npm/a~",
            "/npm/a-b~",
            "/npm/a-b/*",
            "/npm/a-b/x~",
            "/npm/a-b/x-y~",
            "/npm/a-b/x-y$",
        ];
        for w in order.windows(2) {
            assert!(p(w[0]).rank() < p(w[1]).rank(), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn weak_form_folds_case_and_separator_runs() {
        assert_eq!(fold("Foo_Bar"), "foo.bar");
        assert_eq!(fold("foo--bar..baz"), "foo.bar.baz");
        assert_eq!(fold("foo-_.bar"), "foo.bar");
        assert_eq!(fold("lodash"), "lodash");
        assert_eq!(
            p("/npm/My-Scope/Lo_Dash$").folded().to_string(),
            "/npm/my.scope/lo.dash$"
        );
    }
}
