//! `Condition` blocks: the operators of §C1, parsed once (a policy value that cannot be read for its
//! operator is a ValidationException when the policy is put, never a silent `false` later), and
//! evaluated against a request's context with IAM's rules:
//! - operators in a block, and keys under an operator, must all hold; the values of one key are
//!   alternatives;
//! - a missing key makes a positive operator false and a negated one (`…Not…`, `NotIpAddress`)
//!   true, `…IfExists` true, `ForAnyValue:` false and `ForAllValues:` true;
//! - `Null: true` holds when the key is absent.

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use super::wildcard::{arn_matches, glob};
use super::PolicyError;

/// The condition keys every request's context carries (lowercase): the principal's, the time and
/// the request's (its client's address — absent only for a request that came over no socket —
/// and TLS).
pub(crate) const REQUEST_KEYS: [&str; 10] = [
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principaltype",
    "aws:username",
    "aws:currenttime",
    "aws:epochtime",
    "sts:awsservicename",
    "aws:sourceip",
    "aws:securetransport",
];
/// Further keys the engine evaluates when a caller supplies them (lowercase; tag keys by prefix).
/// Anything else is refused when a policy is parsed: a key never set would make its conditions
/// silently false.
const OTHER_KEYS: [&str; 1] = ["aws:tagkeys"];
const KEY_PREFIXES: [&str; 2] = ["aws:requesttag/", "aws:resourcetag/"];

/// Whether a (lowercase) condition key is one of the tag keys: `aws:TagKeys`,
/// `aws:RequestTag/…`, `aws:ResourceTag/…` (filled by [`super::tags`]).
pub(crate) fn is_tag_key(key: &str) -> bool {
    key == "aws:tagkeys"
        || KEY_PREFIXES
            .iter()
            .any(|p| key.len() > p.len() && key.starts_with(p))
}

/// The values a request brings, by condition key (keys lowercase, as IAM compares them).
#[derive(Debug, Clone, Default)]
pub struct Context {
    values: HashMap<String, Vec<String>>,
}

