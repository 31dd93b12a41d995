//! A checksum the client sends as an aws-chunked trailer, verified while the body streams on.
//!
//! s3s decodes trailers but never checks their value, and the routed client computes its own
//! checksum of whatever bytes it forwards, so a body corrupted on its way to the gateway would
//! be stored with a checksum S3 finds consistent. So the gateway computes the algorithm the
//! client named (`x-amz-trailer: x-amz-checksum-crc32`, ...) over the bytes as they pass, and
//! holds back the last chunk until the trailer has arrived: on a mismatch the last chunk is
//! never forwarded, the upstream upload fails, no object is created, and the client gets 400
//! BadDigest.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use aws_smithy_checksums::ChecksumAlgorithm;
use aws_smithy_checksums::http::HttpChecksum;
use bytes::Bytes;
use futures::Stream;
use s3s::dto::StreamingBlob;
use s3s::stream::{ByteStream, RemainingLength};
use s3s::{S3Error, TrailingHeaders, s3_error};

/// The checksum trailer a request announces (`x-amz-trailer`), if it names one we verify.
pub(crate) fn announced_trailer(headers: &http::HeaderMap) -> Option<(String, ChecksumAlgorithm)> {
    let name = headers
        .get("x-amz-trailer")?
        .to_str()
        .ok()?
        .trim()
        .to_ascii_lowercase();
    let algorithm = name.strip_prefix("x-amz-checksum-")?.parse().ok()?;
    Some((name, algorithm))
}

/// Set when a trailer did not match: the upload's failure is then the client's BadDigest.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mismatch(Arc<AtomicBool>);

impl Mismatch {
    pub(crate) fn happened(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The client's error for it.
    pub(crate) fn error(name: &str) -> S3Error {
        s3_error!(
            BadDigest,
            "The {name} you specified did not match the calculated checksum."
        )
    }
}

/// The value of trailer `name` once the body has ended (s3s fills the request's trailers when
/// its aws-chunked decoder reaches them).
pub(crate) fn trailer_of(trailers: Option<TrailingHeaders>, name: String) -> SentTrailer {
    Box::new(move || {
        trailers
            .as_ref()
            .and_then(|t| t.read(|h| h.get(name.as_str()).cloned()))
            .flatten()
    })
}

/// Reads the trailer the client sent, once the body has ended.
pub(crate) type SentTrailer = Box<dyn Fn() -> Option<http::HeaderValue> + Send + Sync>;

/// `body` verified against the trailer `name` (see the module's docs).
pub(crate) fn verified(
    body: StreamingBlob,
    name: String,
    algorithm: ChecksumAlgorithm,
    sent: SentTrailer,
    mismatch: Mismatch,
) -> StreamingBlob {
    StreamingBlob::new(Verified {
        inner: body,
        checksum: Some(algorithm.into_impl()),
        name,
        sent,
        held: None,
        done: false,
        mismatch,
    })
}

struct Verified {
    inner: StreamingBlob,
    checksum: Option<Box<dyn HttpChecksum>>,
    name: String,
    sent: SentTrailer,
    /// The latest chunk, forwarded only once the next one (or a matching trailer) arrived.
    held: Option<Bytes>,
    done: bool,
    mismatch: Mismatch,
}

impl Verified {
    /// At the end of the body: does the trailer hold what the bytes add up to?
    fn trailer_matches(&mut self) -> bool {
        let Some(checksum) = self.checksum.take() else {
            return false;
        };
        let computed = checksum.header_value();
        (self.sent)().is_some_and(|sent| sent.as_bytes() == computed.as_bytes())
    }
}

impl Stream for Verified {
    type Item = Result<Bytes, s3s::StdError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Some(checksum) = self.checksum.as_mut() {
                        checksum.update(&chunk);
                    }
                    if let Some(previous) = self.held.replace(chunk) {
                        return Poll::Ready(Some(Ok(previous)));
                    }
                }
                Poll::Ready(Some(Err(err))) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(err)));
                }
                Poll::Ready(None) => {
                    self.done = true;
                    if self.trailer_matches() {
                        return Poll::Ready(self.held.take().map(Ok));
                    }
                    self.mismatch.0.store(true, Ordering::SeqCst);
                    let err = Mismatch::error(&self.name);
                    return Poll::Ready(Some(Err(Box::new(err))));
                }
            }
        }
    }
}

impl ByteStream for Verified {
    fn remaining_length(&self) -> RemainingLength {
        self.inner.remaining_length()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn trailer(value: &'static str) -> Option<&'static str> {
        Some(value)
    }

    async fn forwarded(trailer: Option<&'static str>) -> (Vec<Result<Bytes, String>>, bool) {
        let chunks = vec![
            Ok::<_, std::io::Error>(Bytes::from_static(b"hello ")),
            Ok(Bytes::from_static(b"world")),
        ];
        let body = StreamingBlob::wrap(futures::stream::iter(chunks));
        let mismatch = Mismatch::default();
        let stream = verified(
            body,
            "x-amz-checksum-crc32".into(),
            ChecksumAlgorithm::Crc32,
            Box::new(move || trailer.map(http::HeaderValue::from_static)),
            mismatch.clone(),
        );
        let out: Vec<_> = stream.map(|r| r.map_err(|e| e.to_string())).collect().await;
        (out, mismatch.happened())
    }

    #[tokio::test]
    async fn the_last_chunk_waits_for_a_matching_trailer() {
        // CRC32 of "hello world" is 0x0d4a1185, base64 DUoRhQ==.
        let (out, mismatch) = forwarded(trailer("DUoRhQ==")).await;
        assert!(!mismatch);
        assert_eq!(
            out,
            vec![
                Ok(Bytes::from_static(b"hello ")),
                Ok(Bytes::from_static(b"world"))
            ]
        );
        for wrong in [trailer("AAAAAA=="), None] {
            let (out, mismatch) = forwarded(wrong).await;
            assert!(mismatch);
            assert_eq!(out.len(), 2, "the last chunk is never forwarded: {out:?}");
            assert_eq!(out[0], Ok(Bytes::from_static(b"hello ")));
            assert!(
                out[1].as_ref().is_err_and(|e| e.contains("did not match")),
                "{out:?}"
            );
        }
    }

    #[test]
    fn announced_trailers() {
        let mut headers = http::HeaderMap::new();
        assert!(announced_trailer(&headers).is_none());
        headers.insert("x-amz-trailer", "x-amz-checksum-crc64nvme".parse().unwrap());
        let (name, algorithm) = announced_trailer(&headers).unwrap();
        assert_eq!(
            (name.as_str(), algorithm),
            ("x-amz-checksum-crc64nvme", ChecksumAlgorithm::Crc64Nvme)
        );
        headers.insert("x-amz-trailer", "x-amz-meta-other".parse().unwrap());
        assert!(announced_trailer(&headers).is_none());
    }
}
