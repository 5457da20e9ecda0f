//! Property tests: `bind` never panics, agrees with the validator, and
//! accepts every value the name patterns allow.

use std::collections::BTreeSet;

use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::prelude::*;
use proptest::string::string_regex;
use serde_json::{Map, Number, Value};

use crate::model::shapes::Location;
use crate::model::{service_model, OperationModel, Reason, ViolationKind};

fn ops() -> Vec<&'static OperationModel> {
    service_model().operations().collect()
}

/// Query parameter names and header names used anywhere in the model, plus
/// every member name (JSON keys).
fn wire_names() -> (Vec<String>, Vec<String>, Vec<String>) {
    let shapes = &service_model().shapes;
    let mut query = BTreeSet::new();
    let mut header = BTreeSet::new();
    let mut members = BTreeSet::new();
    for s in &shapes.shapes {
        for m in s.members() {
            members.insert(m.name.clone());
            match m.location {
                Location::Query => {
                    query.insert(m.location_name.clone());
                }
                Location::Header => {
                    header.insert(m.location_name.clone());
                }
                _ => {}
            }
        }
    }
    (
        query.into_iter().collect(),
        header.into_iter().collect(),
        members.into_iter().collect(),
    )
}

/// Checks the invariants of one `bind` call.
fn check(op: &OperationModel, query: Option<&str>, headers: &HeaderMap, body: &[u8]) {
    match op.bind(query, headers, body) {
        Ok(bound) => {
            // Whatever bind accepts, the strict validator accepts too: only
            // model member names, right types, all constraints hold.
            let v =
                service_model().validate_shape(op.input_shape().unwrap(), &Value::Object(bound));
            assert!(
                v.is_empty(),
                "{}: bound value fails validation: {v:?}",
                op.name()
            );
        }
        Err(e) => {
            assert!(!e.violations.is_empty());
            let want = match e.reason {
                Reason::CannotParse => ViolationKind::Parse,
                Reason::FieldValidationFailed => ViolationKind::Constraint,
            };
            assert!(e.violations.iter().all(|v| v.kind == want));
            let m = e.message();
            assert!(!m.is_empty());
            if e.reason == Reason::FieldValidationFailed {
                let n = e.violations.len();
                assert!(m.starts_with(&format!("{n} validation error")), "{m}");
            }
        }
    }
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9%+ ./#@:-]{0,20}",
        any::<String>().prop_map(|s| enc(&s)),
        "-?[0-9]{1,12}",
        Just("true".to_string()),
        Just("false".to_string()),
        "%[0-9A-Fa-f]{2}(%[0-9A-Fa-f]{2}){0,5}",
        Just(String::new()),
    ]
}

/// A query string made of model parameter names with arbitrary values,
/// sometimes repeated, sometimes with garbage keys.
fn model_query() -> impl Strategy<Value = String> {
    let (query, _, _) = wire_names();
    let key = prop_oneof![
        4 => prop::sample::select(query),
        1 => "[a-zA-Z%=-]{0,6}",
    ];
    prop::collection::vec((key, query_value(), any::<bool>()), 0..14).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v, with_eq)| if with_eq { format!("{k}={v}") } else { k })
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn json_key() -> impl Strategy<Value = String> {
    let (_, _, members) = wire_names();
    prop_oneof![
        4 => prop::sample::select(members),
        1 => any::<String>(),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0i64..2000).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        "[a-zA-Z0-9 ./#@:_-]{0,12}".prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop::sample::select(vec![
            "npm",
            "Published",
            "ALLOW",
            "BLOCK",
            "PUBLISH",
            "EXTERNAL_UPSTREAM",
            "1.0",
            "my-repo",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((json_key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn arb_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        prop::collection::vec((json_key(), arb_json()), 0..8).prop_map(|kv| {
            serde_json::to_vec(&Value::Object(kv.into_iter().collect::<Map<_, _>>())).unwrap()
        }),
        arb_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
    ]
}

fn arb_headers() -> impl Strategy<Value = HeaderMap> {
    let (_, header, _) = wire_names();
    let name = prop_oneof![
        3 => prop::sample::select(header),
        1 => Just("content-type".to_string()),
        1 => Just("X-Amz-Content-SHA256".to_string()),
    ];
    let value = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..80),
        "[0-9a-fA-F]{60,68}".prop_map(String::into_bytes),
    ];
    prop::collection::vec((name, value), 0..4).prop_map(|pairs| {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(n.as_bytes()),
                HeaderValue::from_bytes(&v),
            ) {
                h.append(n, v);
            }
        }
        h
    })
}

