//! Validation of (already typed) JSON values against model shapes.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::error::{render_json, render_text, Violation, REDACTED};
use super::shapes::{Shape, ShapeId, ShapeKind, Shapes};

/// Joins a member path: `a` + `b` → `a.b`; an empty parent yields `b` (borrowed: a top-level
/// member's path costs nothing).
pub(crate) fn join<'a>(path: &str, name: &'a str) -> Cow<'a, str> {
    if path.is_empty() {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("{path}.{name}"))
    }
}

/// Path of the `i`-th (0-based) element of a list: `tags.1.member`.
pub(crate) fn list_element(path: &str, i: usize) -> String {
    join(path, &format!("{}.member", i + 1)).into_owned()
}

pub(crate) struct Validator<'a> {
    shapes: &'a Shapes,
    /// Output mode: members not defined by a structure are violations.
    /// Input mode ignores them (the binder never produces any).
    strict: bool,
    pub out: Vec<Violation>,
}

impl<'a> Validator<'a> {
    pub(crate) fn new(shapes: &'a Shapes, strict: bool) -> Self {
        Validator {
            shapes,
            strict,
            out: Vec::new(),
        }
    }

    fn show(&self, v: &Value, sensitive: bool) -> Option<String> {
        Some(if sensitive {
            REDACTED.to_string()
        } else {
            render_json(v)
        })
    }

    fn push(&mut self, path: &str, v: &Value, sensitive: bool, constraint: String) {
        let shown = self.show(v, sensitive);
        self.out
            .push(Violation::constraint(path, shown, constraint));
    }

    fn null(&mut self, path: &str) {
        self.out
            .push(Violation::constraint(path, None, "Member must not be null"));
    }

    /// Validates a value (which may be JSON null) of shape `id` at `path`.
    pub(crate) fn value(&mut self, id: ShapeId, v: &Value, path: &str, sensitive: bool) {
        let shape = self.shapes.get(id);
        let sensitive = sensitive || shape.sensitive;
        if v.is_null() {
            self.null(path);
            return;
        }
        match &shape.kind {
            ShapeKind::Structure { .. } => match v.as_object() {
                Some(obj) => self.structure(id, obj, path, sensitive),
                None => self.type_mismatch(shape, v, path, sensitive),
            },
            ShapeKind::List { member } => match v.as_array() {
                Some(items) => {
                    self.collection_length(shape, items.len(), v, path, sensitive);
                    for (i, item) in items.iter().enumerate() {
                        self.value(*member, item, &list_element(path, i), sensitive);
                    }
                }
                None => self.type_mismatch(shape, v, path, sensitive),
            },
            ShapeKind::Map { key, value } => match v.as_object() {
                Some(obj) => {
                    self.collection_length(shape, obj.len(), v, path, sensitive);
                    let key_shape = self.shapes.get(*key);
                    for (k, item) in obj {
                        let key_value = Value::String(k.clone());
                        let broken = if type_ok(key_shape, &key_value) {
                            self.scalar_constraints(key_shape, &key_value)
                        } else {
                            vec![format!("Member must be of type {}", key_shape.type_name())]
                        };
                        if !broken.is_empty() {
                            let shown = if sensitive || key_shape.sensitive {
                                REDACTED.to_string()
                            } else {
                                render_text(k)
                            };
                            self.out.push(Violation::constraint(
                                path,
                                Some(shown),
                                format!(
                                    "Map keys must satisfy constraint: [{}]",
                                    broken.join(", ")
                                ),
                            ));
                        }
                        self.value(*value, item, &join(path, k), sensitive);
                    }
                }
                None => self.type_mismatch(shape, v, path, sensitive),
            },
            _ => {
                if shape.streaming {
                    return;
                }
                if !type_ok(shape, v) {
                    self.type_mismatch(shape, v, path, sensitive);
                    return;
                }
                for c in self.scalar_constraints(shape, v) {
                    self.push(path, v, sensitive, c);
                }
            }
        }
    }

