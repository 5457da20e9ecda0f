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
        let web: &[(&str, &str)] = &[("team", "web"), ("env", "prod")];
        let none = RequestTags::None;
        // (condition, resource tags, allowed)
        type Tags<'a> = Option<&'a [(&'a str, &'a str)]>;
        let cases: Vec<(&str, Tags, bool)> = vec![
            (
                r#"{"StringEquals":{"aws:ResourceTag/team":"web"}}"#,
                Some(web),
                true,
            ),
            (
                r#"{"StringEquals":{"aws:ResourceTag/team":"api"}}"#,
                Some(web),
                false,
            ),
            // The key's name is case-blind, its value is not.
            (
                r#"{"StringEquals":{"aws:ResourceTag/TEAM":"web"}}"#,
                Some(web),
                true,
            ),
            (
                r#"{"StringEquals":{"AWS:RESOURCETAG/Team":"web"}}"#,
                Some(web),
                true,
            ),
            (
                r#"{"StringEquals":{"aws:ResourceTag/team":"WEB"}}"#,
                Some(web),
                false,
            ),
            (
                r#"{"StringEqualsIgnoreCase":{"aws:ResourceTag/team":"WEB"}}"#,
                Some(web),
                true,
            ),
            (
                r#"{"StringLike":{"aws:ResourceTag/team":"w*"}}"#,
                Some(web),
                true,
            ),
            (
                r#"{"StringNotLike":{"aws:ResourceTag/team":"w*"}}"#,
                Some(web),
                false,
            ),
            (
                r#"{"StringNotEquals":{"aws:ResourceTag/team":"api"}}"#,
                Some(web),
                true,
            ),
            // Missing tags: positive operators fail, negated ones and …IfExists hold.
            (
                r#"{"StringEquals":{"aws:ResourceTag/team":"web"}}"#,
                Some(&[]),
                false,
            ),
            (
                r#"{"StringEquals":{"aws:ResourceTag/team":"web"}}"#,
                None,
                false,
            ),
            (
                r#"{"StringNotEquals":{"aws:ResourceTag/team":"web"}}"#,
                Some(&[]),
                true,
            ),
            (
                r#"{"StringEqualsIfExists":{"aws:ResourceTag/team":"web"}}"#,
                None,
                true,
            ),
            (
                r#"{"StringEqualsIfExists":{"aws:ResourceTag/team":"api"}}"#,
                Some(web),
                false,
            ),
            (
                r#"{"Null":{"aws:ResourceTag/team":"true"}}"#,
                Some(&[]),
                true,
            ),
            (
                r#"{"Null":{"aws:ResourceTag/team":"true"}}"#,
                Some(web),
                false,
            ),
            (
                r#"{"Null":{"aws:ResourceTag/team":"false"}}"#,
                Some(web),
                true,
            ),
            (
                r#"{"Null":{"aws:ResourceTag/owner":"false"}}"#,
                Some(web),
                false,
            ),
            // Two conditions, both must hold.
            (
                r#"{"StringEquals":{"aws:ResourceTag/team":"web","aws:ResourceTag/env":"prod"}}"#,
                Some(web),
                true,
            ),
            (
                r#"{"StringEquals":{"aws:ResourceTag/team":"web","aws:ResourceTag/env":"dev"}}"#,
                Some(web),
                false,
            ),
            // An empty tag value is a value.
            (
                r#"{"StringEquals":{"aws:ResourceTag/team":""}}"#,
                Some(&[("team", "")]),
                true,
            ),
            // The request's tags are not the resource's.
            (
                r#"{"StringEquals":{"aws:RequestTag/team":"web"}}"#,
                Some(web),
                false,
            ),
        ];
        for (condition, tags, want) in cases {
            assert_eq!(
                allowed(condition, tags, &none),
                want,
                "{condition} on {tags:?}"
            );
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
        let create = RequestTags::Create(pairs(&[("team", "web"), ("env", "dev")]));
        let tag = RequestTags::Tag(pairs(&[("team", "web")]));
        let untag = RequestTags::Untag(vec!["team".into(), "cost".into()]);
        let untagged = RequestTags::Create(Vec::new());
        let none = RequestTags::None;
        let cases: Vec<(&str, &RequestTags, bool)> = vec![
            (
                r#"{"StringEquals":{"aws:RequestTag/team":"web"}}"#,
                &create,
                true,
            ),
            (
                r#"{"StringEquals":{"aws:RequestTag/Team":"web"}}"#,
                &tag,
                true,
            ),
            (
                r#"{"StringEquals":{"aws:RequestTag/team":"Web"}}"#,
                &tag,
                false,
            ),
            (
                r#"{"StringEquals":{"aws:RequestTag/team":"web"}}"#,
                &untagged,
                false,
            ),
            (
                r#"{"StringEquals":{"aws:RequestTag/team":"web"}}"#,
                &untag,
                false,
            ),
            (
                r#"{"StringLike":{"aws:RequestTag/env":"d*"}}"#,
                &create,
                true,
            ),
            (r#"{"Null":{"aws:RequestTag/team":"false"}}"#, &create, true),
            (
                r#"{"Null":{"aws:RequestTag/team":"false"}}"#,
                &untagged,
                false,
            ),
            (r#"{"Null":{"aws:TagKeys":"true"}}"#, &none, true),
            // ForAllValues: every key of the request among the policy's (vacuous without keys).
            (
                r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}"#,
                &create,
                true,
            ),
            (
                r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}"#,
                &create,
                false,
            ),
            (
                r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}"#,
                &untagged,
                true,
            ),
            (
                r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}"#,
                &untag,
                false,
            ),
            (
                r#"{"ForAllValues:StringLike":{"aws:TagKeys":["t*","c*"]}}"#,
                &untag,
                true,
            ),
            // Tag keys are values: compared case-sensitively unless the operator says otherwise.
            (
                r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["TEAM"]}}"#,
                &tag,
                false,
            ),
            (
                r#"{"ForAllValues:StringEqualsIgnoreCase":{"aws:TagKeys":["TEAM"]}}"#,
                &tag,
                true,
            ),
            // ForAnyValue: one key among the policy's (never without keys).
            (
                r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["cost"]}}"#,
                &untag,
                true,
            ),
            (
                r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["cost"]}}"#,
                &create,
                false,
            ),
            (
                r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}"#,
                &untagged,
                false,
            ),
            (
                r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}"#,
                &create,
                true,
            ),
            (
                r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}"#,
                &tag,
                false,
            ),
        ];
        for (condition, request, want) in cases {
            assert_eq!(
                allowed(condition, None, request),
                want,
                "{condition} with {request:?}"
            );
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
