//! Policy documents: the grammar subset of §C1 parsed into [`Policy`]. Anything Arca would not
//! evaluate exactly as IAM does (`NotPrincipal`, service or federated principals, policy
//! variables, unknown fields, operators or condition keys) is refused with a message naming it.

use serde_json::{Map, Value};

use super::condition::{parse_block, Condition};
use super::PolicyError;

/// Whether a document is attached to an identity (no `Principal`) or to a resource (a
/// `Principal` in every statement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Identity,
    Resource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// Who a resource-policy statement names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalEntry {
    /// `"*"`: anyone authenticated.
    Anyone,
    /// A 12-digit account or `arn:aws:iam::{account}:root`: every identity of the account.
    Account(String),
    /// A user, role or assumed-role ARN, compared exactly.
    Arn(String),
}

/// `Action`/`Resource` (positive) or `NotAction`/`NotResource` (negated) with their patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Patterns {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub(crate) effect: Effect,
    /// `None` in identity policies.
    pub(crate) principals: Option<Vec<PrincipalEntry>>,
    pub(crate) actions: Patterns,
    pub(crate) resources: Patterns,
    pub(crate) conditions: Vec<Condition>,
}

/// A parsed, validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) statements: Vec<Statement>,
}

const TOP_FIELDS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_FIELDS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

impl Policy {
    /// The condition keys the policy tests (lowercase).
    pub fn condition_keys(&self) -> impl Iterator<Item = &str> {
        self.statements
            .iter()
            .flat_map(|s| s.conditions.iter().map(|c| c.key()))
    }

    /// Parses and validates a policy document of the given kind.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| PolicyError::new(format!("the policy is not valid JSON: {e}")))?;
        let Value::Object(doc) = doc else {
            return Err(PolicyError::new("the policy must be a JSON object"));
        };
        unknown_fields(&doc, &TOP_FIELDS, "the policy")?;
        let variables = match doc.get("Version") {
            Some(Value::String(v)) if v == "2012-10-17" => true,
            Some(Value::String(v)) if v == "2008-10-17" => false,
            None => false,
            Some(v) => {
                return Err(PolicyError::new(format!(
                    "Version {v} is not supported; use \"2012-10-17\""
                )))
            }
        };
        if !matches!(doc.get("Id"), None | Some(Value::String(_))) {
            return Err(PolicyError::new("Id must be a string"));
        }
        let statements = match doc.get("Statement") {
            Some(Value::Array(a)) if !a.is_empty() => a.iter().collect::<Vec<_>>(),
            Some(s @ Value::Object(_)) => vec![s],
            _ => {
                return Err(PolicyError::new(
                    "Statement must be an object or a non-empty array of objects",
                ))
            }
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| parse_statement(s, kind, variables).map_err(|e| e.in_statement(i)))
            .collect::<Result<_, _>>()?;
        Ok(Policy { statements })
    }
}

fn unknown_fields(obj: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), PolicyError> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(PolicyError::new(format!(
            "{what} has the field {k}, which Arca does not support"
        ))),
        None => Ok(()),
    }
}

fn parse_statement(s: &Value, kind: PolicyKind, variables: bool) -> Result<Statement, PolicyError> {
    let Value::Object(s) = s else {
        return Err(PolicyError::new("a statement must be an object"));
    };
    unknown_fields(s, &STATEMENT_FIELDS, "the statement")?;
    if !matches!(s.get("Sid"), None | Some(Value::String(_))) {
        return Err(PolicyError::new("Sid must be a string"));
    }
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(PolicyError::new("Effect must be \"Allow\" or \"Deny\"")),
    };
    if s.contains_key("NotPrincipal") {
        return Err(PolicyError::new(
            "NotPrincipal is not supported by Arca; use Principal with a Condition",
        ));
    }
    let principals = match (kind, s.get("Principal")) {
        (PolicyKind::Identity, None) => None,
        (PolicyKind::Identity, Some(_)) => {
            return Err(PolicyError::new(
                "an identity policy must not name a Principal",
            ))
        }
        (PolicyKind::Resource, None) => {
            return Err(PolicyError::new(
                "a resource policy statement must name a Principal",
            ))
        }
        (PolicyKind::Resource, Some(p)) => Some(parse_principal(p)?),
    };
    let actions = patterns(s, "Action", "NotAction", check_action)?;
    let resources = patterns(s, "Resource", "NotResource", |r| {
        check_resource(r, variables)
    })?;
    let conditions = match s.get("Condition") {
        Some(c) => parse_block(c)?,
        None => Vec::new(),
    };
    Ok(Statement {
        effect,
        principals,
        actions,
        resources,
        conditions,
    })
}

