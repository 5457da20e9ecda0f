//! Package groups and their allowed-repository lists (statements shared in
//! `arca_metadata_sql::groups`). Every write bumps the domain's group revision in its transaction.

use arca_metadata::{
    AllowedRepository, DomainPackage, GroupRestriction, NewPackageGroup, PackageFormat,
    PackageGroupOriginChange, PackageGroupRow, PackageGroupStore, StoreError, StoreResult,
};
use arca_metadata_sql::groups;
use arca_metadata_sql::is_foreign_key_violation;
use async_trait::async_trait;
use rusqlite::Connection;

use crate::sql::{backend, execute, fetch_all, fetch_classified, fetch_optional, unique_as};
use crate::{tags, SqliteStore};

/// The domain of `group_id`, its revision bumped; `NotFound` when the group is gone.
fn touch_domain_of(tx: &Connection, group_id: i64) -> StoreResult<()> {
    let domain_id = fetch_optional(tx, &groups::domain_of(group_id), |r| r.int("domain_id"))?
        .ok_or(StoreError::NotFound)?;
    execute(tx, &groups::bump_revision(domain_id)).map_err(backend)?;
    Ok(())
}

fn group_by_id(tx: &Connection, group_id: i64) -> StoreResult<PackageGroupRow> {
    fetch_optional(tx, &groups::by_id(group_id), groups::package_group_row)?
        .ok_or(StoreError::NotFound)
}

#[async_trait]
impl PackageGroupStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn package_groups_revision(&self, domain_id: i64) -> StoreResult<i64> {
        self.read(|c| fetch_optional(c, &groups::revision(domain_id), |r| r.int("revision")))?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn create_package_group(&self, new: &NewPackageGroup) -> StoreResult<PackageGroupRow> {
        new.check_text()?;
        let new = new.clone();
        self.write(move |tx| {
            let bumped = execute(tx, &groups::bump_revision(new.domain_id)).map_err(backend)?;
            if bumped == 0 {
                return Err(StoreError::NotFound);
            }
            let row = fetch_classified(
                tx,
                &groups::insert(&new),
                unique_as(StoreError::AlreadyExists),
                groups::package_group_row,
            )?
            .ok_or(StoreError::NotFound)?;
            tags::replace_all(tx, &new.arn, &new.tags)?;
            Ok(row)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn get_package_group(
        &self,
        domain_id: i64,
        pattern: &str,
    ) -> StoreResult<Option<PackageGroupRow>> {
        self.read(|c| {
            fetch_optional(
                c,
                &groups::by_pattern(domain_id, pattern),
                groups::package_group_row,
            )
        })
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn list_package_groups(
        &self,
        domain_id: i64,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<PackageGroupRow>> {
        self.read(|c| {
            fetch_all(
                c,
                &groups::page(domain_id, prefix, after, limit),
                groups::package_group_row,
            )
        })
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
        let update = groups::update_fields(group_id, contact_info, description);
        self.write(move |tx| {
            touch_domain_of(tx, group_id)?;
            if let Some(update) = update {
                execute(tx, &update).map_err(backend)?;
            }
            group_by_id(tx, group_id)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(group_id = group_id))]
    async fn update_package_group_origin(
        &self,
        group_id: i64,
        change: &PackageGroupOriginChange,
    ) -> StoreResult<PackageGroupRow> {
        let statements = groups::origin_change(group_id, change);
        self.write(move |tx| {
            touch_domain_of(tx, group_id)?;
            for s in &statements {
                execute(tx, s).map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::NotFound
                    } else {
                        backend(e)
                    }
                })?;
            }
            group_by_id(tx, group_id)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(group_id = group_id))]
    async fn delete_package_group(&self, group_id: i64, arn: &str) -> StoreResult<()> {
        let arn = arn.to_owned();
        self.write(move |tx| {
            touch_domain_of(tx, group_id)?;
            execute(tx, &groups::delete(group_id)).map_err(backend)?;
            tags::delete_all(tx, &arn)
        })
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
        self.read(|c| {
            fetch_all(
                c,
                &groups::allowed_page(group_id, restriction, after, limit),
                groups::name_row,
            )
        })
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn domain_allowed_repositories(
        &self,
        domain_id: i64,
    ) -> StoreResult<Vec<AllowedRepository>> {
        self.read(|c| fetch_all(c, &groups::domain_allowed(domain_id), groups::allowed_row))
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn list_domain_packages(
        &self,
        domain_id: i64,
        format: Option<PackageFormat>,
        after: Option<&DomainPackage>,
        limit: u32,
    ) -> StoreResult<Vec<DomainPackage>> {
        self.read(|c| {
            fetch_all(
                c,
                &groups::domain_packages(domain_id, format, after, limit),
                groups::domain_package_row,
            )
        })
    }
}