/// `default` cases per property, or `PROPTEST_CASES` for a longer run by hand
/// (`PROPTEST_CASES=100000 cargo test …`).
fn cases_or(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases_or(384)))]

    #[test]
    fn bind_never_panics_on_arbitrary_query_strings(i in 0usize..48, q in any::<String>()) {
        let op = ops()[i];
        check(op, Some(&q), &HeaderMap::new(), b"");
    }

    #[test]
    fn bind_never_panics_on_model_like_query_strings(i in 0usize..48, q in model_query(), h in arb_headers()) {
        let op = ops()[i];
        check(op, Some(&q), &h, b"{}");
    }

    #[test]
    fn bind_never_panics_on_arbitrary_bodies(i in 0usize..48, q in model_query(), body in arb_body()) {
        let op = ops()[i];
        check(op, Some(&q), &HeaderMap::new(), &body);
    }

    #[test]
    fn bind_never_panics_on_arbitrary_header_values(i in 0usize..48, h in arb_headers()) {
        let op = ops()[i];
        check(op, None, &h, b"");
        check(op, Some("domain=my-domain&repository=my-repo&format=generic&namespace=n&package=p&version=1&asset=a"), &h, b"");
    }

    #[test]
    fn generated_valid_names_are_accepted(
        domain in string_regex(r"[a-z][a-z0-9\-]{0,48}[a-z0-9]").unwrap(),
        repository in string_regex(r"[A-Za-z0-9][A-Za-z0-9._\-]{1,99}").unwrap(),
        namespace in string_regex(r"[^#/ \t\n\x0B\x0C\r]{1,255}").unwrap(),
        package in string_regex(r"[^#/ \t\n\x0B\x0C\r]{1,255}").unwrap(),
        format in prop::sample::select(vec!["npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"]),
    ) {
        let op = service_model().operation("DescribePackage").unwrap();
        let q = format!(
            "domain={}&repository={}&format={format}&namespace={}&package={}",
            enc(&domain), enc(&repository), enc(&namespace), enc(&package)
        );
        let bound = op.bind(Some(&q), &HeaderMap::new(), b"").map_err(|e| e.message());
        let expected: Map<String, Value> = [
            ("domain", domain.as_str()),
            ("repository", repository.as_str()),
            ("format", format),
            ("namespace", namespace.as_str()),
            ("package", package.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::from(v)))
        .collect();
        prop_assert_eq!(bound, Ok(expected));
    }

    #[test]
    fn names_with_a_forbidden_character_are_rejected(
        pre in "[a-z0-9]{0,5}",
        bad in prop::sample::select(vec!['#', '/', ' ', '\t', '\n', '\u{0B}', '\u{0C}', '\r']),
        post in "[a-z0-9]{0,5}",
    ) {
        let op = service_model().operation("DescribePackage").unwrap();
        let package = format!("{pre}{bad}{post}");
        let q = format!("domain=my-domain&repository=my-repo&format=npm&package={}", enc(&package));
        let e = op.bind(Some(&q), &HeaderMap::new(), b"").unwrap_err();
        prop_assert_eq!(e.reason, Reason::FieldValidationFailed);
        prop_assert_eq!(e.violations.len(), 1);
        prop_assert_eq!(e.violations[0].path.as_str(), "package");
    }
}
