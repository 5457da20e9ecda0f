//! Upstreams and external connections: a native read that misses in a repository looks through its
//! upstream repositories and the external source of the repository that owns one, keeps what it
//! fetched, and merges indexes (`upstreams-formats-permissions.md` §A1–A5).
//!
//! - `connections`: the external connection names, their configured sources, associate/disassociate.
//! - [`Service::search_order`]: which repositories a read consults, in which order.

pub mod connections;

use std::collections::HashSet;

use arca_metadata::RepositoryRow;

use crate::{Service, ServiceResult};

impl Service {
    /// The repositories a native read of `start` consults, in order: `start`, then its upstreams
    /// depth-first in list order (a whole upstream subtree before the next sibling), each repository
    /// once (cycles and diamonds are safe), at most `max_searched_repositories` in all. The external
    /// connection of a repository is consulted where that repository stands in the order.
    pub(crate) async fn search_order(
        &self,
        start: &RepositoryRow,
    ) -> ServiceResult<Vec<RepositoryRow>> {
        let max = self.config.limits.max_searched_repositories.max(1);
        let mut order: Vec<RepositoryRow> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        // Names still to visit, the next one last; `start` is already loaded.
        let mut stack: Vec<String> = Vec::new();
        let mut next = Some(start.clone());
        loop {
            if let Some(repo) = next.take() {
                if seen.insert(repo.name.clone()) {
                    stack.extend(repo.upstreams.iter().rev().cloned());
                    order.push(repo);
                    if order.len() >= max {
                        break;
                    }
                }
            }
            let Some(name) = stack.pop() else {
                break;
            };
            if seen.contains(&name) {
                continue;
            }
            // An upstream cannot be deleted while listed, but a concurrent change may race: skip it.
            next = self.store.get_repository(start.domain_id, &name).await?;
        }
        Ok(order)
    }
}
