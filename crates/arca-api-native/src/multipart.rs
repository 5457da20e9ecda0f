//! A streaming `multipart/form-data` reader for the uploads that are forms (PyPI's legacy upload
//! API, a Swift registry publish). Fields are collected (each at most [`MAX_FIELD_BYTES`], all
//! together at most [`MAX_FIELDS_BYTES`]); the one file part ([`FileField`]: twine's `content`,
//! Swift's `source-archive`) is never held whole: its bytes go through a bounded channel to the
//! blob store's staging upload while the rest of the form is still being read. A part sent with
//! `Content-Transfer-Encoding: base64` is decoded (the file part as it streams); other transfer
//! encodings are taken as the bytes they are (SwiftPM labels raw JSON `quoted-printable`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arca_service::{NativeRepo, StagedAsset};
use axum::body::Body;
use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;

use crate::{NativeError, NativeState};

/// File chunks in flight between the form reader and the staging upload.
const CHANNEL_CHUNKS: usize = 4;

/// Largest text field (a long description is the biggest twine sends).
pub(crate) const MAX_FIELD_BYTES: usize = 1024 * 1024;
/// All text fields and part headers together.
pub(crate) const MAX_FIELDS_BYTES: usize = 4 * 1024 * 1024;
/// Largest block of part headers.
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Which part carries the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileField {
    pub name: &'static str,
    /// Only a part with a `filename` is the file (twine); else the part of that name is.
    pub needs_filename: bool,
    /// Every other field must be UTF-8 text (else the form is invalid).
    pub text_fields: bool,
}

pub(crate) type Chunk = Result<Bytes, std::io::Error>;

#[derive(Debug, Default)]
pub(crate) struct Form {
    /// Fields in order (some, like `classifiers`, repeat), decoded.
    pub fields: Vec<(String, Vec<u8>)>,
    /// Whether the file part was there.
    pub file: bool,
    /// The `filename` of the file part, if it had one.
    pub filename: Option<String>,
}

impl Form {
    /// The first field `name`, if it is UTF-8 text.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.bytes(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first field `name`.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Every text field `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
    }
}

#[derive(Debug)]
pub(crate) enum FormError {
    TooLarge(String),
    Invalid(String),
    /// The request body failed (client gone, size cap).
    Body(String),
}

/// The boundary of a request whose `Content-Type` is `multipart/form-data`.
pub(crate) fn request_boundary(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(boundary)
}

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        let v = v.trim().trim_matches('"');
        (k.trim().eq_ignore_ascii_case("boundary") && !v.is_empty() && v.len() <= 70)
            .then(|| v.to_string())
    })
}

struct Reader<S> {
    body: S,
    buf: BytesMut,
    done: bool,
}

