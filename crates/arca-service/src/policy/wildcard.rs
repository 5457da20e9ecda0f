//! IAM wildcards: `*` matches any run of characters (none included), `?` exactly one character,
//! everything else itself. Actions compare case-insensitively, resources and ARNs exactly; an ARN
//! pattern matches component by component (`arn:partition:service:region:account:resource`), so a
//! `*` in the account never swallows the `:` that ends it.

/// Whether `text` matches `pattern`, case-sensitively. Linear in practice: on a mismatch it
/// backtracks only to the last `*` (the classic two-pointer algorithm).
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Action names: `codeartifact:describe*` matches `codeartifact:DescribeDomain`.
pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    glob(&pattern.to_lowercase(), &action.to_lowercase())
}

/// ARN matching, as `Resource` and the `Arn…` condition operators do it: `*` alone matches
/// anything; otherwise both sides must have six `:`-separated components and each matches its
/// counterpart (the last, the resource, may itself contain `:` and `/`).
pub(crate) fn arn_matches(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let (Some(p), Some(a)) = (arn_parts(pattern), arn_parts(arn)) else {
        return false;
    };
    p.iter().zip(a.iter()).all(|(p, a)| glob(p, a))
}

fn arn_parts(arn: &str) -> Option<[&str; 6]> {
    let mut it = arn.splitn(6, ':');
    let parts = [
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ];
    (parts[0] == "arn").then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn iam_documentation_cases() {
        // (pattern, text, matches): from the IAM reference's Action, Resource and StringLike pages.
        let cases = [
            ("*", "", true),
            ("*", "anything at all", true),
            ("iam:*AccessKey*", "iam:CreateAccessKey", true),
            ("iam:*AccessKey*", "iam:ListAccessKeys", true),
            ("iam:*AccessKey*", "iam:ListUsers", false),
            ("s3:Get*", "s3:GetObject", true),
            ("s3:Get*", "s3:PutObject", false),
            ("ec2:*Instances", "ec2:DescribeInstances", true),
            ("ec2:*Instances", "ec2:DescribeInstancesX", false),
            ("home/?ob/*", "home/bob/x", true),
            ("home/?ob/*", "home/b/x", false),
            ("home/?ob/*", "home/bob", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYc d", false),
            ("**", "x", true),
            ("?", "é", true),
            ("", "", true),
            ("", "a", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(glob(p, t), want, "{p:?} vs {t:?}");
        }
    }

    #[test]
    fn actions_ignore_case_resources_do_not() {
        assert!(action_matches(
            "codeartifact:describe*",
            "codeartifact:DescribeDomain"
        ));
        assert!(action_matches(
            "CODEARTIFACT:*",
            "codeartifact:ListPackages"
        ));
        assert!(!action_matches(
            "codeartifact:List*",
            "codeartifact:Describe"
        ));
        assert!(!glob("Repository/*", "repository/x"));
    }

    #[test]
    fn arns_match_component_by_component() {
        let repo = "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/rel";
        assert!(arn_matches("*", repo));
        assert!(arn_matches(
            "arn:aws:codeartifact:*:111122223333:repository/acme/*",
            repo
        ));
        assert!(arn_matches("arn:aws:codeartifact:*:*:*", repo));
        assert!(!arn_matches("arn:aws:codeartifact:*:*", repo));
        assert!(!arn_matches(
            "arn:aws:codeartifact:*:444455556666:repository/*",
            repo
        ));
        // A `*` in one component does not reach into the next.
        assert!(!arn_matches(
            "arn:aws:codeartifact:us-*:repository/acme/rel",
            repo
        ));
        assert!(!arn_matches("arn:aws:codeartifact:*:*:*", "not-an-arn"));
        let pkg = "arn:aws:codeartifact:us-east-1:111122223333:package/acme/rel/npm/acme/kit";
        assert!(arn_matches(
            "arn:aws:codeartifact:us-east-1:111122223333:package/acme/rel/npm/acme/*",
            pkg
        ));
        assert!(!arn_matches(
            "arn:aws:codeartifact:us-east-1:111122223333:package/acme/rel/npm/other/*",
            pkg
        ));
    }

    /// The reference: the pattern translated to an anchored regex.
    fn reference(pattern: &str, text: &str) -> bool {
        let mut re = String::from("(?s)^");
        for c in pattern.chars() {
            match c {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        re.push('$');
        regex::Regex::new(&re).unwrap().is_match(text)
    }

    proptest! {
        #[test]
        fn glob_agrees_with_a_regex(p in "[ab*?:/é]{0,8}", t in "[ab:/é]{0,10}") {
            prop_assert_eq!(glob(&p, &t), reference(&p, &t));
        }

        #[test]
        fn a_text_matches_itself_and_star(t in "[a-zA-Z0-9:/._-]{0,20}") {
            prop_assert!(glob(&t, &t));
            prop_assert!(glob("*", &t));
        }

        #[test]
        fn action_case_never_matters(p in "[a-zA-Z*?:]{0,10}", t in "[a-zA-Z:]{0,12}") {
            let m = action_matches(&p, &t);
            prop_assert_eq!(m, action_matches(&p.to_uppercase(), &t.to_lowercase()));
            prop_assert_eq!(m, action_matches(&p.to_lowercase(), &t.to_uppercase()));
        }
    }
}
