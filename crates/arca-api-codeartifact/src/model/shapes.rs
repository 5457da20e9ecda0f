//! The parsed shape graph of the service model.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::marker::PhantomData;

use regex::Regex;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::java_regex;

pub(crate) type ShapeId = usize;
pub(crate) type PatternId = usize;

/// Where a top-level input/output member lives on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    /// JSON body (member name as key), or the payload when it is the payload member.
    Body,
    Query,
    Header,
    Uri,
}

#[derive(Debug)]
pub(crate) struct Member {
    pub name: String,
    pub shape: ShapeId,
    pub location: Location,
    /// Wire name for query/header/uri members (header names lowercased).
    pub location_name: String,
    pub required: bool,
}

#[derive(Debug)]
pub(crate) enum ShapeKind {
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp,
    Blob,
    Structure {
        members: Vec<Member>,
        payload: Option<String>,
    },
    List {
        member: ShapeId,
    },
    Map {
        key: ShapeId,
        value: ShapeId,
    },
}

#[derive(Debug)]
pub(crate) struct Shape {
    pub name: String,
    pub kind: ShapeKind,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub pattern: Option<PatternId>,
    pub enum_values: Option<Vec<String>>,
    pub sensitive: bool,
    pub streaming: bool,
}

impl Shape {
    pub(crate) fn members(&self) -> &[Member] {
        match &self.kind {
            ShapeKind::Structure { members, .. } => members,
            _ => &[],
        }
    }

    pub(crate) fn is_scalar(&self) -> bool {
        !matches!(
            self.kind,
            ShapeKind::Structure { .. } | ShapeKind::List { .. } | ShapeKind::Map { .. }
        )
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match self.kind {
            ShapeKind::String => "string",
            ShapeKind::Integer => "integer",
            ShapeKind::Long => "long",
            ShapeKind::Float => "float",
            ShapeKind::Double => "double",
            ShapeKind::Boolean => "boolean",
            ShapeKind::Timestamp => "timestamp",
            ShapeKind::Blob => "blob",
            ShapeKind::Structure { .. } => "structure",
            ShapeKind::List { .. } => "list",
            ShapeKind::Map { .. } => "map",
        }
    }
}

pub(crate) struct CompiledPattern {
    /// The pattern as written in the model (Java syntax); used in messages.
    pub java: String,
    pub regex: Regex,
}

/// All shapes, plus every distinct pattern compiled once.
pub(crate) struct Shapes {
    pub shapes: Vec<Shape>,
    pub by_name: HashMap<String, ShapeId>,
    pub patterns: Vec<CompiledPattern>,
}

impl fmt::Debug for Shapes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shapes")
            .field("shapes", &self.shapes.len())
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

impl Shapes {
    pub(crate) fn get(&self, id: ShapeId) -> &Shape {
        &self.shapes[id]
    }

    pub(crate) fn id(&self, name: &str) -> Option<ShapeId> {
        self.by_name.get(name).copied()
    }

    #[cfg(test)]
    pub(crate) fn distinct_patterns(&self) -> Vec<String> {
        self.patterns.iter().map(|p| p.java.clone()).collect()
    }
}

// ---------------------------------------------------------------------------
// Raw (serde) form of the botocore JSON
// ---------------------------------------------------------------------------

