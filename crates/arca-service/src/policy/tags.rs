//! The tag condition keys (§C1, the only keys CodeArtifact's authorization reference lists):
//! - `aws:ResourceTag/{key}`: the tags of the domain, repository or package group acted on;
//! - `aws:RequestTag/{key}`: the tags a CreateDomain, CreateRepository, CreatePackageGroup or
//!   TagResource request brings;
//! - `aws:TagKeys`: the keys of those tags, or the keys an UntagResource request removes
//!   (multivalued: policies test it with `ForAnyValue:`/`ForAllValues:`).
//!
//! As in IAM, the tag key in a key's name is matched case-insensitively (`aws:ResourceTag/Team`
//! sees the tag `team`), while values compare as the operator says (case-sensitively for
//! `StringEquals`). Tag keys themselves are case-sensitive, so a resource may carry `Team` and
//! `team`: the one condition key then has both values.

use super::condition::Context;
use super::Policy;

const REQUEST_TAG: &str = "aws:RequestTag/";
const RESOURCE_TAG: &str = "aws:ResourceTag/";
const RESOURCE_TAG_LOWER: &str = "aws:resourcetag/";

/// The tags a request itself brings, for `aws:RequestTag/…` and `aws:TagKeys`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RequestTags {
    /// The request carries no tags.
    #[default]
    None,
    /// A Create… request with the tags of the resource it creates (which has no tags yet, so
    /// `aws:ResourceTag/…` is absent).
    Create(Vec<(String, String)>),
    /// TagResource: the tags to set on the resource.
    Tag(Vec<(String, String)>),
    /// UntagResource: the keys to remove.
    Untag(Vec<String>),
}

impl RequestTags {
    /// Puts the request's tags into a context.
    pub fn fill(&self, ctx: &mut Context) {
        let pairs = match self {
            Self::None => return,
            Self::Create(t) | Self::Tag(t) => t,
            Self::Untag(keys) => {
                ctx.set_many("aws:TagKeys", keys.clone());
                return;
            }
        };
        for (k, v) in pairs {
            ctx.add(&format!("{REQUEST_TAG}{k}"), v.clone());
        }
        ctx.set_many(
            "aws:TagKeys",
            pairs.iter().map(|(k, _)| k.clone()).collect(),
        );
    }

    /// Whether the resource acted on can have tags of its own (not when it is being created).
    pub fn resource_exists(&self) -> bool {
        !matches!(self, Self::Create(_))
    }
}

/// Puts a resource's tags into a context as `aws:ResourceTag/…`.
pub fn fill_resource_tags(ctx: &mut Context, tags: &[(String, String)]) {
    for (k, v) in tags {
        ctx.add(&format!("{RESOURCE_TAG}{k}"), v.clone());
    }
}