impl<S, E> Reader<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    /// Reads more of the body; false at its end.
    async fn fill(&mut self) -> Result<bool, FormError> {
        if self.done {
            return Ok(false);
        }
        match self.body.next().await {
            Some(Ok(b)) => {
                self.buf.extend_from_slice(&b);
                Ok(true)
            }
            Some(Err(e)) => Err(FormError::Body(e.to_string())),
            None => {
                self.done = true;
                Ok(false)
            }
        }
    }

    /// Reads until `needle` is buffered and returns its position; fails after `max` bytes.
    async fn find(&mut self, needle: &[u8], max: usize) -> Result<usize, FormError> {
        let too_large =
            || FormError::TooLarge(format!("a part of the upload form exceeds {max} bytes"));
        // Where the needle may still start: the bytes before were searched already.
        let mut from = 0;
        loop {
            if let Some(at) = find(&self.buf[from..], needle) {
                let at = from + at;
                return if at > max { Err(too_large()) } else { Ok(at) };
            }
            from = self.buf.len().saturating_sub(needle.len() - 1);
            if self.buf.len() > max + needle.len() {
                return Err(too_large());
            }
            if !self.fill().await? {
                return Err(invalid("the form ends early"));
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(why: &str) -> FormError {
    FormError::Invalid(why.to_string())
}

/// Reads a request's whole form (`body`, at most `max_publish_bytes`) while its file part is
/// staged for `repo` as it arrives; a form without the file part stages an empty file.
pub(crate) async fn read_staged(
    state: &NativeState,
    repo: &NativeRepo,
    body: Body,
    boundary: &str,
    spec: FileField,
) -> Result<(Form, StagedAsset), NativeError> {
    let max = state.max_publish_bytes;
    let over = Arc::new(AtomicBool::new(false));
    let body = crate::body::capped(body, max, over.clone());
    let (tx, rx) = mpsc::channel::<Chunk>(CHANNEL_CHUNKS);
    let file = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let (form, staged) = tokio::join!(
        read(body, boundary, spec, tx),
        state.service.stage_asset(repo, file)
    );
    let form = match form {
        Ok(form) => form,
        // A failed upload stops the form reader too: report the upload's reason.
        Err(FormError::Body(_)) if staged.is_err() && !over.load(Ordering::SeqCst) => {
            return Err(staged.err().map(NativeError::from).unwrap_or_else(|| {
                NativeError::Internal("form upload: staging failed without an error".into())
            }))
        }
        Err(_) if over.load(Ordering::SeqCst) => return Err(crate::body::too_large(max)),
        Err(FormError::TooLarge(why)) => {
            return Err(NativeError::TooLarge(format!(
                "The upload is too large: {why}."
            )))
        }
        Err(FormError::Invalid(why) | FormError::Body(why)) => {
            return Err(NativeError::BadRequest(format!(
                "The upload form is not valid: {why}."
            )))
        }
    };
    Ok((form, staged?))
}

/// Reads the whole form, sending the file part's bytes to `file`.
pub(crate) async fn read<S, E>(
    body: S,
    boundary: &str,
    spec: FileField,
    file: mpsc::Sender<Chunk>,
) -> Result<Form, FormError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut r = Reader {
        body,
        buf: BytesMut::new(),
        done: false,
    };
    let first = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    let at = r.find(first.as_bytes(), MAX_HEADER_BYTES).await?;
    r.buf.advance(at + first.len());
    let mut form = Form::default();
    let mut used = 0usize;
    loop {
        while r.buf.len() < 2 && r.fill().await? {}
        if r.buf.starts_with(b"--") {
            return Ok(form);
        }
        if !r.buf.starts_with(b"\r\n") {
            return Err(invalid("a boundary is not followed by a line break"));
        }
        r.buf.advance(2);
        let end = r.find(b"\r\n\r\n", MAX_HEADER_BYTES).await?;
        let headers = std::str::from_utf8(&r.buf[..end])
            .map_err(|_| invalid("part headers are not UTF-8"))?
            .to_string();
        r.buf.advance(end + 4);
        used += end;
        let (name, filename) = disposition(&headers)?;
        let base64 = header(&headers, "content-transfer-encoding")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("base64"));
        if name == spec.name && (filename.is_some() || !spec.needs_filename) {
            if form.file {
                return Err(invalid("the form carries more than one file"));
            }
            form.file = true;
            form.filename = filename;
            let mut decoder = base64.then(Base64Stream::default);
            stream_part(&mut r, delimiter.as_bytes(), &file, decoder.as_mut()).await?;
            if let Some(d) = decoder {
                d.finish()?;
            }
        } else {
            let at = r.find(delimiter.as_bytes(), MAX_FIELD_BYTES).await?;
            used += at;
            if used > MAX_FIELDS_BYTES {
                return Err(FormError::TooLarge(format!(
                    "the upload form's fields exceed {MAX_FIELDS_BYTES} bytes"
                )));
            }
            let mut value = r.buf[..at].to_vec();
            if base64 {
                let mut d = Base64Stream::default();
                value = d.feed(&value)?;
                d.finish()?;
            }
            if spec.text_fields && std::str::from_utf8(&value).is_err() {
                return Err(invalid("a form field is not UTF-8"));
            }
            form.fields.push((name, value));
            r.buf.advance(at);
        }
        r.buf.advance(delimiter.len());
    }
}

/// Base64 decoded as it arrives: whitespace skipped, the characters of an incomplete quantum
/// kept for the next chunk.
#[derive(Default)]
struct Base64Stream {
    pending: Vec<u8>,
}

impl Base64Stream {
    fn feed(&mut self, chunk: &[u8]) -> Result<Vec<u8>, FormError> {
        use base64::Engine;
        self.pending
            .extend(chunk.iter().filter(|b| !b.is_ascii_whitespace()));
        let whole = self.pending.len() / 4 * 4;
        let out = base64::engine::general_purpose::STANDARD
            .decode(&self.pending[..whole])
            .map_err(|_| invalid("a base64 part is not valid base64"))?;
        self.pending.drain(..whole);
        Ok(out)
    }

    fn finish(self) -> Result<(), FormError> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(invalid("a base64 part ends inside a quantum"))
        }
    }
}