impl Context {
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_lowercase(), vec![value.into()]);
    }
    pub fn set_many(&mut self, key: &str, values: Vec<String>) {
        self.values.insert(key.to_lowercase(), values);
    }
    /// Adds a value to those of `key`.
    pub fn add(&mut self, key: &str, value: impl Into<String>) {
        self.values
            .entry(key.to_lowercase())
            .or_default()
            .push(value.into());
    }
    fn get(&self, key: &str) -> Option<&[String]> {
        self.values
            .get(key)
            .map(Vec::as_slice)
            .filter(|v| !v.is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Self::Eq => request == policy,
            Self::Lt => request < policy,
            Self::Le => request <= policy,
            Self::Gt => request > policy,
            Self::Ge => request >= policy,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    StringEquals(Vec<String>),
    StringEqualsIgnoreCase(Vec<String>),
    StringLike(Vec<String>),
    Numeric(Cmp, Vec<f64>),
    /// Epoch milliseconds.
    Date(Cmp, Vec<i64>),
    Bool(Vec<bool>),
    Ip(Vec<(IpAddr, u8)>),
    Arn(Vec<String>),
    /// `true`: the key must be absent.
    Null(Vec<bool>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SetQualifier {
    None,
    ForAnyValue,
    ForAllValues,
}

/// One operator applied to one key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    test: Test,
    negated: bool,
    if_exists: bool,
    set: SetQualifier,
    key: String,
}

/// Parses a statement's `Condition` object.
pub(crate) fn parse_block(block: &Value) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(ops) = block else {
        return Err(PolicyError::new("Condition must be an object"));
    };
    let mut out = Vec::new();
    for (op, keys) in ops {
        let Value::Object(keys) = keys else {
            return Err(PolicyError::new(format!(
                "Condition operator {op} must map condition keys to values"
            )));
        };
        for (key, values) in keys {
            out.push(parse_one(op, key, values)?);
        }
    }
    Ok(out)
}

fn parse_one(op: &str, key: &str, values: &Value) -> Result<Condition, PolicyError> {
    let (set, rest) = if let Some(r) = op.strip_prefix("ForAnyValue:") {
        (SetQualifier::ForAnyValue, r)
    } else if let Some(r) = op.strip_prefix("ForAllValues:") {
        (SetQualifier::ForAllValues, r)
    } else {
        (SetQualifier::None, op)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) if b != "Null" => (b, true),
        _ => (rest, false),
    };
    let lower_key = key.to_lowercase();
    if !REQUEST_KEYS.contains(&lower_key.as_str())
        && !OTHER_KEYS.contains(&lower_key.as_str())
        && !KEY_PREFIXES
            .iter()
            .any(|p| lower_key.len() > p.len() && lower_key.starts_with(p))
    {
        return Err(PolicyError::new(format!(
            "Condition key {key} is not supported by Arca; supported: aws:PrincipalAccount, \
             aws:PrincipalArn, aws:PrincipalOrgID, aws:PrincipalType, aws:username, \
             aws:CurrentTime, aws:EpochTime, aws:SecureTransport, aws:SourceIp, \
             aws:RequestTag/…, aws:ResourceTag/…, aws:TagKeys, sts:AWSServiceName"
        )));
    }
    let texts = value_texts(op, key, values)?;
    let bad = |what: &str, v: &str| {
        PolicyError::new(format!(
            "Condition {op} on {key}: '{v}' is not a valid {what}"
        ))
    };
    let each = |what: &str, parse: &dyn Fn(&str) -> Option<()>| -> Result<(), PolicyError> {
        for t in &texts {
            parse(t).ok_or_else(|| bad(what, t))?;
        }
        Ok(())
    };
    let numbers = || -> Result<Vec<f64>, PolicyError> {
        each("number", &|t| parse_number(t).map(drop))?;
        Ok(texts.iter().filter_map(|t| parse_number(t)).collect())
    };
    let dates = || -> Result<Vec<i64>, PolicyError> {
        each("date", &|t| parse_date(t).map(drop))?;
        Ok(texts.iter().filter_map(|t| parse_date(t)).collect())
    };
    let bools = || -> Result<Vec<bool>, PolicyError> {
        each("boolean", &|t| parse_bool(t).map(drop))?;
        Ok(texts.iter().filter_map(|t| parse_bool(t)).collect())
    };
    let numeric = |c| numbers().map(|v| Test::Numeric(c, v));
    let date = |c| dates().map(|v| Test::Date(c, v));
    let (test, negated) = match base {
        "StringEquals" => (Test::StringEquals(texts.clone()), false),
        "StringNotEquals" => (Test::StringEquals(texts.clone()), true),
        "StringEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase(lower(&texts)), false),
        "StringNotEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase(lower(&texts)), true),
        "StringLike" => (Test::StringLike(texts.clone()), false),
        "StringNotLike" => (Test::StringLike(texts.clone()), true),
        "NumericEquals" => (numeric(Cmp::Eq)?, false),
        "NumericNotEquals" => (numeric(Cmp::Eq)?, true),
        "NumericLessThan" => (numeric(Cmp::Lt)?, false),
        "NumericLessThanEquals" => (numeric(Cmp::Le)?, false),
        "NumericGreaterThan" => (numeric(Cmp::Gt)?, false),
        "NumericGreaterThanEquals" => (numeric(Cmp::Ge)?, false),
        "DateEquals" => (date(Cmp::Eq)?, false),
        "DateNotEquals" => (date(Cmp::Eq)?, true),
        "DateLessThan" => (date(Cmp::Lt)?, false),
        "DateLessThanEquals" => (date(Cmp::Le)?, false),
        "DateGreaterThan" => (date(Cmp::Gt)?, false),
        "DateGreaterThanEquals" => (date(Cmp::Ge)?, false),
        "Bool" => (Test::Bool(bools()?), false),
        "IpAddress" | "NotIpAddress" => {
            each("IP address or CIDR block", &|t| parse_cidr(t).map(drop))?;
            let v = texts.iter().filter_map(|t| parse_cidr(t)).collect();
            (Test::Ip(v), base == "NotIpAddress")
        }
        "ArnEquals" | "ArnLike" => (Test::Arn(texts.clone()), false),
        "ArnNotEquals" | "ArnNotLike" => (Test::Arn(texts.clone()), true),
        "Null" if set == SetQualifier::None => (Test::Null(bools()?), false),
        _ => {
            return Err(PolicyError::new(format!(
                "Condition operator {op} is not supported by Arca"
            )))
        }
    };
    Ok(Condition {
        test,
        negated,
        if_exists,
        set,
        key: lower_key,
    })
}

