//! Package groups and their allowed-repository lists (statements shared in
//! `arca_metadata_sql::groups`). Every write first bumps the domain's group revision, which also
//! locks the domain row (`FOR NO KEY UPDATE`): group writes of one domain run one after the other,
//! and none runs beside the domain's deletion (which locks the row `FOR UPDATE`).

use arca_metadata::{
    AllowedRepository, DomainPackage, GroupRestriction, NewPackageGroup, PackageFormat,
    PackageGroupOriginChange, PackageGroupRow, PackageGroupStore, StoreError, StoreResult,
};
use arca_metadata_sql::groups;
use async_trait::async_trait;
use sqlx::PgConnection;

use crate::sql::{
    backend, execute, fetch_all, fetch_one, fetch_optional, is_foreign_key_violation, unique_as,
};
use crate::{tags, PostgresStore};

/// Bumps the revision of the domain of `group_id` (locking it); `NotFound` when the group is gone.
async fn touch_domain_of(tx: &mut PgConnection, group_id: i64) -> StoreResult<()> {
    let domain_id = fetch_optional(&groups::domain_of(group_id), &mut *tx, |r| {
        r.int("domain_id")
    })
    .await?
    .ok_or(StoreError::NotFound)?;
    execute(&groups::bump_revision(domain_id), &mut *tx)
        .await
        .map_err(backend)?;
    Ok(())
}

async fn group_by_id(tx: &mut PgConnection, group_id: i64) -> StoreResult<PackageGroupRow> {
    fetch_optional(&groups::by_id(group_id), tx, groups::package_group_row)
        .await?
        .ok_or(StoreError::NotFound)
}

impl PostgresStore {
    async fn create_package_group_once(
        &self,
        new: &NewPackageGroup,
    ) -> StoreResult<PackageGroupRow> {
        let mut tx = self.write_tx().await?;
        let bumped = execute(&groups::bump_revision(new.domain_id), &mut *tx)
            .await
            .map_err(backend)?;
        if bumped == 0 {
            return Err(StoreError::NotFound);
        }
        let row = fetch_one(&groups::insert(new), &mut *tx)
            .await
            .map_err(unique_as(StoreError::AlreadyExists))?;
        let group = groups::package_group_row(&row)?;
        tags::replace_all(&mut tx, &new.arn, &new.tags).await?;
        tx.commit().await.map_err(backend)?;
        Ok(group)
    }

    async fn update_package_group_once(
        &self,
        group_id: i64,
        contact_info: Option<&str>,
        description: Option<&str>,
    ) -> StoreResult<PackageGroupRow> {
        let mut tx = self.write_tx().await?;
        touch_domain_of(&mut tx, group_id).await?;
        if let Some(update) = groups::update_fields(group_id, contact_info, description) {
            execute(&update, &mut *tx).await.map_err(backend)?;
        }
        let row = group_by_id(&mut tx, group_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(row)
    }

    async fn update_package_group_origin_once(
        &self,
        group_id: i64,
        change: &PackageGroupOriginChange,
    ) -> StoreResult<PackageGroupRow> {
        let mut tx = self.write_tx().await?;
        touch_domain_of(&mut tx, group_id).await?;
        for s in groups::origin_change(group_id, change) {
            execute(&s, &mut *tx).await.map_err(|e| {
                if is_foreign_key_violation(&e) {
                    StoreError::NotFound
                } else {
                    backend(e)
                }
            })?;
        }
        let row = group_by_id(&mut tx, group_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(row)
    }

    async fn delete_package_group_once(&self, group_id: i64, arn: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        touch_domain_of(&mut tx, group_id).await?;
        execute(&groups::delete(group_id), &mut *tx)
            .await
            .map_err(backend)?;
        tags::delete_all(&mut tx, arn).await?;
        tx.commit().await.map_err(backend)
    }
}

#[async_trait]
impl PackageGroupStore for PostgresStore {
    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn package_groups_revision(&self, domain_id: i64) -> StoreResult<i64> {
        fetch_optional(&groups::revision(domain_id), &self.pool, |r| {
            r.int("revision")
        })
        .await?
        .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn create_package_group(&self, new: &NewPackageGroup) -> StoreResult<PackageGroupRow> {
        new.check_text()?;
        self.retrying(|| self.create_package_group_once(new)).await
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn get_package_group(
        &self,
        domain_id: i64,
        pattern: &str,
    ) -> StoreResult<Option<PackageGroupRow>> {
        fetch_optional(
            &groups::by_pattern(domain_id, pattern),
            &self.pool,
            groups::package_group_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn list_package_groups(
        &self,
        domain_id: i64,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<PackageGroupRow>> {
        fetch_all(
            &groups::page(domain_id, prefix, after, limit),
            &self.pool,
            groups::package_group_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(group_id = group_id))]
    async fn update_package_group(
        &self,
        group_id: i64,
        contact_info: Option<&str>,
        description: Option<&str>,
    ) -> StoreResult<PackageGroupRow> {
        for text in [contact_info, description].into_iter().flatten() {
            arca_metadata::check_text("package group field", text)?;
        }
        self.retrying(|| self.update_package_group_once(group_id, contact_info, description))
            .await
    }

    #[tracing::instrument(skip_all, fields(group_id = group_id))]
    async fn update_package_group_origin(
        &self,
        group_id: i64,
        change: &PackageGroupOriginChange,
    ) -> StoreResult<PackageGroupRow> {
        self.retrying(|| self.update_package_group_origin_once(group_id, change))
            .await
    }

    #[tracing::instrument(skip_all, fields(group_id = group_id))]
    async fn delete_package_group(&self, group_id: i64, arn: &str) -> StoreResult<()> {
        self.retrying(|| self.delete_package_group_once(group_id, arn))
            .await
    }

    #[tracing::instrument(skip_all, fields(group_id = group_id))]
    async fn list_allowed_repositories(
        &self,
        group_id: i64,
        restriction: GroupRestriction,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<String>> {
        fetch_all(
            &groups::allowed_page(group_id, restriction, after, limit),
            &self.pool,
            groups::name_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn domain_allowed_repositories(
        &self,
        domain_id: i64,
    ) -> StoreResult<Vec<AllowedRepository>> {
        fetch_all(
            &groups::domain_allowed(domain_id),
            &self.pool,
            groups::allowed_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn list_domain_packages(
        &self,
        domain_id: i64,
        format: Option<PackageFormat>,
        after: Option<&DomainPackage>,
        limit: u32,
    ) -> StoreResult<Vec<DomainPackage>> {
        fetch_all(
            &groups::domain_packages(domain_id, format, after, limit),
            &self.pool,
            groups::domain_package_row,
        )
        .await
    }
}