impl Policy {
    /// Whether a condition of the policy tests `aws:ResourceTag/…`: only then does a request's
    /// evaluation need the resource's tags.
    pub fn tests_resource_tags(&self) -> bool {
        self.condition_keys()
            .any(|k| k.starts_with(RESOURCE_TAG_LOWER))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{evaluate, AccessRequest, Decision, Identity, PolicyKind};

    const ACME: &str = "111122223333";
    const REPO: &str = "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/web";

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Whether a user whose identity policy allows `action` under `condition` is allowed, given
    /// the resource's tags (`None`: not a taggable resource) and the request's tags.
    fn allowed(
        condition: &str,
        resource_tags: Option<&[(&str, &str)]>,
        request: &RequestTags,
    ) -> bool {
        let doc = format!(
            r#"{{"Statement":{{"Effect":"Allow","Action":"codeartifact:*","Resource":"*",
            "Condition":{condition}}}}}"#
        );
        let policy = Policy::parse(&doc, PolicyKind::Identity).unwrap_or_else(|e| panic!("{e}"));
        let who = Identity {
            arn: format!("arn:aws:iam::{ACME}:user/dev"),
            account: ACME.into(),
            org_id: None,
        };
        let mut ctx = Context::default();
        who.fill(&mut ctx);
        request.fill(&mut ctx);
        if let Some(t) = resource_tags {
            fill_resource_tags(&mut ctx, &pairs(t));
        }
        let r = AccessRequest {
            identity: &who,
            action: "codeartifact:DescribeRepository",
            resource: REPO,
            resource_account: Some(ACME),
            context: &ctx,
        };
        evaluate(&r, Some(&policy), None) == Decision::Allow
    }

    #[test]
    fn resource_tag_table() {
        // allow?, the resource's tags (`-`: not taggable), the condition. The key's name is
        // case-blind, its value is not; missing tags fail positive operators and satisfy negated
        // ones and …IfExists; the request's tags are not the resource's.
        let web: &[(&str, &str)] = &[("team", "web"), ("env", "prod")];
        let table = r#"
            yes web  {"StringEquals":{"aws:ResourceTag/team":"web"}}
            no  web  {"StringEquals":{"aws:ResourceTag/team":"api"}}
            yes web  {"StringEquals":{"aws:ResourceTag/TEAM":"web"}}
            yes web  {"StringEquals":{"AWS:RESOURCETAG/Team":"web"}}
            no  web  {"StringEquals":{"aws:ResourceTag/team":"WEB"}}
            yes web  {"StringEqualsIgnoreCase":{"aws:ResourceTag/team":"WEB"}}
            yes web  {"StringLike":{"aws:ResourceTag/team":"w*"}}
            no  web  {"StringNotLike":{"aws:ResourceTag/team":"w*"}}
            yes web  {"StringNotEquals":{"aws:ResourceTag/team":"api"}}
            no  none {"StringEquals":{"aws:ResourceTag/team":"web"}}
            no  -    {"StringEquals":{"aws:ResourceTag/team":"web"}}
            yes none {"StringNotEquals":{"aws:ResourceTag/team":"web"}}
            yes -    {"StringEqualsIfExists":{"aws:ResourceTag/team":"web"}}
            no  web  {"StringEqualsIfExists":{"aws:ResourceTag/team":"api"}}
            yes none {"Null":{"aws:ResourceTag/team":"true"}}
            no  web  {"Null":{"aws:ResourceTag/team":"true"}}
            yes web  {"Null":{"aws:ResourceTag/team":"false"}}
            no  web  {"Null":{"aws:ResourceTag/owner":"false"}}
            yes web  {"StringEquals":{"aws:ResourceTag/team":"web","aws:ResourceTag/env":"prod"}}
            no  web  {"StringEquals":{"aws:ResourceTag/team":"web","aws:ResourceTag/env":"dev"}}
            yes empty {"StringEquals":{"aws:ResourceTag/team":""}}
            no  web  {"StringEquals":{"aws:RequestTag/team":"web"}}
        "#;
        for row in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut cols = row.split_whitespace();
            let want = cols.next() == Some("yes");
            let tags: Option<&[(&str, &str)]> = match cols.next() {
                Some("web") => Some(web),
                Some("none") => Some(&[]),
                Some("empty") => Some(&[("team", "")]),
                _ => None,
            };
            let condition = cols.collect::<Vec<_>>().join(" ");
            let got = allowed(&condition, tags, &RequestTags::None);
            assert_eq!(got, want, "{row}");
        }
    }

    #[test]
    fn keys_differing_in_case_both_count() {
        let tags: &[(&str, &str)] = &[("Team", "web"), ("team", "api")];
        let none = RequestTags::None;
        for (v, want) in [("web", true), ("api", true), ("ops", false)] {
            let c = format!(r#"{{"StringEquals":{{"aws:ResourceTag/team":"{v}"}}}}"#);
            assert_eq!(allowed(&c, Some(tags), &none), want, "{v}");
        }
        let c = r#"{"StringNotEquals":{"aws:ResourceTag/team":"web"}}"#;
        assert!(!allowed(c, Some(tags), &none));
    }

    #[test]
    fn request_tags_and_tag_keys_table() {
        // allow?, the request, the condition.
        let requests = [
            (
                "create",
                RequestTags::Create(pairs(&[("team", "web"), ("env", "dev")])),
            ),
            ("tag", RequestTags::Tag(pairs(&[("team", "web")]))),
            (
                "untag",
                RequestTags::Untag(vec!["team".into(), "cost".into()]),
            ),
            ("untagged", RequestTags::Create(Vec::new())),
            ("none", RequestTags::None),
        ];
        let table = r#"
            yes create   {"StringEquals":{"aws:RequestTag/team":"web"}}
            yes tag      {"StringEquals":{"aws:RequestTag/Team":"web"}}
            no  tag      {"StringEquals":{"aws:RequestTag/team":"Web"}}
            no  untagged {"StringEquals":{"aws:RequestTag/team":"web"}}
            no  untag    {"StringEquals":{"aws:RequestTag/team":"web"}}
            yes create   {"StringLike":{"aws:RequestTag/env":"d*"}}
            yes create   {"Null":{"aws:RequestTag/team":"false"}}
            no  untagged {"Null":{"aws:RequestTag/team":"false"}}
            yes none     {"Null":{"aws:TagKeys":"true"}}
            yes create   {"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}
            no  create   {"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}
            yes untagged {"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}
            no  untag    {"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}
            yes untag    {"ForAllValues:StringLike":{"aws:TagKeys":["t*","c*"]}}
            no  tag      {"ForAllValues:StringEquals":{"aws:TagKeys":["TEAM"]}}
            yes tag      {"ForAllValues:StringEqualsIgnoreCase":{"aws:TagKeys":["TEAM"]}}
            yes untag    {"ForAnyValue:StringEquals":{"aws:TagKeys":["cost"]}}
            no  create   {"ForAnyValue:StringEquals":{"aws:TagKeys":["cost"]}}
            no  untagged {"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}
            yes create   {"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}
            no  tag      {"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}
        "#;
        // ForAllValues holds vacuously without keys, ForAnyValue never; tag keys are values,
        // compared case-sensitively unless the operator says otherwise.
        for row in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut cols = row.split_whitespace();
            let want = cols.next() == Some("yes");
            let name = cols.next().unwrap();
            let request = &requests.iter().find(|(n, _)| *n == name).unwrap().1;
            let condition = cols.collect::<Vec<_>>().join(" ");
            assert_eq!(allowed(&condition, None, request), want, "{row}");
        }
    }

    #[test]
    fn only_resource_tag_conditions_need_the_resource_tags() {
        let p = |c: &str| {
            let doc = format!(
                r#"{{"Statement":[{{"Effect":"Allow","Action":"*","Resource":"*"}},
                {{"Effect":"Deny","Action":"*","Resource":"*","Condition":{c}}}]}}"#
            );
            Policy::parse(&doc, PolicyKind::Identity).unwrap()
        };
        assert!(p(r#"{"StringEquals":{"aws:ResourceTag/team":"x"}}"#).tests_resource_tags());
        assert!(p(r#"{"Null":{"AWS:ResourceTag/Team":"true"}}"#).tests_resource_tags());
        assert!(!p(r#"{"StringEquals":{"aws:RequestTag/team":"x"}}"#).tests_resource_tags());
        assert!(!p(r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":"x"}}"#).tests_resource_tags());
        assert!(!p(r#"{"StringEquals":{"aws:PrincipalArn":"x"}}"#).tests_resource_tags());
        assert!(!RequestTags::Create(Vec::new()).resource_exists());
        assert!(RequestTags::Tag(Vec::new()).resource_exists());
    }
}
