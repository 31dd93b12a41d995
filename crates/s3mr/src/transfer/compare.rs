//! What `sync` transfers and deletes (pure, table-tested), with the aws CLI's rules: a file or
//! object is copied when it is missing at the destination, when the sizes differ, or when the
//! source is newer (uploads and S3 → S3 copies); for downloads, when the *local* file is newer
//! than the object (as `aws s3 sync` documents), or with `--exact-timestamps` when the times
//! differ at all. `--size-only` compares sizes alone. Times compare at full precision, as the aws
//! CLI compares them: a same-size edit made within the second of the last upload is newer than
//! S3's whole-second LastModified and is synced (the price: a file written in the same second as
//! its upload finished goes up once more). A download's file gets the object's time exactly, so
//! the next sync finds nothing to do.

use std::time::SystemTime;

/// One side's view of a file or object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub size: u64,
    pub modified: Option<SystemTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Upload,
    Download,
    Copy,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SyncOptions {
    pub delete: bool,
    pub size_only: bool,
    pub exact_timestamps: bool,
    /// `--force`: `--delete` goes ahead even when the source is empty.
    pub force: bool,
}

/// Whether `src` must be copied over `dst`.
pub(super) fn needs_transfer(
    src: &Entry,
    dst: &Entry,
    direction: Direction,
    options: SyncOptions,
) -> bool {
    if src.size != dst.size {
        return true;
    }
    if options.size_only {
        return false;
    }
    let (Some(s), Some(d)) = (src.modified, dst.modified) else {
        return false;
    };
    match direction {
        Direction::Upload | Direction::Copy => s > d,
        Direction::Download if options.exact_timestamps => s != d,
        Direction::Download => d > s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64) -> Option<SystemTime> {
        Some(UNIX_EPOCH + Duration::from_secs(secs))
    }

    fn e(size: u64, modified: Option<SystemTime>) -> Entry {
        Entry { size, modified }
    }

    #[test]
    fn when_one_entry_is_copied() {
        use Direction::*;
        let plain = SyncOptions::default();
        let size_only = SyncOptions {
            size_only: true,
            ..plain
        };
        let exact = SyncOptions {
            exact_timestamps: true,
            ..plain
        };
        // (src, dst, direction, options) -> transfer
        let table = [
            (e(1, at(100)), e(2, at(100)), Upload, plain, true),
            (e(1, at(200)), e(1, at(100)), Upload, plain, true),
            (e(1, at(100)), e(1, at(200)), Upload, plain, false),
            (e(1, at(100)), e(1, at(100)), Upload, plain, false),
            (e(1, at(200)), e(1, at(100)), Copy, plain, true),
            (e(1, at(200)), e(1, at(100)), Upload, size_only, false),
            (e(1, at(200)), e(2, at(100)), Upload, size_only, true),
            // Downloads: aws re-downloads a same-size file only when the local one is newer.
            (e(1, at(200)), e(1, at(100)), Download, plain, false),
            (e(1, at(100)), e(1, at(200)), Download, plain, true),
            (e(1, at(200)), e(1, at(100)), Download, exact, true),
            (e(1, at(100)), e(1, at(100)), Download, exact, false),
            // Full precision: an edit 700 ms into the second S3 stored is newer (the aws CLI's
            // rule); the reverse is not, nor is the same instant.
            (
                e(1, Some(UNIX_EPOCH + Duration::from_millis(100_700))),
                e(1, at(100)),
                Upload,
                plain,
                true,
            ),
            (
                e(1, at(100)),
                e(1, Some(UNIX_EPOCH + Duration::from_millis(100_700))),
                Upload,
                plain,
                false,
            ),
            (
                e(1, Some(UNIX_EPOCH + Duration::from_millis(100_700))),
                e(1, Some(UNIX_EPOCH + Duration::from_millis(100_700))),
                Download,
                exact,
                false,
            ),
            (e(1, None), e(1, at(100)), Upload, plain, false),
        ];
        for (i, (src, dst, direction, options, want)) in table.into_iter().enumerate() {
            assert_eq!(
                needs_transfer(&src, &dst, direction, options),
                want,
                "row {i}"
            );
        }
    }
}
