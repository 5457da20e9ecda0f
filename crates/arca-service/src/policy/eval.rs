//! The evaluation of §C2, restricted to what CodeArtifact uses:
//! 0. the root of the resource's own account is allowed everything, whatever the policies say:
//!    it is the operator's identity, so no policy can lock the operator out, and its requests need
//!    no policy read;
//! 1. an explicit `Deny` in the identity policy or in an applicable resource-policy statement wins;
//! 2. in the resource's own account, an `Allow` from either policy suffices;
//! 3. across accounts, both the caller's identity (the root of the caller's account counts as
//!    allowing) and the resource policy must allow;
//! 4. otherwise the request is implicitly denied.
//!
//! Lock-out protection (Put…PermissionsPolicy) is the caller's business: it passes no resource
//! policy.

use super::condition::Context;
use super::document::{Effect, Patterns, Policy, PrincipalEntry, Statement};
use super::wildcard::{action_matches, arn_matches};

/// Who is asking: the account root (`arn:aws:iam::{account}:root`) or a user of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub arn: String,
    pub account: String,
    /// The organization the account belongs to (`aws:PrincipalOrgID`), when the operator set one.
    pub org_id: Option<String>,
}

impl Identity {
    pub fn root(account: &str) -> Self {
        Self {
            arn: format!("arn:aws:iam::{account}:root"),
            account: account.to_string(),
            org_id: None,
        }
    }

    pub fn is_root(&self) -> bool {
        self.arn == format!("arn:aws:iam::{}:root", self.account)
    }

    /// The principal keys of a request context: `aws:PrincipalAccount`, `aws:PrincipalArn`,
    /// `aws:PrincipalOrgID` (when set), `aws:PrincipalType` and `aws:username` (users).
    pub fn fill(&self, ctx: &mut Context) {
        ctx.set("aws:PrincipalAccount", self.account.clone());
        ctx.set("aws:PrincipalArn", self.arn.clone());
        if let Some(org) = &self.org_id {
            ctx.set("aws:PrincipalOrgID", org.clone());
        }
        if self.is_root() {
            ctx.set("aws:PrincipalType", "Account");
        } else if let Some((_, user)) = self.arn.rsplit_once(":user/") {
            ctx.set("aws:PrincipalType", "User");
            ctx.set("aws:username", user.rsplit('/').next().unwrap_or(user));
        }
    }
}

/// One authorization question.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    pub identity: &'a Identity,
    /// `service:Action`, canonical casing.
    pub action: &'a str,
    /// The resource's ARN, or `*` for actions without a resource type (CreateDomain,
    /// `sts:GetServiceBearerToken`).
    pub resource: &'a str,
    /// The account owning the resource; `None` for `*` (evaluated as the caller's own account).
    pub resource_account: Option<&'a str>,
    pub context: &'a Context,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A `Deny` statement applied.
    ExplicitDeny,
    /// Nothing allowed it.
    ImplicitDeny,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Self::Allow
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Deny,
    Allow,
    Silent,
}

