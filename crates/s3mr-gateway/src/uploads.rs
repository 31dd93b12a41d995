//! Multipart uploads started through this gateway and not yet completed or aborted: when the
//! gateway exits, they are aborted, so that a client cut off by a drain leaves no parts behind
//! (S3 keeps, and bills, the parts of an upload nobody finishes).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use s3_multi_region::MultiRegionClient;

/// `(bucket, key, upload id)` of each open upload.
#[derive(Debug, Clone, Default)]
pub(crate) struct OpenUploads(Arc<Mutex<HashSet<(String, String, String)>>>);

impl OpenUploads {
    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<(String, String, String)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn started(&self, bucket: &str, key: &str, upload_id: &str) {
        self.set()
            .insert((bucket.to_owned(), key.to_owned(), upload_id.to_owned()));
    }

    pub(crate) fn ended(&self, bucket: &str, key: &str, upload_id: &str) {
        self.set()
            .remove(&(bucket.to_owned(), key.to_owned(), upload_id.to_owned()));
    }

    /// How many are open.
    pub(crate) fn len(&self) -> usize {
        self.set().len()
    }

    /// Aborts every open upload; returns how many S3 accepted to abort.
    pub(crate) async fn abort_all(&self, client: &MultiRegionClient) -> usize {
        let open: Vec<_> = self.set().drain().collect();
        let mut aborted = 0;
        for (bucket, key, upload_id) in open {
            let sent = client
                .s3()
                .abort_multipart_upload()
                .bucket(&bucket)
                .key(&key)
                .upload_id(&upload_id)
                .send()
                .await;
            match sent {
                Ok(_) => aborted += 1,
                Err(err) => tracing::warn!(
                    bucket,
                    key,
                    err = %s3_multi_region::error_chain(&err),
                    "could not abort a multipart upload left open by a client"
                ),
            }
        }
        aborted
    }
}
