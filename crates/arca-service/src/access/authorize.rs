//! The one place that decides whether a caller may act (§C2–C3). Every API operation asks before
//! it acts ([`Service::authorize`], with the action and the resource the operation names); native
//! requests ask with the action of §C4. The root of an account acting in its own account is
//! decided without reading anything; everyone else costs one point read of the resource policy
//! that applies (parsed once per revision, cached), plus one read of the resource's tags when a
//! policy that applies tests `aws:ResourceTag/…`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::arn::{self, ArnResource};
use crate::groups::pattern::Pattern;
use crate::policy::{
    evaluate, fill_resource_tags, AccessRequest, Context, Decision, Policy, PolicyKind, RequestTags,
};
use crate::{Caller, DomainRef, PackageRef, RepoRef, Service, ServiceError, ServiceResult};

/// What an operation acts on.
#[derive(Debug, Clone)]
pub enum Target {
    /// No resource type (`Resource: "*"`): ListDomains, CreateDomain, ListRepositories.
    Any,
    Domain(DomainRef),
    Repository(RepoRef),
    Package(PackageRef),
    /// A package group of a domain, by pattern.
    PackageGroup(DomainRef, String),
    /// A resource named by its ARN (the tag operations).
    Arn(String),
}

/// Parsed resource policies by ARN, each with the revision it was parsed at.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    by_arn: Mutex<HashMap<String, (String, Arc<Policy>)>>,
}

/// The resource's ARN, its account (`None` for `*`) and the ARN whose policy applies.
pub(crate) struct Resolved {
    pub(crate) resource: String,
    account: Option<String>,
    policy_arn: Option<String>,
}

const PUT_POLICY_ACTIONS: [&str; 2] = [
    "codeartifact:PutDomainPermissionsPolicy",
    "codeartifact:PutRepositoryPermissionsPolicy",
];

impl Service {
    pub(crate) fn resolve_target(&self, caller: &Caller, target: &Target) -> Resolved {
        let region = &self.config.region;
        let owner = |d: &DomainRef| d.owner.clone().unwrap_or_else(|| caller.account.clone());
        match target {
            Target::Any => Resolved {
                resource: "*".into(),
                account: None,
                policy_arn: None,
            },
            Target::Domain(d) => {
                let o = owner(d);
                let a = arn::domain(region, &o, &d.name);
                Resolved {
                    resource: a.clone(),
                    account: Some(o),
                    policy_arn: Some(a),
                }
            }
            Target::Repository(r) => {
                let o = owner(&r.domain);
                let a = arn::repository(region, &o, &r.domain.name, &r.repository);
                Resolved {
                    resource: a.clone(),
                    account: Some(o),
                    policy_arn: Some(a),
                }
            }
            Target::Package(p) => {
                let o = owner(&p.repo.domain);
                let resource = format!(
                    "arn:aws:codeartifact:{region}:{o}:package/{}/{}/{}/{}/{}",
                    p.repo.domain.name,
                    p.repo.repository,
                    p.format,
                    p.namespace.as_deref().unwrap_or(""),
                    p.package
                );
                Resolved {
                    resource,
                    policy_arn: Some(arn::repository(
                        region,
                        &o,
                        &p.repo.domain.name,
                        &p.repo.repository,
                    )),
                    account: Some(o),
                }
            }
            Target::PackageGroup(d, pattern) => {
                let o = owner(d);
                Resolved {
                    resource: arn::package_group(region, &o, &d.name, pattern),
                    policy_arn: Some(arn::domain(region, &o, &d.name)),
                    account: Some(o),
                }
            }
            Target::Arn(a) => match arn::parse(a) {
                Some(p) => Resolved {
                    policy_arn: match &p.resource {
                        ArnResource::Domain { .. } | ArnResource::Repository { .. } => {
                            Some(a.to_string())
                        }
                        ArnResource::PackageGroup { domain, .. } => {
                            Some(arn::domain(&p.region, &p.account, domain))
                        }
                        ArnResource::Other => None,
                    },
                    resource: a.to_string(),
                    account: Some(p.account),
                },
                None => Resolved {
                    resource: a.to_string(),
                    account: Some(caller.account.clone()),
                    policy_arn: None,
                },
            },
        }
    }

    /// The ARN `target`'s tags are stored under, for `aws:ResourceTag/…`: domains, repositories
    /// and package groups (their pattern in canonical form). Packages cannot be tagged, so a
    /// package target (and `*`) has no resource tags: their conditions see the keys absent.
    fn tag_arn(&self, caller: &Caller, target: &Target) -> Option<String> {
        let region = &self.config.region;
        let owner = |d: &DomainRef| d.owner.clone().unwrap_or_else(|| caller.account.clone());
        let group = |region: &str, owner: &str, domain: &str, pattern: &str| {
            let p = Pattern::parse(pattern).ok()?;
            Some(arn::package_group(region, owner, domain, &p.to_string()))
        };
        match target {
            Target::Any | Target::Package(_) => None,
            Target::Domain(d) => Some(arn::domain(region, &owner(d), &d.name)),
            Target::Repository(r) => Some(arn::repository(
                region,
                &owner(&r.domain),
                &r.domain.name,
                &r.repository,
            )),
            Target::PackageGroup(d, pattern) => group(region, &owner(d), &d.name, pattern),
            Target::Arn(a) => {
                let p = arn::parse(a)?;
                match &p.resource {
                    ArnResource::Domain { .. } | ArnResource::Repository { .. } => {
                        Some(a.to_string())
                    }
                    ArnResource::PackageGroup { domain, pattern } => {
                        group(&p.region, &p.account, domain, pattern)
                    }
                    ArnResource::Other => None,
                }
            }
        }
    }

