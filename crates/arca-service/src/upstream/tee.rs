//! Tee: a file fetched from an external source streams to the client that asked for it while it
//! goes into the blob store (§A2, issue 11 §5), instead of after it was kept.
//!
//! The retention runs in a task of its own, holding the file's flight (so it finishes, and later
//! requests find the file kept, even if that client goes away). When it starts fetching from an
//! external source it sends the client a [`FileDownload`] fed through a bounded channel: memory
//! stays bounded, and a slow client slows the fetch rather than filling memory (a client that goes
//! away stops receiving; the fetch goes on). The last chunk is held back until the file was
//! verified and kept: a file refused at its end (digest mismatch, over the size limit, unusable)
//! reaches the client as a body that fails before its end, never as a complete-looking one.

use std::future::Future;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;

use super::retain::Retained;
use super::FlightGuard;
use crate::types::FileDownload;
use crate::{Service, ServiceError, ServiceResult};

/// Chunks in flight between the fetch and its client.
const TEE_CHUNKS: usize = 16;

#[derive(Debug)]
enum TeeMsg {
    /// The fetch began; the source announced this length, if it did.
    Start(Option<u64>),
    Chunk(Bytes),
    /// The file was verified and kept.
    Kept,
}

/// The fetch's end of a tee: where a retention sends the file it fetches. A retention that finds
/// the file elsewhere (an upstream repository) sends nothing.
#[derive(Debug, Default)]
pub(crate) struct Tee {
    tx: Option<mpsc::Sender<TeeMsg>>,
}

impl Tee {
    /// A tee that sends nowhere (a retention no client streams from).
    pub(crate) fn none() -> Self {
        Self::default()
    }

    /// Announces the fetch, then returns `body` with each chunk also sent to the client.
    pub(crate) async fn start<S>(
        &self,
        len: Option<u64>,
        body: S,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + use<S>
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send,
    {
        let mut tx = self.tx.clone();
        if let Some(t) = &tx {
            if t.send(TeeMsg::Start(len)).await.is_err() {
                tx = None;
            }
        }
        body.then(move |chunk| {
            let tx = tx.clone();
            async move {
                if let (Ok(c), Some(tx)) = (&chunk, tx) {
                    // A client gone away stops the tee, not the fetch.
                    let _ = tx.send(TeeMsg::Chunk(c.clone())).await;
                }
                chunk
            }
        })
    }

    /// The file was kept: the client may have its last chunk and the end.
    pub(crate) async fn kept(&self) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(TeeMsg::Kept).await;
        }
    }
}

/// What a teed retention answered first.
pub(crate) enum Teed {
    /// The file is being fetched from an external source and streams from there.
    Streaming(FileDownload),
    /// The retention finished without fetching a file from a source.
    Done(Retained),
}

/// The client's end: the chunks, each passed on once the next one (or the end) arrived, so the
/// last is only passed on after [`Tee::kept`]; a channel closed without it is an error.
fn client_stream(
    rx: mpsc::Receiver<TeeMsg>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures::stream::unfold((Some(rx), None::<Bytes>), |(rx, mut pending)| async move {
        let mut rx = rx?;
        loop {
            match rx.recv().await {
                Some(TeeMsg::Chunk(c)) => match pending.replace(c) {
                    Some(ready) => return Some((Ok(ready), (Some(rx), pending))),
                    None => continue,
                },
                Some(TeeMsg::Start(_)) => continue,
                Some(TeeMsg::Kept) => return pending.map(|last| (Ok(last), (None, None))),
                None => {
                    let err = std::io::Error::other(
                        "the upstream file was refused or its fetch failed; nothing was kept",
                    );
                    return Some((Err(err), (None, None)));
                }
            }
        }
    })
}

impl Service {
    /// A file the repository did not have a moment ago: inside its flight (one fetch however many
    /// ask at once), `local` looks again, else `retain` keeps it from along the search order and
    /// the file streams from its source as it is kept (or, found elsewhere, comes from `local`).
    /// `None`: nowhere to be had.
    pub(crate) async fn fetch_through<L, LF, R, RF>(
        &self,
        flight: String,
        local: L,
        retain: R,
    ) -> ServiceResult<Option<FileDownload>>
    where
        L: Fn() -> LF,
        LF: Future<Output = ServiceResult<Option<FileDownload>>>,
        R: FnOnce(Tee) -> RF,
        RF: Future<Output = ServiceResult<Retained>> + Send + 'static,
    {
        let flight = self.flights.clone().enter(flight).await;
        if let Some(d) = local().await? {
            return Ok(Some(d));
        }
        match self.retain_teed(flight, retain).await? {
            Teed::Streaming(d) => Ok(Some(d)),
            Teed::Done(Retained::Yes) => local().await,
            Teed::Done(Retained::No) => Ok(None),
        }
    }

    /// Runs `retain` (a retention of one file, given the tee to send the file to) in a task of its
    /// own that holds `flight` until it finishes. Answers as soon as the retention starts fetching
    /// the file from an external source (the file streams from there), or with what it found.
    pub(crate) async fn retain_teed<F, Fut>(
        &self,
        flight: FlightGuard,
        retain: F,
    ) -> ServiceResult<Teed>
    where
        F: FnOnce(Tee) -> Fut,
        Fut: Future<Output = ServiceResult<Retained>> + Send + 'static,
    {
        let (tx, mut rx) = mpsc::channel(TEE_CHUNKS);
        let work = retain(Tee { tx: Some(tx) });
        let task = tokio::spawn(async move {
            let _flight = flight;
            work.await
        });
        let first = rx.recv().await;
        if let Some(TeeMsg::Start(size)) = first {
            return Ok(Teed::Streaming(FileDownload {
                size,
                stream: client_stream(rx).boxed(),
            }));
        }
        // The tee was dropped unused: the retention is over.
        drop(rx);
        match task.await {
            Ok(done) => done.map(Teed::Done),
            Err(e) => Err(ServiceError::Internal(format!(
                "retention task failed: {e}"
            ))),
        }
    }
}
