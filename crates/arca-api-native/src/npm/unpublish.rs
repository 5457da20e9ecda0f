//! `npm unpublish name@version` sends the packument back without the version: all this layer needs
//! from it is which versions remain.

use std::collections::BTreeSet;

use axum::body::Body;
use serde_json::Value;

use super::publish::MAX_DOCUMENT_BYTES;
use crate::NativeError;

pub(super) async fn remaining_versions(body: Body) -> Result<BTreeSet<String>, NativeError> {
    let bytes = axum::body::to_bytes(body, MAX_DOCUMENT_BYTES as usize)
        .await
        .map_err(|_| {
            NativeError::TooLarge(format!(
                "The package document exceeds {MAX_DOCUMENT_BYTES} bytes or could not be read."
            ))
        })?;
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| NativeError::BadRequest(format!("The package document is not JSON: {e}.")))?;
    match doc.get("versions") {
        Some(Value::Object(v)) => Ok(v.keys().cloned().collect()),
        _ => Err(NativeError::BadRequest(
            "The package document has no 'versions' object.".into(),
        )),
    }
}
