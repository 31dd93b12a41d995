//! Listings ask S3 for `EncodingType=url`, as the aws CLI and every botocore client do: a key
//! may hold characters XML 1.0 cannot carry (control characters), and S3 then percent-encodes
//! every key, prefix, delimiter and `StartAfter` of the answer. The Rust SDK asks nothing and
//! decodes nothing; this is the one place that decodes.

/// A listed value (key, common prefix, `StartAfter`) that is not UTF-8 once decoded: the
/// answer is not S3's.
#[derive(Debug, thiserror::Error)]
#[error("a listed key is not UTF-8 once decoded: {encoded:?}")]
pub struct ListedKeyError {
    encoded: String,
}

/// A key, prefix or `StartAfter` of a listing asked with `EncodingType=url`, decoded as S3
/// encodes it: form encoding (`+` a space, `%2B` a plus), UTF-8 bytes.
///
/// ```
/// use s3_multi_region::fs::decode_listed;
/// assert_eq!(decode_listed("a+b%2Bc.txt").unwrap(), "a b+c.txt");
/// assert_eq!(decode_listed("%252e%252e/z.txt").unwrap(), "%2e%2e/z.txt");
/// ```
pub fn decode_listed(encoded: &str) -> Result<String, ListedKeyError> {
    let spaced = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| ListedKeyError {
            encoded: encoded.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_values_decode_as_s3_encoded_them() {
        let table = [
            ("plain/key.txt", "plain/key.txt"),
            ("a+b%2Bc.txt", "a b+c.txt"),
            ("%252e%252e/z.txt", "%2e%2e/z.txt"),
            ("100%25", "100%"),
            ("ctl%01x", "ctl\u{1}x"),
            ("%C3%A9t%C3%A9", "été"),
            ("%2F%2f", "//"),
            // A lone `%` is not an escape: kept, as Python's unquote keeps it.
            ("50%", "50%"),
        ];
        for (encoded, want) in table {
            assert_eq!(decode_listed(encoded).unwrap(), want, "{encoded}");
        }
        let err = decode_listed("bad%FF").unwrap_err();
        assert_eq!(
            err.to_string(),
            "a listed key is not UTF-8 once decoded: \"bad%FF\""
        );
    }
}
