//! Principals and resource permission policies (statements shared in `arca_metadata_sql::access`).

use arca_metadata::{AccessStore, PrincipalRow, ResourcePolicyRow, StoreError, StoreResult};
use arca_metadata_sql::{access, missing_as_not_found};
use async_trait::async_trait;

use crate::sql::{backend, execute, fetch_all, fetch_optional, unique_as};
use crate::SqliteStore;

#[async_trait]
impl AccessStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn create_principal(&self, principal: &PrincipalRow) -> StoreResult<()> {
        principal.check_text()?;
        let stmt = access::insert_principal(principal);
        self.write(move |tx| {
            execute(tx, &stmt).map_err(unique_as(StoreError::AlreadyExists))?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn principal_by_access_key(
        &self,
        access_key_id: &str,
    ) -> StoreResult<Option<PrincipalRow>> {
        let stmt = access::principal_by_access_key(access_key_id);
        self.read(|c| fetch_optional(c, &stmt, access::principal_row))
    }

    #[tracing::instrument(skip_all)]
    async fn principal_by_arn(&self, arn: &str) -> StoreResult<Option<PrincipalRow>> {
        let stmt = access::principal_by_arn(arn);
        self.read(|c| fetch_optional(c, &stmt, access::principal_row))
    }

    #[tracing::instrument(skip_all)]
    async fn list_principals(&self) -> StoreResult<Vec<PrincipalRow>> {
        self.read(|c| fetch_all(c, &access::list_principals(), access::principal_row))
    }

    #[tracing::instrument(skip_all)]
    async fn update_principal(&self, principal: &PrincipalRow) -> StoreResult<()> {
        principal.check_text()?;
        let stmt = access::update_principal(principal);
        self.write(move |tx| {
            match execute(tx, &stmt).map_err(unique_as(StoreError::AlreadyExists))? {
                0 => Err(StoreError::NotFound),
                _ => Ok(()),
            }
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_principal(&self, arn: &str) -> StoreResult<()> {
        let stmt = access::delete_principal(arn);
        self.write(move |tx| match execute(tx, &stmt).map_err(backend)? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn get_resource_policy(
        &self,
        resource_arn: &str,
    ) -> StoreResult<Option<ResourcePolicyRow>> {
        let stmt = access::get_policy(resource_arn);
        self.read(|c| fetch_optional(c, &stmt, access::policy_row))
    }

    #[tracing::instrument(skip_all)]
    async fn put_resource_policy(
        &self,
        policy: &ResourcePolicyRow,
        expected_revision: Option<&str>,
    ) -> StoreResult<()> {
        policy.check_text()?;
        let stmt = access::put_policy(policy, expected_revision);
        self.write(
            move |tx| match execute(tx, &stmt).map_err(missing_as_not_found)? {
                0 => Err(StoreError::PreconditionFailed),
                _ => Ok(()),
            },
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_resource_policy(
        &self,
        resource_arn: &str,
        expected_revision: Option<&str>,
    ) -> StoreResult<Option<ResourcePolicyRow>> {
        let stmt = access::delete_policy(resource_arn, expected_revision);
        self.write(move |tx| fetch_optional(tx, &stmt, access::policy_row))
            .await
    }
}
