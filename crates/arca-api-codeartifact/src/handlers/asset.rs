//! PublishPackageVersion, ListPackageVersionAssets, GetPackageVersionAsset: the operations that move
//! asset bytes. Both directions stream; nothing holds a whole asset in memory.

use arca_service::{Caller, PublishRequest, Service};
use axum::body::Body;
use axum::http::{header, HeaderValue, Response};
use serde_json::json;

use super::{json, json_bytes, ApiResult};
use crate::operation::{GetAssetInput, ListAssetsInput, PublishInput};
use crate::wire::{WireAsset, WireAssetsAnswer};
use crate::ApiError;

pub async fn handle_publish_package_version(
    svc: &Service,
    caller: &Caller,
    i: PublishInput,
    body: Body,
    content_length: Option<u64>,
) -> ApiResult {
    let req = PublishRequest {
        version: i.version.version_ref(),
        asset_name: i.asset_name,
        asset_sha256: i.asset_sha256,
        unfinished: i.unfinished.unwrap_or(false),
        content_length,
    };
    let out = svc
        .publish_package_version(caller, req, body.into_data_stream())
        .await?;
    json(&json!({
        "format": out.format.as_str(),
        "namespace": out.namespace,
        "package": out.package,
        "version": out.version,
        "versionRevision": out.version_revision,
        "status": out.status.as_str(),
        "asset": WireAsset::from(&out.asset),
    }))
}

pub async fn handle_list_package_version_assets(
    svc: &Service,
    caller: &Caller,
    i: ListAssetsInput,
) -> ApiResult {
    let l = svc
        .list_package_version_assets(
            caller,
            &i.version.version_ref(),
            i.max_results,
            i.next_token.as_deref(),
        )
        .await?;
    let answer = WireAssetsAnswer {
        format: l.format.as_str(),
        namespace: l.namespace,
        package: l.package,
        version: l.version,
        version_revision: l.version_revision,
        next_token: l.next_token,
        assets: l.assets.iter().map(WireAsset::from).collect(),
    };
    json_bytes(answer.to_json())
}

pub async fn handle_get_package_version_asset(
    svc: &Service,
    caller: &Caller,
    i: GetAssetInput,
) -> ApiResult {
    let d = svc
        .get_package_version_asset(
            caller,
            &i.version.version_ref(),
            &i.asset,
            i.package_version_revision.as_deref(),
        )
        .await?;
    let mut resp = Response::new(Body::from_stream(d.body.stream));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(d.body.size));
    h.insert("X-AssetName", header_text(&d.asset.name)?);
    h.insert("X-PackageVersion", header_text(&d.version)?);
    h.insert("X-PackageVersionRevision", header_text(&d.revision)?);
    Ok(resp)
}

/// Header values must be visible ASCII for every client (the Rust SDK rejects anything else), so
/// `X-AssetName`, `X-PackageVersion` and `X-PackageVersionRevision` are percent-encoded as UTF-8
/// (RFC 3986 style): every byte of a non-ASCII or control character, and `%` itself (`%25`), always.
/// Other ASCII passes unchanged. Percent-decoding the value therefore always gives the name back,
/// and `2.0-é` (`2.0-%C3%A9`) never looks like `2.0-%C3%A9` (`2.0-%25C3%25A9`).
pub(crate) fn header_text(s: &str) -> Result<HeaderValue, ApiError> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() && !c.is_ascii_control() && c != '%' {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    HeaderValue::from_str(&out).map_err(|e| ApiError::Internal(format!("header value: {e}")))
}

#[cfg(test)]
mod tests {
    use super::header_text;
    use percent_encoding::percent_decode_str;

    #[test]
    fn header_text_encodes_non_ascii_and_percent() {
        assert_eq!(header_text("a b+c.txt").unwrap(), "a b+c.txt");
        assert_eq!(header_text("ü.bin").unwrap(), "%C3%BC.bin");
        assert_eq!(header_text("100%.bin").unwrap(), "100%25.bin");
        assert_eq!(header_text("2.0-é").unwrap(), "2.0-%C3%A9");
        assert_eq!(header_text("2.0-%C3%A9").unwrap(), "2.0-%25C3%25A9");
        assert_eq!(header_text("tab\there").unwrap(), "tab%09here");
    }

    /// The encoding is unambiguous: decoding gives back every name, so distinct names never
    /// share a header value.
    #[test]
    fn header_text_round_trips() {
        for name in [
            "plain",
            "2.0-é",
            "2.0-%C3%A9",
            "%",
            "%%",
            "%25",
            "a%2Fb",
            "ü%ü",
            "文件 %E6",
            "~!@^&()",
        ] {
            let encoded = header_text(name).unwrap();
            let decoded = percent_decode_str(encoded.to_str().unwrap())
                .decode_utf8()
                .unwrap();
            assert_eq!(decoded, name);
        }
    }
}
