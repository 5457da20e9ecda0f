//! A service over a real SQLite store wrapped in [`CountingStore`], which counts every call of
//! every store method: for tests of what an operation costs in store calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arca_blobstore::BlobStore;
use arca_metadata::*;
use arca_metadata_sqlite::SqliteStore;
use arca_service::{PrincipalSpec, Service, ServiceConfig};

/// Counts the calls of each store method (through [`Observed`]).
#[derive(Default)]
pub struct Counter {
    calls: Mutex<HashMap<&'static str, usize>>,
}

impl CallObserver for Counter {
    type Guard = ();
    fn enter(&self, method: &'static str) {
        *self.calls.lock().unwrap().entry(method).or_default() += 1;
    }
}

pub type CountingStore = Observed<Counter>;

/// Calls since the last `take`, by method.
pub fn take(store: &CountingStore) -> HashMap<&'static str, usize> {
    std::mem::take(&mut *store.observer.calls.lock().unwrap())
}

pub const OWNER: &str = "111122223333";

/// A service in region `us-east-1` over a counting SQLite store in `dir`, with these principals.
pub async fn counting_service(
    dir: &std::path::Path,
    principals: Vec<PrincipalSpec>,
) -> (Service, Arc<CountingStore>) {
    let sqlite = SqliteStore::open(&dir.join("meta.db")).await.unwrap();
    let store = Arc::new(CountingStore {
        inner: Arc::new(sqlite),
        observer: Counter::default(),
    });
    let blobs = BlobStore::local(&dir.join("blobs")).unwrap();
    let service = Service::new(
        store.clone(),
        blobs,
        arca_service::Pager::new(b"0123456789abcdef0123456789abcdef"),
        ServiceConfig {
            region: "us-east-1".into(),
            limits: Default::default(),
            blob_grace: arca_service::DEFAULT_BLOB_GRACE,
            public_url: Some("http://arca.test".into()),
            external_connections: Default::default(),
            principals,
            document_ttl: arca_service::documents::DEFAULT_DOCUMENT_TTL,
        },
    );
    (service, store)
}

/// Creates domain `acme` of [`OWNER`] and its repository `repo` with these tags, under their real
/// ARNs; returns the repository.
pub async fn acme_repository(
    store: &CountingStore,
    repo: &str,
    tags: Vec<(String, String)>,
) -> RepositoryRow {
    let domain = store
        .create_domain(&NewDomain {
            owner: OWNER.into(),
            name: "acme".into(),
            created_ms: 0,
            encryption_key: None,
            arn: format!("arn:aws:codeartifact:us-east-1:{OWNER}:domain/acme"),
            tags: Vec::new(),
        })
        .await
        .unwrap();
    store
        .create_repository(&NewRepository {
            domain_id: domain.id,
            name: repo.into(),
            administrator_account: OWNER.into(),
            description: None,
            created_ms: 0,
            upstreams: Vec::new(),
            arn: format!("arn:aws:codeartifact:us-east-1:{OWNER}:repository/acme/{repo}"),
            tags,
        })
        .await
        .unwrap()
}
