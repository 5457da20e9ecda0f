//! Properties of the bounded readers: arbitrary or damaged archives never panic and never yield
//! more than the caps allow; well-formed tar archives (written by the `tar` crate, GNU long names
//! included) read back exactly as written.

use arca_archive::{ArchiveError, Limits, TarWalker, ZipScanner};
use proptest::prelude::*;

/// `default` cases per property, or `PROPTEST_CASES` for a longer run by hand.
fn cases_or(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

const SMALL: Limits = Limits {
    max_header_bytes: 300,
    max_entries: 20,
    max_scanned_bytes: 64 * 1024,
};
const MEMBER_MAX: u64 = 700;

fn built_tar(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

/// Every entry a walk yields, each read within [`MEMBER_MAX`], until the end or an error.
fn walk_tar(bytes: &[u8], limits: Limits) -> (Vec<(String, Vec<u8>)>, Option<ArchiveError>) {
    let mut w = TarWalker::new(bytes, limits);
    let mut out = Vec::new();
    loop {
        match w.next_entry() {
            Ok(Some(mut e)) => {
                assert!(e.path_bytes().len() as u64 <= limits.max_header_bytes.max(255));
                match e.read_to_vec(MEMBER_MAX) {
                    Ok(data) => {
                        assert!(data.len() as u64 <= MEMBER_MAX);
                        out.push((e.path().into_owned(), data));
                    }
                    Err(err) => return (out, Some(err)),
                }
            }
            Ok(None) => return (out, None),
            Err(err) => return (out, Some(err)),
        }
    }
}

fn entry_path() -> impl Strategy<Value = String> {
    // Long enough to need GNU long names (over 100 bytes) some of the time.
    proptest::collection::vec("[a-z0-9_-][a-z0-9._-]{0,39}", 1..5).prop_map(|parts| parts.join("/"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases_or(256)))]

    #[test]
    fn tar_walker_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let (entries, _) = walk_tar(&bytes, SMALL);
        prop_assert!(entries.len() <= SMALL.max_entries);
    }

    #[test]
    fn tar_walker_reads_back_what_tar_wrote(
        entries in proptest::collection::vec((entry_path(), proptest::collection::vec(any::<u8>(), 0..600)), 0..8),
    ) {
        let bytes = built_tar(&entries);
        let (got, err) = walk_tar(&bytes, Limits::default());
        prop_assert!(err.is_none(), "{:?}", err);
        prop_assert_eq!(got, entries);
    }

    #[test]
    fn tar_walker_survives_damage_within_its_caps(
        entries in proptest::collection::vec((entry_path(), proptest::collection::vec(any::<u8>(), 0..2000)), 1..6),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = built_tar(&entries);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep);
        let (got, _) = walk_tar(&bytes, SMALL);
        prop_assert!(got.len() <= SMALL.max_entries);
        prop_assert!(got.iter().all(|(_, d)| d.len() as u64 <= MEMBER_MAX));
    }

    #[test]
    fn gzip_tar_is_bounded_by_decompressed_bytes(zeros in 1u64..400_000) {
        // A gzip bomb of zeros: mostly end-of-archive blocks, read within the scan budget.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &vec![b'7'; zeros as usize]).unwrap();
        let bytes = gz.finish().unwrap();
        let (got, _) = walk_tar_gz(&bytes);
        prop_assert!(got.is_empty());
    }

    #[test]
    fn zip_scanner_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096), prefix in any::<bool>()) {
        let mut input = Vec::new();
        if prefix {
            // Start like a zip so that headers are parsed further.
            input.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        }
        input.extend_from_slice(&bytes);
        let mut s = ZipScanner::new(&input[..], SMALL);
        let mut n = 0;
        while let Ok(Some(mut e)) = s.next_entry() {
            n += 1;
            prop_assert!(e.name_bytes().len() as u64 <= SMALL.max_header_bytes);
            if let Ok(data) = e.read_to_vec(MEMBER_MAX) {
                prop_assert!(data.len() as u64 <= MEMBER_MAX);
            }
        }
        prop_assert!(n <= SMALL.max_entries);
    }
}

fn walk_tar_gz(bytes: &[u8]) -> (Vec<(String, Vec<u8>)>, Option<ArchiveError>) {
    let mut w = TarWalker::new(arca_archive::gunzip(bytes), SMALL);
    let mut out = Vec::new();
    loop {
        match w.next_entry() {
            Ok(Some(mut e)) => match e.read_to_vec(MEMBER_MAX) {
                Ok(d) => out.push((e.path().into_owned(), d)),
                Err(err) => return (out, Some(err)),
            },
            Ok(None) => return (out, None),
            Err(err) => return (out, Some(err)),
        }
    }
}