/// Sends the part's bytes up to (not including) the delimiter, keeping back what could be its
/// start; through `decoder` when the part is base64.
async fn stream_part<S, E>(
    r: &mut Reader<S>,
    delimiter: &[u8],
    file: &mpsc::Sender<Chunk>,
    mut decoder: Option<&mut Base64Stream>,
) -> Result<(), FormError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let stopped = || FormError::Body("the upload stopped".into());
    let mut send = |chunk: Bytes| -> Result<Option<Bytes>, FormError> {
        match decoder.as_deref_mut() {
            None => Ok(Some(chunk)),
            Some(d) => d
                .feed(&chunk)
                .map(|v| (!v.is_empty()).then(|| Bytes::from(v))),
        }
    };
    loop {
        if let Some(at) = find(&r.buf, delimiter) {
            let last = r.buf.split_to(at).freeze();
            if let Some(last) = send(last)?.filter(|c| !c.is_empty()) {
                file.send(Ok(last)).await.map_err(|_| stopped())?;
            }
            return Ok(());
        }
        let safe = r.buf.len().saturating_sub(delimiter.len() - 1);
        if safe > 0 {
            let chunk = r.buf.split_to(safe).freeze();
            if let Some(chunk) = send(chunk)? {
                file.send(Ok(chunk)).await.map_err(|_| stopped())?;
            }
        }
        if !r.fill().await? {
            return Err(invalid("the file part ends without a boundary"));
        }
    }
}

/// The value of a part's header `name`.
fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.split("\r\n").find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v)
    })
}

