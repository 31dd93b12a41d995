//! Server-side copies: CopyObject up to 5 GiB, a multipart upload of UploadPartCopy ranges above
//! (S3 refuses CopyObject for larger sources). Both are sent to the destination bucket's region;
//! S3 reads the source from wherever it is, so copies across regions move no bytes through us.

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use crate::client::MultiRegionClient;
use crate::fs::S3Url;
use crate::fs::error::{FsError, s3_error};

/// The largest source CopyObject accepts, and the largest part UploadPartCopy copies.
pub const MAX_COPY_PART: u64 = 5 * 1024 * 1024 * 1024;

/// `bucket/key` as `x-amz-copy-source` wants it: the key percent-encoded, `/` kept.
pub(crate) fn copy_source(src: &S3Url) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    format!(
        "{}/{}",
        src.bucket(),
        percent_encoding::utf8_percent_encode(src.key(), KEEP)
    )
}

/// Inclusive byte ranges covering `size` bytes in the fewest parts of at most `max_part` bytes,
/// balanced so that no part is much smaller than another (every part but the last of a
/// multipart upload must be at least 5 MiB; balancing keeps a 5 GiB + 1 B source legal).
pub(crate) fn copy_ranges(size: u64, max_part: u64) -> Vec<(u64, u64)> {
    if size == 0 || max_part == 0 {
        return Vec::new();
    }
    let parts = size.div_ceil(max_part);
    let part = size.div_ceil(parts);
    (0..parts)
        .map(|i| (i * part, ((i + 1) * part).min(size) - 1))
        .filter(|(start, end)| start <= end)
        .collect()
}

/// One UploadPartCopy of `range` of `src` (pinned to `etag` when given) as part `number`.
pub(crate) async fn copy_part(
    client: &MultiRegionClient,
    src: &S3Url,
    etag: Option<&str>,
    dst: &S3Url,
    upload_id: &str,
    number: i32,
    (start, end): (u64, u64),
) -> Result<CompletedPart, FsError> {
    let out = client
        .upload_part_copy()
        .bucket(dst.bucket())
        .key(dst.key())
        .upload_id(upload_id)
        .part_number(number)
        .copy_source(copy_source(src))
        .copy_source_range(format!("bytes={start}-{end}"))
        .set_copy_source_if_match(etag.map(str::to_owned))
        .send()
        .await
        .map_err(|e| s3_error(src, e))?;
    let etag = out.copy_part_result().and_then(|r| r.e_tag());
    Ok(CompletedPart::builder()
        .part_number(number)
        .set_e_tag(etag.map(str::to_owned))
        .build())
}

/// Copies `src` (`size` bytes, pinned to `etag` when given) to `dst` on the server side.
pub(crate) async fn copy_object(
    client: &MultiRegionClient,
    src: &S3Url,
    dst: &S3Url,
    size: u64,
    etag: Option<&str>,
) -> Result<(), FsError> {
    if size <= MAX_COPY_PART {
        client
            .copy_object()
            .bucket(dst.bucket())
            .key(dst.key())
            .copy_source(copy_source(src))
            .set_copy_source_if_match(etag.map(str::to_owned))
            .send()
            .await
            .map_err(|e| s3_error(dst, e))?;
        return Ok(());
    }
    let created = client
        .create_multipart_upload()
        .bucket(dst.bucket())
        .key(dst.key())
        .send()
        .await
        .map_err(|e| s3_error(dst, e))?;
    let id = created.upload_id().ok_or_else(|| FsError::S3 {
        url: dst.clone(),
        report: crate::ErrorReport::new(crate::ErrorKind::Service, "S3 returned no upload id"),
        source: None,
    })?;
    let copied = async {
        let mut parts = Vec::new();
        for (i, range) in copy_ranges(size, MAX_COPY_PART).into_iter().enumerate() {
            parts.push(copy_part(client, src, etag, dst, id, i as i32 + 1, range).await?);
        }
        client
            .complete_multipart_upload()
            .bucket(dst.bucket())
            .key(dst.key())
            .upload_id(id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| s3_error(dst, e))?;
        Ok(())
    }
    .await;
    if copied.is_err() {
        abort_upload(client, dst, id).await;
    }
    copied
}

/// Tells S3 to drop multipart upload `id` of `url` (its parts stop being stored and billed); a
/// failure is logged, since the caller is already failing for a better reason.
pub(crate) async fn abort_upload(client: &MultiRegionClient, url: &S3Url, id: &str) {
    let abort = client
        .abort_multipart_upload()
        .bucket(url.bucket())
        .key(url.key())
        .upload_id(id);
    if let Err(err) = abort.send().await {
        tracing::warn!(%url, err = %s3_error(url, err), "could not abort a multipart upload");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_byte_once_in_balanced_parts() {
        const MIB: u64 = 1024 * 1024;
        type Ranges = &'static [(u64, u64)];
        let table: [(u64, u64, Ranges); 6] = [
            (0, 10, &[]),
            (1, 10, &[(0, 0)]),
            (10, 10, &[(0, 9)]),
            (11, 10, &[(0, 5), (6, 10)]),
            (25, 10, &[(0, 8), (9, 17), (18, 24)]),
            (
                6 * MIB,
                5 * MIB,
                &[(0, 3 * MIB - 1), (3 * MIB, 6 * MIB - 1)],
            ),
        ];
        for (size, max, want) in table {
            assert_eq!(copy_ranges(size, max), want, "{size} in parts of {max}");
        }
        let ranges = copy_ranges(MAX_COPY_PART + 1, MAX_COPY_PART);
        assert_eq!(ranges.len(), 2);
        assert!(ranges.iter().all(|(s, e)| e - s + 1 >= 5 * MIB));
    }

    #[test]
    fn copy_source_encodes_the_key_but_not_slashes() {
        let url = S3Url::new("bkt", "a b/ü+c?.txt").unwrap();
        assert_eq!(copy_source(&url), "bkt/a%20b/%C3%BC%2Bc%3F.txt");
    }
}
