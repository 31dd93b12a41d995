//! `s3://bucket/key` URLs.

use std::fmt::{self, Write as _};
use std::str::FromStr;

/// Why a string is not an `s3://` URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid S3 URL {url:?}: {reason}")]
pub struct S3UrlError {
    url: String,
    reason: &'static str,
}

impl S3UrlError {
    /// The string given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

/// S3's bucket naming rules: 3–63 characters of lower-case letters, digits, `.` and `-`,
/// beginning and ending with a letter or digit, no `..`, not shaped like an IP address.
pub fn is_valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err()
}

/// Whether `name` is an access point ARN S3 takes in place of a bucket, as the aws CLI reads
/// it in `s3://` paths: `arn:<partition>:s3:<region>:<account>:accesspoint/<name>`, the same
/// with `s3-object-lambda`, or a Multi-Region Access Point
/// `arn:<partition>:s3::<account>:accesspoint/<alias>.mrap` (no region). Routing leaves them
/// alone: the SDK addresses them itself.
///
/// ```
/// use s3_multi_region::fs::is_access_point_arn;
/// assert!(is_access_point_arn("arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap"));
/// assert!(is_access_point_arn("arn:aws:s3:eu-west-1:123456789012:accesspoint/reports"));
/// assert!(!is_access_point_arn("arn:aws:s3:eu-west-1:123456789012:accesspoint/a/b"));
/// ```
pub fn is_access_point_arn(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("arn:") else {
        return false;
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    let label = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let Some(ap) = resource.strip_prefix("accesspoint/") else {
        return false;
    };
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let name_ok = match ap.strip_suffix(".mrap") {
        // MRAP aliases: lower-case letters and digits; no region in the ARN.
        Some(alias) => {
            region.is_empty()
                && service == "s3"
                && !alias.is_empty()
                && alias.len() <= 63
                && alias
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        None => {
            label(region)
                && matches!(service, "s3" | "s3-object-lambda")
                && (3..=50).contains(&ap.len())
                && label(ap)
        }
    };
    label(partition) && account_ok && name_ok
}

/// The key rules both constructors apply: S3's 1024-byte limit, and no line break or NUL (which
/// no S3 listing can return intact, and which a URL must never smuggle into a request line).
fn check_key(key: &str) -> Result<(), &'static str> {
    if key.len() > 1024 {
        return Err("keys are at most 1024 bytes");
    }
    if key.contains(['\n', '\r', '\0']) {
        return Err("the key holds a line break or NUL");
    }
    Ok(())
}

/// `s3://bucket/key`: a bucket, and a key that may be empty (the bucket itself) or end with `/`
/// (a directory).
///
/// Keys are data, kept verbatim both ways, as the aws CLI reads `s3://` paths: `s3://b/a%20b` is
/// the key `a%20b`, `s3://b/../x` the key `../x`, and [`fmt::Display`] writes the key as S3 holds
/// it, so a printed URL can be pasted back. The one exception is control characters (a key may
/// hold an ESC that would drive the terminal): Display shows them escaped (`\u{1b}`).
///
/// ```
/// use s3_multi_region::fs::S3Url;
/// let url: S3Url = "s3://my-bucket/photos/2026/".parse().unwrap();
/// assert_eq!((url.bucket(), url.key()), ("my-bucket", "photos/2026/"));
/// assert!(url.is_directory());
/// assert!("s3://Bad_Bucket/key".parse::<S3Url>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Url {
    bucket: String,
    key: String,
}

