//! `S3Reader`: `AsyncRead + AsyncSeek` over ranged GETs, with a read-ahead buffer.
//!
//! The object's ETag is pinned when it is opened: every range is asked for with `If-Match` and
//! checked on arrival, so an object overwritten while it is read gives a clear error, never bytes
//! of two versions. Seeking inside the buffer fetches nothing.
//!
//! Sequential reading is prefetched: when a range arrives that continues the previous one, the
//! next range is already requested in the background while the caller consumes this one; once
//! two ranges in a row were sequential, two are kept in flight, so one request's set-up overlaps
//! another's transfer and a sequential read streams like one GET (at most three ranges in
//! memory). A read that stops early leaves at most two ranges fetched unread; a seek elsewhere
//! cancels the prefetches and fetches only what is read.

use std::collections::VecDeque;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncSeek, ReadBuf};

use crate::client::MultiRegionClient;
use crate::fs::S3Url;

/// Default read-ahead: how much one ranged GET asks for.
pub const DEFAULT_READ_AHEAD: usize = 8 * 1024 * 1024;

type Fetch = tokio::task::JoinHandle<io::Result<Bytes>>;

/// Ranges kept in flight ahead of a reader that has read two ranges in a row sequentially.
const SEQUENTIAL_AHEAD: usize = 2;

/// Reads `s3://bucket/key` (see the module docs). Open it with [`crate::fs::S3Fs::open`].
pub struct S3Reader {
    client: MultiRegionClient,
    url: S3Url,
    etag: String,
    size: u64,
    position: u64,
    buffer: Bytes,
    buffer_start: u64,
    read_ahead: usize,
    /// Ranges requested ahead, in order: where each starts, and its fetch.
    fetches: VecDeque<(u64, Fetch)>,
    /// Ranges received in a row, each continuing the one before.
    sequential_ranges: u32,
}

impl std::fmt::Debug for S3Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Reader")
            .field("url", &self.url.to_string())
            .field("size", &self.size)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

fn io_error(url: &S3Url, message: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{url}: {message}"))
}

impl S3Reader {
    /// Opens `url` (one HeadObject), reading ahead `read_ahead` bytes per request.
    pub async fn open(
        client: MultiRegionClient,
        url: S3Url,
        read_ahead: usize,
    ) -> io::Result<Self> {
        let head = client
            .head_object()
            .bucket(url.bucket())
            .key(url.key())
            .send()
            .await
            .map_err(|e| {
                if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) {
                    io::Error::new(io::ErrorKind::NotFound, format!("{url}: no such object"))
                } else {
                    io_error(
                        &url,
                        aws_smithy_types::error::display::DisplayErrorContext(e),
                    )
                }
            })?;
        let etag = head
            .e_tag()
            .ok_or_else(|| io_error(&url, "S3 sent no ETag"))?
            .to_owned();
        Ok(Self {
            client,
            url,
            etag,
            size: head.content_length().unwrap_or(0).max(0) as u64,
            position: 0,
            buffer: Bytes::new(),
            buffer_start: 0,
            read_ahead: read_ahead.max(1),
            fetches: VecDeque::new(),
            sequential_ranges: 0,
        })
    }

    /// The object's size when it was opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The ETag the reader is pinned to.
    pub fn etag(&self) -> &str {
        &self.etag
    }

    fn start_fetch(&self, from: u64) -> Fetch {
        let (client, url, etag) = (self.client.clone(), self.url.clone(), self.etag.clone());
        let end = (from + self.read_ahead as u64).min(self.size) - 1;
        tokio::spawn(async move {
            let out = client
                .get_object()
                .bucket(url.bucket())
                .key(url.key())
                .range(format!("bytes={from}-{end}"))
                .if_match(&etag)
                .send()
                .await
                .map_err(|e| match e.raw_response().map(|r| r.status().as_u16()) {
                    Some(412) => io_error(
                        &url,
                        "the object changed while it was read (ETag no longer matches)",
                    ),
                    _ => io_error(
                        &url,
                        aws_smithy_types::error::display::DisplayErrorContext(e),
                    ),
                })?;
            if out.e_tag() != Some(etag.as_str()) {
                return Err(io_error(
                    &url,
                    "the object changed while it was read (ETag no longer matches)",
                ));
            }
            let bytes = out
                .body
                .collect()
                .await
                .map_err(|e| io_error(&url, e))?
                .into_bytes();
            if bytes.len() as u64 != end - from + 1 {
                return Err(io_error(
                    &url,
                    format!(
                        "asked for {} bytes at {from}, got {}",
                        end - from + 1,
                        bytes.len()
                    ),
                ));
            }
            Ok(bytes)
        })
    }
}

impl AsyncRead for S3Reader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if self.position >= self.size || out.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            let offset = self.position.wrapping_sub(self.buffer_start);
            if self.position >= self.buffer_start && offset < self.buffer.len() as u64 {
                let available = &self.buffer[offset as usize..];
                let n = available.len().min(out.remaining());
                out.put_slice(&available[..n]);
                self.position += n as u64;
                return Poll::Ready(Ok(()));
            }
            let position = self.position;
            if self
                .fetches
                .front()
                .is_none_or(|(from, _)| *from != position)
            {
                // A seek away from the prefetched ranges: they are not wanted any more.
                self.cancel_fetches();
                let fetch = self.start_fetch(position);
                self.fetches.push_back((position, fetch));
            }
            let (from, fetch) = self.fetches.front_mut().expect("pushed above");
            let from = *from;
            let bytes = ready!(Pin::new(fetch).poll(cx)).map_err(io::Error::other)?;
            self.fetches.pop_front();
            let sequential = from == 0 || from == self.buffer_start + self.buffer.len() as u64;
            self.sequential_ranges = if sequential {
                self.sequential_ranges + 1
            } else {
                0
            };
            self.buffer = bytes?;
            self.buffer_start = from;
            if sequential {
                let next = from + self.buffer.len() as u64;
                self.prefetch_after(next);
            }
        }
    }
}

impl S3Reader {
    /// Keeps ranges requested ahead of `next` (where the buffer just received ends): one, or
    /// [`SEQUENTIAL_AHEAD`] once two ranges in a row were sequential.
    fn prefetch_after(&mut self, next: u64) {
        let ahead = if self.sequential_ranges >= 2 {
            SEQUENTIAL_AHEAD
        } else {
            1
        };
        let mut from = self
            .fetches
            .back()
            .map_or(next, |(start, _)| start + self.read_ahead as u64);
        while self.fetches.len() < ahead && from < self.size {
            let fetch = self.start_fetch(from);
            self.fetches.push_back((from, fetch));
            from += self.read_ahead as u64;
        }
    }

    fn cancel_fetches(&mut self) {
        for (_, fetch) in self.fetches.drain(..) {
            fetch.abort();
        }
    }
}

impl Drop for S3Reader {
    fn drop(&mut self) {
        self.cancel_fetches();
    }
}

impl AsyncSeek for S3Reader {
    fn start_seek(mut self: Pin<&mut Self>, to: SeekFrom) -> io::Result<()> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        self.position = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(self.position))
    }
}