fn strings(v: &Value, field: &str) -> Result<Vec<String>, PolicyError> {
    let not_strings = || PolicyError::new(format!("{field} must be a string or a list of strings"));
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(not_strings))
            .collect(),
        _ => Err(not_strings()),
    }
}

fn patterns(
    s: &Map<String, Value>,
    positive: &str,
    negative: &str,
    check: impl Fn(&str) -> Result<(), PolicyError>,
) -> Result<Patterns, PolicyError> {
    let (negated, field, value) = match (s.get(positive), s.get(negative)) {
        (Some(v), None) => (false, positive, v),
        (None, Some(v)) => (true, negative, v),
        _ => {
            return Err(PolicyError::new(format!(
                "a statement needs exactly one of {positive} and {negative}"
            )))
        }
    };
    let patterns = strings(value, field)?;
    for p in &patterns {
        check(p)?;
    }
    Ok(Patterns { negated, patterns })
}

/// `*` or `service:action` with letters, digits and wildcards in the action.
fn check_action(a: &str) -> Result<(), PolicyError> {
    let ok = a == "*"
        || a.split_once(':').is_some_and(|(svc, act)| {
            !svc.is_empty()
                && svc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !act.is_empty()
                && act
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
        });
    if ok {
        Ok(())
    } else {
        Err(PolicyError::new(format!(
            "Action '{a}' is not of the form service:action"
        )))
    }
}

fn check_resource(r: &str, variables: bool) -> Result<(), PolicyError> {
    if variables && r.contains("${") {
        return Err(PolicyError::new(format!(
            "Resource '{r}': policy variables (${{…}}) are not supported by Arca"
        )));
    }
    if r == "*" || (r.starts_with("arn:") && r.splitn(6, ':').count() == 6) {
        Ok(())
    } else {
        Err(PolicyError::new(format!(
            "Resource '{r}' must be \"*\" or an ARN (arn:partition:service:region:account:resource)"
        )))
    }
}

fn parse_principal(p: &Value) -> Result<Vec<PrincipalEntry>, PolicyError> {
    if p.as_str() == Some("*") {
        return Ok(vec![PrincipalEntry::Anyone]);
    }
    let Value::Object(m) = p else {
        return Err(PolicyError::new("Principal must be \"*\" or {\"AWS\": …}"));
    };
    if let Some(k) = m.keys().find(|k| *k != "AWS") {
        return Err(PolicyError::new(format!(
            "Principal type {k} is not supported by Arca; only AWS principals are"
        )));
    }
    let Some(aws) = m.get("AWS") else {
        return Err(PolicyError::new("Principal must name AWS principals"));
    };
    strings(aws, "Principal AWS")?
        .into_iter()
        .map(|a| principal_entry(&a))
        .collect()
}

