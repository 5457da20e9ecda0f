//! Range requests on source archives (RFC 7233, which SE-0292 §4.4 recommends): one byte range is
//! answered 206 with `Content-Range`; several ranges or a header that is not a byte range get the
//! whole archive (as RFC 7233 allows); a range that starts past the end is a 416.

use arca_service::FileDownload;
use bytes::Bytes;
use futures::StreamExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ranged {
    Whole,
    /// Bytes `start..=end`.
    Part {
        start: u64,
        end: u64,
    },
    Unsatisfiable,
}

/// What a `Range` header asks of a file of `size` bytes.
pub(super) fn parse(value: Option<&str>, size: u64) -> Ranged {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Ranged::Whole;
    };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ranged::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    let number = |s: &str| {
        s.parse::<u64>()
            .ok()
            .filter(|_| s.bytes().all(|c| c.is_ascii_digit()))
    };
    let last = size.saturating_sub(1);
    match (number(a), number(b), a.is_empty(), b.is_empty()) {
        // bytes=-n: the last n bytes.
        (None, Some(n), true, false) if n > 0 && size > 0 => Ranged::Part {
            start: size.saturating_sub(n),
            end: last,
        },
        (None, Some(_), true, false) => Ranged::Unsatisfiable,
        (Some(start), None, false, true) | (Some(start), Some(_), false, false)
            if start >= size =>
        {
            Ranged::Unsatisfiable
        }
        (Some(start), None, false, true) => Ranged::Part { start, end: last },
        (Some(start), Some(end), false, false) if end >= start => Ranged::Part {
            start,
            end: end.min(last),
        },
        _ => Ranged::Whole,
    }
}

/// Bytes `start..=end` of a download (the rest of its stream is not read).
pub(super) fn slice(d: FileDownload, start: u64, end: u64) -> FileDownload {
    let stop = end + 1;
    let mut pos = 0u64;
    let stream = d
        .stream
        .scan((), move |_, item| {
            let out = match item {
                Err(e) => Some(Some(Err(e))),
                Ok(_) if pos >= stop => None,
                Ok(chunk) => {
                    let begin = pos;
                    let len = chunk.len() as u64;
                    pos += len;
                    let from = start.saturating_sub(begin).min(len) as usize;
                    let to = stop.saturating_sub(begin).min(len) as usize;
                    Some((from < to).then(|| Ok::<Bytes, _>(chunk.slice(from..to))))
                }
            };
            futures::future::ready(out)
        })
        .filter_map(futures::future::ready)
        .boxed();
    FileDownload {
        size: Some(stop - start),
        stream,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    #[test]
    fn ranges() {
        let p = |v: &str| parse(Some(v), 100);
        assert_eq!(parse(None, 100), Ranged::Whole);
        assert_eq!(p("bytes=0-9"), Ranged::Part { start: 0, end: 9 });
        assert_eq!(p("bytes=90-"), Ranged::Part { start: 90, end: 99 });
        assert_eq!(p("bytes=90-1000"), Ranged::Part { start: 90, end: 99 });
        assert_eq!(p("bytes=-5"), Ranged::Part { start: 95, end: 99 });
        assert_eq!(p("bytes=-500"), Ranged::Part { start: 0, end: 99 });
        assert_eq!(p("bytes=100-"), Ranged::Unsatisfiable);
        assert_eq!(p("bytes=100-200"), Ranged::Unsatisfiable);
        assert_eq!(p("bytes=-0"), Ranged::Unsatisfiable);
        for whole in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=9-2",
            "bytes=a-b",
            "bytes=-",
            "bytes=+1-2",
        ] {
            assert_eq!(p(whole), Ranged::Whole, "{whole}");
        }
        assert_eq!(parse(Some("bytes=0-"), 0), Ranged::Unsatisfiable);
    }

    #[tokio::test]
    async fn slices_across_chunks() {
        let data: Vec<u8> = (0..=255).collect();
        for (start, end) in [(0, 255), (3, 3), (10, 200), (250, 255), (0, 0)] {
            let chunks: Vec<Result<Bytes, std::io::Error>> = data
                .chunks(7)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            let d = FileDownload {
                size: Some(256),
                stream: futures::stream::iter(chunks).boxed(),
            };
            let part = slice(d, start, end);
            assert_eq!(part.size, Some(end - start + 1));
            let got: Vec<Bytes> = part.stream.try_collect().await.unwrap();
            assert_eq!(
                got.concat(),
                data[start as usize..=end as usize],
                "{start}-{end}"
            );
        }
    }
}