impl S3Url {
    /// A URL from parts, validating the bucket name.
    pub fn new(bucket: &str, key: &str) -> Result<Self, S3UrlError> {
        let refuse = |reason| S3UrlError {
            url: format!("s3://{bucket}/{}", key.escape_debug()),
            reason,
        };
        if !is_valid_bucket_name(bucket) && !is_access_point_arn(bucket) {
            return Err(refuse("invalid bucket name"));
        }
        check_key(key).map_err(refuse)?;
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key (empty for the bucket itself).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether this names a bucket or a "directory" (a key prefix ending with `/`).
    pub fn is_directory(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }

    /// The key prefix of this URL read as a directory: empty for the bucket, else the key with
    /// one trailing `/`.
    pub fn dir_prefix(&self) -> String {
        match self.key.as_str() {
            "" => String::new(),
            k if k.ends_with('/') => k.to_owned(),
            k => format!("{k}/"),
        }
    }

    /// The URL of `name` inside this directory.
    pub fn join(&self, name: &str) -> S3Url {
        let mut key = self.key.clone();
        if !key.is_empty() && !key.ends_with('/') {
            key.push('/');
        }
        key.push_str(name);
        Self {
            bucket: self.bucket.clone(),
            key,
        }
    }

    /// Whether `other` lies in the tree this URL names read as a directory: the same bucket, and
    /// `other`'s key is this key or starts with its [`dir_prefix`](Self::dir_prefix). A bucket
    /// holds every key of itself; `a` holds `a` and `a/b` but not `ab`.
    ///
    /// ```
    /// use s3_multi_region::fs::S3Url;
    /// let url = |s: &str| s.parse::<S3Url>().unwrap();
    /// assert!(url("s3://bkt/a/").tree_contains(&url("s3://bkt/a/sub/x")));
    /// assert!(!url("s3://bkt/a").tree_contains(&url("s3://bkt/ab")));
    /// ```
    pub fn tree_contains(&self, other: &S3Url) -> bool {
        self.bucket == other.bucket
            && (self.key.trim_end_matches('/') == other.key.trim_end_matches('/')
                || other.key.starts_with(&self.dir_prefix()))
    }

    /// Whether one of the two trees holds the other (see [`tree_contains`](Self::tree_contains)):
    /// a transfer between them would read what it writes or delete what it reads.
    pub fn overlaps(&self, other: &S3Url) -> bool {
        self.tree_contains(other) || other.tree_contains(self)
    }

    /// The last path segment of the key.
    pub fn file_name(&self) -> Option<&str> {
        self.key
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
    }
}

impl FromStr for S3Url {
    type Err = S3UrlError;

    fn from_str(s: &str) -> Result<Self, S3UrlError> {
        let error = |reason| S3UrlError {
            url: s.chars().take(256).collect(),
            reason,
        };
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| error("expected s3://bucket/key"))?;
        // An access point ARN holds one `/` (`…:accesspoint/name`): the bucket ends at the next.
        let split_at = match rest.strip_prefix("arn:") {
            Some(_) => rest.find("accesspoint/").and_then(|at| {
                let after = at + "accesspoint/".len();
                rest[after..].find('/').map(|slash| after + slash)
            }),
            None => rest.find('/'),
        };
        let (bucket, key) = match split_at {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, ""),
        };
        if bucket.is_empty() {
            return Err(error("no bucket"));
        }
        if !is_valid_bucket_name(bucket) && !is_access_point_arn(bucket) {
            return Err(error("invalid bucket name"));
        }
        if let Err(reason) = check_key(key) {
            return Err(error(reason));
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, printable_key(&self.key))
    }
}

