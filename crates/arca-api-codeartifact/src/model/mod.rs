//! Model-driven request router, binder and validator.
//!
//! The botocore CodeArtifact service model (documentation stripped, see
//! `model/NOTICE` and `tools/strip-model.py`) is embedded and parsed once.
//! From it this module
//!
//! * routes a request on its (HTTP method, path) pair to one of the 48
//!   operations ([`ServiceModel::route`]). Request URIs in this model have no
//!   labels, so routing is an exact match of the path (any `?query` suffix is
//!   ignored);
//! * binds the query string, headers and JSON body to the input members and
//!   validates every modeled constraint ([`OperationModel::bind`]);
//! * validates response JSON against output shapes
//!   ([`ServiceModel::validate_shape`], [`OperationModel::validate_output`]).
//!
//! # Binding rules
//!
//! * `querystring` members: wire name `locationName`; keys and values are
//!   percent-decoded, a literal `+` stays `+` (not a space). `name` and
//!   `name=` give the empty string. Unknown parameters are ignored.
//!   A scalar parameter given more than once is an error (`CANNOT_PARSE`) — no
//!   "first wins", so two parties (proxy, signer, server) can never disagree on
//!   which value counts.
//! * `header` members: `locationName` matched case-insensitively; repeated
//!   headers for a scalar member are an error as above; values must be UTF-8.
//! * Members without location: keys of the JSON body object. An empty or
//!   all-whitespace body is `{}`; unknown keys (at any depth) are ignored; a JSON
//!   `null` member is treated as absent. A body that is not JSON or not an
//!   object, or a value of the wrong JSON type (e.g. `"maxResults": "5"`,
//!   `1.5` for an integer) is `CANNOT_PARSE`. The body is only read by
//!   operations that have JSON body members.
//! * The streaming blob payload (`PublishPackageVersion.assetContent`) is not
//!   bound and its `required` is not checked: the body stays a stream for the
//!   caller (pass an empty slice as `body`).
//! * Text scalars: booleans `true`/`false` exactly; integers/longs decimal
//!   (optional sign, range-checked); timestamps epoch seconds or RFC 3339
//!   (none occur in the input shapes).
//!
//! Parse problems are reported before (and instead of) constraint violations,
//! all of them at once. Constraint violations are all collected too.
//!
//! # Violation paths and messages
//!
//! Coral format: `Value '<v>' at '<path>' failed to satisfy constraint: <text>`,
//! joined with `; ` after `N validation error(s) detected: `.
//! Paths use model member names: `domain`, `restrictions.publish`,
//! `tags.1.member.key` (1-based list index). Maps: a value is at
//! `<map>.<key>` (e.g. `versionRevisions.1.0`); a key that violates its
//! shape is reported once per key at `<map>` with the key as value and the
//! Coral map text `Map keys must satisfy constraint: [<text>, <text>]`.
//! Values longer than 256 characters are cut to their first 256 characters
//! followed by `...(truncated, N characters)`; values of `sensitive` shapes are
//! shown as `*** Sensitive Data Redacted ***`.

mod bind;
mod error;
mod java_regex;
mod shapes;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use http::{HeaderMap, Method};
use serde_json::{Map, Value};

pub use error::{
    render_text, BindError, Reason, RouteError, Violation, ViolationKind, MAX_RENDERED_VALUE_CHARS,
    REDACTED,
};

use shapes::{Location, RawModel, ShapeId, ShapeKind, Shapes};
use validate::Validator;

/// The embedded, documentation-free botocore model.
pub const MODEL_JSON: &str = include_str!("../../model/codeartifact-2018-09-22.json");

/// The parsed CodeArtifact service model.
pub struct ServiceModel {
    api_version: String,
    protocol: String,
    signing_name: String,
    service_id: String,
    endpoint_prefix: String,
    shapes: Arc<Shapes>,
    /// Sorted by name.
    operations: Vec<OperationModel>,
    by_name: HashMap<String, usize>,
    /// By path, then method: looked up with the request's path as it is (no key to build).
    routes: HashMap<String, Vec<(Method, usize)>>,
}

impl fmt::Debug for ServiceModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceModel")
            .field("api_version", &self.api_version)
            .field("operations", &self.operations.len())
            .field("shapes", &self.shapes)
            .finish()
    }
}

/// One operation of the model.
pub struct OperationModel {
    name: String,
    method: Method,
    request_uri: String,
    response_code: u16,
    input: Option<ShapeId>,
    output: Option<ShapeId>,
    errors: Vec<String>,
    idempotent: bool,
    streaming_input_member: Option<String>,
    has_body_members: bool,
    shapes: Arc<Shapes>,
}

impl fmt::Debug for OperationModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperationModel")
            .field("name", &self.name)
            .field("method", &self.method)
            .field("request_uri", &self.request_uri)
            .finish()
    }
}

