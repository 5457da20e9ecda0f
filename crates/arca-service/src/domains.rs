//! CreateDomain, DescribeDomain, ListDomains, DeleteDomain — and resolving a domain for every other
//! operation.

use arca_metadata::{DomainRow, NewDomain, StoreError};
use serde::{Deserialize, Serialize};

use crate::{
    arn, now_ms, page_size, split_page, Caller, DomainDescription, DomainRef, Page, ResourceType,
    Service, ServiceError, ServiceResult,
};

#[derive(Serialize, Deserialize)]
struct DomainCursor {
    after: String,
}

pub(crate) fn domain_not_found(name: &str, owner: &str) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Domain,
        name,
        format!("Domain not found: {name} (owner {owner})"),
    )
}

impl Service {
    /// Finds a domain the caller can see; another account's domain is "not found".
    pub(crate) async fn resolve_domain(
        &self,
        caller: &Caller,
        d: &DomainRef,
    ) -> ServiceResult<DomainRow> {
        let owner = d.owner.as_deref().unwrap_or(&caller.account);
        crate::coords::check_text("domain owner", owner)?;
        crate::coords::check_text("domain name", &d.name)?;
        let not_found = || domain_not_found(&d.name, owner);
        if owner != caller.account && !caller.cross_account {
            return Err(not_found());
        }
        let key = format!("{owner}\0{}", d.name);
        self.kept
            .domains
            .get_or_load(key, || async {
                Ok::<_, ServiceError>(self.store.get_domain(owner, &d.name).await?)
            })
            .await?
            .ok_or_else(not_found)
    }

    pub(crate) fn domain_arn(&self, row: &DomainRow) -> String {
        arn::domain(&self.config.region, &row.owner, &row.name)
    }

    fn describe_row(&self, row: &DomainRow) -> DomainDescription {
        DomainDescription {
            name: row.name.clone(),
            owner: row.owner.clone(),
            arn: self.domain_arn(row),
            status: "Active",
            created_ms: row.created_ms,
            encryption_key: row.encryption_key.clone(),
            repository_count: None,
            asset_size_bytes: None,
        }
    }

    async fn describe_with_stats(&self, row: &DomainRow) -> ServiceResult<DomainDescription> {
        let stats = self.store.domain_stats(row.id).await?;
        Ok(DomainDescription {
            repository_count: Some(stats.repository_count),
            asset_size_bytes: Some(stats.asset_size_bytes),
            ..self.describe_row(row)
        })
    }

    pub async fn create_domain(
        &self,
        caller: &Caller,
        name: &str,
        encryption_key: Option<String>,
        tags: Vec<(String, String)>,
    ) -> ServiceResult<DomainDescription> {
        self.check_tag_count(&tags, name)?;
        let new = NewDomain {
            owner: caller.account.clone(),
            name: name.to_string(),
            created_ms: now_ms(),
            encryption_key,
            arn: arn::domain(&self.config.region, &caller.account, name),
            tags,
        };
        match self.store.create_domain(&new).await {
            Ok(row) => self.describe_with_stats(&row).await,
            Err(StoreError::AlreadyExists) => Err(ServiceError::conflict(
                ResourceType::Domain,
                name,
                format!("Domain already exists: {name}"),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn describe_domain(
        &self,
        caller: &Caller,
        d: &DomainRef,
    ) -> ServiceResult<DomainDescription> {
        let row = self.resolve_domain(caller, d).await?;
        self.describe_with_stats(&row).await
    }

    pub async fn list_domains(
        &self,
        caller: &Caller,
        max_results: Option<u32>,
        next_token: Option<&str>,
    ) -> ServiceResult<Page<DomainDescription>> {
        const OP: &str = "ListDomains";
        let limit = page_size(max_results, 50);
        let after = match next_token {
            Some(t) => Some(
                self.pager
                    .decode::<DomainCursor>(OP, &caller.account, t)?
                    .after,
            ),
            None => None,
        };
        let rows = self
            .store
            .list_domains(&caller.account, after.as_deref(), limit + 1)
            .await?;
        let (rows, more) = split_page(rows, limit);
        let next_token = match (more, rows.last()) {
            (true, Some(last)) => Some(self.pager.encode(
                OP,
                &caller.account,
                &DomainCursor {
                    after: last.name.clone(),
                },
            )),
            _ => None,
        };
        Ok(Page {
            items: rows.iter().map(|r| self.describe_row(r)).collect(),
            next_token,
        })
    }

    pub async fn delete_domain(
        &self,
        caller: &Caller,
        d: &DomainRef,
    ) -> ServiceResult<DomainDescription> {
        let row = self.resolve_domain(caller, d).await?;
        let mut desc = self.describe_with_stats(&row).await?;
        // The groups go with the domain; their tags, stored by ARN, are removed after it.
        let group_arns: Vec<String> = self
            .group_index(&row)
            .await?
            .groups
            .iter()
            .map(|g| self.group_arn(&row, &g.row.pattern))
            .collect();
        match self.store.delete_domain(row.id, &desc.arn).await {
            Ok(()) => {
                self.forget_tags(&group_arns).await?;
                desc.status = "Deleted";
                Ok(desc)
            }
            Err(StoreError::Conflict(_)) => Err(ServiceError::conflict(
                ResourceType::Domain,
                &row.name,
                format!(
                    "Domain {} cannot be deleted because it contains repositories. Delete them first.",
                    row.name
                ),
            )),
            Err(StoreError::NotFound) => Err(ServiceError::not_found(
                ResourceType::Domain,
                &row.name,
                format!("Domain not found: {}", row.name),
            )),
            Err(e) => Err(e.into()),
        }
    }
}
