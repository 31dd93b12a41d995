//! Region names: validation before a region builds a hostname, and partitions.
//!
//! Region strings reach us from S3 answers (`x-amz-bucket-region`, `<Region>`), from shared
//! caches and from users. All are untrusted until [`validate_region`] says otherwise: a value that
//! is not a lower-case DNS label could steer a signed request to a host of the sender's choosing.

/// Why a region string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid region {shown:?}: {reason}")]
pub struct InvalidRegion {
    /// The value, cut to 64 characters so a hostile value cannot flood a log.
    pub shown: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

fn invalid(value: &str, reason: &'static str) -> InvalidRegion {
    InvalidRegion {
        shown: value.chars().take(64).collect(),
        reason,
    }
}

/// Accepts `value` only if it is a lower-case DNS label: 1–63 characters of `a-z`, `0-9` and
/// `-`, not starting or ending with `-`, not all digits.
///
/// ```
/// use s3_multi_region::validate_region;
/// assert!(validate_region("eu-west-1").is_ok());
/// assert!(validate_region("evil.example.com/x").is_err());
/// ```
pub fn validate_region(value: &str) -> Result<&str, InvalidRegion> {
    if value.is_empty() {
        return Err(invalid(value, "empty"));
    }
    if value.len() > 63 {
        return Err(invalid(value, "longer than 63 characters"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(invalid(
            value,
            "only lower-case letters, digits and '-' are allowed",
        ));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err(invalid(value, "starts or ends with '-'"));
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(value, "all digits"));
    }
    Ok(value)
}

/// The AWS partition a region belongs to, by its prefix. A redirect never crosses partitions:
/// credentials of one do not work in another, and a crossing is a sign of a forged answer.
pub fn partition_of(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_table() {
        let long = "a".repeat(64);
        let cases: &[(&str, bool)] = &[
            ("us-east-1", true),
            ("eu-west-1", true),
            ("us-gov-west-1", true),
            ("cn-north-1", true),
            ("a", true),
            ("", false),
            ("US-EAST-1", false),
            ("evil.example.com/x", false),
            ("eu-west-1.evil.com", false),
            ("127.0.0.1:80", false),
            ("-eu", false),
            ("eu-", false),
            ("12345", false),
            ("eu west", false),
            ("eu-wést-1", false),
            (&long, false),
        ];
        for (value, ok) in cases {
            assert_eq!(validate_region(value).is_ok(), *ok, "{value:?}");
        }
        assert_eq!(
            validate_region(&"x".repeat(300)).unwrap_err().shown.len(),
            64
        );
    }

    #[test]
    fn partitions() {
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("eu-central-2", "aws"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-east-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
        ] {
            assert_eq!(partition_of(region), partition, "{region}");
        }
    }
}
