//! Principals (IAM-style users besides each account's root) and resource permission policies.
//! The store keeps what it is given: secrets arrive sealed and policies validated by the service.

use async_trait::async_trait;

use crate::text::check_text;
use crate::StoreResult;

/// A user of an account, with its access key.
#[derive(Clone, PartialEq, Eq)]
pub struct PrincipalRow {
    /// `arn:aws:iam::{account}:user/{name}`; unique.
    pub arn: String,
    pub account: String,
    /// Unique across principals.
    pub access_key_id: String,
    /// The secret access key sealed under the server secret (the service seals and opens it).
    pub sealed_secret: String,
    /// The identity policy (JSON), if any.
    pub policy: Option<String>,
    /// The organization of the principal's account (`aws:PrincipalOrgID`).
    pub org_id: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl std::fmt::Debug for PrincipalRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalRow")
            .field("arn", &self.arn)
            .field("access_key_id", &self.access_key_id)
            .field("org_id", &self.org_id)
            .finish_non_exhaustive()
    }
}

impl PrincipalRow {
    pub fn check_text(&self) -> StoreResult<()> {
        check_text("principal ARN", &self.arn)?;
        check_text("account", &self.account)?;
        check_text("access key id", &self.access_key_id)?;
        check_text("secret", &self.sealed_secret)?;
        if let Some(p) = &self.policy {
            check_text("policy", p)?;
        }
        if let Some(o) = &self.org_id {
            check_text("organization id", o)?;
        }
        Ok(())
    }
}

/// The permissions policy of a domain (`repository_id` `None`) or repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePolicyRow {
    pub resource_arn: String,
    pub domain_id: i64,
    pub repository_id: Option<i64>,
    pub revision: String,
    pub document: String,
    pub updated_ms: i64,
}

impl ResourcePolicyRow {
    pub fn check_text(&self) -> StoreResult<()> {
        check_text("resource ARN", &self.resource_arn)?;
        check_text("policy revision", &self.revision)?;
        check_text("policy document", &self.document)
    }
}

#[async_trait]
pub trait AccessStore: Send + Sync {
    /// `AlreadyExists` when the ARN or the access key id is taken.
    async fn create_principal(&self, principal: &PrincipalRow) -> StoreResult<()>;
    async fn principal_by_access_key(
        &self,
        access_key_id: &str,
    ) -> StoreResult<Option<PrincipalRow>>;
    async fn principal_by_arn(&self, arn: &str) -> StoreResult<Option<PrincipalRow>>;
    /// Every principal, by ARN (byte order).
    async fn list_principals(&self) -> StoreResult<Vec<PrincipalRow>>;
    /// Replaces the key, secret, policy and organization of the principal `principal.arn`:
    /// `NotFound` when it is gone, `AlreadyExists` when the new key is another's.
    async fn update_principal(&self, principal: &PrincipalRow) -> StoreResult<()>;
    /// `NotFound` when it is gone.
    async fn delete_principal(&self, arn: &str) -> StoreResult<()>;

    async fn get_resource_policy(
        &self,
        resource_arn: &str,
    ) -> StoreResult<Option<ResourcePolicyRow>>;
    /// With `expected_revision` `None`, creates or replaces the policy; otherwise replaces it only
    /// when its current revision is that one (else `PreconditionFailed`, also when there is none).
    /// `NotFound` when the domain or repository is gone.
    async fn put_resource_policy(
        &self,
        policy: &ResourcePolicyRow,
        expected_revision: Option<&str>,
    ) -> StoreResult<()>;
    /// Removes the policy (only at `expected_revision`, when given) and returns it; `None` when
    /// nothing matched.
    async fn delete_resource_policy(
        &self,
        resource_arn: &str,
        expected_revision: Option<&str>,
    ) -> StoreResult<Option<ResourcePolicyRow>>;
}
