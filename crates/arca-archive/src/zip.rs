//! A bounded scanner of a zip's local file headers, front to back, for streams (wheels today;
//! `.nupkg` and Swift source archives later). The central directory is not read: the scan ends
//! at the first record that is not a local file header.

use std::borrow::Cow;
use std::io::Read;

use crate::budget::{from_io, Budget};
use crate::{ArchiveError, Limits};

const LOCAL_HEADER: u32 = 0x0403_4b50;

/// Scans a zip's local entries in order (see the crate docs for what is bounded and how).
pub struct ZipScanner<R> {
    budget: Budget<R>,
    limits: Limits,
    entries: usize,
    /// Unread compressed bytes of the current entry.
    pending: u64,
    done: bool,
}

/// A local header's name, method, flags, compressed and uncompressed sizes.
type LocalHeader = (Vec<u8>, u16, u16, u64, u64);

/// One local entry of a [`ZipScanner`].
pub struct ZipEntry<'a, R> {
    scanner: &'a mut ZipScanner<R>,
    name: Vec<u8>,
    method: u16,
    flags: u16,
    compressed_size: u64,
    size: u64,
}

impl<R: Read> ZipScanner<R> {
    pub fn new(reader: R, limits: Limits) -> Self {
        Self {
            budget: Budget::new(reader, limits.max_scanned_bytes),
            limits,
            entries: 0,
            pending: 0,
            done: false,
        }
    }

    /// The next local entry; `None` at the central directory (or the end of the stream).
    /// After an error the scan is over.
    pub fn next_entry(&mut self) -> Result<Option<ZipEntry<'_, R>>, ArchiveError> {
        if self.done {
            return Ok(None);
        }
        match self.advance() {
            Ok(Some(e)) => Ok(Some(ZipEntry {
                scanner: self,
                name: e.0,
                method: e.1,
                flags: e.2,
                compressed_size: e.3,
                size: e.4,
            })),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    fn advance(&mut self) -> Result<Option<LocalHeader>, ArchiveError> {
        let rest = std::mem::take(&mut self.pending);
        self.budget.skip(rest, "the archive ends inside an entry")?;
        if self.entries >= self.limits.max_entries {
            return Err(ArchiveError::Limit {
                what: "the number of archive entries",
                limit: self.limits.max_entries as u64,
            });
        }
        let mut sig = [0u8; 4];
        if !self
            .budget
            .fill(&mut sig, "the archive ends inside a header")?
        {
            return Ok(None);
        }
        if u32::from_le_bytes(sig) != LOCAL_HEADER {
            return Ok(None);
        }
        let mut h = [0u8; 26];
        if !self
            .budget
            .fill(&mut h, "the archive ends inside a header")?
        {
            return Err(ArchiveError::Malformed("the archive ends inside a header"));
        }
        let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let (flags, method) = (u16_at(2), u16_at(4));
        let (compressed, size) = (u32_at(14), u32_at(18));
        let (name_len, extra_len) = (u64::from(u16_at(22)), u64::from(u16_at(24)));
        if flags & 0x8 != 0 {
            return Err(ArchiveError::Unsupported(
                "entry sizes in a data descriptor after the data",
            ));
        }
        if compressed == u32::MAX || size == u32::MAX {
            return Err(ArchiveError::Unsupported("ZIP64 entries"));
        }
        if name_len > self.limits.max_header_bytes {
            return Err(ArchiveError::Limit {
                what: "a zip entry name",
                limit: self.limits.max_header_bytes,
            });
        }
        self.entries += 1;
        let mut name = vec![0u8; name_len as usize];
        if !self
            .budget
            .fill(&mut name, "the archive ends inside a header")?
            && name_len > 0
        {
            return Err(ArchiveError::Malformed("the archive ends inside a header"));
        }
        self.budget
            .skip(extra_len, "the archive ends inside a header")?;
        self.pending = u64::from(compressed);
        Ok(Some((
            name,
            method,
            flags,
            u64::from(compressed),
            u64::from(size),
        )))
    }
}

impl<R: Read> ZipEntry<'_, R> {
    /// The entry's name (lossily decoded).
    pub fn name(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    pub fn name_bytes(&self) -> &[u8] {
        &self.name
    }

    /// The size of the data once decompressed, as the header declares it.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn compressed_size(&self) -> u64 {
        self.compressed_size
    }

