//! Transfers that would read what they write or delete what they read, refused before any
//! request (pure, table-tested). The aws CLI refuses `mv` of a file onto itself; we refuse every
//! pair that can lose data:
//!
//! - `cp` or `mv` of an object onto itself (above 5 GiB S3 accepts the multipart self-copy,
//!   and `mv` would then delete the only copy);
//! - a recursive transfer whose source and destination are the same tree;
//! - `mv --recursive` and `sync` where one tree holds the other: `sync s3://b/a/ s3://b/
//!   --delete` deletes the source while copying it, `sync s3://b/ s3://b/a/` nests one level
//!   deeper on every run, a move into its own subtree deletes what it copied.
//!
//! A nested tree the filters leave out entirely (`sync s3://b/ s3://b/backup/ --exclude
//! 'backup/*'`) is no overlap: nothing of it is read, written or deleted. `cp --recursive` may
//! nest (it lists before it copies, and deletes nothing), as the aws CLI's does.

use s3_multi_region::fs::S3Url;

use crate::filter::Filters;

/// What a command does with its two locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intent {
    Copy,
    Move,
    Sync,
}

impl Intent {
    fn verb(self) -> &'static str {
        match self {
            Intent::Copy => "cp",
            Intent::Move => "mv",
            Intent::Sync => "sync",
        }
    }
}

/// Names no one writes: if the filters leave out all of these under a prefix, they leave out
/// the whole prefix (a pattern such as `backup/*` does; `backup/*.txt` does not).
const PROBES: [&str; 3] = ["\u{1}", "\u{1}.\u{1}", "\u{1}/\u{1}\u{1}.\u{1}"];

fn left_out(filters: &Filters, prefix: &str) -> bool {
    PROBES
        .iter()
        .all(|probe| !filters.includes(&format!("{prefix}{probe}")))
}

/// One object to one object (not recursive): refused only onto itself.
pub(crate) fn check_object(from: &S3Url, to: &S3Url, intent: Intent) -> Result<(), String> {
    if from.bucket() == to.bucket() && from.key() == to.key() {
        return Err(format!("cannot {} {from} onto itself", intent.verb()));
    }
    Ok(())
}

/// A tree to a tree (`--recursive`, `sync`).
pub(crate) fn check_trees(
    from: &S3Url,
    to: &S3Url,
    intent: Intent,
    filters: &Filters,
) -> Result<(), String> {
    let (src, dst) = (from.dir_prefix(), to.dir_prefix());
    if from.bucket() != to.bucket() || !from.overlaps(to) {
        return Ok(());
    }
    if src == dst {
        return Err(format!(
            "cannot {} {from} onto itself: the source and the destination are the same",
            intent.verb()
        ));
    }
    let (inner, outer_holds, why) = if dst.starts_with(&src) {
        (
            &dst[src.len()..],
            "the source holds the destination",
            match intent {
                Intent::Sync => {
                    "every run would copy the destination into itself, one level deeper"
                }
                _ => "the move would copy into the tree it deletes",
            },
        )
    } else {
        (
            &src[dst.len()..],
            "the destination holds the source",
            match intent {
                Intent::Sync => "--delete would delete the source, and copies could overwrite it",
                _ => "the move could overwrite sources before moving them",
            },
        )
    };
    let allowed = match intent {
        Intent::Copy => true,
        // Moving a tree into a subtree the filters leave out is safe; moving a tree out into
        // one that holds it never is.
        Intent::Move => dst.starts_with(&src) && left_out(filters, inner),
        Intent::Sync => left_out(filters, inner),
    };
    if allowed {
        return Ok(());
    }
    Err(format!(
        "{from} and {to} overlap ({outer_holds}): {why}; use prefixes apart{}",
        match intent {
            Intent::Move if !dst.starts_with(&src) => String::new(),
            _ => format!(", or --exclude '{inner}*'"),
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> S3Url {
        s.parse().unwrap()
    }

    fn filters(args: &[&str]) -> Filters {
        Filters::from_args(args)
    }

    #[test]
    fn objects_onto_themselves() {
        let k = url("s3://bkt/k");
        assert!(
            check_object(&k, &k, Intent::Move)
                .unwrap_err()
                .contains("onto itself")
        );
        assert!(check_object(&k, &k, Intent::Copy).is_err());
        assert!(check_object(&k, &url("s3://bkt/k2"), Intent::Move).is_ok());
        assert!(check_object(&k, &url("s3://cbk/k"), Intent::Move).is_ok());
    }

    #[test]
    fn trees_that_hold_each_other() {
        use Intent::*;
        let none: &[&str] = &[];
        let backup_left_out: &[&str] = &["--exclude", "backup/*"];
        let only_txt_left_out: &[&str] = &["--exclude", "backup/*.txt"];
        let a_left_out: &[&str] = &["--exclude", "a/*"];
        // (from, to, intent, filters, allowed)
        let table: &[(&str, &str, Intent, &[&str], bool)] = &[
            ("s3://bkt/p/", "s3://bkt/p/", Move, none, false),
            ("s3://bkt/p/", "s3://bkt/p", Sync, none, false),
            ("s3://bkt/p/", "s3://bkt/p/", Copy, none, false),
            ("s3://bkt/a/", "s3://bkt/", Sync, none, false),
            ("s3://bkt/a/", "s3://bkt/", Move, none, false),
            ("s3://bkt/a/", "s3://bkt/", Move, a_left_out, false),
            ("s3://bkt/a/", "s3://bkt/", Copy, none, true),
            ("s3://bkt/a/", "s3://bkt/", Sync, a_left_out, true),
            ("s3://bkt/", "s3://bkt/a/", Sync, none, false),
            ("s3://bkt/", "s3://bkt/backup/", Sync, backup_left_out, true),
            (
                "s3://bkt/",
                "s3://bkt/backup/",
                Sync,
                only_txt_left_out,
                false,
            ),
            ("s3://bkt/", "s3://bkt/backup/", Move, backup_left_out, true),
            ("s3://bkt/", "s3://bkt/backup/", Move, none, false),
            ("s3://bkt/", "s3://bkt/backup/", Copy, none, true),
            ("s3://bkt/a/", "s3://bkt/a/sub/", Move, none, false),
            ("s3://bkt/a/", "s3://bkt/ab/", Sync, none, true),
            ("s3://bkt/a/", "s3://cbk/a/", Move, none, true),
            ("s3://bkt/a", "s3://bkt/ab", Move, none, true),
        ];
        for (from, to, intent, args, allowed) in table {
            let got = check_trees(&url(from), &url(to), *intent, &filters(args));
            assert_eq!(
                got.is_ok(),
                *allowed,
                "{intent:?} {from} {to} {args:?}: {got:?}"
            );
        }
        let said = check_trees(
            &url("s3://bkt/"),
            &url("s3://bkt/backup/"),
            Sync,
            &filters(none),
        )
        .unwrap_err();
        assert!(said.contains("--exclude 'backup/*'"), "{said}");
    }
}