fn principal_entry(a: &str) -> Result<PrincipalEntry, PolicyError> {
    let is_account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if a == "*" {
        return Ok(PrincipalEntry::Anyone);
    }
    if is_account(a) {
        return Ok(PrincipalEntry::Account(a.to_string()));
    }
    if a.contains(['*', '?']) {
        return Err(PolicyError::new(format!(
            "Principal '{a}': wildcards are not allowed in principal ARNs; use a Condition on \
             aws:PrincipalArn"
        )));
    }
    let invalid = || {
        PolicyError::new(format!(
            "Principal '{a}' must be \"*\", a 12-digit account, or an IAM ARN \
             (arn:aws:iam::ACCOUNT:root|user/…|role/…, arn:aws:sts::ACCOUNT:assumed-role/…)"
        ))
    };
    let parts: Vec<&str> = a.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        return Err(invalid());
    };
    if arn != "arn" || partition.is_empty() || !region.is_empty() || !is_account(account) {
        return Err(invalid());
    }
    match (service, resource) {
        ("iam", "root") => Ok(PrincipalEntry::Account(account.to_string())),
        ("iam", r) if r.starts_with("user/") || r.starts_with("role/") => {
            Ok(PrincipalEntry::Arn(a.to_string()))
        }
        ("sts", r) if r.starts_with("assumed-role/") => Ok(PrincipalEntry::Arn(a.to_string())),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(kind: PolicyKind, doc: &str) -> Policy {
        Policy::parse(doc, kind).unwrap_or_else(|e| panic!("{doc}: {e}"))
    }

    #[test]
    fn aws_examples_parse() {
        // The CodeArtifact user guide's repository and domain policy examples.
        let repo = r#"{"Version": "2012-10-17", "Statement": [{"Action": ["codeartifact:DescribePackageVersion",
            "codeartifact:DescribeRepository", "codeartifact:GetPackageVersionReadme",
            "codeartifact:GetRepositoryEndpoint", "codeartifact:ListPackages",
            "codeartifact:ListPackageVersions", "codeartifact:ListPackageVersionAssets",
            "codeartifact:ListPackageVersionDependencies", "codeartifact:ReadFromRepository"],
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Resource": "*"}]}"#;
        let p = ok(PolicyKind::Resource, repo);
        assert_eq!(p.statements.len(), 1);
        assert_eq!(
            p.statements[0].principals,
            Some(vec![PrincipalEntry::Account("123456789012".into())])
        );
        let domain = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "BasicDomainPolicy",
            "Action": ["codeartifact:GetDomainPermissionsPolicy", "codeartifact:ListRepositoriesInDomain",
            "codeartifact:GetAuthorizationToken", "codeartifact:DescribeDomain",
            "codeartifact:CreateRepository"], "Effect": "Allow", "Resource": "*",
            "Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-xxxxxxxxxxx"}}}]}"#;
        let p = ok(PolicyKind::Resource, domain);
        assert_eq!(
            p.statements[0].principals,
            Some(vec![PrincipalEntry::Anyone])
        );
        assert_eq!(p.statements[0].conditions.len(), 1);
        let identity = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Action": "sts:GetServiceBearerToken", "Resource": "*",
            "Condition": {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}}}"#;
        ok(PolicyKind::Identity, identity);
    }

    #[test]
    fn refusals_name_the_problem() {
        let cases = [
            (PolicyKind::Resource, "not json", "not valid JSON"),
            (PolicyKind::Resource, "[]", "JSON object"),
            (
                PolicyKind::Resource,
                r#"{"Version":"2012-10-17"}"#,
                "Statement",
            ),
            (
                PolicyKind::Resource,
                r#"{"Version":"2012-10-17","Statement":[]}"#,
                "Statement",
            ),
            (
                PolicyKind::Resource,
                r#"{"Version":"2020-01-01","Statement":{}}"#,
                "Version",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{},"Extra":1}"#,
                "Extra",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"allow","Principal":"*","Action":"*","Resource":"*"}}"#,
                "Effect",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"*"},"Action":"*","Resource":"*"}}"#,
                "NotPrincipal",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
                "Principal",
            ),
            (
                PolicyKind::Identity,
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#,
                "Principal",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"x.amazonaws.com"},"Action":"*","Resource":"*"}}"#,
                "Service",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"*","Resource":"*"}}"#,
                "wildcards",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"*","Resource":"*"}}"#,
                "12-digit",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"x:y","Resource":"*"}}"#,
                "exactly one of Action",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"Describe*","Resource":"*"}}"#,
                "service:action",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}"#,
                "Resource",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"repository/x"}}"#,
                "ARN",
            ),
            (
                PolicyKind::Resource,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:codeartifact:*:*:package/d/r/npm//${aws:username}"}}"#,
                "policy variables",
            ),
            (
                PolicyKind::Resource,
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"v"}}}}"#,
                "aws:SourceVpce",
            ),
        ];
        for (kind, doc, needle) in cases {
            let e = Policy::parse(doc, kind).expect_err(doc).to_string();
            assert!(e.contains(needle), "{doc}: {e}");
        }
    }

    #[test]
    fn the_failing_statement_is_named() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
            {"Effect":"Maybe","Principal":"*","Action":"*","Resource":"*"}]}"#;
        let e = Policy::parse(doc, PolicyKind::Resource)
            .unwrap_err()
            .to_string();
        assert!(e.contains("statement 2"), "{e}");
    }

    #[test]
    fn principal_forms() {
        for (a, want) in [
            ("*", PrincipalEntry::Anyone),
            (
                "111122223333",
                PrincipalEntry::Account("111122223333".into()),
            ),
            (
                "arn:aws:iam::111122223333:root",
                PrincipalEntry::Account("111122223333".into()),
            ),
            (
                "arn:aws:iam::111122223333:user/ci",
                PrincipalEntry::Arn("arn:aws:iam::111122223333:user/ci".into()),
            ),
            (
                "arn:aws:iam::111122223333:role/deploy",
                PrincipalEntry::Arn("arn:aws:iam::111122223333:role/deploy".into()),
            ),
            (
                "arn:aws:sts::111122223333:assumed-role/deploy/s",
                PrincipalEntry::Arn("arn:aws:sts::111122223333:assumed-role/deploy/s".into()),
            ),
        ] {
            assert_eq!(principal_entry(a).unwrap(), want, "{a}");
        }
        for bad in [
            "arn:aws:iam::111122223333:group/g",
            "arn:aws:iam:us-east-1:111122223333:user/u",
            "arn:aws:s3:::bucket",
            "user/ci",
        ] {
            assert!(principal_entry(bad).is_err(), "{bad}");
        }
    }
}
