//! Listing pages, computed over a bucket's ordered index (pure; index.rs keeps the index).
//!
//! Done here rather than in s3s-fs because the store keeps objects under stored names (keys.rs),
//! and S3 lists every key verbatim — directory markers (`photos/`), `..`, `a//b` — with ETags.
//! A page is a range of the B-tree: O(log n + page), and a common prefix is stepped over in one
//! seek, however many keys it groups.

use std::collections::BTreeMap;
use std::ops::Bound;

/// One page: the objects (key and value) and the common prefixes, in key order.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Page<V> {
    pub(crate) objects: Vec<(String, V)>,
    pub(crate) common_prefixes: Vec<String>,
    /// Where the next page starts after, when the listing is truncated.
    pub(crate) next_after: Option<String>,
}

impl<V> Default for Page<V> {
    fn default() -> Self {
        Self {
            objects: Vec::new(),
            common_prefixes: Vec::new(),
            next_after: None,
        }
    }
}

/// The smallest string after every string that starts with `prefix` (`None`: there is none).
/// Keys starting with a prefix are contiguous in byte order, so a seek here skips them all.
fn past(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The next code point (surrogates are not chars); UTF-8 byte order is code point order.
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The page of `index` under `prefix` after `after`, grouped at `delimiter`, holding at most
/// `max_keys` entries (objects and common prefixes together, as S3 counts).
pub(crate) fn page<V: Clone>(
    index: &BTreeMap<String, V>,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max_keys: usize,
) -> Page<V> {
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let mut page = Page::default();
    let mut last: Option<String> = None;
    let mut from = match after {
        Some(after) if after >= prefix => Bound::Excluded(after.to_owned()),
        _ => Bound::Included(prefix.to_owned()),
    };
    'seek: loop {
        for (key, value) in index.range((from.clone(), Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                break 'seek;
            }
            let rest = &key[prefix.len()..];
            let group = delimiter.and_then(|d| {
                rest.find(d)
                    .map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
            });
            if let Some(group) = &group
                && (last.as_deref() == Some(group.as_str())
                    || after.is_some_and(|a| group.as_str() <= a))
            {
                // Inside a group already listed (or listed on an earlier page): seek past it.
                match past(group) {
                    Some(next) => {
                        from = Bound::Included(next);
                        continue 'seek;
                    }
                    None => break 'seek,
                }
            }
            if page.objects.len() + page.common_prefixes.len() == max_keys {
                page.next_after = last;
                return page;
            }
            match group {
                Some(group) => {
                    last = Some(group.clone());
                    page.common_prefixes.push(group);
                }
                None => {
                    last = Some(key.clone());
                    page.objects.push((key.clone(), value.clone()));
                }
            }
        }
        break;
    }
    page
}

/// What S3 leaves as it is in a listing value under `encoding-type=url`: letters, digits,
/// `-_.~` and `/`. Everything else is percent-encoded as UTF-8, a space as `+` (form encoding,
/// which botocore undoes with `unquote_plus`).
const KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// `value` as S3 writes a key, prefix, delimiter or marker in a listing asked with
/// `encoding-type=url` — the way keys that XML 1.0 cannot carry (control characters) travel.
pub(crate) fn url_encoded(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, KEPT)
        .to_string()
        .replace("%20", "+")
}

/// A continuation token: the last key listed, encoded so that any key travels in XML and a
/// query string; opaque to clients, as S3's are.
pub(crate) fn token_for(after: &str) -> String {
    url_encoded(after)
}