    /// The decompressed data, if the header declares at most `max` bytes (else
    /// [`ArchiveError::Limit`]) and the data holds exactly what it declares. Stored and deflated
    /// entries only.
    pub fn read_to_vec(&mut self, max: u64) -> Result<Vec<u8>, ArchiveError> {
        if self.size > max {
            return Err(ArchiveError::Limit {
                what: "an archive member",
                limit: max,
            });
        }
        if self.flags & 0x1 != 0 {
            return Err(ArchiveError::Unsupported("encrypted entries"));
        }
        let mut out = Vec::new();
        let declared = self.size;
        let raw = Raw {
            scanner: &mut *self.scanner,
        };
        let read = match self.method {
            0 => raw.take(declared + 1).read_to_end(&mut out),
            8 => flate2::read::DeflateDecoder::new(raw)
                .take(declared + 1)
                .read_to_end(&mut out),
            _ => {
                return Err(ArchiveError::Unsupported(
                    "compression methods other than deflate",
                ))
            }
        };
        read.map_err(from_io)?;
        if out.len() as u64 != declared {
            return Err(ArchiveError::Malformed(
                "an entry's data does not have its declared size",
            ));
        }
        Ok(out)
    }
}

/// The compressed data of the current entry.
struct Raw<'a, R> {
    scanner: &'a mut ZipScanner<R>,
}

impl<R: Read> Read for Raw<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let s = &mut *self.scanner;
        s.budget.read_entry(&mut s.pending, &mut s.done, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip as Python's zipfile writes it: local headers with sizes, then a central directory.
    pub(crate) fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
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
            out.extend_from_slice(&[0; 8]);
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
    fn scans_entries_and_extracts_within_bounds() {
        let z = zip(&[
            ("a.txt", b"hello", false),
            ("b.txt", &[b'b'; 5000], true),
            ("c.txt", b"c", true),
        ]);
        let mut s = ZipScanner::new(&z[..], Limits::default());
        let mut names = Vec::new();
        while let Some(mut e) = s.next_entry().unwrap() {
            if e.name() == "b.txt" {
                assert!(matches!(
                    e.read_to_vec(4999),
                    Err(ArchiveError::Limit { .. })
                ));
                assert_eq!(e.read_to_vec(5000).unwrap().len(), 5000);
            }
            names.push(e.name().into_owned());
        }
        assert_eq!(names, ["a.txt", "b.txt", "c.txt"]);
    }

    #[test]
    fn refuses_what_a_stream_cannot_read() {
        let mut z = zip(&[("a", b"x", false)]);
        z[6] = 0x8; // data descriptor flag
        let mut s = ZipScanner::new(&z[..], Limits::default());
        assert!(matches!(s.next_entry(), Err(ArchiveError::Unsupported(_))));
        let z = zip(&[("a", b"xyz", false)]);
        let mut s = ZipScanner::new(&z[..z.len() - 6], Limits::default());
        let mut e = s.next_entry().unwrap().unwrap();
        assert!(e.read_to_vec(10).is_err());
        let few = Limits {
            max_entries: 1,
            ..Limits::default()
        };
        let z = zip(&[("a", b"x", false), ("b", b"y", false)]);
        let mut s = ZipScanner::new(&z[..], few);
        assert!(s.next_entry().unwrap().is_some());
        assert!(matches!(s.next_entry(), Err(ArchiveError::Limit { .. })));
    }
}
