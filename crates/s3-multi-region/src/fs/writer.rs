//! `S3Writer`: an `AsyncWrite` that streams a multipart upload with bounded memory.
//!
//! **Call `shutdown()` (`AsyncWriteExt::shutdown`) to write the object.** A writer dropped without
//! it writes nothing: the upload is aborted and a `warn` names the object.
//!
//! Full parts go through a bounded channel to a background task that starts the multipart upload
//! on the first part and uploads up to `parallel` parts at once; at most `parallel + 1` parts are
//! ever in memory. `shutdown` sends the last bytes and waits: an object that fits in one part is
//! a single PutObject, a larger one is completed. Dropping the writer before `shutdown`, or any
//! failed part, aborts the upload: no partial object ever becomes visible.
//!
//! An appending writer starts from the existing object: its bytes become the first parts through
//! UploadPartCopy (nothing is downloaded), or, below S3's 5 MiB part minimum, the start of the
//! buffer. The final PutObject or CompleteMultipartUpload carries `If-Match` with the ETag the
//! append started from, so a concurrent overwrite makes the append fail instead of losing data.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncWrite;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::PollSender;

use std::sync::Arc;

use crate::client::MultiRegionClient;
use crate::fs::S3Url;
use crate::fs::copy::{MAX_COPY_PART, copy_part, copy_ranges};
use crate::fs::stat_cache::StatCache;

/// S3's smallest part (all but the last).
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// S3's largest part.
const MAX_PART_SIZE: usize = 5 * 1024 * 1024 * 1024;
/// Parts after which the part size doubles.
const PARTS_PER_SIZE: usize = 1000;

/// The size of the next part after `sent` parts: `base`, doubled every 1000 parts and capped at
/// 5 GiB. S3 allows 10 000 parts, so fixed 8 MiB parts would cap an object at 78 GiB; growing
/// parts reach S3's own 5 TiB limit (8 MiB × 1000 × (1 + 2 + … + 512) ≈ 8 TiB) while small
/// objects keep small parts. Memory grows with them: at most `parallel + 1` parts are held.
fn part_size_for(base: usize, sent: usize) -> usize {
    let doublings = (sent / PARTS_PER_SIZE).min(20) as u32;
    base.saturating_mul(1 << doublings).min(MAX_PART_SIZE)
}

/// The background task's error, kept whole for the writer (the channel only says the task is
/// gone).
#[derive(Debug, Clone, Default)]
struct Failure(std::sync::Arc<std::sync::Mutex<Option<SharedIoError>>>);

/// What a write or close returns after the background upload failed: its cause is the upload's
/// own error, so [`Report`](crate::Report) and chain printers see S3's answer.
#[derive(Debug, thiserror::Error)]
#[error("the upload failed and was aborted")]
struct UploadAborted {
    #[source]
    cause: Option<SharedIoError>,
}

/// One `io::Error` handed to several readers: displays as it, and its source is what it wraps
/// (`io::Error::source` would skip that and go one level deeper).
#[derive(Debug, Clone)]
struct SharedIoError(std::sync::Arc<io::Error>);

impl std::fmt::Display for SharedIoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedIoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.0.get_ref() {
            Some(inner) => Some(inner),
            None => self.0.source(),
        }
    }
}

impl SharedIoError {
    fn to_io(&self) -> io::Error {
        io::Error::new(self.0.kind(), self.clone())
    }
}

impl Failure {
    /// Keeps `err` for later writes and returns it for the caller waiting now.
    fn set(&self, err: io::Error) -> io::Error {
        let shared = SharedIoError(std::sync::Arc::new(err));
        *crate::lock(&self.0) = Some(shared.clone());
        shared.to_io()
    }

    fn error(&self) -> io::Error {
        let cause = crate::lock(&self.0).clone();
        let kind = cause.as_ref().map_or(io::ErrorKind::Other, |c| c.0.kind());
        io::Error::new(kind, UploadAborted { cause })
    }
}

enum Message {
    Part(Bytes),
    Finish(Bytes, oneshot::Sender<io::Result<()>>),
    Abort(oneshot::Sender<io::Result<()>>),
}

