//! Property: digests and stored bytes do not depend on how the body is
//! chunked, nor on the multipart part size.

mod common;

use arca_blobstore::{BlobStore, MultiHasher};
use bytes::Bytes;
use common::*;
use futures::stream;
use proptest::prelude::*;

/// Splits `data` at the given (sorted, deduplicated) cut points.
fn split(data: &[u8], mut cuts: Vec<usize>) -> Vec<Result<Bytes, std::io::Error>> {
    cuts.retain(|&c| c <= data.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut start = 0;
    for c in cuts.into_iter().chain([data.len()]) {
        // Empty chunks are legal in a body stream and must be harmless.
        out.push(Ok(Bytes::copy_from_slice(&data[start..c])));
        start = c;
    }
    out
}

/// `default` cases per property, or `PROPTEST_CASES` for a longer run by hand
/// (`PROPTEST_CASES=100000 cargo test …`).
fn cases_or(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases_or(64)))]

    #[test]
    fn hashes_are_chunking_independent(
        data in proptest::collection::vec(any::<u8>(), 0..20_000),
        cuts in proptest::collection::vec(0usize..20_000, 0..20),
        part_size in 1usize..5000,
        known in any::<bool>(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::local(dir.path())
            .unwrap()
            .with_part_size(part_size)
            .with_fsync(false);
        let d = domain("p");
        let expected = MultiHasher::digest(&data);
        prop_assert_eq!(expected.sha256, sha256_of(&data));

        let body = stream::iter(split(&data, cuts));
        let sha = expected.sha256;
        let (info, read_back) = rt.block_on(async {
            let info = store
                .put_stream(&d, body, known.then_some(&sha), data.len() as u64)
                .await
                .unwrap();
            let read = store.get(&d, &sha).await.unwrap();
            (info, read_all(read).await)
        });
        prop_assert_eq!(&info, &expected);
        prop_assert_eq!(read_back, data);
        prop_assert_eq!(files_under(dir.path()).len(), 1);
    }
}
