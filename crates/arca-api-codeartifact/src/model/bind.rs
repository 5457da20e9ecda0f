//! Binding of the HTTP request parts (query string, headers, JSON body) to
//! the members of an operation's input shape.

use std::borrow::Cow;

use http::HeaderMap;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Number, Value};

use super::error::{render_json, render_text, BindError, Reason, Violation};
use super::shapes::{Location, Member, ShapeId, ShapeKind, Shapes};
use super::validate::{join, list_element, Validator};

/// One decoded query value. `text` is lossy when the percent-decoded bytes
/// were not UTF-8 (`utf8 == false`); borrowed from the query when nothing
/// in it was escaped.
struct QueryValue<'q> {
    text: Cow<'q, str>,
    utf8: bool,
}

/// Splits and percent-decodes a raw query string, in order. `+` stays a
/// literal plus. Keys that do not decode to UTF-8 are dropped (no member can
/// have them). A list rather than a map: a request has a handful of
/// parameters, and each member looks its values up by comparing names.
fn parse_query(raw: &str) -> Vec<(Cow<'_, str>, QueryValue<'_>)> {
    let mut out = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let Ok(key) = percent_decode_str(k).decode_utf8() else {
            continue;
        };
        let value = match percent_decode_str(v).decode_utf8() {
            Ok(text) => QueryValue { text, utf8: true },
            Err(_) => QueryValue {
                text: percent_decode_str(v).decode_utf8_lossy(),
                utf8: false,
            },
        };
        out.push((key, value));
    }
    out
}

/// Parses the request body as a JSON object. An empty (or all-whitespace)
/// body is `{}`.
fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Violation> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(Violation::parse(
            "",
            None,
            format!("must be a JSON object, not {}", json_type(&other)),
        )),
        Err(e) => Err(Violation::parse(
            "",
            None,
            format!("is not valid JSON: {e}"),
        )),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) struct Binder<'a> {
    shapes: &'a Shapes,
    errors: Vec<Violation>,
}

impl<'a> Binder<'a> {
    fn parse_error(&mut self, path: &str, value: Option<String>, what: impl Into<String>) {
        self.errors.push(Violation::parse(path, value, what));
    }

    /// Parses a query/header text into the scalar type of shape `id`.
    fn text_value(&mut self, id: ShapeId, text: &str, path: &str) -> Option<Value> {
        let shape = self.shapes.get(id);
        let shown = || Some(render_text(text));
        let parsed = match shape.kind {
            ShapeKind::String | ShapeKind::Blob => Some(Value::String(text.to_string())),
            ShapeKind::Integer => text.parse::<i32>().ok().map(Value::from),
            ShapeKind::Long => text.parse::<i64>().ok().map(Value::from),
            ShapeKind::Float | ShapeKind::Double => text
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number),
            ShapeKind::Boolean => match text {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            ShapeKind::Timestamp => parse_timestamp(text),
            ShapeKind::Structure { .. } | ShapeKind::List { .. } | ShapeKind::Map { .. } => {
                self.parse_error(
                    path,
                    shown(),
                    format!("cannot be bound from text (a {} member)", shape.type_name()),
                );
                return None;
            }
        };
        if parsed.is_none() {
            let what = match shape.kind {
                ShapeKind::Integer => "could not be parsed as an integer",
                ShapeKind::Long => "could not be parsed as a long integer",
                ShapeKind::Float | ShapeKind::Double => "could not be parsed as a number",
                ShapeKind::Boolean => "could not be parsed as a boolean (expected true or false)",
                _ => "could not be parsed as a timestamp",
            };
            self.parse_error(path, shown(), what);
        }
        parsed
    }

