//! The deletes of objects of a batch (`sync --delete`), up to 1 000 keys a DeleteObjects request
//! instead of one DeleteObject each: the same `delete:` line per key, a thousandth of the
//! requests. S3 answers a DeleteObjects with the keys it refused, each with its own code: those
//! fail alone, as a single DeleteObject would have.

use std::collections::HashMap;

use s3_multi_region::fs::{S3Fs, S3Url};

use crate::context::Context;
use crate::error::{CliError, reported};

use super::{Job, Planned};

/// Deletes the objects of `batch` (each a [`Job::DeleteObject`] of one bucket, at most 1 000)
/// in one request; returns each job with its own result.
pub(super) async fn in_one_request(
    ctx: &Context,
    batch: Vec<Planned>,
) -> Vec<(Planned, Result<u64, CliError>)> {
    let urls: Vec<S3Url> = batch
        .iter()
        .filter_map(|planned| match &planned.job {
            Job::DeleteObject(url) => Some(url.clone()),
            _ => None,
        })
        .collect();
    let Some(first) = urls.first() else {
        return Vec::new();
    };
    let keys: Vec<String> = urls.iter().map(|url| url.key().to_owned()).collect();
    // The bucket's root names the request (its errors, the stat cache it clears).
    let bucket = S3Url::new(first.bucket(), "").unwrap_or_else(|_| first.clone());
    let answer = S3Fs::new(ctx.client.clone())
        .remove_keys_each(&bucket, &keys)
        .await;
    let refused: HashMap<String, _> = match &answer {
        Ok(refused) => refused.iter().cloned().collect(),
        Err(_) => HashMap::new(),
    };
    batch
        .into_iter()
        .zip(urls)
        .map(|(planned, url)| {
            let result = match (&answer, refused.get(url.key())) {
                (Err(err), _) => Err(reported(&url, err)),
                (Ok(_), Some(report)) => Err(CliError::reported(&url, report.clone())),
                (Ok(_), None) => Ok(0),
            };
            (planned, result)
        })
        .collect()
}
