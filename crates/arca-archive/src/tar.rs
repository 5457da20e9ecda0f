//! A bounded tar walker: POSIX ustar, GNU (long names and links) and PAX (extended and global
//! headers), read as a stream, 512-byte block by block.

use std::borrow::Cow;
use std::io::Read;

use crate::budget::{from_io, Budget};
use crate::{ArchiveError, Limits};

const BLOCK: usize = 512;

/// Walks a tar stream entry by entry (see the crate docs for what is bounded and how).
pub struct TarWalker<R> {
    budget: Budget<R>,
    limits: Limits,
    entries: usize,
    /// Unread data bytes of the current entry, then the padding to the next block.
    pending: u64,
    padding: u64,
    done: bool,
    ignore_zeros: bool,
}

/// One entry of a [`TarWalker`]; reading it reads its data (at most its size).
pub struct TarEntry<'a, R> {
    walker: &'a mut TarWalker<R>,
    path: Vec<u8>,
    kind: u8,
    size: u64,
}

impl<R: Read> TarWalker<R> {
    pub fn new(reader: R, limits: Limits) -> Self {
        Self {
            budget: Budget::new(reader, limits.max_scanned_bytes),
            limits,
            entries: 0,
            pending: 0,
            padding: 0,
            done: false,
            ignore_zeros: false,
        }
    }

    /// Reads on past zero blocks, to the end of the stream, as npm's extractor does (a tar's end
    /// marker is then no end: entries after it are read too). The byte budget still bounds it.
    pub fn ignore_zero_blocks(mut self) -> Self {
        self.ignore_zeros = true;
        self
    }

    /// The stream, positioned after what the walk read.
    pub fn into_inner(self) -> R {
        self.budget.into_inner()
    }