/// `Content-Disposition: form-data; name="…"; filename="…"` of a part.
fn disposition(headers: &str) -> Result<(String, Option<String>), FormError> {
    let value = header(headers, "content-disposition")
        .ok_or_else(|| invalid("a part has no Content-Disposition"))?;
    let mut name = None;
    let mut filename = None;
    for param in value.split(';').skip(1) {
        let Some((k, v)) = param.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v)
            .to_string();
        match k.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(v),
            "filename" => filename = Some(v),
            _ => {}
        }
    }
    Ok((name.ok_or_else(|| invalid("a part has no name"))?, filename))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWINE: FileField = FileField {
        name: "content",
        needs_filename: true,
        text_fields: true,
    };

    fn body(fields: &[(&str, &str)], file: &[u8], split: usize) -> Vec<Result<Bytes, String>> {
        let mut b = Vec::new();
        for (k, v) in fields {
            b.extend_from_slice(
                format!("--XyZ\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        b.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"content\"; filename=\"kit-1.0.tar.gz\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        b.extend_from_slice(file);
        b.extend_from_slice(b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"after\"\r\n\r\nyes\r\n--XyZ--\r\n");
        b.chunks(split)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect()
    }

    async fn run(chunks: Vec<Result<Bytes, String>>) -> (Result<Form, FormError>, Vec<u8>) {
        let (tx, mut rx) = mpsc::channel(1 << 16);
        let r = read(futures::stream::iter(chunks), "XyZ", TWINE, tx).await;
        let mut out = Vec::new();
        while let Ok(Ok(c)) = rx.try_recv() {
            out.extend_from_slice(&c);
        }
        (r, out)
    }

    #[tokio::test]
    async fn reads_fields_and_streams_the_file_whatever_the_chunking() {
        let file: Vec<u8> = (0..50_000u32)
            .map(|i| if i % 97 == 0 { b'\r' } else { (i % 251) as u8 })
            .chain(*b"\r\n--Xy")
            .collect();
        for split in [1, 7, 100, 65536] {
            let (r, out) = run(body(
                &[(":action", "file_upload"), ("name", "kit")],
                &file,
                split,
            ))
            .await;
            let f = r.unwrap();
            assert_eq!(out, file, "split {split}");
            assert_eq!(f.get(":action"), Some("file_upload"));
            assert_eq!(f.get("name"), Some("kit"));
            assert_eq!(f.get("after"), Some("yes"));
            assert_eq!(f.filename.as_deref(), Some("kit-1.0.tar.gz"));
        }
    }

    #[tokio::test]
    async fn refuses_broken_forms() {
        let mut truncated = body(&[], b"abc", 1000);
        truncated.truncate(1);
        let cut = &truncated[0].as_ref().unwrap()[..120];
        let (r, _) = run(vec![Ok(Bytes::copy_from_slice(cut))]).await;
        assert!(matches!(r, Err(FormError::Invalid(_))));
        let big = "x".repeat(MAX_FIELD_BYTES + 10);
        let (r, _) = run(body(&[("description", &big)], b"abc", 65536)).await;
        assert!(matches!(r, Err(FormError::TooLarge(_))));
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc\"").as_deref(),
            Some("abc")
        );
        assert_eq!(boundary("application/json"), None);
    }

    #[tokio::test]
    async fn file_by_name_binary_fields_and_base64_parts() {
        const SWIFT: FileField = FileField {
            name: "source-archive",
            needs_filename: false,
            text_fields: false,
        };
        let archive: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(&archive);
        // Line-wrapped, as MIME writers do.
        let wrapped: Vec<u8> = encoded
            .as_bytes()
            .chunks(76)
            .flat_map(|l| l.iter().copied().chain(*b"\r\n"))
            .collect();
        let mut b = Vec::new();
        b.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        b.extend_from_slice(&wrapped);
        b.extend_from_slice(b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"source-archive-signature\"\r\n\r\n\xff\x00sig\r\n--XyZ\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{\"a\":\"b=c\"}\r\n--XyZ--\r\n");
        for split in [1, 5, 77, 65536] {
            let chunks: Vec<Result<Bytes, String>> = b
                .chunks(split)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            let (tx, mut rx) = mpsc::channel(1 << 16);
            let form = read(futures::stream::iter(chunks), "XyZ", SWIFT, tx)
                .await
                .unwrap();
            let mut out = Vec::new();
            while let Ok(Ok(c)) = rx.try_recv() {
                out.extend_from_slice(&c);
            }
            assert_eq!(out, archive, "split {split}");
            assert!(form.file && form.filename.is_none());
            assert_eq!(
                form.bytes("source-archive-signature"),
                Some(&b"\xff\x00sig"[..])
            );
            assert_eq!(form.get("metadata"), Some("{\"a\":\"b=c\"}"));
        }
        let mut bad = b.clone();
        let at = bad.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        bad[at] = b'!';
        let (tx, _rx) = mpsc::channel(1 << 16);
        let r = read(
            futures::stream::iter(vec![Ok::<_, String>(Bytes::from(bad))]),
            "XyZ",
            SWIFT,
            tx,
        )
        .await;
        assert!(matches!(r, Err(FormError::Invalid(_))));
    }
}
