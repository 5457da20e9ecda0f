//! Properties of the embedded model that the router and binder rely on.
//! A botocore update that breaks one of them fails here first.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::model::{service_model, MODEL_JSON};

fn raw() -> Value {
    serde_json::from_str(MODEL_JSON).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn metadata_and_operation_count() {
    let m = service_model();
    assert_eq!(m.api_version(), "2018-09-22");
    assert_eq!(m.protocol(), "rest-json");
    assert_eq!(m.signing_name(), "codeartifact");
    assert_eq!(m.service_id(), "codeartifact");
    assert_eq!(m.endpoint_prefix(), "codeartifact");
    assert_eq!(m.operations().count(), 48);
}

#[test]
fn the_model_has_no_documentation_and_only_understood_keys() {
    assert!(!MODEL_JSON.contains("\"documentation\""));
    let raw = raw();
    let allowed_shape_keys: BTreeSet<&str> = [
        "type",
        "members",
        "required",
        "min",
        "max",
        "pattern",
        "enum",
        "member",
        "key",
        "value",
        "payload",
        "streaming",
        "sensitive",
        "error",
        "exception",
        "fault",
    ]
    .into();
    let allowed_member_keys: BTreeSet<&str> = ["shape", "location", "locationName"].into();
    for (name, shape) in raw["shapes"].as_object().unwrap() {
        for k in keys(shape) {
            assert!(
                allowed_shape_keys.contains(k.as_str()),
                "shape {name} has key {k}"
            );
        }
        if let Some(members) = shape.get("members") {
            for (mname, member) in members.as_object().unwrap() {
                for k in keys(member) {
                    assert!(
                        allowed_member_keys.contains(k.as_str()),
                        "member {name}.{mname} has key {k}"
                    );
                }
                if let Some(loc) = member.get("location") {
                    assert!(
                        ["querystring", "header"].contains(&loc.as_str().unwrap()),
                        "member {name}.{mname} has location {loc}"
                    );
                    assert!(member.get("locationName").is_some());
                }
            }
        }
    }
    for (name, op) in raw["operations"].as_object().unwrap() {
        for k in keys(op) {
            assert!(
                ["name", "http", "input", "output", "errors", "idempotent"].contains(&k.as_str()),
                "operation {name} has key {k}"
            );
        }
        assert_eq!(
            keys(&op["http"]),
            ["method", "requestUri"].map(String::from).into()
        );
        let uri = op["http"]["requestUri"].as_str().unwrap();
        assert!(!uri.contains('{') && !uri.contains('?'), "{name}: {uri}");
    }
}

#[test]
fn streaming_input_and_body_members() {
    let m = service_model();
    let streaming: Vec<&str> = m
        .operations()
        .filter(|o| o.has_streaming_input())
        .map(|o| o.name())
        .collect();
    assert_eq!(streaming, ["PublishPackageVersion"]);
    let body: Vec<&str> = m
        .operations()
        .filter(|o| o.has_body_members())
        .map(|o| o.name())
        .collect();
    assert_eq!(
        body,
        [
            "CopyPackageVersions",
            "CreateDomain",
            "CreatePackageGroup",
            "CreateRepository",
            "DeletePackageVersions",
            "DisposePackageVersions",
            "ListDomains",
            "PutDomainPermissionsPolicy",
            "PutPackageOriginConfiguration",
            "PutRepositoryPermissionsPolicy",
            "TagResource",
            "UntagResource",
            "UpdatePackageGroup",
            "UpdatePackageGroupOriginConfiguration",
            "UpdatePackageVersionsStatus",
            "UpdateRepository",
        ]
    );
    let idempotent: Vec<&str> = m
        .operations()
        .filter(|o| o.is_idempotent())
        .map(|o| o.name())
        .collect();
    assert_eq!(
        idempotent,
        [
            "DeletePackageGroup",
            "UpdatePackageGroup",
            "UpdatePackageGroupOriginConfiguration"
        ]
    );
}

#[test]
fn every_operation_has_input_and_output_and_validation_errors() {
    for op in service_model().operations() {
        assert!(op.input_shape().is_some(), "{}", op.name());
        assert!(op.output_shape().is_some(), "{}", op.name());
        assert!(
            op.errors().any(|e| e == "ValidationException"),
            "{}",
            op.name()
        );
    }
}

#[test]
fn notice_names_botocore() {
    let notice = include_str!("../../../model/NOTICE");
    assert!(notice.contains("botocore"));
    assert!(notice.contains("Apache License, Version 2.0"));
}