    /// The next entry (extension members are consumed, not returned); `None` at the end of the
    /// archive. After an error the walk is over.
    pub fn next_entry(&mut self) -> Result<Option<TarEntry<'_, R>>, ArchiveError> {
        if self.done {
            return Ok(None);
        }
        match self.advance() {
            Ok(Some((path, kind, size))) => Ok(Some(TarEntry {
                walker: self,
                path,
                kind,
                size,
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

    /// Skips the rest of the current entry, then reads headers up to the next real entry.
    fn advance(&mut self) -> Result<Option<(Vec<u8>, u8, u64)>, ArchiveError> {
        let rest = self.pending + self.padding;
        self.pending = 0;
        self.padding = 0;
        self.budget.skip(rest, "the archive ends inside an entry")?;
        let mut next_path: Option<Vec<u8>> = None;
        let mut next_size: Option<u64> = None;
        loop {
            if self.entries >= self.limits.max_entries {
                return Err(ArchiveError::Limit {
                    what: "the number of archive entries",
                    limit: self.limits.max_entries as u64,
                });
            }
            let mut h = [0u8; BLOCK];
            if !self
                .budget
                .fill(&mut h, "the archive ends inside a header")?
            {
                return Ok(None);
            }
            if h.iter().all(|b| *b == 0) {
                if self.ignore_zeros {
                    continue;
                }
                return Ok(None);
            }
            check_checksum(&h)?;
            self.entries += 1;
            let kind = h[156];
            let size = parse_size(&h[124..136])?;
            match kind {
                // GNU long name / long link name, PAX extended / global header.
                b'L' | b'K' | b'x' | b'g' => {
                    let data = self.read_extension(size)?;
                    match kind {
                        b'L' => next_path = Some(until_nul(&data).to_vec()),
                        b'x' => {
                            for (key, value) in parse_pax(&data)? {
                                match key {
                                    b"path" => next_path = Some(until_nul(value).to_vec()),
                                    b"size" => next_size = Some(parse_decimal(value)?),
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
                _ => {
                    let size = next_size.unwrap_or(size);
                    let path = next_path.unwrap_or_else(|| header_path(&h));
                    self.pending = size;
                    self.padding = padding(size);
                    return Ok(Some((path, kind, size)));
                }
            }
        }
    }

    /// The data of an extension member, refused beyond [`Limits::max_header_bytes`].
    fn read_extension(&mut self, size: u64) -> Result<Vec<u8>, ArchiveError> {
        if size > self.limits.max_header_bytes {
            return Err(ArchiveError::Limit {
                what: "a GNU long name or PAX extended header",
                limit: self.limits.max_header_bytes,
            });
        }
        let mut data = vec![0u8; size as usize];
        if !self
            .budget
            .fill(&mut data, "the archive ends inside a header")?
            && size > 0
        {
            return Err(ArchiveError::Malformed("the archive ends inside a header"));
        }
        self.budget
            .skip(padding(size), "the archive ends inside a header")?;
        Ok(data)
    }
}

impl<R: Read> TarEntry<'_, R> {
    /// The entry's path as written (lossily decoded, as npm's `node-tar` decodes it).
    pub fn path(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.path)
    }

    pub fn path_bytes(&self) -> &[u8] {
        &self.path
    }

    /// The header's type flag (`b'0'` regular file, `b'5'` directory, …).
    pub fn entry_type(&self) -> u8 {
        self.kind
    }

    /// A regular file (types `0`, NUL and contiguous `7`, which extractors write as files).
    pub fn is_file(&self) -> bool {
        matches!(self.kind, b'0' | 0 | b'7')
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The whole data, if it has at most `max` bytes (else [`ArchiveError::Limit`], nothing read).
    pub fn read_to_vec(&mut self, max: u64) -> Result<Vec<u8>, ArchiveError> {
        if self.size > max {
            return Err(ArchiveError::Limit {
                what: "an archive member",
                limit: max,
            });
        }
        self.read_prefix(max)
    }

    /// The first `max` bytes of the data (all of it when smaller).
    pub fn read_prefix(&mut self, max: u64) -> Result<Vec<u8>, ArchiveError> {
        let want = self.walker.pending.min(max);
        let mut out = vec![0u8; want as usize];
        let mut at = 0;
        while at < out.len() {
            let n = self.read(&mut out[at..]).map_err(from_io)?;
            if n == 0 {
                return Err(ArchiveError::Malformed("the archive ends inside an entry"));
            }
            at += n;
        }
        Ok(out)
    }
}

impl<R: Read> Read for TarEntry<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let w = &mut *self.walker;
        w.budget.read_entry(&mut w.pending, &mut w.done, buf)
    }
}

fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

fn until_nul(b: &[u8]) -> &[u8] {
    b.iter().position(|c| *c == 0).map_or(b, |i| &b[..i])
}

/// `prefix/name` for ustar headers with a prefix, else `name`.
fn header_path(h: &[u8; BLOCK]) -> Vec<u8> {
    let name = until_nul(&h[0..100]);
    let ustar = &h[257..263] == b"ustar\0" && &h[263..265] == b"00";
    let prefix = if ustar { until_nul(&h[345..500]) } else { &[] };
    if prefix.is_empty() {
        return name.to_vec();
    }
    let mut path = prefix.to_vec();
    path.push(b'/');
    path.extend_from_slice(name);
    path
}

/// The header checksum: the unsigned sum of its bytes, the checksum field counted as spaces.
fn check_checksum(h: &[u8; BLOCK]) -> Result<(), ArchiveError> {
    let stored =
        parse_octal(&h[148..156]).map_err(|_| ArchiveError::Malformed("bad header checksum"))?;
    let sum: u64 = h
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(*b)
            }
        })
        .sum();
    if sum != stored {
        return Err(ArchiveError::Malformed("header checksum mismatch"));
    }
    Ok(())
}

/// A numeric field: octal text, or GNU's base-256 (high bit of the first byte set).
fn parse_size(field: &[u8]) -> Result<u64, ArchiveError> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        if field[0] & 0x40 != 0 {
            return Err(ArchiveError::Malformed("negative entry size"));
        }
        let mut n: u64 = u64::from(field[0] & 0x3f);
        for b in &field[1..] {
            n = n
                .checked_mul(256)
                .and_then(|n| n.checked_add(u64::from(*b)))
                .ok_or(ArchiveError::Malformed("entry size out of range"))?;
        }
        return Ok(n);
    }
    parse_octal(field).map_err(|_| ArchiveError::Malformed("bad entry size"))
}

fn parse_octal(field: &[u8]) -> Result<u64, ()> {
    let text = until_nul(field);
    let text = trim(text);
    let mut n: u64 = 0;
    for b in text {
        if !(b'0'..=b'7').contains(b) {
            return Err(());
        }
        n = n
            .checked_mul(8)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(())?;
    }
    Ok(n)
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | 0] = b {
        b = rest;
    }
    b
}

