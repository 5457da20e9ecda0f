//! `npm publish`: `PUT {name}` with a JSON document whose tarball is base64 text inside
//! `_attachments.<file>.data`. Nothing holds the tarball in memory: a blocking task reads the body
//! as a JSON stream (`struson`), decodes the attachment in 64 KiB chunks and hands them through a
//! bounded channel to the blob store's staging upload, while the rest of the document (bounded by
//! [`MAX_DOCUMENT_BYTES`]) is parsed. The service then checks the whole and publishes.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arca_service::npm::NpmPublish;
use arca_service::{Caller, NativeRepo};
use axum::body::Body;
use axum::http::Response;
use base64::Engine;
use bytes::Bytes;
use serde_json::Value;
use struson::reader::{JsonReader, JsonStreamReader};
use tokio::sync::mpsc;

use super::json;
use crate::{NativeError, NativeState};

/// Largest publish document without its attachment data (manifest, readme, …).
pub(crate) const MAX_DOCUMENT_BYTES: u64 = 8 * 1024 * 1024;
/// Base64 text decoded per chunk (a multiple of 4).
const DECODE_CHUNK: usize = 64 * 1024;
/// Decoded chunks in flight between the parser and the upload.
const CHANNEL_CHUNKS: usize = 4;

type Chunk = Result<Bytes, std::io::Error>;

/// The document's parts the service needs; the tarball went to staging.
#[derive(Debug, Default)]
struct PublishDoc {
    name: Option<String>,
    /// `_rev`: the revision a document sent back (`npm deprecate`) was read at.
    rev: Option<String>,
    versions: BTreeMap<String, Value>,
    dist_tags: BTreeMap<String, String>,
    readme: Option<String>,
    attachments: usize,
}

#[derive(Debug)]
enum ParseError {
    DocumentTooLarge,
    Invalid(String),
}

pub(super) async fn handle(
    state: &NativeState,
    caller: &Caller,
    repo: &NativeRepo,
    url_name: &str,
    body: Body,
) -> Result<Response<Body>, NativeError> {
    let max = state.max_publish_bytes;
    let too_large = Arc::new(AtomicBool::new(false));
    let body = crate::body::capped(body, max, too_large.clone());
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(body));
    let (tx, rx) = mpsc::channel::<Chunk>(CHANNEL_CHUNKS);
    let parser = tokio::task::spawn_blocking(move || {
        parse(BufReader::with_capacity(DECODE_CHUNK, reader), &tx)
    });
    let tarball = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let staged = state.service.stage_asset(repo, tarball).await;
    let doc = parser
        .await
        .map_err(|e| NativeError::Internal(format!("npm publish parser: {e}")))?;
    // A failed upload makes the parser fail too (its channel closes): report the upload's reason.
    let staged = staged?;
    let doc = match doc {
        Ok(doc) => doc,
        Err(_) if too_large.load(Ordering::SeqCst) => return Err(crate::body::too_large(max)),
        Err(ParseError::DocumentTooLarge) => {
            return Err(NativeError::TooLarge(format!(
                "The publish document exceeds {MAX_DOCUMENT_BYTES} bytes without its tarball."
            )))
        }
        Err(ParseError::Invalid(why)) => {
            return Err(NativeError::BadRequest(format!(
                "The publish document is not valid: {why}."
            )))
        }
    };
    if doc.attachments == 0 {
        // No tarball: the packument sent back by `npm deprecate` (the staged upload is empty and
        // dropped). Each listed version gets the `deprecated` text it carries.
        drop(staged);
        if doc.versions.is_empty() {
            return Err(NativeError::BadRequest(
                "The document has neither a tarball in _attachments nor versions to update.".into(),
            ));
        }
        let messages = deprecations(&doc.versions)?;
        let changed = state
            .service
            .npm_deprecate(caller, repo, url_name, doc.rev.as_deref(), &messages)
            .await?;
        return json(
            &serde_json::json!({"ok": true, "success": true, "id": url_name, "changed": changed}),
            "application/json",
        );
    }
    let published = state
        .service
        .npm_publish(
            repo,
            NpmPublish {
                url_name: url_name.to_string(),
                name: doc.name,
                versions: doc.versions,
                dist_tags: doc.dist_tags,
                readme: doc.readme,
            },
            staged,
        )
        .await?;
    json(
        &serde_json::json!({
            "ok": true,
            "success": true,
            "id": published.name,
            "version": published.version,
            "rev": published.revision,
        }),
        "application/json",
    )
}

