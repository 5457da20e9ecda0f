//! A wheel's core metadata (`{name}-{version}.dist-info/METADATA`): served as the PEP 658 `.metadata`
//! file and the source of `Requires-Python`, so pip needs neither the whole wheel nor a build.
//!
//! Read once per wheel (cached by digest) by scanning the zip's local file headers as a stream, and
//! bounded: wheels over [`MAX_WHEEL_BYTES`], archives that defer sizes to data descriptors or use
//! ZIP64, and METADATA over [`MAX_METADATA_BYTES`] simply get no core metadata (pip then reads the
//! wheel itself). Only a top-level `*.dist-info/METADATA` counts.

use std::io::Read;
use std::sync::Arc;

use arca_metadata::AssetRow;
use bytes::Bytes;
use sha2::Digest;

use crate::native::read_blocking;
use crate::{Service, ServiceResult};

pub const MAX_WHEEL_BYTES: i64 = 256 * 1024 * 1024;
pub const MAX_METADATA_BYTES: u64 = 1024 * 1024;
const MAX_ENTRIES: usize = 100_000;
const LOCAL_HEADER: u32 = 0x0403_4b50;

#[derive(Debug, Clone)]
pub struct CoreMetadata {
    pub bytes: Bytes,
    pub sha256: String,
    pub requires_python: Option<String>,
}

impl CoreMetadata {
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        let requires_python = header(&bytes, "Requires-Python");
        Self {
            bytes: Bytes::from(bytes),
            sha256,
            requires_python,
        }
    }
}

/// The first `name:` header of an RFC 822-style metadata file (the headers end at a blank line).
fn header(text: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(text)
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
        .filter(|v| !v.is_empty())
}

impl Service {
    /// The core metadata of a stored wheel, if it has usable one.
    pub(crate) async fn pypi_core_metadata(
        &self,
        domain_id: i64,
        asset: &AssetRow,
    ) -> ServiceResult<Option<Arc<CoreMetadata>>> {
        if !asset.name.ends_with(".whl") || asset.size > MAX_WHEEL_BYTES {
            return Ok(None);
        }
        if let Some(m) = self.pypi_metadata.get(domain_id, &asset.sha256) {
            return Ok(m);
        }
        let read = self.open_blob(domain_id, asset).await?;
        let found = read_blocking(read, "wheel metadata", find_metadata)
            .await?
            .map(|b| Arc::new(CoreMetadata::new(b)));
        self.pypi_metadata
            .put(domain_id, &asset.sha256, found.clone());
        Ok(found)
    }
}

/// METADATA from a zip read front to back; `None` when it cannot be found safely this way.
pub(super) fn find_metadata(mut r: impl Read) -> Option<Vec<u8>> {
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    for _ in 0..MAX_ENTRIES {
        let mut h = [0u8; 30];
        r.read_exact(&mut h).ok()?;
        if u32_at(&h, 0) != LOCAL_HEADER {
            return None; // the central directory: no METADATA among the entries
        }
        let (flags, method) = (u16_at(&h, 6), u16_at(&h, 8));
        let size = u32_at(&h, 18);
        let (name_len, extra_len) = (u16_at(&h, 26) as usize, u16_at(&h, 28) as u64);
        if flags & 0x8 != 0 || size == u32::MAX {
            return None; // sizes only after the data, or ZIP64
        }
        let mut name = vec![0u8; name_len];
        r.read_exact(&mut name).ok()?;
        std::io::copy(&mut (&mut r).take(extra_len), &mut std::io::sink()).ok()?;
        let data = (&mut r).take(size as u64);
        if !is_metadata(&name) {
            let mut data = data;
            if std::io::copy(&mut data, &mut std::io::sink()).ok()? != size as u64 {
                return None;
            }
            continue;
        }
        let mut out = Vec::new();
        let read = match method {
            0 => data.take(MAX_METADATA_BYTES + 1).read_to_end(&mut out),
            8 => flate2::read::DeflateDecoder::new(data)
                .take(MAX_METADATA_BYTES + 1)
                .read_to_end(&mut out),
            _ => return None,
        };
        let expanded = u32_at(&h, 22) as usize;
        return (read.is_ok() && out.len() == expanded && out.len() as u64 <= MAX_METADATA_BYTES)
            .then_some(out);
    }
    None
}

/// `{anything}.dist-info/METADATA`, at the top of the archive.
fn is_metadata(name: &[u8]) -> bool {
    let Ok(name) = std::str::from_utf8(name) else {
        return false;
    };
    matches!(name.split('/').collect::<Vec<_>>().as_slice(),
        [dir, "METADATA"] if dir.ends_with(".dist-info") && !dir.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip as Python's zipfile writes it: local headers with sizes, then a central directory.
    fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, data, deflate) in entries {
            let body = if *deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
                std::io::Write::write_all(&mut e, data).unwrap();
                e.finish().unwrap()
            } else {
                data.to_vec()
            };
            out.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0]);
            out.extend_from_slice(&(if *deflate { 8u16 } else { 0 }).to_le_bytes());
            out.extend_from_slice(&[0; 8]); // time, date, crc (not checked here)
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&body);
        }
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        out
    }

    #[test]
    fn finds_top_level_metadata() {
        let meta =
            b"Metadata-Version: 2.1\nName: kit\nRequires-Python: >=3.8\n\nRequires-Python: no\n";
        let w = zip(&[
            ("kit/__init__.py", b"x = 1\n", true),
            ("kit/x.dist-info/METADATA", b"nested", false),
            ("kit-1.0.dist-info/METADATA", meta, true),
        ]);
        let found = find_metadata(&w[..]).unwrap();
        assert_eq!(found, meta);
        let m = CoreMetadata::new(found);
        assert_eq!(m.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(m.sha256, hex::encode(sha2::Sha256::digest(meta)));
    }

    #[test]
    fn gives_up_safely() {
        assert_eq!(find_metadata(&b"not a zip at all"[..]), None);
        let none = zip(&[("kit/__init__.py", b"x", false)]);
        assert_eq!(find_metadata(&none[..]), None);
        let trick = zip(&[("../kit-1.0.dist-info/METADATA", b"x", false)]);
        assert_eq!(find_metadata(&trick[..]), None);
        let huge = vec![b'a'; MAX_METADATA_BYTES as usize + 1];
        let big = zip(&[("kit-1.0.dist-info/METADATA", &huge, true)]);
        assert_eq!(find_metadata(&big[..]), None);
        let truncated = zip(&[("kit-1.0.dist-info/METADATA", b"Name: kit\n", false)]);
        assert_eq!(find_metadata(&truncated[..40]), None);
    }
}
