//! Region names: validation before a region builds a hostname, partitions, and the regions
//! directory buckets name in their zones (`zone`).
//!
//! Region strings reach us from S3 answers (`x-amz-bucket-region`, `<Region>`), from shared
//! caches and from users. All are untrusted until [`validate_region`] says otherwise: a value that
//! is not a lower-case DNS label could steer a signed request to a host of the sender's choosing.

pub mod zone;

/// Why a region string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid region {shown:?}: {reason}")]
pub struct InvalidRegion {
    shown: String,
    reason: &'static str,
}

impl InvalidRegion {
    /// The value, cut to 64 characters so a hostile value cannot flood a log.
    pub fn value(&self) -> &str {
        &self.shown
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
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
/// use s3_multi_region::region::validate_region;
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

/// A region name that passed [`validate_region`]: the only form in which a region reaches the
/// memory tier, the endpoint parameters and a hostname. Cheap to clone.
///
/// ```
/// use s3_multi_region::region::ValidRegion;
/// let region: ValidRegion = "eu-west-1".parse().unwrap();
/// assert_eq!(region, "eu-west-1");
/// assert!("evil.example.com/x".parse::<ValidRegion>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValidRegion(std::sync::Arc<str>);

impl ValidRegion {
    /// Validates `value` ([`validate_region`]'s rules).
    pub fn new(value: &str) -> Result<Self, InvalidRegion> {
        validate_region(value).map(|v| Self(v.into()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ValidRegion {
    type Err = InvalidRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl std::ops::Deref for ValidRegion {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ValidRegion {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ValidRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for ValidRegion {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for ValidRegion {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl From<ValidRegion> for aws_types::region::Region {
    fn from(region: ValidRegion) -> Self {
        Self::new(region.0.to_string())
    }
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
            validate_region(&"x".repeat(300)).unwrap_err().value().len(),
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

    #[test]
    fn valid_regions_convert_and_compare_as_their_names() {
        let region = ValidRegion::new("eu-west-1").unwrap();
        assert_eq!(region.as_str(), "eu-west-1");
        assert_eq!(AsRef::<str>::as_ref(&region), "eu-west-1");
        assert_eq!(&*region, "eu-west-1");
        assert_eq!(region.to_string(), "eu-west-1");
        assert!(region == *"eu-west-1" && region != *"eu-west-2");
        assert!(region == "eu-west-1" && region != "eu-west-2");
        assert_eq!("eu-west-1".parse::<ValidRegion>().unwrap(), region);
        let sdk: aws_types::region::Region = region.clone().into();
        assert_eq!(sdk.as_ref(), "eu-west-1");
    }

    #[test]
    fn refusals_say_what_and_why() {
        let err = ValidRegion::new("Evil.Example").unwrap_err();
        assert_eq!(err.value(), "Evil.Example");
        assert_eq!(
            err.reason(),
            "only lower-case letters, digits and '-' are allowed"
        );
        // The 63-character limit is inclusive.
        assert!(validate_region(&"a".repeat(63)).is_ok());
        assert_eq!(
            validate_region(&"a".repeat(64)).unwrap_err().reason(),
            "longer than 63 characters"
        );
    }
}
