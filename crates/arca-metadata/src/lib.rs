//! The metadata store interface: what Arca remembers about domains, repositories, packages, versions,
//! assets and tags, independent of any database.
//!
//! Architecture invariants:
//! - This crate knows neither HTTP nor SQL. Backends (`arca-metadata-sqlite`, later PostgreSQL) implement
//!   the traits; the service layer (`arca-service`) owns every rule and only talks to these traits.
//! - Writes that depend on what was read are compare-and-set: the caller states what it expects
//!   (a version absent, or at a given status and revision) and the backend applies the whole write in one
//!   transaction or fails with [`StoreError::PreconditionFailed`], after which the service re-reads and
//!   decides again. That keeps the rules in one place and the writes atomic on every backend.
//! - Lists are keyset-paginated on the documented orderings (byte order of names); callers ask for
//!   `limit + 1` rows to learn whether another page exists.

mod access;
mod audit;
mod epoch;
mod error;
mod model;
mod observed;
mod text;
mod traits;

pub use access::{AccessStore, PrincipalRow, ResourcePolicyRow};
pub use audit::{AuditFilter, AuditRow, AuditStore};
pub use epoch::{ChangeEpoch, ChangeFeed};
pub use error::{StoreError, StoreResult};
pub use model::*;
pub use observed::{CallObserver, Observed};
pub use text::{check_repository_update, check_tags, check_text};
pub use traits::*;
