//! Errors of routing and binding, and the Coral-style violation messages.

use std::fmt;

/// A (method, path) pair that names no operation of the model.
///
/// Both "the path is known but not with this method" and "the path is
/// unknown" are reported this way (ValidationException, reason
/// `UNKNOWN_OPERATION`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("Unknown operation: no CodeArtifact operation is bound to {method} {path}")]
    UnknownOperation { method: http::Method, path: String },
}

/// The `ValidationException.reason` a [`BindError`] maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A query/header value, or the JSON body, could not be parsed into the
    /// modeled type (`CANNOT_PARSE`).
    CannotParse,
    /// The request parsed but violates a modeled constraint
    /// (`FIELD_VALIDATION_FAILED`).
    FieldValidationFailed,
}

impl Reason {
    /// The `ValidationExceptionReason` enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::CannotParse => "CANNOT_PARSE",
            Reason::FieldValidationFailed => "FIELD_VALIDATION_FAILED",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of problem a [`Violation`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViolationKind {
    /// A modeled constraint does not hold. Rendered
    /// `Value 'v' at 'path' failed to satisfy constraint: <constraint>`.
    Constraint,
    /// The value could not be parsed into the modeled type. Rendered
    /// `Value 'v' at 'path' <constraint>` (e.g. `… could not be parsed as an integer`),
    /// or `The request body <constraint>` when `path` is empty.
    Parse,
}

/// Longest value (in Unicode scalar values) echoed verbatim in a message.
pub const MAX_RENDERED_VALUE_CHARS: usize = 256;

/// Text shown instead of the value of a `sensitive` shape.
pub const REDACTED: &str = "*** Sensitive Data Redacted ***";

/// One problem with one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: ViolationKind,
    /// Member path using model member names: `domain`, `tags.1.member.key`
    /// (1-based list index), `versionRevisions.1.0` (map value under key `1.0`).
    /// Empty for the request body as a whole.
    pub path: String,
    /// The offending value, already rendered for a message (truncated, or
    /// redacted for sensitive shapes). `None` renders as `Value null`.
    pub value: Option<String>,
    /// e.g. `Member must not be null`, `Member must have length less than or equal to 50`.
    pub constraint: String,
}

impl Violation {
    pub(crate) fn constraint(
        path: &str,
        value: Option<String>,
        constraint: impl Into<String>,
    ) -> Self {
        Violation {
            kind: ViolationKind::Constraint,
            path: path.to_string(),
            value,
            constraint: constraint.into(),
        }
    }

    pub(crate) fn parse(path: &str, value: Option<String>, what: impl Into<String>) -> Self {
        Violation {
            kind: ViolationKind::Parse,
            path: path.to_string(),
            value,
            constraint: what.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ViolationKind::Parse && self.path.is_empty() {
            return write!(f, "The request body {}", self.constraint);
        }
        match &self.value {
            Some(v) => write!(f, "Value '{v}' at '{}'", self.path)?,
            None => write!(f, "Value null at '{}'", self.path)?,
        }
        match self.kind {
            ViolationKind::Constraint => {
                write!(f, " failed to satisfy constraint: {}", self.constraint)
            }
            ViolationKind::Parse => write!(f, " {}", self.constraint),
        }
    }
}

/// Renders a string value for a message: verbatim up to
/// [`MAX_RENDERED_VALUE_CHARS`] characters, otherwise the first
/// [`MAX_RENDERED_VALUE_CHARS`] followed by `...(truncated, N characters)`.
pub fn render_text(s: &str) -> String {
    match s.char_indices().nth(MAX_RENDERED_VALUE_CHARS) {
        None => s.to_string(),
        Some((cut, _)) => format!(
            "{}...(truncated, {} characters)",
            &s[..cut],
            s.chars().count()
        ),
    }
}

/// Renders a JSON value: strings without quotes, everything else as compact JSON.
pub(crate) fn render_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => render_text(s),
        other => render_text(&other.to_string()),
    }
}

/// Binding or validation of a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindError {
    pub reason: Reason,
    /// All problems found, in model member order. Never empty.
    pub violations: Vec<Violation>,
}

impl BindError {
    /// The ValidationException message.
    ///
    /// * `FIELD_VALIDATION_FAILED`: `N validation error(s) detected: <v1>; <v2>`
    ///   (Coral format).
    /// * `CANNOT_PARSE`: `Unable to parse request: <v1>; <v2>`.
    pub fn message(&self) -> String {
        let joined = self
            .violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        match self.reason {
            Reason::FieldValidationFailed => {
                let n = self.violations.len();
                let noun = if n == 1 { "error" } else { "errors" };
                format!("{n} validation {noun} detected: {joined}")
            }
            Reason::CannotParse => format!("Unable to parse request: {joined}"),
        }
    }
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for BindError {}