/// The embedded service model, parsed on first use.
///
/// # Panics
/// If the embedded model is malformed (covered by the tests).
pub fn service_model() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::from_json(MODEL_JSON)
            .unwrap_or_else(|e| panic!("embedded CodeArtifact model is invalid: {e}"))
    })
}

impl ServiceModel {
    fn from_json(json: &str) -> Result<ServiceModel, String> {
        let raw: RawModel = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let shapes = Arc::new(shapes::build_shapes(&raw.shapes)?);

        let mut operations = Vec::with_capacity(raw.operations.0.len());
        for (key, op) in &raw.operations.0 {
            if key != &op.name {
                return Err(format!("operation {key} is named {}", op.name));
            }
            let method = Method::from_bytes(op.http.method.as_bytes())
                .map_err(|e| format!("operation {key}: bad method: {e}"))?;
            let uri = &op.http.request_uri;
            if uri.contains(['{', '}', '?']) || !uri.starts_with('/') {
                return Err(format!(
                    "operation {key}: request URI {uri:?} has labels or a query; \
                     only literal paths are supported"
                ));
            }
            let resolve = |r: &Option<shapes::RawRef>| -> Result<Option<ShapeId>, String> {
                match r {
                    None => Ok(None),
                    Some(r) => shapes
                        .id(&r.shape)
                        .map(Some)
                        .ok_or_else(|| format!("operation {key}: unknown shape {}", r.shape)),
                }
            };
            let input = resolve(&op.input)?;
            let output = resolve(&op.output)?;

            let mut streaming_input_member = None;
            let mut has_body_members = false;
            if let Some(id) = input {
                let s = shapes.get(id);
                let ShapeKind::Structure { members, payload } = &s.kind else {
                    return Err(format!(
                        "operation {key}: input {} is not a structure",
                        s.name
                    ));
                };
                for m in members {
                    let target = shapes.get(m.shape);
                    match m.location {
                        Location::Uri => {
                            let m = &m.name;
                            return Err(format!("operation {key}: member {m} is bound to the URI"));
                        }
                        Location::Body => {
                            let is_payload = payload.as_deref() == Some(m.name.as_str());
                            if is_payload && target.streaming {
                                streaming_input_member = Some(m.name.clone());
                            } else if is_payload
                                && !matches!(target.kind, ShapeKind::Structure { .. })
                            {
                                return Err(format!(
                                    "operation {key}: non-streaming {} payload {} is not supported",
                                    target.type_name(),
                                    m.name
                                ));
                            } else {
                                has_body_members = true;
                            }
                        }
                        Location::Query | Location::Header => {
                            let scalar_list = match target.kind {
                                ShapeKind::List { member } => shapes.get(member).is_scalar(),
                                _ => false,
                            };
                            if !target.is_scalar() && !scalar_list {
                                return Err(format!(
                                    "operation {key}: {} member {} cannot be bound from text",
                                    target.type_name(),
                                    m.name
                                ));
                            }
                        }
                    }
                }
            }

            operations.push(OperationModel {
                name: op.name.clone(),
                method,
                request_uri: uri.clone(),
                response_code: op.http.response_code.unwrap_or(200),
                input,
                output,
                errors: op.errors.iter().map(|e| e.shape.clone()).collect(),
                idempotent: op.idempotent,
                streaming_input_member,
                has_body_members,
                shapes: Arc::clone(&shapes),
            });
        }
        operations.sort_by(|a, b| a.name.cmp(&b.name));

        let mut by_name = HashMap::new();
        let mut routes: HashMap<String, Vec<(Method, usize)>> = HashMap::new();
        for (i, op) in operations.iter().enumerate() {
            by_name.insert(op.name.clone(), i);
            let methods = routes.entry(op.request_uri.clone()).or_default();
            if let Some(&(_, prev)) = methods.iter().find(|(m, _)| *m == op.method) {
                return Err(format!(
                    "operations {} and {} share {} {}",
                    operations[prev].name, op.name, op.method, op.request_uri
                ));
            }
            methods.push((op.method.clone(), i));
        }

        Ok(ServiceModel {
            api_version: raw.metadata.api_version,
            protocol: raw.metadata.protocol,
            signing_name: raw.metadata.signing_name,
            service_id: raw.metadata.service_id,
            endpoint_prefix: raw.metadata.endpoint_prefix,
            shapes,
            operations,
            by_name,
            routes,
        })
    }

    /// The operation bound to `method` and `path` (the URI path; anything from
    /// a `?` on is ignored). The match is exact: no trailing-slash or case
    /// folding, since AWS SDKs always send the literal model path.
    pub fn route(&self, method: &Method, path: &str) -> Result<&OperationModel, RouteError> {
        let bare = path.split_once('?').map_or(path, |(p, _)| p);
        self.routes
            .get(bare)
            .and_then(|methods| methods.iter().find(|(m, _)| m == method))
            .map(|&(_, i)| &self.operations[i])
            .ok_or_else(|| RouteError::UnknownOperation {
                method: method.clone(),
                path: bare.to_string(),
            })
    }