    /// Validates the members of a structure given as a JSON object.
    pub(crate) fn structure(
        &mut self,
        id: ShapeId,
        obj: &Map<String, Value>,
        path: &str,
        sensitive: bool,
    ) {
        let shape = self.shapes.get(id);
        let sensitive = sensitive || shape.sensitive;
        for m in shape.members() {
            let target = self.shapes.get(m.shape);
            if target.streaming {
                // A streaming payload is never part of the JSON.
                continue;
            }
            let mpath = join(path, &m.name);
            match obj.get(&m.name).filter(|v| !v.is_null()) {
                None if m.required => self.null(&mpath),
                None => {}
                Some(v) => self.value(m.shape, v, &mpath, sensitive),
            }
        }
        if self.strict {
            for (k, v) in obj {
                if !shape.members().iter().any(|m| &m.name == k) {
                    self.push(
                        &join(path, k),
                        v,
                        sensitive,
                        format!("Member is not defined in shape {}", shape.name),
                    );
                }
            }
        }
    }

    fn type_mismatch(&mut self, shape: &Shape, v: &Value, path: &str, sensitive: bool) {
        self.push(
            path,
            v,
            sensitive,
            format!("Member must be of type {}", shape.type_name()),
        );
    }

    fn collection_length(
        &mut self,
        shape: &Shape,
        len: usize,
        v: &Value,
        path: &str,
        sensitive: bool,
    ) {
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        if let Some(min) = shape.min {
            if len < min {
                self.push(
                    path,
                    v,
                    sensitive,
                    format!("Member must have length greater than or equal to {min}"),
                );
            }
        }
        if let Some(max) = shape.max {
            if len > max {
                self.push(
                    path,
                    v,
                    sensitive,
                    format!("Member must have length less than or equal to {max}"),
                );
            }
        }
    }

    /// Constraint texts a well-typed scalar value violates, in the order:
    /// length min, length max, pattern, enum, value min, value max.
    fn scalar_constraints(&self, shape: &Shape, v: &Value) -> Vec<String> {
        let mut broken = Vec::new();
        match &shape.kind {
            ShapeKind::String => {
                let s = v.as_str().unwrap_or_default();
                let len = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
                if let Some(min) = shape.min {
                    if len < min {
                        broken.push(format!(
                            "Member must have length greater than or equal to {min}"
                        ));
                    }
                }
                if let Some(max) = shape.max {
                    if len > max {
                        broken.push(format!(
                            "Member must have length less than or equal to {max}"
                        ));
                    }
                }
                if let Some(p) = shape.pattern {
                    let p = &self.shapes.patterns[p];
                    if !p.regex.is_match(s) {
                        broken.push(format!(
                            "Member must satisfy regular expression pattern: {}",
                            p.java
                        ));
                    }
                }
                if let Some(values) = &shape.enum_values {
                    if !values.iter().any(|e| e == s) {
                        broken.push(format!(
                            "Member must satisfy enum value set: [{}]",
                            values.join(", ")
                        ));
                    }
                }
            }
            ShapeKind::Integer | ShapeKind::Long => {
                let n = v.as_i64().unwrap_or_default();
                if let Some(min) = shape.min {
                    if n < min {
                        broken.push(format!(
                            "Member must have value greater than or equal to {min}"
                        ));
                    }
                }
                if let Some(max) = shape.max {
                    if n > max {
                        broken.push(format!(
                            "Member must have value less than or equal to {max}"
                        ));
                    }
                }
            }
            ShapeKind::Float | ShapeKind::Double => {
                let n = v.as_f64().unwrap_or_default();
                if let Some(min) = shape.min {
                    if n < min as f64 {
                        broken.push(format!(
                            "Member must have value greater than or equal to {min}"
                        ));
                    }
                }
                if let Some(max) = shape.max {
                    if n > max as f64 {
                        broken.push(format!(
                            "Member must have value less than or equal to {max}"
                        ));
                    }
                }
            }
            ShapeKind::Blob => {
                // Length of a (base64) blob is not checked: it does not occur
                // in this model outside the streaming payload.
            }
            _ => {}
        }
        broken
    }
}

/// Whether a JSON value has the JSON type a scalar shape is bound to.
pub(crate) fn type_ok(shape: &Shape, v: &Value) -> bool {
    match shape.kind {
        ShapeKind::String | ShapeKind::Blob => v.is_string(),
        ShapeKind::Integer => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        ShapeKind::Long => v.as_i64().is_some(),
        ShapeKind::Float | ShapeKind::Double | ShapeKind::Timestamp => v.is_number(),
        ShapeKind::Boolean => v.is_boolean(),
        ShapeKind::Structure { .. } | ShapeKind::Map { .. } => v.is_object(),
        ShapeKind::List { .. } => v.is_array(),
    }
}
