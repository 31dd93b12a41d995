//! The deletes of objects of a batch (`sync --delete`), 1 000 keys a DeleteObjects request
//! instead of one DeleteObject each: the same `delete:` line per key, a thousandth of the
//! requests. S3 answers a DeleteObjects with the keys it refused, each with its own code: those
//! fail alone, as a single DeleteObject would have.

use std::collections::{BTreeMap, HashMap};

use s3_multi_region::fs::{S3Fs, S3Url};

use crate::context::Context;
use crate::error::{CliError, reported};

use super::report::Reporter;
use super::{Job, Planned, Tally};

/// S3's limit of keys in one DeleteObjects request.
const KEYS_PER_REQUEST: usize = 1000;

/// Deletes the objects of `jobs` (each a [`Job::DeleteObject`]), bucket by bucket, 1 000 a
/// request; Ctrl-C stops before the next request. Each key is recorded in `tally` as its own
/// job would have been.
pub(super) async fn in_batches(
    ctx: &Context,
    jobs: &[&Planned],
    reporter: &Reporter<'_>,
    tally: &mut Tally,
) {
    let mut by_bucket: BTreeMap<&str, Vec<(&Planned, &S3Url)>> = BTreeMap::new();
    for planned in jobs {
        if let Job::DeleteObject(url) = &planned.job {
            by_bucket
                .entry(url.bucket())
                .or_default()
                .push((planned, url));
        }
    }
    let fs = S3Fs::new(ctx.client.clone());
    for batch in by_bucket
        .values()
        .flat_map(|jobs| jobs.chunks(KEYS_PER_REQUEST))
    {
        if ctx.interrupt.is_set() {
            return;
        }
        let keys: Vec<String> = batch.iter().map(|(_, url)| url.key().to_owned()).collect();
        // The bucket's root names the request (its errors, the stat cache it clears).
        let first = batch[0].1;
        let bucket = S3Url::new(first.bucket(), "").unwrap_or_else(|_| first.clone());
        match fs.remove_keys_each(&bucket, &keys).await {
            Ok(refused) => {
                let refused: HashMap<String, _> = refused.into_iter().collect();
                for (planned, url) in batch {
                    let result = match refused.get(url.key()) {
                        Some(report) => Err(CliError::reported(url, report.clone())),
                        None => Ok(0),
                    };
                    tally.record(reporter, planned, result);
                }
            }
            Err(err) => {
                for (planned, url) in batch {
                    tally.record(reporter, planned, Err(reported(url, &err)));
                }
            }
        }
    }
}
