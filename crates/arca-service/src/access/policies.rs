//! Put, Get and Delete of domain and repository permissions policies (§C1): the 7,168-character
//! limit, the grammar subset validated before anything is stored, and `policyRevision` as an
//! optimistic lock (a mismatch is a ConflictException). Lock-out protection is in `authorize.rs`:
//! a Put is decided without the policy it replaces.

use arca_metadata::{ResourcePolicyRow, StoreError};
use base64::Engine;
use rand::RngCore;

use crate::policy::{is_tag_key, Policy, PolicyKind, MAX_POLICY_CHARS, REQUEST_KEYS};
use crate::{
    now_ms, Caller, DomainRef, RepoRef, ResourceType, Service, ServiceError, ServiceResult,
};

/// The resource whose policy an operation reads or writes.
#[derive(Debug, Clone, Copy)]
pub enum PolicyTarget<'a> {
    Domain(&'a DomainRef),
    Repository(&'a RepoRef),
}

/// What the three operations answer (`ResourcePolicy` in the model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePolicy {
    pub resource_arn: String,
    pub revision: String,
    pub document: String,
}

impl From<ResourcePolicyRow> for ResourcePolicy {
    fn from(r: ResourcePolicyRow) -> Self {
        Self {
            resource_arn: r.resource_arn,
            revision: r.revision,
            document: r.document,
        }
    }
}

fn new_revision() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Service {
    /// The row's resource: its ARN, domain id and repository id.
    async fn policy_resource(
        &self,
        caller: &Caller,
        target: PolicyTarget<'_>,
    ) -> ServiceResult<(String, i64, Option<i64>, ResourceType, String)> {
        Ok(match target {
            PolicyTarget::Domain(d) => {
                let row = self.resolve_domain(caller, d).await?;
                (
                    self.domain_arn(&row),
                    row.id,
                    None,
                    ResourceType::Domain,
                    row.name,
                )
            }
            PolicyTarget::Repository(r) => {
                let (_, repo) = self.resolve_repo(caller, r).await?;
                (
                    self.repo_arn(&repo),
                    repo.domain_id,
                    Some(repo.id),
                    ResourceType::Repository,
                    repo.name,
                )
            }
        })
    }

    /// Put{Domain,Repository}PermissionsPolicy.
    pub async fn put_permissions_policy(
        &self,
        caller: &Caller,
        target: PolicyTarget<'_>,
        document: &str,
        revision: Option<&str>,
    ) -> ServiceResult<ResourcePolicy> {
        if document.chars().count() > MAX_POLICY_CHARS {
            return Err(ServiceError::validation(format!(
                "1 validation error detected: Value at 'policyDocument' failed to satisfy \
                 constraint: Member must have length less than or equal to {MAX_POLICY_CHARS}"
            )));
        }
        let policy = Policy::parse(document, PolicyKind::Resource)?;
        // Only the keys every request carries, and the tag keys: another key's conditions would
        // be false (or, negated, true) for every request.
        if let Some(key) = policy
            .condition_keys()
            .find(|k| !REQUEST_KEYS.contains(k) && !is_tag_key(k))
        {
            return Err(ServiceError::validation(format!(
                "Invalid policy document: condition key {key} is not evaluated by Arca's \
                 permission policies."
            )));
        }
        let (arn, domain_id, repository_id, rt, name) =
            self.policy_resource(caller, target).await?;
        let row = ResourcePolicyRow {
            resource_arn: arn,
            domain_id,
            repository_id,
            revision: new_revision(),
            document: document.to_string(),
            updated_ms: now_ms(),
        };
        match self.store.put_resource_policy(&row, revision).await {
            Ok(()) => Ok(row.into()),
            Err(StoreError::PreconditionFailed) => Err(ServiceError::conflict(
                rt,
                &name,
                format!(
                    "The policy revision {} does not match the current revision of {}'s policy.",
                    revision.unwrap_or_default(),
                    name
                ),
            )),
            Err(StoreError::NotFound) => Err(ServiceError::not_found(
                rt,
                &name,
                format!("{} not found: {name}", rt_title(rt)),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Get{Domain,Repository}PermissionsPolicy.
    pub async fn get_permissions_policy(
        &self,
        caller: &Caller,
        target: PolicyTarget<'_>,
    ) -> ServiceResult<ResourcePolicy> {
        let (arn, _, _, rt, name) = self.policy_resource(caller, target).await?;
        match self.store.get_resource_policy(&arn).await? {
            Some(row) => Ok(row.into()),
            None => Err(no_policy(rt, &name)),
        }
    }

    /// Delete{Domain,Repository}PermissionsPolicy: the deleted policy.
    pub async fn delete_permissions_policy(
        &self,
        caller: &Caller,
        target: PolicyTarget<'_>,
        revision: Option<&str>,
    ) -> ServiceResult<ResourcePolicy> {
        let (arn, _, _, rt, name) = self.policy_resource(caller, target).await?;
        if let Some(row) = self.store.delete_resource_policy(&arn, revision).await? {
            return Ok(row.into());
        }
        match self.store.get_resource_policy(&arn).await? {
            Some(_) => Err(ServiceError::conflict(
                rt,
                &name,
                format!(
                    "The policy revision {} does not match the current revision of {name}'s policy.",
                    revision.unwrap_or_default()
                ),
            )),
            None => Err(no_policy(rt, &name)),
        }
    }
}

fn rt_title(rt: ResourceType) -> &'static str {
    match rt {
        ResourceType::Domain => "Domain",
        _ => "Repository",
    }
}

fn no_policy(rt: ResourceType, name: &str) -> ServiceError {
    ServiceError::not_found(
        rt,
        name,
        format!("{} {name} has no permissions policy.", rt_title(rt)),
    )
}
