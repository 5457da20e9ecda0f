//! Permission policies (`upstreams-formats-permissions.md` §C): the IAM grammar subset parsed and
//! validated (`document.rs`, conditions in `condition.rs`, the tag keys in `tags.rs`, wildcards in
//! `wildcard.rs`) and the evaluation of §C2 (`eval.rs`). Pure: no I/O; the service feeds it the
//! caller's identity, the action, the resource ARN, the request's and the resource's tags and the
//! two policies that apply.

mod condition;
mod document;
mod eval;
mod tags;
mod wildcard;

pub use condition::Context;
pub(crate) use condition::{is_tag_key, REQUEST_KEYS};
pub use document::{Policy, PolicyKind};
pub use eval::{evaluate, AccessRequest, Decision, Identity};
pub use tags::{fill_resource_tags, RequestTags};

/// The longest policy document AWS accepts, in characters.
pub const MAX_POLICY_CHARS: usize = 7168;

/// Why a policy document was refused: a sentence naming the part Arca cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(String);

impl PolicyError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    fn in_statement(self, index: usize) -> Self {
        Self(format!("statement {}: {}", index + 1, self.0))
    }
}

impl From<PolicyError> for crate::ServiceError {
    fn from(e: PolicyError) -> Self {
        crate::ServiceError::validation(format!("Invalid policy document: {e}."))
    }
}