/// What a new writer starts from.
#[derive(Debug, Default)]
pub(crate) enum Start {
    /// Nothing: the object is created or replaced.
    #[default]
    Empty,
    /// The existing object (`size` bytes with `etag`), copied on the server as the first parts.
    CopyExisting { etag: String, size: u64 },
    /// The existing object's bytes (with `etag`), too small for UploadPartCopy.
    Rewrite { etag: String, bytes: Bytes },
}

/// How a writer uploads.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) part_size: usize,
    pub(crate) parallel: usize,
    pub(crate) start: Start,
    pub(crate) stat_cache: Option<Arc<StatCache>>,
    /// `Content-Type` of the object; S3's default (`binary/octet-stream`) when `None`.
    pub(crate) content_type: Option<String>,
}

/// Streams bytes to `s3://bucket/key` (see the module docs).
///
/// **Call `shutdown()` to write the object**: a writer dropped without it aborts the upload
/// (logged at `warn`, naming the object), and nothing is written.
pub struct S3Writer {
    part_size: usize,
    parts_sent: usize,
    buffer: BytesMut,
    sender: PollSender<Message>,
    /// Why the background upload failed, for the writes that find it gone.
    failure: Failure,
    finishing: Option<oneshot::Receiver<io::Result<()>>>,
    done: bool,
}

impl std::fmt::Debug for S3Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Writer")
            .field("part_size", &self.part_size)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

fn io_error(url: &S3Url, message: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{url}: {message}"))
}

impl S3Writer {
    pub(crate) fn with_plan(client: MultiRegionClient, url: S3Url, plan: Plan) -> Self {
        let part_size = plan.part_size.max(MIN_PART_SIZE);
        let mut buffer = BytesMut::with_capacity(part_size);
        let (copy_existing, if_match) = match plan.start {
            Start::Empty => (None, None),
            Start::CopyExisting { etag, size } => (Some((etag.clone(), size)), Some(etag)),
            Start::Rewrite { etag, bytes } => {
                buffer.extend_from_slice(&bytes);
                (None, Some(etag))
            }
        };
        let state = Upload {
            client,
            url,
            parallel: plan.parallel.max(1),
            upload_id: None,
            in_flight: JoinSet::new(),
            done: Vec::new(),
            next: 1,
            copy_existing,
            if_match,
            stat_cache: plan.stat_cache,
            content_type: plan.content_type,
        };
        let (tx, rx) = mpsc::channel(1);
        let failure = Failure::default();
        tokio::spawn(upload(state, rx, failure.clone()));
        Self {
            part_size,
            parts_sent: 0,
            buffer,
            sender: PollSender::new(tx),
            failure,
            finishing: None,
            done: false,
        }
    }

