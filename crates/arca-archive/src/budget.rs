//! The byte budget of one walk: every read from the archive stream goes through it.

use std::io::Read;

use crate::ArchiveError;

/// `inner`, of which at most `left` more bytes may be read.
pub(crate) struct Budget<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Budget<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            left: limit,
            limit,
        }
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    fn exhausted(&self) -> ArchiveError {
        ArchiveError::Limit {
            what: "the bytes scanned in the archive",
            limit: self.limit,
        }
    }

    /// Reads into `buf`, at most what the budget allows; `Ok(0)` at the end of the stream.
    pub(crate) fn read_some(&mut self, buf: &mut [u8]) -> Result<usize, ArchiveError> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // The end of the stream is not over budget: probe for it with one byte.
            let mut probe = [0u8; 1];
            return match read_retrying(&mut self.inner, &mut probe)? {
                0 => Ok(0),
                _ => Err(self.exhausted()),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = read_retrying(&mut self.inner, &mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }

    /// Reads into `buf` from an entry of which `pending` bytes are left (counted down); the
    /// stream ending inside it is malformed (and sets `done`: nothing further can be read).
    pub(crate) fn read_entry(
        &mut self,
        pending: &mut u64,
        done: &mut bool,
        buf: &mut [u8],
    ) -> std::io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(*pending).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.read_some(&mut buf[..want]).map_err(to_io)?;
        if n == 0 {
            *done = true;
            return Err(to_io(ArchiveError::Malformed(
                "the archive ends inside an entry",
            )));
        }
        *pending -= n as u64;
        Ok(n)
    }

    /// Fills `buf`: `Ok(false)` when the stream ended before its first byte, an error when it
    /// ended inside.
    pub(crate) fn fill(
        &mut self,
        buf: &mut [u8],
        what: &'static str,
    ) -> Result<bool, ArchiveError> {
        let mut at = 0;
        while at < buf.len() {
            let n = self.read_some(&mut buf[at..])?;
            if n == 0 {
                return if at == 0 {
                    Ok(false)
                } else {
                    Err(ArchiveError::Malformed(what))
                };
            }
            at += n;
        }
        Ok(true)
    }

    /// Reads and drops `n` bytes; an error when the stream ends first.
    pub(crate) fn skip(&mut self, mut n: u64, what: &'static str) -> Result<(), ArchiveError> {
        let mut scratch = [0u8; 8192];
        while n > 0 {
            let chunk = scratch.len().min(usize::try_from(n).unwrap_or(usize::MAX));
            let got = self.read_some(&mut scratch[..chunk])?;
            if got == 0 {
                return Err(ArchiveError::Malformed(what));
            }
            n -= got as u64;
        }
        Ok(())
    }
}

fn read_retrying(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// An [`ArchiveError`] carried through `std::io::Read`, and back.
pub(crate) fn to_io(e: ArchiveError) -> std::io::Error {
    match e {
        ArchiveError::Io(e) => e,
        other => std::io::Error::other(other),
    }
}

pub(crate) fn from_io(e: std::io::Error) -> ArchiveError {
    if !e.get_ref().is_some_and(|inner| inner.is::<ArchiveError>()) {
        return ArchiveError::Io(e);
    }
    match e.into_inner().map(|inner| inner.downcast::<ArchiveError>()) {
        Some(Ok(inner)) => *inner,
        Some(Err(other)) => ArchiveError::Io(std::io::Error::other(other)),
        None => ArchiveError::Malformed("unreadable stream"),
    }
}