fn lower(v: &[String]) -> Vec<String> {
    v.iter().map(|s| s.to_lowercase()).collect()
}

/// A key's policy values: a string, number or boolean, or a non-empty list of them.
fn value_texts(op: &str, key: &str, values: &Value) -> Result<Vec<String>, PolicyError> {
    let one = |v: &Value| match v {
        Value::String(s) => {
            if s.contains("${") {
                Err(PolicyError::new(format!(
                    "Condition {op} on {key}: policy variables (${{…}}) are not supported by Arca"
                )))
            } else {
                Ok(s.clone())
            }
        }
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(PolicyError::new(format!(
            "Condition {op} on {key}: values must be strings, numbers or booleans"
        ))),
    };
    let texts = match values {
        Value::Array(a) => a.iter().map(one).collect::<Result<Vec<_>, _>>()?,
        v => vec![one(v)?],
    };
    if texts.is_empty() {
        return Err(PolicyError::new(format!(
            "Condition {op} on {key} has no values"
        )));
    }
    Ok(texts)
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// ISO 8601 as IAM takes it (`2026-01-01T00:00:00Z`, with an offset, or a bare date), or epoch
/// seconds; epoch milliseconds out.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    if let Ok(secs) = s.parse::<i64>() {
        return secs.checked_mul(1000);
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok();
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).ok()?;
    Some(d.midnight().assume_utc().unix_timestamp() * 1000)
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = match s.split_once('/') {
        Some((ip, bits)) => (ip.parse::<IpAddr>().ok()?, Some(bits.parse::<u8>().ok()?)),
        None => (s.parse::<IpAddr>().ok()?, None),
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((ip, bits))
}

fn in_cidr(ip: IpAddr, (net, bits): (IpAddr, u8)) -> bool {
    let (a, b, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(a.to_bits()), u128::from(b.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.to_bits(), b.to_bits(), 128),
        _ => return false,
    };
    if bits == 0 {
        return true;
    }
    let shift = width - u32::from(bits);
    (a >> shift) == (b >> shift)
}

impl Condition {
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// Whether the condition holds for the request's context.
    pub(crate) fn holds(&self, ctx: &Context) -> bool {
        let values = ctx.get(&self.key);
        if let Test::Null(want_absent) = &self.test {
            return want_absent.contains(&values.is_none());
        }
        let Some(values) = values else {
            return self.if_exists
                || match self.set {
                    SetQualifier::ForAllValues => true,
                    SetQualifier::ForAnyValue => false,
                    SetQualifier::None => self.negated,
                };
        };
        let single = |v: &String| self.matches_any(v) != self.negated;
        match self.set {
            SetQualifier::None if self.negated => !values.iter().any(|v| self.matches_any(v)),
            SetQualifier::None | SetQualifier::ForAnyValue => values.iter().any(single),
            SetQualifier::ForAllValues => values.iter().all(single),
        }
    }

