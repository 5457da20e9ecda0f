//! Who may do what: principals and their secrets (`principals.rs`, `secrets.rs`), the one
//! authorization decision (`authorize.rs`, over the pure engine in [`crate::policy`]) and the six
//! permissions-policy operations (`policies.rs`).

mod audit;
mod authorize;
mod policies;
mod principals;
mod secrets;

pub use audit::AuditQuery;
pub(crate) use authorize::PolicyCache;
pub use authorize::Target;
pub use policies::{PolicyTarget, ResourcePolicy};
pub(crate) use principals::User;
pub use principals::{PrincipalInfo, PrincipalKey, PrincipalSpec};
pub(crate) use secrets::SecretSealer;