/// `versions[v].deprecated` of each version: a string, or absent/null (not deprecated).
fn deprecations(
    versions: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Option<String>>, NativeError> {
    versions
        .iter()
        .map(|(v, m)| match m.get("deprecated") {
            None | Some(Value::Null) => Ok((v.clone(), None)),
            Some(Value::String(s)) => Ok((v.clone(), Some(s.clone()))),
            Some(_) => Err(NativeError::BadRequest(format!(
                "versions['{v}'].deprecated must be a string."
            ))),
        })
        .collect()
}

/// Counts the document's bytes outside the attachment data and refuses more than the budget.
struct Budgeted<R> {
    inner: R,
    in_data: Rc<Cell<bool>>,
    over: Rc<Cell<bool>>,
    used: u64,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if !self.in_data.get() {
            self.used += n as u64;
            if self.used > MAX_DOCUMENT_BYTES {
                self.over.set(true);
                return Err(std::io::Error::other("publish document too large"));
            }
        }
        Ok(n)
    }
}

fn parse(reader: impl Read, tarball: &mpsc::Sender<Chunk>) -> Result<PublishDoc, ParseError> {
    let in_data = Rc::new(Cell::new(false));
    let over = Rc::new(Cell::new(false));
    let mut json = JsonStreamReader::new(Budgeted {
        inner: reader,
        in_data: in_data.clone(),
        over: over.clone(),
        used: 0,
    });
    let classify = |e: String| {
        if over.get() {
            ParseError::DocumentTooLarge
        } else {
            ParseError::Invalid(e)
        }
    };
    read_document(&mut json, &in_data, tarball).map_err(|e| match e {
        ParseError::Invalid(why) => classify(why),
        other => other,
    })
}

fn invalid(e: impl std::fmt::Display) -> ParseError {
    ParseError::Invalid(e.to_string())
}

fn read_document<R: Read>(
    json: &mut JsonStreamReader<R>,
    in_data: &Cell<bool>,
    tarball: &mpsc::Sender<Chunk>,
) -> Result<PublishDoc, ParseError> {
    let mut doc = PublishDoc::default();
    json.begin_object().map_err(invalid)?;
    while json.has_next().map_err(invalid)? {
        match json.next_name_owned().map_err(invalid)?.as_str() {
            "name" => {
                let v: Value = json.deserialize_next().map_err(invalid)?;
                doc.name = Some(
                    v.as_str()
                        .ok_or_else(|| invalid("name is not a string"))?
                        .into(),
                );
            }
            "_rev" => {
                let v: Value = json.deserialize_next().map_err(invalid)?;
                doc.rev = v.as_str().map(str::to_string);
            }
            "versions" => doc.versions = json.deserialize_next().map_err(invalid)?,
            "dist-tags" => doc.dist_tags = json.deserialize_next().map_err(invalid)?,
            "readme" => {
                let v: Value = json.deserialize_next().map_err(invalid)?;
                doc.readme = v.as_str().map(str::to_string);
            }
            "_attachments" => {
                json.begin_object().map_err(invalid)?;
                while json.has_next().map_err(invalid)? {
                    json.skip_name().map_err(invalid)?;
                    doc.attachments += 1;
                    if doc.attachments > 1 {
                        return Err(invalid("more than one attachment"));
                    }
                    read_attachment(json, in_data, tarball)?;
                }
                json.end_object().map_err(invalid)?;
            }
            _ => json.skip_value().map_err(invalid)?,
        }
    }
    json.end_object().map_err(invalid)?;
    Ok(doc)
}

