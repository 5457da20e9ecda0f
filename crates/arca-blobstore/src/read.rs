//! Local fast read path.
//!
//! `object_store` 0.12 streams local files in 8 KiB chunks (one
//! `spawn_blocking` per chunk), which is far too slow for multi-GiB assets.
//! When the backend hands us the open file we read it ourselves in
//! [`LOCAL_READ_CHUNK`] pieces instead: still streaming, never buffering more
//! than one chunk.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};

use crate::error::BlobError;

/// Chunk size of the local read path.
pub const LOCAL_READ_CHUNK: usize = 256 * 1024;

/// Streams `range` of `file` in chunks of at most `chunk` bytes. A file that
/// turns out shorter than `range` yields an `UnexpectedEof` I/O error rather
/// than a silently short stream.
pub(crate) fn file_stream(
    file: File,
    range: Range<u64>,
    chunk: usize,
) -> BoxStream<'static, Result<Bytes, BlobError>> {
    let chunk = chunk.max(1) as u64;
    let state = (file, range.start, range.end, false);
    stream::try_unfold(state, move |(mut file, pos, end, seeked)| async move {
        if pos >= end {
            return Ok(None);
        }
        let to_read = (end - pos).min(chunk);
        let (file, buf) = tokio::task::spawn_blocking(move || {
            if !seeked {
                file.seek(SeekFrom::Start(pos))?;
            }
            // `to_read` <= `chunk`, which came from a usize.
            let mut buf = Vec::with_capacity(to_read as usize);
            (&mut file).take(to_read).read_to_end(&mut buf)?;
            Ok::<_, std::io::Error>((file, buf))
        })
        .await??;
        if buf.is_empty() {
            return Err(BlobError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "blob file is shorter than its recorded size",
            )));
        }
        let next = pos + buf.len() as u64;
        Ok(Some((Bytes::from(buf), (file, next, end, true))))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;
    use std::io::Write;

    fn temp_file(data: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(data).unwrap();
        f
    }

    #[tokio::test]
    async fn reads_range_in_chunks() {
        let data: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let chunks: Vec<Bytes> = file_stream(temp_file(&data), 10..1000, 300)
            .try_collect()
            .await
            .unwrap();
        let lens: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
        assert_eq!(lens, vec![300, 300, 300, 90]);
        assert_eq!(chunks.concat(), &data[10..]);
    }

    #[tokio::test]
    async fn short_file_is_an_error() {
        let res: Result<Vec<Bytes>, _> =
            file_stream(temp_file(b"abc"), 0..10, 4).try_collect().await;
        assert!(
            matches!(res, Err(BlobError::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof)
        );
    }

    #[tokio::test]
    async fn empty_range_is_empty() {
        let chunks: Vec<Bytes> = file_stream(temp_file(b""), 0..0, 4)
            .try_collect()
            .await
            .unwrap();
        assert!(chunks.is_empty());
    }
}
