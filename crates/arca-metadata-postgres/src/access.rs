//! Principals and resource permission policies (statements shared in `arca_metadata_sql::access`).
//! Each write is one statement on the pool: atomic on its own, arbitrated by the primary and
//! unique keys (a concurrent key rotation or policy put gets `AlreadyExists` or
//! `PreconditionFailed`, never a backend error).

use arca_metadata::{AccessStore, PrincipalRow, ResourcePolicyRow, StoreError, StoreResult};
use arca_metadata_sql::access;
use async_trait::async_trait;

use crate::sql::{backend, execute, fetch_all, fetch_optional, missing_as_not_found, unique_as};
use crate::PostgresStore;

#[async_trait]
impl AccessStore for PostgresStore {
    #[tracing::instrument(skip_all)]
    async fn create_principal(&self, principal: &PrincipalRow) -> StoreResult<()> {
        principal.check_text()?;
        execute(&access::insert_principal(principal), &self.pool)
            .await
            .map_err(unique_as(StoreError::AlreadyExists))?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn principal_by_access_key(
        &self,
        access_key_id: &str,
    ) -> StoreResult<Option<PrincipalRow>> {
        fetch_optional(
            &access::principal_by_access_key(access_key_id),
            &self.pool,
            access::principal_row,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn principal_by_arn(&self, arn: &str) -> StoreResult<Option<PrincipalRow>> {
        fetch_optional(
            &access::principal_by_arn(arn),
            &self.pool,
            access::principal_row,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn list_principals(&self) -> StoreResult<Vec<PrincipalRow>> {
        fetch_all(
            &access::list_principals(),
            &self.pool,
            access::principal_row,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn update_principal(&self, principal: &PrincipalRow) -> StoreResult<()> {
        principal.check_text()?;
        match execute(&access::update_principal(principal), &self.pool)
            .await
            .map_err(unique_as(StoreError::AlreadyExists))?
        {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn delete_principal(&self, arn: &str) -> StoreResult<()> {
        match execute(&access::delete_principal(arn), &self.pool)
            .await
            .map_err(backend)?
        {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn get_resource_policy(
        &self,
        resource_arn: &str,
    ) -> StoreResult<Option<ResourcePolicyRow>> {
        fetch_optional(
            &access::get_policy(resource_arn),
            &self.pool,
            access::policy_row,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn put_resource_policy(
        &self,
        policy: &ResourcePolicyRow,
        expected_revision: Option<&str>,
    ) -> StoreResult<()> {
        policy.check_text()?;
        let stmt = access::put_policy(policy, expected_revision);
        let changed = self
            .retrying(|| async {
                execute(&stmt, &self.pool)
                    .await
                    .map_err(missing_as_not_found)
            })
            .await?;
        match changed {
            0 => Err(StoreError::PreconditionFailed),
            _ => Ok(()),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn delete_resource_policy(
        &self,
        resource_arn: &str,
        expected_revision: Option<&str>,
    ) -> StoreResult<Option<ResourcePolicyRow>> {
        fetch_optional(
            &access::delete_policy(resource_arn, expected_revision),
            &self.pool,
            access::policy_row,
        )
        .await
    }
}