    /// The resource policy stored under `arn`, parsed (cached per revision).
    async fn resource_policy(&self, arn: &str) -> ServiceResult<Option<Arc<Policy>>> {
        let Some(row) = self.store.get_resource_policy(arn).await? else {
            return Ok(None);
        };
        if let Some((rev, p)) = self.policy_cache.by_arn.lock().unwrap().get(arn) {
            if *rev == row.revision {
                return Ok(Some(p.clone()));
            }
        }
        let policy = Arc::new(
            Policy::parse(&row.document, PolicyKind::Resource)
                .map_err(|e| ServiceError::Internal(format!("stored policy of {arn}: {e}")))?,
        );
        self.policy_cache
            .by_arn
            .lock()
            .unwrap()
            .insert(arn.to_string(), (row.revision, policy.clone()));
        Ok(Some(policy))
    }

    /// Decides whether `caller` may perform `action` (`codeartifact:…`, canonical casing) on
    /// `target`. Returns the caller to act as: for another account's resource, one marked so that
    /// the operation may resolve it. A refusal is `AccessDenied`, except for another account's
    /// resource without any policy: the caller comes back unmarked, and the operation answers
    /// "not found" as it did before policies existed.
    pub async fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        target: &Target,
    ) -> ServiceResult<Caller> {
        self.authorize_tagged(caller, action, target, &RequestTags::None)
            .await
    }

    /// [`Service::authorize`] for a request that brings tags (`aws:RequestTag/…`,
    /// `aws:TagKeys`). The resource's own tags (`aws:ResourceTag/…`) are read only when a policy
    /// that applies tests them.
    pub async fn authorize_tagged(
        &self,
        caller: &Caller,
        action: &str,
        target: &Target,
        request_tags: &RequestTags,
    ) -> ServiceResult<Caller> {
        // The root in its own account is decided before any ARN is built (every request of the
        // root passes here).
        if caller.user.is_none() && target_in_account(target, &caller.account) {
            return Ok(caller.clone());
        }
        let r = self.resolve_target(caller, target);
        let same_account = r.account.as_deref().is_none_or(|a| a == caller.account);
        if same_account && caller.user.is_none() {
            return Ok(caller.clone());
        }
        // Lock-out protection: putting a resource policy is decided without that policy.
        let policy = match &r.policy_arn {
            Some(a) if !PUT_POLICY_ACTIONS.contains(&action) => self.resource_policy(a).await?,
            _ => None,
        };
        let identity = caller.identity();
        let mut ctx = Context::default();
        identity.fill(&mut ctx);
        let now = time::OffsetDateTime::now_utc();
        ctx.set(
            "aws:CurrentTime",
            now.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        );
        ctx.set("aws:EpochTime", now.unix_timestamp().to_string());
        let facts = caller.facts();
        if let Some(ip) = facts.source_ip {
            ctx.set("aws:SourceIp", ip.to_string());
        }
        ctx.set("aws:SecureTransport", facts.secure_transport.to_string());
        if action == "sts:GetServiceBearerToken" {
            ctx.set("sts:AWSServiceName", "codeartifact.amazonaws.com");
        }
        let identity_policy = caller.user.as_ref().and_then(|u| u.policy.as_ref());
        request_tags.fill(&mut ctx);
        let tests_resource_tags = [identity_policy, policy.as_deref()]
            .into_iter()
            .flatten()
            .any(Policy::tests_resource_tags);
        if tests_resource_tags && request_tags.resource_exists() {
            if let Some(arn) = self.tag_arn(caller, target) {
                fill_resource_tags(&mut ctx, &self.store.list_tags(&arn).await?);
            }
        }
        let request = AccessRequest {
            identity: &identity,
            action,
            resource: &r.resource,
            resource_account: r.account.as_deref(),
            context: &ctx,
        };
        let decision = evaluate(&request, identity_policy, policy.as_deref());
        match decision {
            Decision::Allow if same_account => Ok(caller.clone()),
            Decision::Allow => Ok(caller.for_other_account()),
            // Another account's resource that no policy opens stays invisible: the operation
            // acts as it did before policies existed (its domain is "not found").
            Decision::ImplicitDeny if !same_account && policy.is_none() => Ok(caller.clone()),
            _ => {
                self.record_denial(caller, action, &r.resource).await?;
                Err(denied(&identity.arn, action, &r.resource, decision))
            }
        }
    }
}

/// Whether `target` is `*` or a resource of `account`, when that is known without parsing an ARN
/// (the ARN targets of the tag operations answer `false`: [`Service::resolve_target`] decides).
fn target_in_account(target: &Target, account: &str) -> bool {
    let of = |d: &DomainRef| d.owner.as_deref().is_none_or(|o| o == account);
    match target {
        Target::Any => true,
        Target::Domain(d) | Target::PackageGroup(d, _) => of(d),
        Target::Repository(r) => of(&r.domain),
        Target::Package(p) => of(&p.repo.domain),
        Target::Arn(_) => false,
    }
}

fn denied(who: &str, action: &str, resource: &str, decision: Decision) -> ServiceError {
    let why = match decision {
        Decision::ExplicitDeny => "with an explicit deny",
        _ => "because no identity-based or resource-based policy allows it",
    };
    ServiceError::AccessDenied(format!(
        "User: {who} is not authorized to perform: {action} on resource: {resource} {why}"
    ))
}