    /// Abandons the upload and waits until S3 has been told (AbortMultipartUpload): use it when
    /// the process may exit right after, where dropping the writer would abort too late.
    pub async fn abort(self) {
        let Some(sender) = self.sender.get_ref().cloned() else {
            return;
        };
        let (tx, rx) = oneshot::channel();
        if sender.send(Message::Abort(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    fn poll_send(
        &mut self,
        cx: &mut Context<'_>,
        message: impl FnOnce(&mut Self) -> Message,
    ) -> Poll<io::Result<()>> {
        ready!(self.sender.poll_reserve(cx)).map_err(|_| self.failure.error())?;
        let message = message(self);
        self.sender
            .send_item(message)
            .map_err(|_| self.failure.error())?;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for S3Writer {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.finishing.is_some() || self.done {
            return Poll::Ready(Err(io::Error::other("write after shutdown")));
        }
        let part_size = part_size_for(self.part_size, self.parts_sent);
        if self.buffer.len() >= part_size {
            ready!(self.poll_send(cx, |w| Message::Part(w.buffer.split_to(part_size).freeze())))?;
            self.parts_sent += 1;
        }
        let part_size = part_size_for(self.part_size, self.parts_sent);
        let room = part_size - self.buffer.len().min(part_size);
        let n = buf.len().min(room);
        self.buffer.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Parts are sent as they fill; S3 has nothing smaller to flush to.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.done {
            return Poll::Ready(Ok(()));
        }
        if self.finishing.is_none() {
            let (tx, rx) = oneshot::channel();
            let mut tx = Some(tx);
            ready!(self.poll_send(cx, |w| Message::Finish(
                w.buffer.split().freeze(),
                tx.take().expect("once")
            )))?;
            self.finishing = Some(rx);
        }
        let rx = self.finishing.as_mut().expect("set above");
        let result = ready!(Pin::new(rx).poll(cx))
            .unwrap_or_else(|_| Err(io::Error::other("the upload task ended")));
        self.done = true;
        self.finishing = None;
        Poll::Ready(result)
    }
}

use std::future::Future;

/// An SDK error as an `io::Error` that carries the [`FsError`](crate::fs::FsError) (and so a
/// readable [`Report`](crate::Report)), never the SDK's nested `Debug`.
fn sdk_error<E>(url: &S3Url, err: aws_sdk_s3::error::SdkError<E>) -> io::Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    io::Error::other(crate::fs::error::s3_error(url, err))
}

/// The state of one upload in the background task.
struct Upload {
    client: MultiRegionClient,
    url: S3Url,
    parallel: usize,
    upload_id: Option<String>,
    in_flight: JoinSet<io::Result<CompletedPart>>,
    done: Vec<CompletedPart>,
    next: i32,
    /// An append's existing object, copied as the first parts when the upload starts.
    copy_existing: Option<(String, u64)>,
    /// The ETag the object must still have when the upload completes (appends).
    if_match: Option<String>,
    stat_cache: Option<Arc<StatCache>>,
    content_type: Option<String>,
}

impl Upload {
    /// Starts the multipart upload (once), with an append's existing bytes as its first parts.
    async fn ensure_started(&mut self) -> io::Result<String> {
        if let Some(id) = &self.upload_id {
            return Ok(id.clone());
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(self.url.bucket())
            .key(self.url.key())
            .set_content_type(self.content_type.clone())
            .send()
            .await
            .map_err(|e| sdk_error(&self.url, e))?;
        let id = created
            .upload_id()
            .ok_or_else(|| io_error(&self.url, "S3 returned no upload id"))?
            .to_owned();
        self.upload_id = Some(id.clone());
        if let Some((etag, size)) = self.copy_existing.take() {
            for range in copy_ranges(size, MAX_COPY_PART) {
                while self.in_flight.len() >= self.parallel {
                    self.join_one().await?;
                }
                let (client, url, id, etag) = (
                    self.client.clone(),
                    self.url.clone(),
                    id.clone(),
                    etag.clone(),
                );
                let number = self.next;
                self.next += 1;
                self.in_flight.spawn(async move {
                    copy_part(&client, &url, Some(&etag), &url, &id, number, range)
                        .await
                        .map_err(|e| match e {
                            crate::fs::FsError::S3 { report, .. }
                                if report.kind() == crate::ErrorKind::PreconditionFailed =>
                            {
                                io_error(&url, APPEND_CONFLICT)
                            }
                            other => io::Error::other(other),
                        })
                });
            }
        }
        Ok(id)
    }

    async fn send_part(&mut self, part: Bytes) -> io::Result<()> {
        let id = self.ensure_started().await?;
        while self.in_flight.len() >= self.parallel {
            self.join_one().await?;
        }
        let (client, url, number) = (self.client.clone(), self.url.clone(), self.next);
        self.next += 1;
        self.in_flight.spawn(async move {
            let out = client
                .upload_part()
                .bucket(url.bucket())
                .key(url.key())
                .upload_id(id)
                .part_number(number)
                .body(ByteStream::from(part))
                .send()
                .await
                .map_err(|e| sdk_error(&url, e))?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag().map(str::to_owned))
                .build())
        });
        Ok(())
    }

    async fn join_one(&mut self) -> io::Result<()> {
        if let Some(joined) = self.in_flight.join_next().await {
            self.done.push(joined.map_err(io::Error::other)??);
        }
        Ok(())
    }

    async fn finish(&mut self, last: Bytes) -> io::Result<()> {
        if self.upload_id.is_none() {
            if self.copy_existing.is_none() {
                // Everything fitted in one part: one PutObject.
                self.client
                    .put_object()
                    .bucket(self.url.bucket())
                    .key(self.url.key())
                    .set_content_type(self.content_type.clone())
                    .set_if_match(self.if_match.clone())
                    .body(ByteStream::from(last))
                    .send()
                    .await
                    .map_err(|e| precondition_or_sdk_error(&self.url, e))?;
                return Ok(());
            }
            if last.is_empty() {
                // An append of nothing leaves the object as it was.
                return Ok(());
            }
        }
        let id = self.ensure_started().await?;
        if !last.is_empty() {
            self.send_part(last).await?;
        }
        while !self.in_flight.is_empty() {
            self.join_one().await?;
        }
        let mut parts = std::mem::take(&mut self.done);
        parts.sort_by_key(|p| p.part_number());
        self.client
            .complete_multipart_upload()
            .bucket(self.url.bucket())
            .key(self.url.key())
            .upload_id(id)
            .set_if_match(self.if_match.clone())
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| precondition_or_sdk_error(&self.url, e))?;
        Ok(())
    }

    async fn abort(&mut self) {
        self.in_flight.abort_all();
        while self.in_flight.join_next().await.is_some() {}
        if let Some(id) = self.upload_id.take() {
            crate::fs::copy::abort_upload(&self.client, &self.url, &id).await;
        }
    }
}

const APPEND_CONFLICT: &str =
    "the object changed while it was appended to (ETag no longer matches); nothing was written";

/// A 412 on an append's final request means someone else wrote the object meanwhile.
fn precondition_or_sdk_error<
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
>(
    url: &S3Url,
    err: aws_sdk_s3::error::SdkError<E>,
) -> io::Error {
    if err.raw_response().map(|r| r.status().as_u16()) == Some(412) {
        return io_error(url, APPEND_CONFLICT);
    }
    sdk_error(url, err)
}

/// The background task: parts in, one upload out; aborted on any failure or a dropped writer.
async fn upload(mut state: Upload, mut rx: mpsc::Receiver<Message>, failure: Failure) {
    let url = state.url.clone();
    let mut reply = None;
    let result = loop {
        match rx.recv().await {
            Some(Message::Part(part)) => {
                if let Err(err) = state.send_part(part).await {
                    break Err(err);
                }
            }
            Some(Message::Finish(last, to)) => {
                reply = Some(to);
                break state.finish(last).await;
            }
            Some(Message::Abort(to)) => {
                reply = Some(to);
                break Err(io_error(&url, "upload aborted"));
            }
            None => {
                tracing::warn!(
                    %url,
                    "S3Writer dropped before shutdown(): the upload is aborted, nothing is written"
                );
                break Err(io_error(&url, "writer dropped before shutdown"));
            }
        }
    };
    let result = match result {
        Ok(()) => Ok(()),
        Err(err) => {
            tracing::debug!(err = %crate::report::chain(&err), "aborting upload");
            let err = failure.set(err);
            state.abort().await;
            Err(err)
        }
    };
    if let Some(cache) = &state.stat_cache {
        cache.forget(&url);
    }
    if let Some(reply) = reply {
        let _ = reply.send(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_so_that_10000_reach_s3s_5_tib_limit() {
        const MIB: usize = 1024 * 1024;
        let table = [
            (0, 8 * MIB),
            (999, 8 * MIB),
            (1000, 16 * MIB),
            (9999, 4096 * MIB),
            (20_000, MAX_PART_SIZE),
        ];
        for (sent, want) in table {
            assert_eq!(part_size_for(8 * MIB, sent), want, "after {sent} parts");
        }
        let total: u128 = (0..10_000).map(|n| part_size_for(8 * MIB, n) as u128).sum();
        assert!(total >= 5 * 1024 * 1024 * MIB as u128, "{total}");
    }
}
