//! What S3 does that s3s-fs does not, for reads and concurrent writes (pure parts table-tested):
//!
//! - GET/HEAD conditions (`If-Match`, `If-None-Match`, `If-Modified-Since`,
//!   `If-Unmodified-Since`), evaluated as S3 documents (RFC 9110 order);
//! - a suffix range longer than the object, which S3 answers with the whole object (s3s-fs seeks
//!   before the start and fails);
//! - one writer per key at a time: S3's writes are atomic, and a conditional write's check and
//!   write are one step, while s3s-fs writes the data and its metadata (ETag, checksums) as
//!   separate files, so racing writers could pair one's bytes with the other's checksum;
//! - `If-Match` on DeleteObject (S3's conditional delete): 412 when the object changed;
//! - a CopyObject onto its own source that changes nothing, which S3 refuses (400
//!   InvalidRequest) and s3s-fs accepts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use s3s::dto::{ETag, ETagCondition, Range, Timestamp};
use s3s::{S3Error, s3_error};

/// The request's read conditions.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ReadConditions<'a> {
    pub(crate) if_match: Option<&'a ETagCondition>,
    pub(crate) if_none_match: Option<&'a ETagCondition>,
    pub(crate) if_modified_since: Option<&'a Timestamp>,
    pub(crate) if_unmodified_since: Option<&'a Timestamp>,
}

impl ReadConditions<'_> {
    pub(crate) fn any(&self) -> bool {
        self.if_match.is_some()
            || self.if_none_match.is_some()
            || self.if_modified_since.is_some()
            || self.if_unmodified_since.is_some()
    }
}

fn unix_seconds(t: &Timestamp) -> i64 {
    time::OffsetDateTime::from(t.clone()).unix_timestamp()
}

fn matches(condition: &ETagCondition, etag: &ETag) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(wanted) => wanted.value() == etag.value(),
    }
}

/// Whether a read of an object with `etag`, last modified at `modified`, goes ahead: `Ok`, or
/// 412 PreconditionFailed, or 304 NotModified. Times compare in whole seconds, as S3's
/// `Last-Modified` header carries them. A passing `If-Match` makes S3 ignore
/// `If-Unmodified-Since`; a failing `If-None-Match` makes it ignore `If-Modified-Since`.
pub(crate) fn check_read(
    conditions: &ReadConditions<'_>,
    etag: &ETag,
    modified: &Timestamp,
) -> Result<(), S3Error> {
    let modified = unix_seconds(modified);
    let precondition = || {
        s3_error!(
            PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold"
        )
    };
    match (conditions.if_match, conditions.if_unmodified_since) {
        (Some(condition), _) if !matches(condition, etag) => return Err(precondition()),
        (None, Some(since)) if modified > unix_seconds(since) => return Err(precondition()),
        _ => {}
    }
    let not_modified = || s3_error!(NotModified);
    match (conditions.if_none_match, conditions.if_modified_since) {
        (Some(condition), _) if matches(condition, etag) => Err(not_modified()),
        (None, Some(since)) if modified <= unix_seconds(since) => Err(not_modified()),
        _ => Ok(()),
    }
}

/// The range to hand s3s-fs for an object of `size` bytes: a suffix longer than the object is
/// the whole object, as S3 answers it.
pub(crate) fn clamp_range(range: Range, size: u64) -> Range {
    match range {
        Range::Suffix { length } if length > size && size > 0 => Range::Int {
            first: 0,
            last: None,
        },
        other => other,
    }
}

/// Whether a conditional delete (`If-Match`) of an object whose ETag is `current` goes ahead:
/// `None` (missing) is 404 NoSuchKey, another ETag 412 PreconditionFailed, as S3 answers.
pub(crate) fn check_delete(
    if_match: &ETagCondition,
    current: Option<&ETag>,
) -> Result<(), S3Error> {
    match current {
        None => Err(s3_error!(NoSuchKey, "The specified key does not exist.")),
        Some(etag) if matches(if_match, etag) => Ok(()),
        Some(_) => Err(s3_error!(
            PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold"
        )),
    }
}

/// What a CopyObject may change that makes a copy onto its own source legal.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CopyChanges {
    pub(crate) replaces_metadata: bool,
    pub(crate) storage_class: bool,
    pub(crate) website_redirect: bool,
    pub(crate) encryption: bool,
}

/// S3 refuses a copy of an object onto itself that changes neither its metadata, storage
/// class, website redirect location nor encryption (400 InvalidRequest); any other copy goes.
pub(crate) fn check_self_copy(same_object: bool, changes: CopyChanges) -> Result<(), S3Error> {
    let changes_something = changes.replaces_metadata
        || changes.storage_class
        || changes.website_redirect
        || changes.encryption;
    if same_object && !changes_something {
        return Err(s3_error!(
            InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself \
             without changing the object's metadata, storage class, website redirect location or \
             encryption attributes."
        ));
    }
    Ok(())
}