/// A JSON object deserialized into a vector, keeping document order.
pub(crate) struct Ordered<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = map.next_entry::<String, T>()? {
                    v.push((k, val));
                }
                Ok(Ordered(v))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawModel {
    pub metadata: RawMetadata,
    pub operations: Ordered<RawOperation>,
    pub shapes: Ordered<RawShape>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawMetadata {
    pub api_version: String,
    pub protocol: String,
    pub signing_name: String,
    pub service_id: String,
    pub endpoint_prefix: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawOperation {
    pub name: String,
    pub http: RawHttp,
    pub input: Option<RawRef>,
    pub output: Option<RawRef>,
    #[serde(default)]
    pub errors: Vec<RawRef>,
    #[serde(default)]
    pub idempotent: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawHttp {
    pub method: String,
    pub request_uri: String,
    pub response_code: Option<u16>,
}

#[derive(Deserialize)]
pub(crate) struct RawRef {
    pub shape: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawShape {
    #[serde(rename = "type")]
    pub ty: String,
    pub members: Option<Ordered<RawMember>>,
    #[serde(default)]
    pub required: Vec<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub pattern: Option<String>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    pub member: Option<RawRef>,
    pub key: Option<RawRef>,
    pub value: Option<RawRef>,
    pub payload: Option<String>,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub sensitive: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawMember {
    pub shape: String,
    pub location: Option<String>,
    pub location_name: Option<String>,
}

/// Resolves the raw shapes into a [`Shapes`] graph, compiling patterns.
pub(crate) fn build_shapes(raw: &Ordered<RawShape>) -> Result<Shapes, String> {
    let by_name: HashMap<String, ShapeId> = raw
        .0
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.clone(), i))
        .collect();
    let resolve = |owner: &str, r: &RawRef| -> Result<ShapeId, String> {
        by_name
            .get(&r.shape)
            .copied()
            .ok_or_else(|| format!("shape {owner} refers to unknown shape {}", r.shape))
    };

    let mut pattern_ids: HashMap<String, PatternId> = HashMap::new();
    let mut patterns: Vec<CompiledPattern> = Vec::new();
    let mut shapes = Vec::with_capacity(raw.0.len());

    for (name, rs) in &raw.0 {
        let need = |r: &Option<RawRef>, what: &str| -> Result<ShapeId, String> {
            let r = r
                .as_ref()
                .ok_or_else(|| format!("{} shape {name} has no {what}", rs.ty))?;
            resolve(name, r)
        };
        let kind = match rs.ty.as_str() {
            "string" => ShapeKind::String,
            "integer" => ShapeKind::Integer,
            "long" => ShapeKind::Long,
            "float" => ShapeKind::Float,
            "double" => ShapeKind::Double,
            "boolean" => ShapeKind::Boolean,
            "timestamp" => ShapeKind::Timestamp,
            "blob" => ShapeKind::Blob,
            "list" => ShapeKind::List {
                member: need(&rs.member, "member")?,
            },
            "map" => ShapeKind::Map {
                key: need(&rs.key, "key")?,
                value: need(&rs.value, "value")?,
            },
            "structure" => {
                let required: BTreeSet<&str> = rs.required.iter().map(String::as_str).collect();
                let mut members = Vec::new();
                if let Some(ms) = &rs.members {
                    for (mname, m) in &ms.0 {
                        let location = match m.location.as_deref() {
                            None => Location::Body,
                            Some("querystring") => Location::Query,
                            Some("header") => Location::Header,
                            Some("uri") => Location::Uri,
                            Some(other) => {
                                return Err(format!(
                                    "member {name}.{mname} has unsupported location {other:?}"
                                ))
                            }
                        };
                        let mut location_name =
                            m.location_name.clone().unwrap_or_else(|| mname.clone());
                        if location == Location::Header {
                            location_name = location_name.to_ascii_lowercase();
                        }
                        members.push(Member {
                            name: mname.clone(),
                            shape: resolve(
                                name,
                                &RawRef {
                                    shape: m.shape.clone(),
                                },
                            )?,
                            location,
                            location_name,
                            required: required.contains(mname.as_str()),
                        });
                    }
                }
                for r in &required {
                    if !members.iter().any(|m| m.name == *r) {
                        return Err(format!("shape {name} requires unknown member {r}"));
                    }
                }
                if let Some(p) = &rs.payload {
                    if !members.iter().any(|m| &m.name == p) {
                        return Err(format!("shape {name} has unknown payload member {p}"));
                    }
                }
                ShapeKind::Structure {
                    members,
                    payload: rs.payload.clone(),
                }
            }
            other => return Err(format!("shape {name} has unsupported type {other:?}")),
        };
        let pattern = match &rs.pattern {
            None => None,
            Some(p) => Some(match pattern_ids.get(p) {
                Some(&id) => id,
                None => {
                    let translated =
                        java_regex::translate(p).map_err(|e| format!("shape {name}: {e}"))?;
                    let regex = Regex::new(&translated).map_err(|e| {
                        format!("shape {name}: pattern {p:?} ({translated:?}): {e}")
                    })?;
                    patterns.push(CompiledPattern {
                        java: p.clone(),
                        regex,
                    });
                    pattern_ids.insert(p.clone(), patterns.len() - 1);
                    patterns.len() - 1
                }
            }),
        };
        shapes.push(Shape {
            name: name.clone(),
            kind,
            min: rs.min,
            max: rs.max,
            pattern,
            enum_values: rs.enum_values.clone(),
            sensitive: rs.sensitive,
            streaming: rs.streaming,
        });
    }
    Ok(Shapes {
        shapes,
        by_name,
        patterns,
    })
}