    /// Whether one request value matches one of the policy's values (before negation).
    fn matches_any(&self, v: &str) -> bool {
        match &self.test {
            Test::StringEquals(p) => p.iter().any(|p| p == v),
            Test::StringEqualsIgnoreCase(p) => {
                let v = v.to_lowercase();
                p.contains(&v)
            }
            Test::StringLike(p) => p.iter().any(|p| glob(p, v)),
            Test::Numeric(c, p) => {
                parse_number(v).is_some_and(|v| p.iter().any(|&p| c.holds(v, p)))
            }
            Test::Date(c, p) => parse_date(v).is_some_and(|v| p.iter().any(|&p| c.holds(v, p))),
            Test::Bool(p) => parse_bool(v).is_some_and(|v| p.contains(&v)),
            Test::Ip(p) => v
                .parse::<IpAddr>()
                .is_ok_and(|ip| p.iter().any(|&n| in_cidr(ip, n))),
            Test::Arn(p) => p.iter().any(|p| arn_matches(p, v)),
            Test::Null(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn cond(op: &str, key: &str, values: Value) -> Condition {
        parse_one(op, key, &values).unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    fn ctx(pairs: &[(&str, &[&str])]) -> Context {
        let mut c = Context::default();
        for (k, v) in pairs {
            c.set_many(k, v.iter().map(|s| s.to_string()).collect());
        }
        c
    }

    #[test]
    fn operator_table() {
        // (operator, key, policy values, request values (None: key absent), holds).
        // Derived from the IAM reference's condition-operator page.
        let org: &[&str] = &["o-abc123"];
        type Case<'a> = (&'a str, &'a str, Value, Option<&'a [&'a str]>, bool);
        let cases: Vec<Case> = vec![
            (
                "StringEquals",
                "aws:PrincipalOrgID",
                json!("o-abc123"),
                Some(org),
                true,
            ),
            (
                "StringEquals",
                "aws:PrincipalOrgID",
                json!("O-ABC123"),
                Some(org),
                false,
            ),
            (
                "StringEquals",
                "aws:PrincipalOrgID",
                json!(["x", "o-abc123"]),
                Some(org),
                true,
            ),
            (
                "StringEquals",
                "aws:PrincipalOrgID",
                json!("o-abc123"),
                None,
                false,
            ),
            (
                "StringNotEquals",
                "aws:PrincipalOrgID",
                json!("o-abc123"),
                Some(org),
                false,
            ),
            (
                "StringNotEquals",
                "aws:PrincipalOrgID",
                json!(["x", "y"]),
                Some(org),
                true,
            ),
            (
                "StringNotEquals",
                "aws:PrincipalOrgID",
                json!("o-abc123"),
                None,
                true,
            ),
            (
                "StringEqualsIgnoreCase",
                "aws:PrincipalOrgID",
                json!("O-ABC123"),
                Some(org),
                true,
            ),
            (
                "StringNotEqualsIgnoreCase",
                "aws:PrincipalOrgID",
                json!("O-ABC123"),
                Some(org),
                false,
            ),
            (
                "StringLike",
                "aws:PrincipalArn",
                json!("arn:aws:iam::*:user/ci-*"),
                Some(&["arn:aws:iam::111122223333:user/ci-npm"]),
                true,
            ),
            (
                "StringNotLike",
                "aws:PrincipalArn",
                json!("arn:aws:iam::*:user/ci-*"),
                Some(&["arn:aws:iam::111122223333:user/dev"]),
                true,
            ),
            (
                "StringEqualsIfExists",
                "aws:PrincipalOrgID",
                json!("o-x"),
                None,
                true,
            ),
            (
                "StringEqualsIfExists",
                "aws:PrincipalOrgID",
                json!("o-x"),
                Some(org),
                false,
            ),
            (
                "NumericLessThan",
                "aws:EpochTime",
                json!(100),
                Some(&["99"]),
                true,
            ),
            (
                "NumericLessThan",
                "aws:EpochTime",
                json!("100"),
                Some(&["100"]),
                false,
            ),
            (
                "NumericLessThanEquals",
                "aws:EpochTime",
                json!(100),
                Some(&["100"]),
                true,
            ),
            (
                "NumericGreaterThan",
                "aws:EpochTime",
                json!(100),
                Some(&["101"]),
                true,
            ),
            (
                "NumericGreaterThanEquals",
                "aws:EpochTime",
                json!(100),
                Some(&["99"]),
                false,
            ),
            (
                "NumericEquals",
                "aws:EpochTime",
                json!(100),
                Some(&["100.0"]),
                true,
            ),
            (
                "NumericNotEquals",
                "aws:EpochTime",
                json!(100),
                Some(&["100"]),
                false,
            ),
            (
                "NumericEquals",
                "aws:EpochTime",
                json!(100),
                Some(&["abc"]),
                false,
            ),
            (
                "DateLessThan",
                "aws:CurrentTime",
                json!("2030-01-01T00:00:00Z"),
                Some(&["2026-12-05T10:00:00Z"]),
                true,
            ),
            (
                "DateGreaterThan",
                "aws:CurrentTime",
                json!("2030-01-01"),
                Some(&["2026-12-05T10:00:00Z"]),
                false,
            ),
            (
                "DateGreaterThanEquals",
                "aws:CurrentTime",
                json!("2026-12-05T11:00:00+01:00"),
                Some(&["2026-12-05T10:00:00Z"]),
                true,
            ),
            (
                "DateEquals",
                "aws:CurrentTime",
                json!(0),
                Some(&["1970-01-01T00:00:00Z"]),
                true,
            ),
            (
                "DateNotEquals",
                "aws:CurrentTime",
                json!(0),
                Some(&["1970-01-01T00:00:01Z"]),
                true,
            ),
            (
                "DateLessThanEquals",
                "aws:EpochTime",
                json!("2000-01-01"),
                Some(&["946684800"]),
                true,
            ),
            (
                "Bool",
                "aws:SecureTransport",
                json!("true"),
                Some(&["true"]),
                true,
            ),
            (
                "Bool",
                "aws:SecureTransport",
                json!(true),
                Some(&["false"]),
                false,
            ),
            ("Bool", "aws:SecureTransport", json!("false"), None, false),
            (
                "BoolIfExists",
                "aws:SecureTransport",
                json!("false"),
                None,
                true,
            ),
            (
                "IpAddress",
                "aws:SourceIp",
                json!("203.0.113.0/24"),
                Some(&["203.0.113.9"]),
                true,
            ),
            (
                "IpAddress",
                "aws:SourceIp",
                json!("203.0.113.0/24"),
                Some(&["203.0.114.9"]),
                false,
            ),
            (
                "IpAddress",
                "aws:SourceIp",
                json!("203.0.113.7"),
                Some(&["203.0.113.7"]),
                true,
            ),
            (
                "IpAddress",
                "aws:SourceIp",
                json!("2001:db8::/32"),
                Some(&["2001:db8::1"]),
                true,
            ),
            (
                "IpAddress",
                "aws:SourceIp",
                json!("0.0.0.0/0"),
                Some(&["::1"]),
                false,
            ),
            (
                "NotIpAddress",
                "aws:SourceIp",
                json!("10.0.0.0/8"),
                Some(&["192.0.2.1"]),
                true,
            ),
            (
                "NotIpAddress",
                "aws:SourceIp",
                json!("10.0.0.0/8"),
                Some(&["10.1.2.3"]),
                false,
            ),
            (
                "ArnLike",
                "aws:PrincipalArn",
                json!("arn:aws:iam::111122223333:user/*"),
                Some(&["arn:aws:iam::111122223333:user/a"]),
                true,
            ),
            (
                "ArnEquals",
                "aws:PrincipalArn",
                json!("arn:aws:iam::*:root"),
                Some(&["arn:aws:iam::111122223333:root"]),
                true,
            ),
            (
                "ArnLike",
                "aws:PrincipalArn",
                json!("arn:aws:iam::*:user/*"),
                Some(&["arn:aws:iam::111122223333:root"]),
                false,
            ),
            (
                "ArnNotLike",
                "aws:PrincipalArn",
                json!("arn:aws:iam::*:user/*"),
                Some(&["arn:aws:iam::111122223333:root"]),
                true,
            ),
            (
                "ArnNotEquals",
                "aws:PrincipalArn",
                json!("arn:aws:iam::1:root"),
                None,
                true,
            ),
            ("Null", "aws:PrincipalOrgID", json!("true"), None, true),
            (
                "Null",
                "aws:PrincipalOrgID",
                json!("true"),
                Some(org),
                false,
            ),
            ("Null", "aws:PrincipalOrgID", json!(false), Some(org), true),
            (
                "ForAnyValue:StringEquals",
                "aws:TagKeys",
                json!(["team", "env"]),
                Some(&["owner", "env"]),
                true,
            ),
            (
                "ForAnyValue:StringEquals",
                "aws:TagKeys",
                json!(["team"]),
                Some(&["owner"]),
                false,
            ),
            (
                "ForAnyValue:StringEquals",
                "aws:TagKeys",
                json!(["team"]),
                None,
                false,
            ),
            (
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                json!(["team", "env"]),
                Some(&["team", "env"]),
                true,
            ),
            (
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                json!(["team", "env"]),
                Some(&["team", "owner"]),
                false,
            ),
            (
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                json!(["team"]),
                None,
                true,
            ),
            (
                "ForAllValues:StringNotLike",
                "aws:TagKeys",
                json!(["aws:*"]),
                Some(&["team", "env"]),
                true,
            ),
            (
                "ForAnyValue:StringNotEquals",
                "aws:TagKeys",
                json!(["team"]),
                Some(&["team", "env"]),
                true,
            ),
            (
                "StringEquals",
                "aws:RequestTag/team",
                json!("web"),
                Some(&["web"]),
                true,
            ),
            (
                "StringEquals",
                "sts:AWSServiceName",
                json!("codeartifact.amazonaws.com"),
                Some(&["codeartifact.amazonaws.com"]),
                true,
            ),
        ];
        for (op, key, pv, rv, want) in cases {
            let c = cond(op, key, pv.clone());
            let cx = match rv {
                Some(v) => ctx(&[(key, v)]),
                None => Context::default(),
            };
            assert_eq!(c.holds(&cx), want, "{op} {key} {pv} vs {rv:?}");
        }
    }

    #[test]
    fn keys_compare_case_insensitively() {
        let c = cond("StringEquals", "AWS:PRINCIPALORGID", json!("o-1"));
        assert!(c.holds(&ctx(&[("aws:PrincipalOrgID", &["o-1"])])));
    }

    #[test]
    fn what_arca_does_not_evaluate_is_refused() {
        for (op, key, v) in [
            ("StringEquals", "aws:SourceVpce", json!("vpce-1")),
            ("StringEquals", "codeartifact:Anything", json!("x")),
            ("BinaryEquals", "aws:PrincipalArn", json!("QmluYXJ5")),
            ("StringEqualz", "aws:PrincipalArn", json!("x")),
            ("ForAnyValue:Null", "aws:TagKeys", json!("true")),
            ("NumericLessThan", "aws:EpochTime", json!("soon")),
            ("DateLessThan", "aws:CurrentTime", json!("tomorrow")),
            ("Bool", "aws:SecureTransport", json!("yes")),
            ("IpAddress", "aws:SourceIp", json!("10.0.0.0/33")),
            ("StringEquals", "aws:PrincipalArn", json!("${aws:username}")),
            ("StringEquals", "aws:PrincipalArn", json!([])),
            ("StringEquals", "aws:PrincipalArn", json!({"a": 1})),
        ] {
            let e = parse_one(op, key, &v).expect_err(op);
            assert!(!e.to_string().is_empty());
        }
    }

    proptest! {
        /// A negated string operator is the complement of its positive form whenever the key
        /// is present, and `…IfExists` changes nothing then.
        #[test]
        fn negation_complements(pv in proptest::collection::vec("[ab*]{0,3}", 1..3),
                                rv in "[ab]{0,3}") {
            let c = ctx(&[("aws:PrincipalOrgID", &[rv.as_str()])]);
            for (pos, neg) in [("StringEquals", "StringNotEquals"), ("StringLike", "StringNotLike"),
                               ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase")] {
                let p = cond(pos, "aws:PrincipalOrgID", json!(pv.clone()));
                let n = cond(neg, "aws:PrincipalOrgID", json!(pv.clone()));
                let pe = cond(&format!("{pos}IfExists"), "aws:PrincipalOrgID", json!(pv.clone()));
                prop_assert_eq!(p.holds(&c), !n.holds(&c));
                prop_assert_eq!(p.holds(&c), pe.holds(&c));
            }
        }

        /// ForAllValues holds iff every request value is among the policy's; ForAnyValue iff one is.
        #[test]
        fn set_qualifiers(pv in proptest::collection::btree_set("[abc]", 1..3),
                          rv in proptest::collection::vec("[abc]", 0..4)) {
            let c = ctx(&[("aws:TagKeys", &rv.iter().map(String::as_str).collect::<Vec<_>>())]);
            let pv: Vec<String> = pv.into_iter().collect();
            let all = cond("ForAllValues:StringEquals", "aws:TagKeys", json!(pv.clone()));
            let any = cond("ForAnyValue:StringEquals", "aws:TagKeys", json!(pv.clone()));
            prop_assert_eq!(all.holds(&c), rv.iter().all(|v| pv.contains(v)));
            prop_assert_eq!(any.holds(&c), rv.iter().any(|v| pv.contains(v)));
        }

        #[test]
        fn numeric_operators_order(a in -1000i64..1000, b in -1000i64..1000) {
            let c = ctx(&[("aws:EpochTime", &[a.to_string().as_str()])]);
            let check = |op: &str, want: bool| {
                assert_eq!(cond(op, "aws:EpochTime", json!(b)).holds(&c), want, "{op} {a} {b}");
            };
            check("NumericLessThan", a < b);
            check("NumericLessThanEquals", a <= b);
            check("NumericGreaterThan", a > b);
            check("NumericGreaterThanEquals", a >= b);
            check("NumericEquals", a == b);
            check("NumericNotEquals", a != b);
            check("DateLessThan", a < b);
            check("DateGreaterThanEquals", a >= b);
        }
    }
}