/// The key a continuation token stands for (`None` for a token this emulator did not make).
pub(crate) fn after_token(token: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&token.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|key| key.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_values_are_encoded_as_s3_encodes_them() {
        let table = [
            ("plain/key-1_2.txt~", "plain/key-1_2.txt~"),
            ("a b+c.txt", "a+b%2Bc.txt"),
            ("%2e%2e/z.txt", "%252e%252e/z.txt"),
            ("100%", "100%25"),
            ("ctl\u{1}x", "ctl%01x"),
            ("é", "%C3%A9"),
            ("a&b<c>", "a%26b%3Cc%3E"),
        ];
        for (value, want) in table {
            assert_eq!(url_encoded(value), want, "{value:?}");
            assert_eq!(after_token(&token_for(value)).as_deref(), Some(value));
        }
        assert_eq!(after_token("%ff"), None, "not UTF-8: not a token of ours");
    }

    /// Prefix, delimiter, start after, max keys → objects, common prefixes, next start.
    type Case<'a> = (
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        usize,
        (Vec<&'a str>, Vec<&'a str>, Option<&'a str>),
    );

    fn keys(list: &[&str]) -> BTreeMap<String, ()> {
        list.iter().map(|k| (k.to_string(), ())).collect()
    }

    /// The plain reading of S3's rules, one key at a time over the whole bucket: what the
    /// seeking [`page`] must equal.
    fn model(
        keys: &[String],
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
        max_keys: usize,
    ) -> (Vec<String>, Vec<String>, Option<String>) {
        let (mut objects, mut prefixes, mut last) = (Vec::new(), Vec::new(), None::<String>);
        for key in keys {
            if !key.starts_with(prefix) || after.is_some_and(|a| key.as_str() <= a) {
                continue;
            }
            let rest = &key[prefix.len()..];
            let group = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
                rest.find(d)
                    .map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
            });
            if let Some(group) = &group
                && (last.as_ref() == Some(group) || after.is_some_and(|a| group.as_str() <= a))
            {
                continue;
            }
            if objects.len() + prefixes.len() == max_keys {
                return (objects, prefixes, last);
            }
            last = Some(group.clone().unwrap_or_else(|| key.clone()));
            match group {
                Some(group) => prefixes.push(group),
                None => objects.push(key.clone()),
            }
        }
        (objects, prefixes, None)
    }

    proptest::proptest! {
        #[test]
        fn seeking_pages_equal_the_one_key_at_a_time_model(
            keys in proptest::collection::btree_set("[ab/é\\-]{0,6}", 0..60),
            prefix in "[ab/]{0,2}",
            delimiter in proptest::option::of("[/b]|ab|é"),
            after in proptest::option::of("[ab/é]{0,4}"),
            max_keys in 0usize..8,
        ) {
            let index: BTreeMap<String, ()> = keys.iter().map(|k| (k.clone(), ())).collect();
            let sorted: Vec<String> = keys.into_iter().collect();
            let got = page(&index, &prefix, delimiter.as_deref(), after.as_deref(), max_keys);
            let got = (
                got.objects.into_iter().map(|(k, _)| k).collect::<Vec<_>>(),
                got.common_prefixes,
                got.next_after,
            );
            let want = model(&sorted, &prefix, delimiter.as_deref(), after.as_deref(), max_keys);
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn past_a_prefix_is_the_next_string_after_all_it_starts() {
        let table = [
            ("d/", Some("d0")),
            ("a", Some("b")),
            ("\u{7ff}", Some("\u{800}")),
            ("x\u{d7ff}", Some("x\u{e000}")),
            ("x\u{10ffff}", Some("y")),
            ("\u{10ffff}", None),
        ];
        for (prefix, want) in table {
            assert_eq!(past(prefix).as_deref(), want, "{prefix:?}");
        }
    }

    #[test]
    fn pages_like_s3() {
        let all = keys(&["a", "d/", "d/x", "d/y/z", "e", "f/1", "f/2"]);
        let names = |p: &Page<()>| -> (Vec<String>, Vec<String>, Option<String>) {
            (
                p.objects.iter().map(|(k, _)| k.clone()).collect(),
                p.common_prefixes.clone(),
                p.next_after.clone(),
            )
        };
        let table: [Case; 7] = [
            (
                "",
                Some("/"),
                None,
                1000,
                (vec!["a", "e"], vec!["d/", "f/"], None),
            ),
            (
                "d/",
                Some("/"),
                None,
                1000,
                (vec!["d/", "d/x"], vec!["d/y/"], None),
            ),
            (
                "",
                None,
                None,
                3,
                (vec!["a", "d/", "d/x"], vec![], Some("d/x")),
            ),
            (
                "",
                None,
                Some("d/x"),
                3,
                (vec!["d/y/z", "e", "f/1"], vec![], Some("f/1")),
            ),
            ("", Some("/"), None, 2, (vec!["a"], vec!["d/"], Some("d/"))),
            ("", Some("/"), Some("d/"), 2, (vec!["e"], vec!["f/"], None)),
            ("zz", Some("/"), None, 1000, (vec![], vec![], None)),
        ];
        for (prefix, delimiter, after, max, (objects, prefixes, next)) in table {
            let got = page(&all, prefix, delimiter, after, max);
            assert_eq!(
                names(&got),
                (
                    objects.iter().map(|o| o.to_string()).collect(),
                    prefixes.iter().map(|p| p.to_string()).collect(),
                    next.map(str::to_owned)
                ),
                "prefix {prefix:?} delimiter {delimiter:?} after {after:?} max {max}"
            );
        }
    }
}