/// `key` as S3 holds it, fit for a terminal: control characters (ESC, line breaks, tabs) are
/// shown escaped (`\u{1b}`), everything else verbatim. What [`S3Url`]'s Display writes.
///
/// ```
/// use s3_multi_region::fs::printable_key;
/// assert_eq!(printable_key("%2e%2e/z.txt"), "%2e%2e/z.txt");
/// assert_eq!(printable_key("evil\u{1b}[2J"), "evil\\u{1b}[2J");
/// ```
pub fn printable_key(key: &str) -> std::borrow::Cow<'_, str> {
    if !key.chars().any(char::is_control) {
        return key.into();
    }
    let mut shown = String::with_capacity(key.len() + 8);
    for c in key.chars() {
        if c.is_control() {
            let _ = write!(shown, "{}", c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    shown.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_that_hold_each_other() {
        let url = |s: &str| s.parse::<S3Url>().unwrap();
        // (a, b, a holds b, b holds a)
        let table = [
            ("s3://bkt", "s3://bkt/a/x", true, false),
            ("s3://bkt/", "s3://bkt/", true, true),
            ("s3://bkt/a/", "s3://bkt/a/", true, true),
            ("s3://bkt/a", "s3://bkt/a/", true, true),
            ("s3://bkt/k", "s3://bkt/k", true, true),
            ("s3://bkt/a/", "s3://bkt/a/sub/", true, false),
            ("s3://bkt/a", "s3://bkt/ab", false, false),
            ("s3://bkt/a/", "s3://bkt/ab/", false, false),
            ("s3://bkt/a/", "s3://cbk/a/", false, false),
            ("s3://bkt/a/x", "s3://bkt/a/y", false, false),
        ];
        for (a, b, holds, held) in table {
            assert_eq!(url(a).tree_contains(&url(b)), holds, "{a} holds {b}");
            assert_eq!(url(b).tree_contains(&url(a)), held, "{b} holds {a}");
            assert_eq!(url(a).overlaps(&url(b)), holds || held, "{a} ~ {b}");
        }
    }

    #[test]
    fn parsing_table() {
        let ok: &[(&str, &str, &str)] = &[
            ("s3://bucket", "bucket", ""),
            ("s3://bucket/", "bucket", ""),
            ("s3://bucket/key", "bucket", "key"),
            ("s3://my.bucket-1/a/b/c.txt", "my.bucket-1", "a/b/c.txt"),
            ("s3://bucket/dir/", "bucket", "dir/"),
            ("s3://bucket/a%20b", "bucket", "a%20b"),
            ("s3://bucket/%2e%2e/z.txt", "bucket", "%2e%2e/z.txt"),
            ("s3://bucket/../../x", "bucket", "../../x"),
            ("s3://bucket//abs", "bucket", "/abs"),
            ("s3://bucket/a b?c#d", "bucket", "a b?c#d"),
            ("s3://bucket/€", "bucket", "€"),
            // Access point ARNs in place of a bucket, as the aws CLI reads them.
            (
                "s3://arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap/a/b",
                "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap",
                "a/b",
            ),
            (
                "s3://arn:aws:s3:eu-west-1:123456789012:accesspoint/reports",
                "arn:aws:s3:eu-west-1:123456789012:accesspoint/reports",
                "",
            ),
            (
                "s3://arn:aws-cn:s3-object-lambda:cn-north-1:123456789012:accesspoint/olap/k",
                "arn:aws-cn:s3-object-lambda:cn-north-1:123456789012:accesspoint/olap",
                "k",
            ),
            ("s3://b--usw2-az1--x-s3/k", "b--usw2-az1--x-s3", "k"),
        ];
        for (input, bucket, key) in ok {
            let url: S3Url = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!((url.bucket(), url.key()), (*bucket, *key), "{input}");
        }
        let bad = [
            "",
            "bucket/key",
            "s3:/bucket",
            "s3://",
            "s3:///key",
            "s3://Bucket/key",
            "s3://b/key",
            "s3://bucket_name/key",
            "s3://-bucket/key",
            "s3://bucket-/key",
            "s3://a..b/key",
            "s3://192.168.1.1/key",
            "s3://bucket/a\nb",
            "s3://arn:aws:s3::123456789012:accesspoint/UPPER.mrap/k",
            "s3://arn:aws:s3:eu-west-1:123456789012:accesspoint/x.mrap/k",
            "s3://arn:aws:s3::12345:accesspoint/a.mrap/k",
            "s3://arn:aws:s3::123456789012:bucket/a/k",
            "s3://arn:aws:s3:eu-west-1:123456789012:accesspoint/ab/k",
            "s3://arn:aws:s3-outposts:us-east-1:123456789012:outpost/op-1/accesspoint/ap/k",
            "s3://arn:aws:s3:EU:123456789012:accesspoint/reports/k",
            "s3://arn:/k",
        ];
        for input in bad {
            assert!(input.parse::<S3Url>().is_err(), "{input:?}");
        }
        assert!(
            format!("s3://bucket/{}", "k".repeat(1025))
                .parse::<S3Url>()
                .is_err()
        );
    }

    #[test]
    fn display_round_trips() {
        for input in [
            "s3://bucket/",
            "s3://bucket/a/b.txt",
            "s3://bucket/a%20b%3Fc%23d",
            "s3://bucket/100%",
            "s3://bucket/%2e%2e/z.txt",
            "s3://bucket/../../escape1.txt",
            "s3://bucket/a b",
        ] {
            let url: S3Url = input.parse().unwrap();
            assert_eq!(url.to_string(), input);
            assert_eq!(url.to_string().parse::<S3Url>().unwrap(), url);
        }
    }

    /// Found by tests/fuzz.rs: `new` accepted a key with NUL that the parser refuses, so
    /// `new(..).to_string().parse()` failed. Both now apply the same key rules.
    #[test]
    fn new_and_parse_agree_on_keys() {
        for key in ["a\0b", "line\nbreak", "cr\rlf", &"k".repeat(1025)] {
            assert!(S3Url::new("bucket", key).is_err(), "{key:?}");
        }
        for key in ["%25 literal", "ünï/cødé", "..", "/", &"k".repeat(1024)] {
            let url = S3Url::new("bucket", key).unwrap();
            assert_eq!(url.to_string().parse::<S3Url>().unwrap(), url, "{key:?}");
        }
        // Control characters are legal in keys but never reach a terminal raw.
        let url = S3Url::new("bucket", "tab\there\u{1b}[31m").unwrap();
        assert_eq!(url.to_string(), "s3://bucket/tab\\u{9}here\\u{1b}[31m");
    }

    #[test]
    fn joins_and_names() {
        let dir: S3Url = "s3://bucket/photos".parse().unwrap();
        assert_eq!(dir.join("a.jpg").key(), "photos/a.jpg");
        assert_eq!(dir.join("a.jpg").file_name(), Some("a.jpg"));
        let root: S3Url = "s3://bucket".parse().unwrap();
        assert_eq!(root.join("a").key(), "a");
        assert_eq!(root.file_name(), None);
        assert_eq!(root.dir_prefix(), "");
        assert_eq!(dir.dir_prefix(), "photos/");
        assert_eq!(dir.join("x/").dir_prefix(), "photos/x/");
    }

    #[test]
    fn directories_are_the_bucket_and_keys_ending_with_a_slash() {
        for (input, directory) in [
            ("s3://bucket", true),
            ("s3://bucket/", true),
            ("s3://bucket/dir/", true),
            ("s3://bucket/key", false),
            ("s3://bucket/dir/key", false),
        ] {
            let url: S3Url = input.parse().unwrap();
            assert_eq!(url.is_directory(), directory, "{input}");
        }
    }

    #[test]
    fn errors_name_the_input_and_the_reason() {
        let long_key = format!("s3://bucket/{}", "k".repeat(1025));
        for (input, reason) in [
            ("bucket/key", "expected s3://bucket/key"),
            ("s3:///key", "no bucket"),
            ("s3://Bucket/key", "invalid bucket name"),
            ("s3://bucket/a\nb", "the key holds a line break or NUL"),
            (long_key.as_str(), "keys are at most 1024 bytes"),
        ] {
            let err = input.parse::<S3Url>().unwrap_err();
            let shown: String = input.chars().take(256).collect();
            assert_eq!(
                (err.url(), err.reason()),
                (shown.as_str(), reason),
                "{input:?}"
            );
        }
        let err = S3Url::new("Bad", "k\n").unwrap_err();
        assert_eq!(
            (err.url(), err.reason()),
            ("s3://Bad/k\\n", "invalid bucket name")
        );
    }
}