type KeyLock = Arc<tokio::sync::RwLock<()>>;

/// One lock per object key (readers share, writers are alone), shared by every region.
#[derive(Debug, Default)]
pub(crate) struct KeyLocks {
    by_key: Mutex<HashMap<(String, String), KeyLock>>,
}

impl KeyLocks {
    fn lock_for(&self, bucket: &str, stored: &str) -> KeyLock {
        let mut by_key = self.by_key.lock().unwrap_or_else(|e| e.into_inner());
        // Forget locks nobody holds, so the map stays as small as the keys in use.
        if by_key.len() > 4096 {
            by_key.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        Arc::clone(
            by_key
                .entry((bucket.to_owned(), stored.to_owned()))
                .or_default(),
        )
    }

    pub(crate) async fn read(
        &self,
        bucket: &str,
        stored: &str,
    ) -> tokio::sync::OwnedRwLockReadGuard<()> {
        self.lock_for(bucket, stored).read_owned().await
    }

    pub(crate) async fn write(
        &self,
        bucket: &str,
        stored: &str,
    ) -> tokio::sync::OwnedRwLockWriteGuard<()> {
        self.lock_for(bucket, stored).write_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from(time::OffsetDateTime::from_unix_timestamp(secs).unwrap())
    }

    #[test]
    fn read_conditions_as_s3_evaluates_them() {
        let etag = ETag::Strong("abc".into());
        let same = ETagCondition::ETag(ETag::Strong("abc".into()));
        let other = ETagCondition::ETag(ETag::Strong("zzz".into()));
        let any = ETagCondition::Any;
        let (before, now, after) = (at(999), at(1000), at(1001));
        // (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) -> HTTP status
        let table: [(_, _, _, _, u16); 13] = [
            (None, None, None, None, 200),
            (Some(&same), None, None, None, 200),
            (Some(&any), None, None, None, 200),
            (Some(&other), None, None, None, 412),
            (None, Some(&same), None, None, 304),
            (None, Some(&any), None, None, 304),
            (None, Some(&other), None, None, 200),
            (None, None, Some(&now), None, 304),
            (None, None, Some(&before), None, 200),
            (None, None, None, Some(&before), 412),
            (None, None, None, Some(&after), 200),
            // If-Match true wins over If-Unmodified-Since false; If-None-Match false over
            // If-Modified-Since true.
            (Some(&same), None, None, Some(&before), 200),
            (None, Some(&other), Some(&after), None, 200),
        ];
        for (if_match, if_none_match, if_modified_since, if_unmodified_since, want) in table {
            let conditions = ReadConditions {
                if_match,
                if_none_match,
                if_modified_since,
                if_unmodified_since,
            };
            let got = match check_read(&conditions, &etag, &now) {
                Ok(()) => 200,
                Err(e) => e.status_code().map_or(0, |s| s.as_u16()),
            };
            assert_eq!(got, want, "{conditions:?}");
        }
    }

    #[test]
    fn conditional_deletes_and_self_copies_as_s3_answers_them() {
        let etag = ETag::Strong("abc".into());
        let status = |r: Result<(), S3Error>| match r {
            Ok(()) => 200,
            Err(e) => e.status_code().map_or(0, |s| s.as_u16()),
        };
        let same = ETagCondition::ETag(ETag::Strong("abc".into()));
        let other = ETagCondition::ETag(ETag::Strong("zzz".into()));
        assert_eq!(status(check_delete(&same, Some(&etag))), 200);
        assert_eq!(status(check_delete(&ETagCondition::Any, Some(&etag))), 200);
        assert_eq!(status(check_delete(&other, Some(&etag))), 412);
        assert_eq!(status(check_delete(&same, None)), 404);

        let none = CopyChanges::default();
        assert_eq!(status(check_self_copy(true, none)), 400);
        assert_eq!(status(check_self_copy(false, none)), 200);
        for change in [
            CopyChanges {
                replaces_metadata: true,
                ..none
            },
            CopyChanges {
                storage_class: true,
                ..none
            },
            CopyChanges {
                website_redirect: true,
                ..none
            },
            CopyChanges {
                encryption: true,
                ..none
            },
        ] {
            assert_eq!(status(check_self_copy(true, change)), 200, "{change:?}");
        }
    }

    #[test]
    fn long_suffixes_read_the_whole_object() {
        let whole = |r: Range| {
            matches!(
                r,
                Range::Int {
                    first: 0,
                    last: None
                }
            )
        };
        assert!(whole(clamp_range(Range::Suffix { length: 100 }, 14)));
        assert!(matches!(
            clamp_range(Range::Suffix { length: 2 }, 14),
            Range::Suffix { length: 2 }
        ));
        assert!(matches!(
            clamp_range(
                Range::Int {
                    first: 3,
                    last: None
                },
                14
            ),
            Range::Int { first: 3, .. }
        ));
    }
}
