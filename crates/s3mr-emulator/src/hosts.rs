//! Real AWS hostnames (pure): which region and bucket a `Host` or a `CONNECT` target names.
//!
//! S3's hosts: `s3.<region>.amazonaws.com`, `s3.dualstack.<region>…`, `s3-fips.<region>…`,
//! `s3-fips.dualstack.<region>…`, and the global `s3.amazonaws.com` (us-east-1), each with an
//! optional `<bucket>.` in front (virtual-hosted addressing). Bucket names may hold dots, so the
//! S3 part is found from the right.

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

/// The region of the global endpoint `s3.amazonaws.com`.
pub(crate) const GLOBAL_REGION: &str = "us-east-1";

/// What an AWS S3 hostname names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsHost<'a> {
    /// The bucket of a virtual-hosted name.
    pub(crate) bucket: Option<&'a str>,
    /// The region the name belongs to (us-east-1 for the global endpoint).
    pub(crate) region: &'a str,
    /// The host without the bucket (`s3.dualstack.eu-west-1.amazonaws.com`).
    pub(crate) base: &'a str,
    /// `s3.amazonaws.com` or `<bucket>.s3.amazonaws.com`.
    pub(crate) global: bool,
}

/// Reads `host` (an optional `:443` port is ignored, case as sent) as an S3 hostname.
pub(crate) fn parse(host: &str) -> Option<AwsHost<'_>> {
    let host = host.strip_suffix(":443").unwrap_or(host);
    let rest = host.strip_suffix(".amazonaws.com")?;
    let labels: Vec<&str> = rest.split('.').collect();
    let n = labels.len();
    let (s3_at, region, global) = match labels.as_slice() {
        [.., "s3"] => (n - 1, GLOBAL_REGION, true),
        [.., "s3" | "s3-fips", "dualstack", region] => (n - 3, *region, false),
        [.., "s3" | "s3-fips", region] => (n - 2, *region, false),
        _ => return None,
    };
    if !crate::is_region_name(region) && !global {
        return None;
    }
    let bucket_len: usize = labels[..s3_at].iter().map(|l| l.len() + 1).sum();
    let bucket = (bucket_len > 0).then(|| &host[..bucket_len - 1]);
    if bucket.is_some_and(str::is_empty) {
        return None;
    }
    Some(AwsHost {
        bucket,
        region,
        base: &host[bucket_len..],
        global,
    })
}

/// The names a server certificate covers for `regions`: every S3 form with its wildcard, and
/// the global endpoint.
pub(crate) fn certificate_names<'a>(regions: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names = vec![
        "s3.amazonaws.com".to_owned(),
        "*.s3.amazonaws.com".to_owned(),
    ];
    for region in regions {
        for form in ["s3", "s3.dualstack", "s3-fips", "s3-fips.dualstack"] {
            names.push(format!("{form}.{region}.amazonaws.com"));
            names.push(format!("*.{form}.{region}.amazonaws.com"));
        }
    }
    names
}

/// s3s's view of the `Host` header: virtual-hosted on AWS names, path-style on anything else
/// (`127.0.0.1:PORT`, an S3 base name), which s3s's own `MultiDomain` would read as a bucket.
#[derive(Debug, Default)]
pub(crate) struct AwsHosts;

impl S3Host for AwsHosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        Ok(match parse(host) {
            Some(AwsHost {
                bucket: Some(bucket),
                base,
                ..
            }) => VirtualHost::new(base).with_bucket(bucket),
            _ => VirtualHost::new(host),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_as_s3_names_them() {
        type Parsed = Option<(Option<&'static str>, &'static str, &'static str, bool)>;
        let table: &[(&str, Parsed)] = &[
            (
                "s3.eu-west-1.amazonaws.com",
                Some((None, "eu-west-1", "s3.eu-west-1.amazonaws.com", false)),
            ),
            (
                "logs.s3.eu-west-1.amazonaws.com",
                Some((
                    Some("logs"),
                    "eu-west-1",
                    "s3.eu-west-1.amazonaws.com",
                    false,
                )),
            ),
            (
                "logs.s3.eu-west-1.amazonaws.com:443",
                Some((
                    Some("logs"),
                    "eu-west-1",
                    "s3.eu-west-1.amazonaws.com",
                    false,
                )),
            ),
            (
                "my.dotted.bucket.s3.eu-west-1.amazonaws.com",
                Some((
                    Some("my.dotted.bucket"),
                    "eu-west-1",
                    "s3.eu-west-1.amazonaws.com",
                    false,
                )),
            ),
            (
                "b.s3.dualstack.ap-southeast-2.amazonaws.com",
                Some((
                    Some("b"),
                    "ap-southeast-2",
                    "s3.dualstack.ap-southeast-2.amazonaws.com",
                    false,
                )),
            ),
            (
                "b.s3-fips.us-east-1.amazonaws.com",
                Some((
                    Some("b"),
                    "us-east-1",
                    "s3-fips.us-east-1.amazonaws.com",
                    false,
                )),
            ),
            (
                "s3-fips.dualstack.us-east-1.amazonaws.com",
                Some((
                    None,
                    "us-east-1",
                    "s3-fips.dualstack.us-east-1.amazonaws.com",
                    false,
                )),
            ),
            (
                "s3.amazonaws.com",
                Some((None, "us-east-1", "s3.amazonaws.com", true)),
            ),
            (
                "logs.s3.amazonaws.com",
                Some((Some("logs"), "us-east-1", "s3.amazonaws.com", true)),
            ),
            ("evil.example.com", None),
            ("s3.evil.example.com", None),
            ("amazonaws.com", None),
            ("s3.cn-north-1.amazonaws.com.cn", None),
            ("s3.not_a_region.amazonaws.com", None),
            ("127.0.0.1:9101", None),
            (".s3.eu-west-1.amazonaws.com", None),
        ];
        for (host, want) in table {
            let got = parse(host).map(|h| (h.bucket, h.region, h.base, h.global));
            assert_eq!(got, *want, "{host}");
        }
    }

    #[test]
    fn certificates_cover_every_form() {
        let names = certificate_names(["eu-west-1"]);
        assert_eq!(names.len(), 10);
        assert!(names.contains(&"*.s3-fips.dualstack.eu-west-1.amazonaws.com".to_owned()));
    }
}