/// Decides `request` given the caller's identity policy and the resource policy that applies.
pub fn evaluate(
    request: &AccessRequest<'_>,
    identity_policy: Option<&Policy>,
    resource_policy: Option<&Policy>,
) -> Decision {
    let same_account = request
        .resource_account
        .is_none_or(|a| a == request.identity.account);
    if same_account && request.identity.is_root() {
        return Decision::Allow;
    }
    let identity = if request.identity.is_root() {
        Outcome::Allow
    } else {
        outcome(identity_policy, request)
    };
    let resource = outcome(resource_policy, request);
    if identity == Outcome::Deny || resource == Outcome::Deny {
        return Decision::ExplicitDeny;
    }
    let allowed = if same_account {
        identity == Outcome::Allow || resource == Outcome::Allow
    } else {
        identity == Outcome::Allow && resource == Outcome::Allow
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

fn outcome(policy: Option<&Policy>, request: &AccessRequest<'_>) -> Outcome {
    let mut result = Outcome::Silent;
    for st in policy.iter().flat_map(|p| p.statements.iter()) {
        if applies(st, request) {
            match st.effect {
                Effect::Deny => return Outcome::Deny,
                Effect::Allow => result = Outcome::Allow,
            }
        }
    }
    result
}

fn applies(st: &Statement, r: &AccessRequest<'_>) -> bool {
    if let Some(principals) = &st.principals {
        if !principals.iter().any(|p| principal_matches(p, r.identity)) {
            return false;
        }
    }
    any(&st.actions, |p| action_matches(p, r.action))
        && any(&st.resources, |p| arn_matches(p, r.resource))
        && st.conditions.iter().all(|c| c.holds(r.context))
}

/// `Action`: some pattern matches; `NotAction`: none does.
fn any(p: &Patterns, matches: impl Fn(&str) -> bool) -> bool {
    p.patterns.iter().any(|p| matches(p)) != p.negated
}

fn principal_matches(p: &PrincipalEntry, identity: &Identity) -> bool {
    match p {
        PrincipalEntry::Anyone => true,
        PrincipalEntry::Account(a) => *a == identity.account,
        PrincipalEntry::Arn(arn) => *arn == identity.arn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyKind;
    use proptest::prelude::*;

    const ACME: &str = "111122223333";
    const OTHER: &str = "444455556666";
    const REPO: &str = "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/rel";
    const PKG: &str = "arn:aws:codeartifact:us-east-1:111122223333:package/acme/rel/npm/acme/kit";

    fn user(account: &str, name: &str) -> Identity {
        Identity {
            arn: format!("arn:aws:iam::{account}:user/{name}"),
            account: account.into(),
            org_id: None,
        }
    }

    fn identity_policy(doc: &str) -> Policy {
        Policy::parse(doc, PolicyKind::Identity).unwrap()
    }

    fn resource_policy(doc: &str) -> Policy {
        Policy::parse(doc, PolicyKind::Resource).unwrap()
    }

    fn decide(
        who: &Identity,
        action: &str,
        resource: &str,
        identity: Option<&Policy>,
        res: Option<&Policy>,
    ) -> Decision {
        let mut ctx = Context::default();
        who.fill(&mut ctx);
        let request = AccessRequest {
            identity: who,
            action,
            resource,
            resource_account: Some(ACME),
            context: &ctx,
        };
        evaluate(&request, identity, res)
    }

    #[test]
    fn the_root_needs_nothing_in_its_own_account() {
        let root = Identity::root(ACME);
        assert!(root.is_root());
        assert_eq!(
            decide(&root, "codeartifact:DeleteDomain", REPO, None, None),
            Decision::Allow
        );
        // Another account's root is an outsider here.
        assert_eq!(
            decide(
                &Identity::root(OTHER),
                "codeartifact:ReadFromRepository",
                REPO,
                None,
                None
            ),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn evaluation_table() {
        let ci = user(ACME, "ci");
        let outsider = user(OTHER, "reader");
        let read_all = identity_policy(
            r#"{"Statement":{"Effect":"Allow","Action":"codeartifact:Read*","Resource":"*"}}"#,
        );
        let publish_acme = identity_policy(
            r#"{"Statement":{"Effect":"Allow","Action":"codeartifact:PublishPackageVersion",
            "Resource":"arn:aws:codeartifact:*:111122223333:package/acme/rel/npm/acme/*"}}"#,
        );
        let everything_but_delete = identity_policy(
            r#"{"Statement":{"Effect":"Allow","NotAction":"codeartifact:Delete*","Resource":"*"}}"#,
        );
        let not_this_repo = identity_policy(
            r#"{"Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:codeartifact:*:*:repository/acme/rel"}}"#,
        );
        let repo_reads_for_other = resource_policy(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"444455556666"},
            "Action":"codeartifact:ReadFromRepository","Resource":"*"}}"#,
        );
        let deny_ci = resource_policy(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"codeartifact:*","Resource":"*"},
            {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/ci"},
             "Action":"codeartifact:Publish*","Resource":"*"}]}"#,
        );
        let org_only = resource_policy(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"codeartifact:ReadFromRepository",
            "Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-acme"}}}}"#,
        );
        let read = "codeartifact:ReadFromRepository";
        let publish = "codeartifact:PublishPackageVersion";
        let in_org = Identity {
            org_id: Some("o-acme".into()),
            ..outsider.clone()
        };
        let (dev, other_root, third) = (
            user(ACME, "dev"),
            Identity::root(OTHER),
            user("777788889999", "x"),
        );
        type Case<'a> = (
            &'a str,
            &'a Identity,
            &'a str,
            &'a str,
            Option<&'a Policy>,
            Option<&'a Policy>,
            Decision,
        );
        let cases: Vec<Case> = vec![
            (
                "nothing grants",
                &ci,
                read,
                REPO,
                None,
                None,
                Decision::ImplicitDeny,
            ),
            (
                "identity grants",
                &ci,
                read,
                REPO,
                Some(&read_all),
                None,
                Decision::Allow,
            ),
            (
                "wildcard is case-blind",
                &ci,
                "codeartifact:READFROMREPOSITORY",
                REPO,
                Some(&read_all),
                None,
                Decision::Allow,
            ),
            (
                "identity scoped to acme packages",
                &ci,
                publish,
                PKG,
                Some(&publish_acme),
                None,
                Decision::Allow,
            ),
            (
                "…not others",
                &ci,
                publish,
                "arn:aws:codeartifact:us-east-1:111122223333:package/acme/rel/npm/other/kit",
                Some(&publish_acme),
                None,
                Decision::ImplicitDeny,
            ),
            (
                "NotAction allows the rest",
                &ci,
                read,
                REPO,
                Some(&everything_but_delete),
                None,
                Decision::Allow,
            ),
            (
                "NotAction leaves its own out",
                &ci,
                "codeartifact:DeleteRepository",
                REPO,
                Some(&everything_but_delete),
                None,
                Decision::ImplicitDeny,
            ),
            (
                "NotResource leaves its own out",
                &ci,
                read,
                REPO,
                Some(&not_this_repo),
                None,
                Decision::ImplicitDeny,
            ),
            (
                "NotResource allows the rest",
                &ci,
                read,
                "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/other",
                Some(&not_this_repo),
                None,
                Decision::Allow,
            ),
            (
                "same account: resource policy alone",
                &ci,
                read,
                REPO,
                None,
                Some(&deny_ci),
                Decision::Allow,
            ),
            (
                "explicit deny beats allow",
                &ci,
                publish,
                PKG,
                Some(&publish_acme),
                Some(&deny_ci),
                Decision::ExplicitDeny,
            ),
            (
                "deny names someone else",
                &dev,
                publish,
                PKG,
                None,
                Some(&deny_ci),
                Decision::Allow,
            ),
            (
                "cross account: resource alone is not enough",
                &outsider,
                read,
                REPO,
                None,
                Some(&repo_reads_for_other),
                Decision::ImplicitDeny,
            ),
            (
                "cross account: identity alone is not enough",
                &outsider,
                read,
                REPO,
                Some(&read_all),
                None,
                Decision::ImplicitDeny,
            ),
            (
                "cross account: both",
                &outsider,
                read,
                REPO,
                Some(&read_all),
                Some(&repo_reads_for_other),
                Decision::Allow,
            ),
            (
                "cross account: the other root",
                &other_root,
                read,
                REPO,
                None,
                Some(&repo_reads_for_other),
                Decision::Allow,
            ),
            (
                "account principal names only its account",
                &third,
                read,
                REPO,
                Some(&read_all),
                Some(&repo_reads_for_other),
                Decision::ImplicitDeny,
            ),
            (
                "org condition met",
                &in_org,
                read,
                REPO,
                Some(&read_all),
                Some(&org_only),
                Decision::Allow,
            ),
            (
                "org condition unmet",
                &outsider,
                read,
                REPO,
                Some(&read_all),
                Some(&org_only),
                Decision::ImplicitDeny,
            ),
        ];
        for (name, who, action, resource, id, res, want) in cases {
            assert_eq!(decide(who, action, resource, id, res), want, "{name}");
        }
    }

    #[test]
    fn a_deny_binds_other_roots_but_not_the_owner() {
        let deny = resource_policy(
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"},
            {"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
        );
        assert_eq!(
            decide(
                &Identity::root(ACME),
                "codeartifact:ListPackages",
                REPO,
                None,
                Some(&deny)
            ),
            Decision::Allow
        );
        assert_eq!(
            decide(
                &Identity::root(OTHER),
                "codeartifact:ListPackages",
                REPO,
                None,
                Some(&deny)
            ),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn bearer_token_permission_with_its_service_condition() {
        let ci = user(ACME, "ci");
        let p = identity_policy(
            r#"{"Statement":{"Effect":"Allow","Action":"sts:GetServiceBearerToken","Resource":"*",
            "Condition":{"StringEquals":{"sts:AWSServiceName":"codeartifact.amazonaws.com"}}}}"#,
        );
        let ask = |svc: &str| {
            let mut ctx = Context::default();
            ci.fill(&mut ctx);
            ctx.set("sts:AWSServiceName", svc);
            evaluate(
                &AccessRequest {
                    identity: &ci,
                    action: "sts:GetServiceBearerToken",
                    resource: "*",
                    resource_account: None,
                    context: &ctx,
                },
                Some(&p),
                None,
            )
        };
        assert_eq!(ask("codeartifact.amazonaws.com"), Decision::Allow);
        assert_eq!(ask("codecommit.amazonaws.com"), Decision::ImplicitDeny);
    }

    #[test]
    fn principal_keys_fill_the_context() {
        let p = resource_policy(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
            "Condition":{"StringEquals":{"aws:PrincipalType":"User","aws:username":"ci",
            "aws:PrincipalAccount":"111122223333"},
            "ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}}}}"#,
        );
        assert_eq!(
            decide(
                &user(ACME, "ci"),
                "codeartifact:ListPackages",
                REPO,
                None,
                Some(&p)
            ),
            Decision::Allow
        );
        assert_eq!(
            decide(
                &user(ACME, "dev"),
                "codeartifact:ListPackages",
                REPO,
                None,
                Some(&p)
            ),
            Decision::ImplicitDeny
        );
    }

    proptest! {
        /// For a statement without conditions, NotAction/NotResource allow exactly what
        /// Action/Resource do not.
        #[test]
        fn not_forms_complement(pattern in "codeartifact:[A-Za-z*?]{1,8}|\\*",
                                action in "codeartifact:(ReadFromRepository|ListPackages|Describe[A-Z][a-z]{0,5})") {
            let ci = user(ACME, "ci");
            let pos = identity_policy(&format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":"{pattern}","Resource":"*"}}}}"#));
            let neg = identity_policy(&format!(
                r#"{{"Statement":{{"Effect":"Allow","NotAction":"{pattern}","Resource":"*"}}}}"#));
            let a = decide(&ci, &action, REPO, Some(&pos), None).allowed();
            let b = decide(&ci, &action, REPO, Some(&neg), None).allowed();
            prop_assert_ne!(a, b);
            let pos = identity_policy(&format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"arn:aws:codeartifact:*:*:{pattern}"}}}}"#));
            let neg = identity_policy(&format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":"*","NotResource":"arn:aws:codeartifact:*:*:{pattern}"}}}}"#));
            prop_assert_ne!(
                decide(&ci, &action, REPO, Some(&pos), None).allowed(),
                decide(&ci, &action, REPO, Some(&neg), None).allowed()
            );
        }

        /// Adding a Deny statement that applies never turns a denial into an allow, and always
        /// denies.
        #[test]
        fn deny_always_wins(allow_identity: bool, allow_resource: bool, deny_in_identity: bool) {
            let ci = user(ACME, "ci");
            let deny = r#"{"Effect":"Deny","Action":"codeartifact:*","Resource":"*"}"#;
            let allow = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
            let mut id = Vec::new();
            let mut res = Vec::new();
            if allow_identity { id.push(allow.to_string()); }
            if allow_resource { res.push(allow.replace("\"Effect\"", "\"Principal\":\"*\",\"Effect\"")); }
            if deny_in_identity { id.push(deny.to_string()); }
            else { res.push(deny.replace("\"Effect\"", "\"Principal\":\"*\",\"Effect\"")); }
            let doc = |v: &Vec<String>| format!(r#"{{"Statement":[{}]}}"#, v.join(","));
            let idp = (!id.is_empty()).then(|| identity_policy(&doc(&id)));
            let rp = (!res.is_empty()).then(|| resource_policy(&doc(&res)));
            prop_assert_eq!(
                decide(&ci, "codeartifact:ListPackages", REPO, idp.as_ref(), rp.as_ref()),
                Decision::ExplicitDeny
            );
        }
    }
}