    /// Binds one query or header member from its textual values.
    fn text_member<T: AsRef<str>>(
        &mut self,
        m: &Member,
        values: &[(T, bool)],
        source: &str,
    ) -> Option<Value> {
        if values.is_empty() {
            return None;
        }
        if let Some((bad, _)) = values.iter().find(|(_, utf8)| !utf8) {
            self.parse_error(
                &m.name,
                Some(render_text(bad.as_ref())),
                format!("could not be parsed: the {source} value is not valid UTF-8"),
            );
            return None;
        }
        let shape = self.shapes.get(m.shape);
        if let ShapeKind::List { member } = shape.kind {
            let mut items = Vec::new();
            for (i, (text, _)) in values.iter().enumerate() {
                items.push(self.text_value(member, text.as_ref(), &list_element(&m.name, i))?);
            }
            return Some(Value::Array(items));
        }
        if values.len() > 1 {
            self.parse_error(
                &m.name,
                Some(render_text(values[0].0.as_ref())),
                format!(
                    "could not be parsed: the {source} '{}' was given {} times, but it takes a single value",
                    m.location_name,
                    values.len()
                ),
            );
            return None;
        }
        self.text_value(m.shape, values[0].0.as_ref(), &m.name)
    }

    /// Converts a (non-null) JSON value to shape `id`, checking JSON types and
    /// dropping members the shape does not define. Null list elements and map
    /// values are kept (the validator reports them).
    fn json_value(&mut self, id: ShapeId, v: &Value, path: &str) -> Option<Value> {
        let shape = self.shapes.get(id);
        let ok = match &shape.kind {
            ShapeKind::Structure { members, .. } => {
                let Some(obj) = v.as_object() else {
                    return self.json_type_error(id, v, path);
                };
                let mut out = Map::new();
                for m in members {
                    if let Some(mv) = obj.get(&m.name).filter(|x| !x.is_null()) {
                        if let Some(c) = self.json_value(m.shape, mv, &join(path, &m.name)) {
                            out.insert(m.name.clone(), c);
                        }
                    }
                }
                return Some(Value::Object(out));
            }
            ShapeKind::List { member } => {
                let Some(items) = v.as_array() else {
                    return self.json_type_error(id, v, path);
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if item.is_null() {
                        out.push(Value::Null);
                    } else if let Some(c) = self.json_value(*member, item, &list_element(path, i)) {
                        out.push(c);
                    }
                }
                return Some(Value::Array(out));
            }
            ShapeKind::Map { value, .. } => {
                let Some(obj) = v.as_object() else {
                    return self.json_type_error(id, v, path);
                };
                let mut out = Map::new();
                for (k, item) in obj {
                    if item.is_null() {
                        out.insert(k.clone(), Value::Null);
                    } else if let Some(c) = self.json_value(*value, item, &join(path, k)) {
                        out.insert(k.clone(), c);
                    }
                }
                return Some(Value::Object(out));
            }
            ShapeKind::String | ShapeKind::Blob => v.is_string(),
            ShapeKind::Integer => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            ShapeKind::Long => v.as_i64().is_some(),
            ShapeKind::Float | ShapeKind::Double | ShapeKind::Timestamp => v.is_number(),
            ShapeKind::Boolean => v.is_boolean(),
        };
        if ok {
            Some(v.clone())
        } else {
            self.json_type_error(id, v, path)
        }
    }

    fn json_type_error(&mut self, id: ShapeId, v: &Value, path: &str) -> Option<Value> {
        let shape = self.shapes.get(id);
        let expected = match shape.kind {
            ShapeKind::String | ShapeKind::Blob => "a JSON string",
            ShapeKind::Integer => "a 32-bit integer",
            ShapeKind::Long => "a 64-bit integer",
            ShapeKind::Float | ShapeKind::Double => "a number",
            ShapeKind::Timestamp => "a timestamp (epoch seconds)",
            ShapeKind::Boolean => "a JSON boolean",
            ShapeKind::Structure { .. } | ShapeKind::Map { .. } => "a JSON object",
            ShapeKind::List { .. } => "a JSON array",
        };
        self.parse_error(
            path,
            Some(render_json(v)),
            format!("could not be parsed as {expected}"),
        );
        None
    }
}

