//! Streaming, verify-then-commit uploads.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use object_store::path::Path;
use object_store::{MultipartUpload, ObjectStore};
use tokio::task::JoinHandle;

use crate::error::{BlobError, BoxError};
use crate::hash::{BlobInfo, MultiHasher};
use crate::key::{BlobKey, DomainId, Sha256Digest};
use crate::store::BlobStore;

impl BlobStore {
    /// Streams `body` into the blob store for `domain`, computing MD5, SHA-1,
    /// SHA-256 and SHA-512 in one pass, and commits it under its
    /// content-addressed key only if everything succeeded.
    ///
    /// * `expected_sha256 = Some(d)`: the bytes are streamed into a multipart
    ///   upload on the final key `blobs/{domain}/{d[..2]}/{d}`; the upload is
    ///   completed only after the computed SHA-256 equals `d`, otherwise it is
    ///   aborted and [`BlobError::DigestMismatch`] is returned. A body smaller
    ///   than one part is instead PUT whole once it is verified.
    /// * `expected_sha256 = None`: the bytes are streamed to `tmp/{uuid}` and,
    ///   once hashed, renamed to the final key.
    ///
    /// More than `max_size` bytes yields [`BlobError::TooLarge`]; a failing
    /// body stream yields [`BlobError::Body`]. On every error nothing is left
    /// visible. Re-uploading an existing blob replaces it with identical
    /// bytes and a fresh modification time.
    ///
    /// Memory use is bounded by `(max_in_flight_parts + 1) * part_size`
    /// plus whatever chunk the body stream itself yields.
    pub async fn put_stream<S, E>(
        &self,
        domain: &DomainId,
        body: S,
        expected_sha256: Option<&Sha256Digest>,
        max_size: u64,
    ) -> Result<BlobInfo, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        match expected_sha256 {
            Some(expected) => {
                let location = BlobKey::new(domain, expected).location();
                let info = self
                    .upload_to(&location, body, Some(expected), max_size)
                    .await?;
                // object_store has already renamed the staging file into
                // place; make the data and the directory entry durable
                // before the caller records a reference to the blob.
                self.sync_local(&location, true).await?;
                Ok(info)
            }
            None => self.put_via_tmp(domain, body, max_size).await,
        }
    }

    async fn put_via_tmp<S, E>(
        &self,
        domain: &DomainId,
        body: S,
        max_size: u64,
    ) -> Result<BlobInfo, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        self.stage(domain, body, max_size).await?.commit().await
    }

    /// Streams `body` into a multipart upload at `location`, verifying size
    /// and (optionally) SHA-256 before completing it; aborts on any failure.
    pub(crate) async fn upload_to<S, E>(
        &self,
        location: &Path,
        body: S,
        expected: Option<&Sha256Digest>,
        max_size: u64,
    ) -> Result<BlobInfo, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        let mut writer = PartWriter::new(
            self.store.clone(),
            location.clone(),
            self.part_size,
            self.max_in_flight_parts,
        );
        match feed(&mut writer, body, max_size, expected).await {
            Ok(info) => {
                writer.finish().await?;
                Ok(info)
            }
            Err(e) => {
                writer.abort().await;
                Err(e)
            }
        }
    }
}

/// Reads the whole body into `writer`, hashing it, and verifies the result.
async fn feed<S, E>(
    writer: &mut PartWriter,
    body: S,
    max_size: u64,
    expected: Option<&Sha256Digest>,
) -> Result<BlobInfo, BlobError>
where
    S: Stream<Item = Result<Bytes, E>> + Send,
    E: Into<BoxError>,
{
    let mut body = std::pin::pin!(body);
    let mut hasher = MultiHasher::new();
    while let Some(item) = body.next().await {
        let chunk = match item {
            Ok(chunk) => chunk,
            Err(e) => return Err(BlobError::Body(e.into())),
        };
        if hasher.size().saturating_add(chunk.len() as u64) > max_size {
            return Err(BlobError::TooLarge { limit: max_size });
        }
        hasher.update(&chunk);
        writer.write(&chunk).await?;
    }
    let info = hasher.finalize();
    match expected {
        Some(expected) if *expected != info.sha256 => Err(BlobError::DigestMismatch {
            expected: *expected,
            actual: info.sha256,
        }),
        _ => Ok(info),
    }
}