fn parse_decimal(b: &[u8]) -> Result<u64, ArchiveError> {
    let bad = ArchiveError::Malformed("bad number in a PAX header");
    if b.is_empty() {
        return Err(bad);
    }
    let mut n: u64 = 0;
    for c in b {
        if !c.is_ascii_digit() {
            return Err(bad);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(c - b'0')))
            .ok_or(ArchiveError::Malformed("bad number in a PAX header"))?;
    }
    Ok(n)
}

/// One PAX record: key and value.
type PaxRecord<'a> = (&'a [u8], &'a [u8]);

/// PAX records: `LEN KEY=VALUE\n`, LEN counting the whole record.
fn parse_pax(mut data: &[u8]) -> Result<Vec<PaxRecord<'_>>, ArchiveError> {
    let bad = || ArchiveError::Malformed("bad PAX record");
    let mut out = Vec::new();
    while !data.is_empty() {
        // Trailing NUL padding ends the records.
        if data.iter().all(|b| *b == 0) {
            break;
        }
        let space = data.iter().position(|b| *b == b' ').ok_or_else(bad)?;
        let len = parse_decimal(&data[..space]).map_err(|_| bad())?;
        let len = usize::try_from(len).map_err(|_| bad())?;
        if len <= space + 1 || len > data.len() || data[len - 1] != b'\n' {
            return Err(bad());
        }
        let record = &data[space + 1..len - 1];
        let eq = record.iter().position(|b| *b == b'=').ok_or_else(bad)?;
        out.push((&record[..eq], &record[eq + 1..]));
        data = &data[len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &[u8], kind: u8, size: u64) -> [u8; BLOCK] {
        let mut h = [0u8; BLOCK];
        h[..name.len()].copy_from_slice(name);
        h[100..108].copy_from_slice(b"0000644\0");
        h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(*b)
                }
            })
            .sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }

    fn member(out: &mut Vec<u8>, name: &[u8], kind: u8, data: &[u8]) {
        out.extend_from_slice(&header(name, kind, data.len() as u64));
        out.extend_from_slice(data);
        out.resize(out.len() + padding(data.len() as u64) as usize, 0);
    }

    fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
        let body = key.len() + value.len() + 3;
        let mut len = body + 1;
        while len != body + len.to_string().len() {
            len = body + len.to_string().len();
        }
        let mut r = format!("{len} {key}=").into_bytes();
        r.extend_from_slice(value);
        r.push(b'\n');
        r
    }

    fn paths(archive: &[u8], limits: Limits) -> Result<Vec<(String, Vec<u8>)>, ArchiveError> {
        let mut w = TarWalker::new(archive, limits);
        let mut out = Vec::new();
        while let Some(mut e) = w.next_entry()? {
            let data = e.read_to_vec(1 << 20)?;
            out.push((e.path().into_owned(), data));
        }
        Ok(out)
    }

    #[test]
    fn long_names_and_pax_paths_name_the_next_entry() {
        let mut t = Vec::new();
        member(
            &mut t,
            b"././@LongLink",
            b'L',
            b"package/package.json\0padding",
        );
        member(&mut t, b"truncated", b'0', b"{}");
        let mut records = pax_record("path", b"package/README.md\0x");
        records.extend(pax_record("size", b"3"));
        member(&mut t, b"pax", b'x', &records);
        member(&mut t, b"other", b'0', b"abc");
        member(&mut t, b"plain", b'0', b"z");
        t.extend_from_slice(&[0u8; 1024]);
        let got = paths(&t, Limits::default()).unwrap();
        let names: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            ["package/package.json", "package/README.md", "plain"]
        );
        assert_eq!(got[1].1, b"abc");
    }

    #[test]
    fn extension_members_over_the_cap_are_refused_unread() {
        let mut t = Vec::new();
        member(&mut t, b"././@LongLink", b'L', &vec![b'a'; 70_000]);
        member(&mut t, b"x", b'0', b"");
        let err = paths(&t, Limits::default()).unwrap_err();
        assert!(
            matches!(err, ArchiveError::Limit { limit: 65536, .. }),
            "{err}"
        );
        let mut t = Vec::new();
        member(&mut t, b"pax", b'x', &vec![b'a'; 70_000]);
        assert!(matches!(
            paths(&t, Limits::default()),
            Err(ArchiveError::Limit { .. })
        ));
    }

    #[test]
    fn entries_and_scanned_bytes_are_capped() {
        let mut t = Vec::new();
        for i in 0..10 {
            member(&mut t, format!("f{i}").as_bytes(), b'0', &[7u8; 600]);
        }
        let few = Limits {
            max_entries: 5,
            ..Limits::default()
        };
        assert!(matches!(
            paths(&t, few),
            Err(ArchiveError::Limit { limit: 5, .. })
        ));
        let small = Limits {
            max_scanned_bytes: 4000,
            ..Limits::default()
        };
        assert!(matches!(
            paths(&t, small),
            Err(ArchiveError::Limit { limit: 4000, .. })
        ));
        assert_eq!(paths(&t, Limits::default()).unwrap().len(), 10);
    }

    #[test]
    fn members_are_extracted_within_the_callers_bound() {
        let mut t = Vec::new();
        member(&mut t, b"big", b'0', &[1u8; 3000]);
        let mut w = TarWalker::new(&t[..], Limits::default());
        let mut e = w.next_entry().unwrap().unwrap();
        assert!(matches!(
            e.read_to_vec(2999),
            Err(ArchiveError::Limit { .. })
        ));
        assert_eq!(e.read_prefix(10).unwrap(), [1u8; 10]);
        assert!(w.next_entry().unwrap().is_none());
    }

    #[test]
    fn damaged_headers_are_errors() {
        let mut t = Vec::new();
        member(&mut t, b"a", b'0', b"x");
        t[10] ^= 1;
        assert!(matches!(
            paths(&t, Limits::default()),
            Err(ArchiveError::Malformed(_))
        ));
        let mut t = Vec::new();
        member(&mut t, b"a", b'0', b"xyz");
        t.truncate(BLOCK + 1);
        assert!(paths(&t, Limits::default()).is_err());
        assert!(paths(&[1u8; 100], Limits::default()).is_err());
        assert!(paths(&[], Limits::default()).unwrap().is_empty());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_size(b"00000001750\0").unwrap(), 1000);
        assert_eq!(parse_size(b"  1750 \0\0\0\0\0").unwrap(), 1000);
        let mut b256 = [0u8; 12];
        b256[0] = 0x80;
        b256[11] = 5;
        assert_eq!(parse_size(&b256).unwrap(), 5);
        b256[1] = 0xff;
        assert!(parse_size(&b256).is_err());
        assert!(parse_size(b"0000000009\0\0").is_err());
        assert!(parse_pax(b"6 a=b\n").is_ok());
        assert!(parse_pax(b"99 a=b\n").is_err());
        assert!(parse_pax(b"3 a\n").is_err());
    }
}