    /// All operations, sorted by name.
    pub fn operations(&self) -> impl Iterator<Item = &OperationModel> {
        self.operations.iter()
    }

    /// The operation with this exact name (e.g. `"DescribePackageVersion"`).
    pub fn operation(&self, name: &str) -> Option<&OperationModel> {
        self.by_name.get(name).map(|&i| &self.operations[i])
    }

    /// Whether the model defines a shape with this name.
    pub fn has_shape(&self, name: &str) -> bool {
        self.shapes.id(name).is_some()
    }

    /// Validates a JSON value against the named shape, strictly: object keys
    /// must be member names of the structure, JSON types must match (strings,
    /// integers, booleans, timestamps as epoch-second numbers, objects for
    /// structures and maps, arrays for lists), required members must be
    /// present and every constraint (length, pattern, enum, range) must hold.
    /// JSON `null` members count as absent; streaming members are skipped.
    ///
    /// An unknown `shape_name` yields one violation at path `''`.
    pub fn validate_shape(&self, shape_name: &str, value: &Value) -> Vec<Violation> {
        let Some(id) = self.shapes.id(shape_name) else {
            return vec![Violation::constraint(
                "",
                None,
                format!("Shape {shape_name} is not defined in the model"),
            )];
        };
        let mut v = Validator::new(&self.shapes, true);
        v.value(id, value, "", false);
        v.out
    }

    /// `apiVersion` of the model, `2018-09-22`.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// `protocol` of the model, `rest-json`.
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// SigV4 signing name, `codeartifact`.
    pub fn signing_name(&self) -> &str {
        &self.signing_name
    }

    /// `serviceId`, `codeartifact`.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// `endpointPrefix`, `codeartifact`.
    pub fn endpoint_prefix(&self) -> &str {
        &self.endpoint_prefix
    }
}

impl OperationModel {
    /// The operation name, e.g. `"DescribePackageVersion"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// HTTP method of the operation.
    pub fn http_method(&self) -> &Method {
        &self.method
    }

    /// The literal request path, e.g. `/v1/package/version`.
    pub fn request_uri(&self) -> &str {
        &self.request_uri
    }

    /// Success status code (200 for every operation of this model).
    pub fn response_code(&self) -> u16 {
        self.response_code
    }

    /// Name of the input shape, e.g. `DescribePackageVersionRequest`.
    pub fn input_shape(&self) -> Option<&str> {
        self.input.map(|id| self.shapes.get(id).name.as_str())
    }

    /// Name of the output shape, e.g. `DescribePackageVersionResult`.
    pub fn output_shape(&self) -> Option<&str> {
        self.output.map(|id| self.shapes.get(id).name.as_str())
    }

    /// Names of the modeled error shapes, in model order.
    pub fn errors(&self) -> impl Iterator<Item = &str> {
        self.errors.iter().map(String::as_str)
    }

    /// Whether the model marks the operation `idempotent`.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    /// True when the request body is a raw stream (only PublishPackageVersion).
    pub fn has_streaming_input(&self) -> bool {
        self.streaming_input_member.is_some()
    }

    /// The member the streaming request body belongs to (`assetContent`).
    pub fn streaming_input_member(&self) -> Option<&str> {
        self.streaming_input_member.as_deref()
    }

    /// True when the input has members bound to the JSON body (so `bind`
    /// reads `body`).
    pub fn has_body_members(&self) -> bool {
        self.has_body_members
    }

    /// Binds and validates the request.
    ///
    /// `raw_query` is the raw (still percent-encoded) query string without the
    /// `?` (`uri.query()`); `body` is the complete request body for operations
    /// with JSON body members and is ignored otherwise (pass `&[]` for
    /// streaming operations).
    ///
    /// Returns a JSON object keyed by member name (`packageVersion`,
    /// `domainOwner`, `assetSHA256`…) holding typed values (strings, integers
    /// as JSON numbers, booleans, nested objects/arrays/maps), ready for serde
    /// deserialization. Absent optional members are absent from the map.
    pub fn bind(
        &self,
        raw_query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Map<String, Value>, BindError> {
        match self.input {
            None => Ok(Map::new()),
            Some(input) => bind::bind(&self.shapes, input, raw_query, headers, body),
        }
    }

    /// Validates a response JSON (member names as keys, header members
    /// included under their member names, streaming payload left out) against
    /// the output shape, strictly as [`ServiceModel::validate_shape`] does.
    pub fn validate_output(&self, value: &Value) -> Vec<Violation> {
        let Some(id) = self.output else {
            return Vec::new();
        };
        let mut v = Validator::new(&self.shapes, true);
        v.value(id, value, "", false);
        v.out
    }
}