/// Drives a [`MultipartUpload`] with a bounded number of parts in memory.
///
/// Unlike `object_store::WriteMultipart`, every failure path (including a
/// part failing while the final parts are flushed) ends in `abort()`.
///
/// The multipart upload starts only when a first part fills: a body smaller
/// than one part (most packages' files) is sent at `finish` with one plain
/// PUT, after it was hashed and checked — one request to the store instead of
/// three (create, part, complete), and nothing visible before it is verified.
struct PartWriter {
    store: Arc<dyn ObjectStore>,
    location: Path,
    upload: Option<Box<dyn MultipartUpload>>,
    buffer: Vec<u8>,
    part_size: usize,
    max_in_flight: usize,
    in_flight: VecDeque<JoinHandle<object_store::Result<()>>>,
}

/// Initial allocation of a part buffer; it grows up to `part_size`.
const INITIAL_BUFFER: usize = 64 * 1024;

impl PartWriter {
    fn new(
        store: Arc<dyn ObjectStore>,
        location: Path,
        part_size: usize,
        max_in_flight: usize,
    ) -> Self {
        Self {
            store,
            location,
            upload: None,
            buffer: Vec::new(),
            part_size: part_size.max(1),
            max_in_flight: max_in_flight.max(1),
            in_flight: VecDeque::new(),
        }
    }

    async fn write(&mut self, mut data: &[u8]) -> Result<(), BlobError> {
        while !data.is_empty() {
            let take = (self.part_size - self.buffer.len()).min(data.len());
            let needed = self.buffer.len() + take;
            if needed > self.buffer.capacity() {
                let target = needed
                    .max(self.buffer.capacity() * 2)
                    .max(INITIAL_BUFFER)
                    .min(self.part_size);
                self.buffer.reserve_exact(target - self.buffer.len());
            }
            self.buffer.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buffer.len() == self.part_size {
                self.send_part().await?;
            }
        }
        Ok(())
    }

    /// Sends the buffer as the next part, first waiting until fewer than
    /// `max_in_flight` parts are in flight.
    async fn send_part(&mut self) -> Result<(), BlobError> {
        while self.in_flight.len() >= self.max_in_flight {
            self.join_oldest().await?;
        }
        let upload = match &mut self.upload {
            Some(upload) => upload,
            None => self
                .upload
                .insert(self.store.put_multipart(&self.location).await?),
        };
        let part = std::mem::take(&mut self.buffer);
        let fut = upload.put_part(part.into());
        self.in_flight.push_back(tokio::spawn(fut));
        Ok(())
    }

    async fn join_oldest(&mut self) -> Result<(), BlobError> {
        if let Some(handle) = self.in_flight.pop_front() {
            handle.await??;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<(), BlobError> {
        if self.upload.is_none() {
            // The whole body is in the buffer: one PUT.
            let body = std::mem::take(&mut self.buffer);
            self.store.put(&self.location, body.into()).await?;
            return Ok(());
        }
        let result = async {
            if !self.buffer.is_empty() {
                self.send_part().await?;
            }
            while !self.in_flight.is_empty() {
                self.join_oldest().await?;
            }
            if let Some(upload) = &mut self.upload {
                upload.complete().await?;
            }
            Ok(())
        }
        .await;
        if result.is_err() {
            self.abort().await;
        }
        result
    }

    async fn abort(mut self) {
        for handle in &self.in_flight {
            handle.abort();
        }
        for handle in self.in_flight.drain(..) {
            let _ = handle.await;
        }
        if let Some(mut upload) = self.upload.take() {
            if let Err(e) = upload.abort().await {
                tracing::warn!(error = %e, "failed to abort multipart upload");
            }
        }
    }
}
