//! Translation of the service model's Java (`java.util.regex`) patterns into
//! Rust `regex` syntax with the same meaning.
//!
//! The model's patterns are Java regular expressions matched against the
//! whole value (`String.matches`). The differences that matter:
//!
//! * Java `\s`, `\d`, `\w` are ASCII-only (no `UNICODE_CHARACTER_CLASS`); Rust's are
//!   Unicode. `\s` becomes `[ \t\n\x0B\x0C\r]` (inside a character class its
//!   characters are spliced in), `\S` its negation (a nested negated class inside
//!   a class), `\d` `[0-9]`, `\w` `[a-zA-Z_0-9]`.
//! * Java `\p{IsWhitespace}` (the Unicode `White_Space` property) is Rust's
//!   `\p{White_Space}`. General categories (`\p{C}`, `\P{C}`, `\p{Lu}`…) are the
//!   same in both.
//! * Java `.` excludes all line terminators (`\n \r \u0085 \u2028 \u2029`), Rust's
//!   only `\n`.
//! * The result is anchored as `^(?:…)$`.
//!
//! Anything this translator does not understand is an error rather than a
//! silent mistranslation, so a new construct in a future model fails the tests.

/// Java `\s` (ASCII whitespace), written for use inside a Rust character class.
const JAVA_SPACE_CHARS: &str = r" \t\n\x0B\x0C\r";
const JAVA_DIGIT_CHARS: &str = "0-9";
const JAVA_WORD_CHARS: &str = "a-zA-Z_0-9";
/// Java `.` without DOTALL.
const JAVA_DOT: &str = r"[^\n\r\x{85}\x{2028}\x{2029}]";

/// General categories understood identically by Java and Rust.
const GENERAL_CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "LC", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me",
    "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk",
    "Sm", "So", "Z", "Zl", "Zp", "Zs",
];

/// Translates a Java pattern into an anchored Rust `regex` pattern.
pub(crate) fn translate(java: &str) -> Result<String, String> {
    Ok(format!("^(?:{})$", translate_body(java)?))
}

fn translate_body(java: &str) -> Result<String, String> {
    let chars: Vec<char> = java.chars().collect();
    let mut out = String::with_capacity(java.len() + 16);
    // Nesting depth of character classes.
    let mut class_depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let in_class = class_depth > 0;
        match c {
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err(format!("pattern {java:?} ends with a lone backslash"));
                };
                i += 2;
                match e {
                    's' | 'd' | 'w' => {
                        let set = match e {
                            's' => JAVA_SPACE_CHARS,
                            'd' => JAVA_DIGIT_CHARS,
                            _ => JAVA_WORD_CHARS,
                        };
                        if in_class {
                            out.push_str(set);
                        } else {
                            out.push('[');
                            out.push_str(set);
                            out.push(']');
                        }
                    }
                    'S' | 'D' | 'W' => {
                        let set = match e {
                            'S' => JAVA_SPACE_CHARS,
                            'D' => JAVA_DIGIT_CHARS,
                            _ => JAVA_WORD_CHARS,
                        };
                        // A nested negated class is valid both at top level and
                        // inside a class (where it forms a union).
                        out.push_str("[^");
                        out.push_str(set);
                        out.push(']');
                    }
                    'p' | 'P' => {
                        let (name, used) = property_name(&chars[i..])
                            .ok_or_else(|| format!("malformed \\{e} in pattern {java:?}"))?;
                        i += used;
                        let rust = translate_property(&name).ok_or_else(|| {
                            format!("unsupported property \\{e}{{{name}}} in pattern {java:?}")
                        })?;
                        out.push('\\');
                        out.push(e);
                        out.push('{');
                        out.push_str(&rust);
                        out.push('}');
                    }
                    't' => out.push_str(r"\t"),
                    'n' => out.push_str(r"\n"),
                    'r' => out.push_str(r"\r"),
                    'f' => out.push_str(r"\x0C"),
                    'e' => out.push_str(r"\x1B"),
                    'a' => out.push_str(r"\x07"),
                    'x' => {
                        let hex: String = chars.get(i..i + 2).unwrap_or_default().iter().collect();
                        if hex.len() != 2 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                            return Err(format!("malformed \\x escape in pattern {java:?}"));
                        }
                        i += 2;
                        out.push_str(r"\x");
                        out.push_str(&hex);
                    }
                    'u' => {
                        let hex: String = chars.get(i..i + 4).unwrap_or_default().iter().collect();
                        if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                            return Err(format!("malformed \\u escape in pattern {java:?}"));
                        }
                        i += 4;
                        out.push_str(r"\x{");
                        out.push_str(&hex);
                        out.push('}');
                    }
                    e if e.is_ascii_punctuation() => {
                        // An escaped metacharacter or punctuation: a literal.
                        // `regex::escape` escapes Rust metacharacters and leaves
                        // other punctuation bare (already a literal).
                        out.push_str(&regex::escape(&e.to_string()));
                    }
                    other => {
                        return Err(format!("unsupported escape \\{other} in pattern {java:?}"))
                    }
                }
                continue;
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
            }
            ']' if in_class => {
                class_depth -= 1;
                out.push(']');
            }
            '.' if !in_class => out.push_str(JAVA_DOT),
            // Possessive quantifiers (`a*+`) and Java-only group forms are not
            // translatable; the Rust compiler rejects them, which the caller
            // reports. Everything else is the same in both dialects.
            other => out.push(other),
        }
        i += 1;
    }
    if class_depth != 0 {
        return Err(format!("unbalanced character class in pattern {java:?}"));
    }
    Ok(out)
}

