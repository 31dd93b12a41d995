//! The two sides of a batch read together, name by name, as the aws CLI's sync compares them:
//! both come in S3's order (walk.rs), so one pass pairs each name with its other side holding a
//! single entry of each — memory does not grow with the number of keys.
//!
//! Each side is filtered (`--exclude`/`--include`) as it is read; a source also records which
//! patterns matched something (to warn about the others) and which names it could not read
//! (`sync --delete` deletes nothing at or under them). A side that lists a name before one it
//! already listed is an error, not a guess: pairing out of order could delete what the source
//! holds.

use futures::StreamExt;

use super::walk::{Found, Side, Walked};
use crate::error::{CliError, failed};
use crate::filter::{Filters, PatternUse};

/// One name of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Paired {
    /// In the source only.
    Source(Found),
    /// In both (source, destination).
    Both(Found, Found),
    /// In the destination only.
    Destination(Found),
}

/// One side being read: its next entry, once looked at, and what reading it found.
pub(super) struct Tracked<'a> {
    label: String,
    side: Side<'a>,
    filters: &'a Filters,
    peeked: Option<Found>,
    done: bool,
    last: Option<String>,
    /// Patterns that matched a name of this side (kept for a source only).
    usage: Option<PatternUse>,
    /// Names passed over (unreadable, not UTF-8, loops...).
    pub(super) unknown: Vec<String>,
    /// Their warnings, not yet reported.
    warnings: Vec<String>,
}

impl<'a> Tracked<'a> {
    /// A side named `label` in errors; `is_source` records pattern use and warnings.
    pub(super) fn new(
        label: impl std::fmt::Display,
        side: Side<'a>,
        filters: &'a Filters,
        is_source: bool,
    ) -> Self {
        Self {
            label: label.to_string(),
            side,
            filters,
            peeked: None,
            done: false,
            last: None,
            usage: is_source.then(|| filters.usage()),
            unknown: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The next entry the filters let through, without taking it.
    pub(super) async fn peek(&mut self) -> Result<Option<&Found>, CliError> {
        while self.peeked.is_none() && !self.done {
            match self.side.next().await {
                None => self.done = true,
                Some(Err(err)) => {
                    self.done = true;
                    return Err(err);
                }
                Some(Ok(Walked::Skipped { warning, name })) => {
                    if self.usage.is_some() {
                        self.warnings.push(warning);
                    }
                    self.unknown.push(name);
                }
                Some(Ok(Walked::Found(found))) => {
                    if let Some(last) = &self.last
                        && found.name <= *last
                    {
                        self.done = true;
                        return Err(failed(
                            &self.label,
                            format!(
                                "listed {:?} after {last:?}: not in S3's order, so nothing more \
                                 was compared (and nothing more deleted)",
                                found.name
                            ),
                        ));
                    }
                    self.last = Some(found.name.clone());
                    if let Some(usage) = &mut self.usage {
                        usage.note(self.filters, &found.name);
                    }
                    if self.filters.includes(&found.name) {
                        self.peeked = Some(found);
                    }
                }
            }
        }
        Ok(self.peeked.as_ref())
    }

    /// Takes the entry [`peek`](Self::peek) looked at.
    fn take(&mut self) -> Option<Found> {
        self.peeked.take()
    }

    /// The entries still to come (read to the end; for a refusal's count).
    pub(super) async fn count_rest(&mut self) -> Result<usize, CliError> {
        let mut count = 0;
        while self.peek().await?.is_some() {
            self.take();
            count += 1;
        }
        Ok(count)
    }

    /// Warnings of entries passed over since the last call.
    pub(super) fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// The patterns that matched nothing this side listed (call once it is read to the end).
    pub(super) fn unmatched_patterns(&self) -> Vec<&'a str> {
        self.usage
            .as_ref()
            .map(|usage| usage.unmatched(self.filters))
            .unwrap_or_default()
    }
}

/// The next name of `source` and (for a sync) `destination`, in order; `None` at the end.
pub(super) async fn next_pair(
    source: &mut Tracked<'_>,
    destination: Option<&mut Tracked<'_>>,
) -> Result<Option<Paired>, CliError> {
    let mine = source.peek().await?.map(|f| f.name.clone());
    let Some(destination) = destination else {
        return Ok(source.take().map(Paired::Source));
    };
    let theirs = destination.peek().await?.map(|f| f.name.clone());
    let pair = match (mine, theirs) {
        (None, None) => None,
        (Some(_), None) => source.take().map(Paired::Source),
        (None, Some(_)) => destination.take().map(Paired::Destination),
        (Some(mine), Some(theirs)) => match mine.cmp(&theirs) {
            std::cmp::Ordering::Less => source.take().map(Paired::Source),
            std::cmp::Ordering::Greater => destination.take().map(Paired::Destination),
            std::cmp::Ordering::Equal => source
                .take()
                .zip(destination.take())
                .map(|(s, d)| Paired::Both(s, d)),
        },
    };
    Ok(pair)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Rule;
    use crate::transfer::compare::Entry;
    use crate::transfer::walk::Place;

    fn side(names: &[&str]) -> Side<'static> {
        let items: Vec<Result<Walked, CliError>> = names
            .iter()
            .map(|name| match name.strip_prefix('!') {
                Some(skipped) => Ok(Walked::Skipped {
                    warning: format!("{skipped}: unreadable"),
                    name: skipped.to_owned(),
                }),
                None => Ok(Walked::Found(Found {
                    name: name.to_string(),
                    entry: Entry {
                        size: 1,
                        modified: None,
                    },
                    place: Place::Key(name.to_string()),
                })),
            })
            .collect();
        futures::stream::iter(items).boxed()
    }