/// Epoch seconds (possibly fractional) or RFC 3339, as epoch seconds.
fn parse_timestamp(text: &str) -> Option<Value> {
    if let Ok(secs) = text.parse::<f64>() {
        return Number::from_f64(secs).map(Value::Number);
    }
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    let secs = t.unix_timestamp_nanos() as f64 / 1e9;
    Number::from_f64(secs).map(Value::Number)
}

/// Binds and validates the input of an operation. See
/// [`super::OperationModel::bind`].
pub(crate) fn bind(
    shapes: &Shapes,
    input: ShapeId,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, BindError> {
    let shape = shapes.get(input);
    let ShapeKind::Structure { members, payload } = &shape.kind else {
        return Ok(Map::new());
    };
    let mut b = Binder {
        shapes,
        errors: Vec::new(),
    };
    let mut out = Map::new();

    let query = if members.iter().any(|m| m.location == Location::Query) {
        parse_query(raw_query.unwrap_or(""))
    } else {
        Vec::new()
    };
    // The values of one query member at a time (one buffer for all of them).
    let mut query_values: Vec<(&str, bool)> = Vec::new();

    // The JSON body, parsed lazily on first use (only operations with JSON
    // body members read it).
    let mut body_obj: Option<Map<String, Value>> = None;
    let mut body_failed = false;

    for m in members {
        let target = shapes.get(m.shape);
        let bound = match m.location {
            Location::Query => {
                query_values.clear();
                query_values.extend(
                    query
                        .iter()
                        .filter(|(k, _)| *k == m.location_name)
                        .map(|(_, q)| (q.text.as_ref(), q.utf8)),
                );
                b.text_member(m, &query_values, "query parameter")
            }
            Location::Header => {
                let mut values: Vec<(String, bool)> = Vec::new();
                for hv in headers.get_all(m.location_name.as_str()) {
                    let (text, utf8) = match std::str::from_utf8(hv.as_bytes()) {
                        Ok(s) => (s.to_string(), true),
                        Err(_) => (String::from_utf8_lossy(hv.as_bytes()).into_owned(), false),
                    };
                    if matches!(target.kind, ShapeKind::List { .. }) {
                        values.extend(text.split(',').map(|s| (s.trim().to_string(), utf8)));
                    } else {
                        values.push((text, utf8));
                    }
                }
                b.text_member(m, &values, "header")
            }
            // The model has no URI labels; the loader rejects uri members.
            Location::Uri => None,
            Location::Body => {
                let is_payload = payload.as_deref() == Some(m.name.as_str());
                if is_payload && !matches!(target.kind, ShapeKind::Structure { .. }) {
                    // Streaming (or raw blob/string) payload: the body stays
                    // with the caller.
                    None
                } else {
                    if body_obj.is_none() && !body_failed {
                        match parse_body(body) {
                            Ok(obj) => body_obj = Some(obj),
                            Err(v) => {
                                b.errors.push(v);
                                body_failed = true;
                            }
                        }
                    }
                    match &body_obj {
                        None => None,
                        Some(obj) if is_payload => {
                            b.json_value(m.shape, &Value::Object(obj.clone()), &m.name)
                        }
                        Some(obj) => match obj.get(&m.name).filter(|v| !v.is_null()) {
                            None => None,
                            Some(v) => b.json_value(m.shape, v, &m.name),
                        },
                    }
                }
            }
        };
        if let Some(v) = bound {
            out.insert(m.name.clone(), v);
        }
    }

    if !b.errors.is_empty() {
        return Err(BindError {
            reason: Reason::CannotParse,
            violations: b.errors,
        });
    }

    let mut validator = Validator::new(shapes, false);
    validator.structure(input, &out, "", false);
    if !validator.out.is_empty() {
        return Err(BindError {
            reason: Reason::FieldValidationFailed,
            violations: validator.out,
        });
    }
    Ok(out)
}
