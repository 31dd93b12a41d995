//! ListObjectsV2 pages, computed from the sorted keys of a bucket (pure; the store walks the disk).
//!
//! Done here rather than in s3s-fs because the store keeps objects under stored names (keys.rs),
//! and S3 lists every key verbatim — directory markers (`photos/`), `..`, `a//b` — with ETags.

/// One page: the objects (indices into the input) and the common prefixes, in key order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) objects: Vec<usize>,
    pub(crate) common_prefixes: Vec<String>,
    /// Where the next page starts after, when the listing is truncated.
    pub(crate) next_after: Option<String>,
}

/// The page of `keys` (sorted, unique) under `prefix` after `after`, grouped at `delimiter`,
/// holding at most `max_keys` entries (objects and common prefixes together, as S3 counts).
pub(crate) fn page(
    keys: &[String],
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max_keys: usize,
) -> Page {
    let mut page = Page::default();
    let mut count = 0;
    let mut last: Option<String> = None;
    for (index, key) in keys.iter().enumerate() {
        if !key.starts_with(prefix) || after.is_some_and(|a| key.as_str() <= a) {
            continue;
        }
        let rest = &key[prefix.len()..];
        let group = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
            rest.find(d)
                .map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
        });
        if let Some(group) = &group
            && (last.as_deref() == Some(group.as_str())
                || after.is_some_and(|a| group.as_str() <= a))
        {
            continue;
        }
        if count == max_keys {
            page.next_after = last;
            return page;
        }
        count += 1;
        match group {
            Some(group) => {
                last = Some(group.clone());
                page.common_prefixes.push(group);
            }
            None => {
                last = Some(key.clone());
                page.objects.push(index);
            }
        }
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

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn pages_like_s3() {
        let all = keys(&["a", "d/", "d/x", "d/y/z", "e", "f/1", "f/2"]);
        let names = |p: &Page| -> (Vec<&str>, Vec<String>, Option<String>) {
            (
                p.objects.iter().map(|&i| all[i].as_str()).collect(),
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
                    objects,
                    prefixes.iter().map(|p| p.to_string()).collect(),
                    next.map(str::to_owned)
                ),
                "prefix {prefix:?} delimiter {delimiter:?} after {after:?} max {max}"
            );
        }
    }
}