    fn shown(pair: &Paired) -> String {
        match pair {
            Paired::Source(f) => format!("<{}", f.name),
            Paired::Both(f, _) => format!("={}", f.name),
            Paired::Destination(f) => format!(">{}", f.name),
        }
    }

    async fn merged(
        filters: &Filters,
        source: &[&str],
        destination: Option<&[&str]>,
    ) -> Result<(Vec<String>, Vec<String>, Vec<String>), CliError> {
        let mut source = Tracked::new("src", side(source), filters, true);
        let mut destination = destination.map(|d| Tracked::new("dst", side(d), filters, false));
        let mut pairs = Vec::new();
        while let Some(pair) = next_pair(&mut source, destination.as_mut()).await? {
            pairs.push(shown(&pair));
        }
        let unmatched = source
            .unmatched_patterns()
            .into_iter()
            .map(str::to_owned)
            .collect();
        Ok((pairs, source.unknown.clone(), unmatched))
    }

    #[tokio::test]
    async fn names_pair_in_order_filtered_with_what_was_unreadable() {
        let none = Filters::default();
        let (pairs, unknown, _) = merged(
            &none,
            &["a", "a-b", "!a/sub", "a/x", "c"],
            Some(&["a", "a/sub/y", "a/x", "b", "d"]),
        )
        .await
        .unwrap();
        assert_eq!(pairs, ["=a", "<a-b", ">a/sub/y", "=a/x", ">b", "<c", ">d"]);
        assert_eq!(unknown, ["a/sub"]);

        let filters = Filters::new(vec![
            Rule::Exclude("*.tmp".into()),
            Rule::Exclude("nothing*".into()),
        ]);
        let (pairs, _, unmatched) =
            merged(&filters, &["a.tmp", "b"], Some(&["a.tmp", "c.tmp", "z"]))
                .await
                .unwrap();
        assert_eq!(pairs, ["<b", ">z"], "excluded on both sides");
        assert_eq!(unmatched, ["nothing*"]);

        let (pairs, _, _) = merged(&none, &["x", "y"], None).await.unwrap();
        assert_eq!(pairs, ["<x", "<y"]);
    }

    #[tokio::test]
    async fn a_side_out_of_order_stops_the_merge() {
        let none = Filters::default();
        let err = merged(&none, &["a", "c"], Some(&["b", "a"]))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not in S3's order"), "{err}");
        let err = merged(&none, &["b", "b"], None).await.unwrap_err();
        assert!(err.to_string().contains("after \"b\""), "{err}");
    }
}