/// `{"content_type": …, "data": "<base64>", "length": …}`: decodes `data` into the channel.
fn read_attachment<R: Read>(
    json: &mut JsonStreamReader<R>,
    in_data: &Cell<bool>,
    tarball: &mpsc::Sender<Chunk>,
) -> Result<(), ParseError> {
    json.begin_object().map_err(invalid)?;
    while json.has_next().map_err(invalid)? {
        if json.next_name().map_err(invalid)? != "data" {
            json.skip_value().map_err(invalid)?;
            continue;
        }
        in_data.set(true);
        let mut text = json.next_string_reader().map_err(invalid)?;
        let mut buf = vec![0u8; DECODE_CHUNK];
        let mut pending = 0;
        loop {
            let n = text.read(&mut buf[pending..]).map_err(invalid)?;
            if n == 0 {
                break;
            }
            pending += n;
            let whole = pending / 4 * 4;
            if whole > 0 {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(&buf[..whole])
                    .map_err(|e| invalid(format!("the tarball is not valid base64 ({e})")))?;
                tarball
                    .blocking_send(Ok(Bytes::from(decoded)))
                    .map_err(|_| invalid("the upload stopped"))?;
                buf.copy_within(whole..pending, 0);
                pending -= whole;
            }
        }
        if pending != 0 {
            return Err(invalid("the tarball's base64 text is truncated"));
        }
        drop(text);
        in_data.set(false);
    }
    json.end_object().map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(doc: &str) -> (Result<PublishDoc, ParseError>, Vec<u8>) {
        let (tx, mut rx) = mpsc::channel::<Chunk>(1024);
        let r = parse(doc.as_bytes(), &tx);
        drop(tx);
        let mut out = Vec::new();
        while let Ok(Ok(chunk)) = rx.try_recv() {
            out.extend_from_slice(&chunk);
        }
        (r, out)
    }

    #[test]
    fn streams_the_attachment_and_keeps_the_document() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        let doc = format!(
            r#"{{"_attachments": {{"kit-1.0.0.tgz": {{"content_type": "application/octet-stream", "data": "{b64}", "length": 200000}}}},
               "name": "@acme/kit", "_rev": "2-ab", "dist-tags": {{"latest": "1.0.0"}},
               "versions": {{"1.0.0": {{"name": "@acme/kit", "version": "1.0.0", "dist": {{"shasum": "x"}}}}}},
               "readme": "hello", "access": null}}"#
        );
        let (r, out) = run(&doc);
        let d = r.unwrap();
        assert_eq!(out, data);
        assert_eq!(d.name.as_deref(), Some("@acme/kit"));
        assert_eq!(d.rev.as_deref(), Some("2-ab"));
        assert_eq!(d.attachments, 1);
        assert_eq!(d.dist_tags["latest"], "1.0.0");
        assert_eq!(d.versions["1.0.0"]["dist"]["shasum"], "x");
        assert_eq!(d.readme.as_deref(), Some("hello"));
    }

    #[test]
    fn refuses_bad_documents() {
        for bad in [
            "not json",
            r#"{"name": 3}"#,
            r#"{"_attachments": {"a": {"data": "abc"}}}"#,
            r#"{"_attachments": {"a": {"data": "!!!!"}}}"#,
            r#"{"_attachments": {"a": {"data": ""}, "b": {"data": ""}}}"#,
            r#"{"versions": []}"#,
        ] {
            assert!(matches!(run(bad).0, Err(ParseError::Invalid(_))), "{bad}");
        }
        let huge = format!(
            r#"{{"readme": "{}"}}"#,
            "x".repeat(MAX_DOCUMENT_BYTES as usize)
        );
        assert!(matches!(run(&huge).0, Err(ParseError::DocumentTooLarge)));
    }
}
