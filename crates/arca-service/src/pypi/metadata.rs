//! A wheel's core metadata (`{name}-{version}.dist-info/METADATA`): served as the PEP 658 `.metadata`
//! file and the source of `Requires-Python`, so pip needs neither the whole wheel nor a build.
//!
//! Read once per wheel (cached by digest) by scanning the zip's local file headers as a stream
//! ([`arca_archive::ZipScanner`], shared by every archive format), and bounded: wheels over
//! [`MAX_WHEEL_BYTES`], archives that defer sizes to data descriptors or use ZIP64, more than
//! [`MAX_ENTRIES`] entries, and METADATA over [`MAX_METADATA_BYTES`] simply get no core metadata
//! (pip then reads the wheel itself). Only a top-level `*.dist-info/METADATA` counts.

use std::sync::Arc;

use arca_archive::{Limits, ZipScanner};
use arca_metadata::AssetRow;
use bytes::Bytes;
use sha2::Digest;

use crate::native::read_blocking;
use crate::{Service, ServiceResult};

pub const MAX_WHEEL_BYTES: i64 = 256 * 1024 * 1024;
pub const MAX_METADATA_BYTES: u64 = 1024 * 1024;
const MAX_ENTRIES: usize = 100_000;

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

impl crate::digest_cache::Weigh for Arc<CoreMetadata> {
    fn weight(&self) -> usize {
        std::mem::size_of::<CoreMetadata>()
            + self.bytes.len()
            + self.sha256.capacity()
            + self.requires_python.as_ref().map_or(0, String::capacity)
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
pub(super) fn find_metadata(r: impl std::io::Read) -> Option<Vec<u8>> {
    let limits = Limits {
        max_entries: MAX_ENTRIES,
        max_scanned_bytes: MAX_WHEEL_BYTES as u64,
        ..Limits::default()
    };
    let mut zip = ZipScanner::new(r, limits);
    // The central directory (or anything unreadable) ends the scan: no METADATA among the entries.
    while let Some(mut entry) = zip.next_entry().ok()? {
        if is_metadata(entry.name_bytes()) {
            return entry.read_to_vec(MAX_METADATA_BYTES).ok();
        }
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

    use crate::test_zip::zip;

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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Damaged or truncated wheels yield METADATA within its bound, or none; never a panic.
        #[test]
        fn reader_is_total_and_bounded(
            files in proptest::collection::vec(("[a-z/.-]{1,30}", proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300), proptest::prelude::any::<bool>()), 0..5),
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 0..6),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let mut entries: Vec<(String, Vec<u8>, bool)> = files;
            entries.push(("kit-1.0.dist-info/METADATA".into(), b"Name: kit\n".to_vec(), true));
            let refs: Vec<(&str, &[u8], bool)> = entries.iter().map(|(p, d, z)| (p.as_str(), d.as_slice(), *z)).collect();
            let mut bytes = zip(&refs);
            for (at, v) in &flips {
                let i = at.index(bytes.len());
                bytes[i] = *v;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Some(found) = find_metadata(&bytes[..]) {
                proptest::prop_assert!(found.len() as u64 <= MAX_METADATA_BYTES);
            }
        }
    }
}