/// Parses the name after `\p`/`\P`: either `{Name}` or a single letter.
/// Returns the name and how many chars it used.
fn property_name(rest: &[char]) -> Option<(String, usize)> {
    match rest.first()? {
        '{' => {
            let end = rest.iter().position(|&c| c == '}')?;
            let name: String = rest[1..end].iter().collect();
            if name.is_empty() {
                None
            } else {
                Some((name, end + 1))
            }
        }
        c if c.is_ascii_alphabetic() => Some((c.to_string(), 1)),
        _ => None,
    }
}

/// Maps a Java property name to the Rust one, or `None` when unsupported.
fn translate_property(name: &str) -> Option<String> {
    let (is_prefixed, bare) = match name.strip_prefix("Is") {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    if GENERAL_CATEGORIES.contains(&bare) {
        return Some(bare.to_string());
    }
    if is_prefixed {
        // Java binary properties: matched ignoring case, `_`, ` ` and `-`.
        let norm: String = bare
            .chars()
            .filter(|c| !matches!(c, '_' | ' ' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        return match norm.as_str() {
            "whitespace" => Some("White_Space".to_string()),
            "alphabetic" => Some("Alphabetic".to_string()),
            "letter" => Some("L".to_string()),
            "uppercase" => Some("Uppercase".to_string()),
            "lowercase" => Some("Lowercase".to_string()),
            "control" => Some("Cc".to_string()),
            "punctuation" => Some("P".to_string()),
            _ => None,
        };
    }
    // POSIX (`\p{Lower}`…, ASCII-only in Java), `java*` and `In*` blocks are not
    // needed by the model and not translated.
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn java_matches(java: &str, value: &str) -> bool {
        Regex::new(&translate(java).unwrap())
            .unwrap()
            .is_match(value)
    }

    /// Every pattern that appears in the embedded model, with its exact
    /// translation. A new pattern in the model makes
    /// `every_model_pattern_is_covered` fail until it is added here.
    pub(crate) const MODEL_PATTERNS: &[(&str, &str)] = &[
        (r"\P{C}*", r"^(?:\P{C}*)$"),
        (r"\P{C}+", r"^(?:\P{C}+)$"),
        (r"[\P{C}\s]+", r"^(?:[\P{C} \t\n\x0B\x0C\r]+)$"),
        (
            r"[A-Za-z0-9][A-Za-z0-9._\-]{1,99}",
            r"^(?:[A-Za-z0-9][A-Za-z0-9._\-]{1,99})$",
        ),
        (
            r"[A-Za-z0-9][A-Za-z0-9._\-:]{1,99}",
            r"^(?:[A-Za-z0-9][A-Za-z0-9._\-:]{1,99})$",
        ),
        (r"[0-9a-f]+", r"^(?:[0-9a-f]+)$"),
        (r"[^#/\s]+", r"^(?:[^#/ \t\n\x0B\x0C\r]+)$"),
        (
            r"[^\p{C}\p{IsWhitespace}]+",
            r"^(?:[^\p{C}\p{White_Space}]+)$",
        ),
        (r"\S+", r"^(?:[^ \t\n\x0B\x0C\r]+)$"),
        (r"[0-9]{12}", r"^(?:[0-9]{12})$"),
        (
            r"[a-z][a-z0-9\-]{0,48}[a-z0-9]",
            r"^(?:[a-z][a-z0-9\-]{0,48}[a-z0-9])$",
        ),
    ];

    #[test]
    fn every_model_pattern_is_covered_and_translates_exactly() {
        let model = crate::model::service_model();
        let patterns = model.shapes.distinct_patterns();
        assert_eq!(patterns.len(), MODEL_PATTERNS.len(), "{patterns:?}");
        for p in &patterns {
            let expected = MODEL_PATTERNS
                .iter()
                .find(|(java, _)| java == p)
                .unwrap_or_else(|| panic!("model pattern {p:?} has no translation test"))
                .1;
            assert_eq!(translate(p).unwrap(), expected, "translation of {p:?}");
            Regex::new(expected).unwrap();
        }
    }

    #[test]
    fn whitespace_is_ascii_only_like_java() {
        let p = r"[^#/\s]+";
        assert!(java_matches(p, "1.0"));
        assert!(java_matches(p, "1\u{00A0}0"), "NBSP is not Java \\s");
        assert!(java_matches(p, "1\u{2003}0"), "EM SPACE is not Java \\s");
        assert!(java_matches(p, "1\u{0085}0"), "NEL is not Java \\s");
        for ws in [' ', '\t', '\n', '\u{0B}', '\u{0C}', '\r'] {
            assert!(!java_matches(p, &format!("1{ws}0")), "{ws:?} is Java \\s");
        }
        assert!(!java_matches(p, "@scope/name"));
        assert!(!java_matches(p, "a#b"));
        assert!(!java_matches(p, ""));
        assert!(java_matches(p, "@scope"));
        // control characters other than ASCII whitespace are allowed by this pattern
        assert!(java_matches(p, "a\u{0}b"));

        let s = r"\S+";
        assert!(java_matches(s, "abc\u{00A0}"));
        assert!(java_matches(s, "a\u{0}"));
        assert!(!java_matches(s, "a b"));
        assert!(!java_matches(s, "a\tb"));
        assert!(!java_matches(s, ""));
    }

    #[test]
    fn unicode_categories() {
        let pc = r"\P{C}+";
        assert!(java_matches(pc, "a b+c.txt"));
        assert!(java_matches(pc, "ünïcødé ✓ 日本"));
        assert!(!java_matches(pc, "a\u{0}b"));
        assert!(!java_matches(pc, "a\tb"));
        assert!(!java_matches(pc, "a\u{200B}b"), "ZWSP is Cf");
        assert!(!java_matches(pc, "a\u{E000}b"), "private use is Co");
        assert!(!java_matches(pc, ""));
        assert!(java_matches(r"\P{C}*", ""));

        let policy = r"[\P{C}\s]+";
        assert!(java_matches(
            policy,
            "{\n\t\"Version\": \"2012-10-17\"\r\n}"
        ));
        assert!(!java_matches(policy, "a\u{0}b"));
        assert!(!java_matches(policy, "a\u{7}b"));

        let group = r"[^\p{C}\p{IsWhitespace}]+";
        assert!(java_matches(group, "/npm/*"));
        assert!(java_matches(group, "/maven/com.example/*"));
        assert!(!java_matches(group, "/npm/a b"));
        assert!(
            !java_matches(group, "/npm/a\u{00A0}b"),
            "NBSP is White_Space"
        );
        assert!(!java_matches(group, "/npm/a\u{3000}b"));
        assert!(!java_matches(group, "/npm/a\u{1}b"));
    }

    #[test]
    fn names_and_hashes_match_whole_value() {
        let domain = r"[a-z][a-z0-9\-]{0,48}[a-z0-9]";
        assert!(java_matches(domain, "my-domain"));
        assert!(java_matches(domain, "ab"));
        assert!(!java_matches(domain, "Acme"));
        assert!(!java_matches(domain, "acme-"));
        assert!(!java_matches(domain, "a"));
        assert!(!java_matches(domain, "1abc"));
        assert!(!java_matches(domain, &format!("a{}", "b".repeat(50))));

        let repo = r"[A-Za-z0-9][A-Za-z0-9._\-]{1,99}";
        assert!(java_matches(repo, "My_Repo-1.x"));
        assert!(!java_matches(repo, "r!"));
        assert!(!java_matches(repo, "-repo"));
        assert!(!java_matches(repo, "r"));

        let ext = r"[A-Za-z0-9][A-Za-z0-9._\-:]{1,99}";
        assert!(java_matches(ext, "public:npmjs"));
        assert!(!java_matches(ext, ":npmjs"));

        let hex = r"[0-9a-f]+";
        assert!(java_matches(hex, "deadbeef"));
        assert!(!java_matches(hex, "DEADBEEF"));
        assert!(!java_matches(hex, "dead beef"));

        let account = r"[0-9]{12}";
        assert!(java_matches(account, "111122223333"));
        assert!(!java_matches(account, "11112222333"));
        assert!(!java_matches(account, "1111222233334"));
        assert!(
            !java_matches(account, "١١١١٢٢٢٢٣٣٣٣"),
            "Arabic-Indic digits"
        );
    }

    #[test]
    fn other_constructs() {
        assert_eq!(translate(r"\d+").unwrap(), r"^(?:[0-9]+)$");
        assert_eq!(translate(r"[\d\s]").unwrap(), r"^(?:[0-9 \t\n\x0B\x0C\r])$");
        assert_eq!(translate(r"[a\S]").unwrap(), r"^(?:[a[^ \t\n\x0B\x0C\r]])$");
        assert_eq!(translate(r"\w").unwrap(), r"^(?:[a-zA-Z_0-9])$");
        assert_eq!(
            translate(r"a.b").unwrap(),
            r"^(?:a[^\n\r\x{85}\x{2028}\x{2029}]b)$"
        );
        assert_eq!(translate(r"[.]").unwrap(), r"^(?:[.])$");
        assert_eq!(translate(r"\u00e9\x41").unwrap(), r"^(?:\x{00e9}\x41)$");
        assert_eq!(translate(r"\pL\p{IsL}").unwrap(), r"^(?:\p{L}\p{L})$");
        assert_eq!(
            translate(r"\p{IsWhite_Space}").unwrap(),
            r"^(?:\p{White_Space})$"
        );
        assert_eq!(translate(r"a|b").unwrap(), r"^(?:a|b)$");
        assert!(java_matches("a|b", "a"));
        assert!(
            !java_matches("a|b", "ab"),
            "alternation stays inside the anchors"
        );
        assert!(java_matches(r"[a\S]", "x"));
        assert!(!java_matches(r"[a\S]", " "));
        assert!(!java_matches(r"a.b", "a\u{2028}b"));
        assert!(java_matches(r"\.\-\[", ".-["));

        for bad in [
            r"\p{Lower}",
            r"\p{javaLowerCase}",
            r"\p{InGreek}",
            r"\Qx\E",
            r"\1",
            r"[a",
            r"\",
        ] {
            assert!(translate(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
