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

/// Which S3 endpoint a hostname belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint<'a> {
    /// `s3.<region>`, dual-stack, FIPS, or the global `s3.amazonaws.com` (us-east-1).
    Regional { region: &'a str, global: bool },
    /// `<bucket>.s3-accelerate[.dualstack].amazonaws.com`: Transfer Acceleration, whatever the
    /// bucket's region (the request must still be signed for it).
    Accelerate,
    /// `<bucket>.s3express-<zone>.<region>.amazonaws.com`: a directory bucket's zonal host.
    Zonal { zone: &'a str, region: &'a str },
    /// `s3express-control.<region>.amazonaws.com`: S3 Express's control plane (path-style).
    ExpressControl { region: &'a str },
    /// `<alias>.mrap.accesspoint.s3-global.amazonaws.com`: a Multi-Region Access Point.
    Mrap,
}

/// What an AWS S3 hostname names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsHost<'a> {
    /// The bucket of a virtual-hosted name (the alias for an MRAP host).
    pub(crate) bucket: Option<&'a str>,
    /// The host without the bucket (`s3.dualstack.eu-west-1.amazonaws.com`).
    pub(crate) base: &'a str,
    pub(crate) endpoint: Endpoint<'a>,
}

impl AwsHost<'_> {
    /// The region the name belongs to, if the name says (accelerate and MRAP hosts do not).
    pub(crate) fn region(&self) -> Option<&str> {
        match self.endpoint {
            Endpoint::Regional { region, .. }
            | Endpoint::Zonal { region, .. }
            | Endpoint::ExpressControl { region } => Some(region),
            Endpoint::Accelerate | Endpoint::Mrap => None,
        }
    }
}

/// Reads `host` (an optional `:443` port is ignored, case as sent) as an S3 hostname.
pub(crate) fn parse(host: &str) -> Option<AwsHost<'_>> {
    let host = host.strip_suffix(":443").unwrap_or(host);
    let rest = host.strip_suffix(".amazonaws.com")?;
    let labels: Vec<&str> = rest.split('.').collect();
    let n = labels.len();
    let (at, endpoint, needs_bucket) = match labels.as_slice() {
        [.., "s3"] => (
            n - 1,
            Endpoint::Regional {
                region: GLOBAL_REGION,
                global: true,
            },
            false,
        ),
        [.., "s3-accelerate"] => (n - 1, Endpoint::Accelerate, true),
        [.., "s3-accelerate", "dualstack"] => (n - 2, Endpoint::Accelerate, true),
        [.., "mrap", "accesspoint", "s3-global"] => (n - 3, Endpoint::Mrap, true),
        ["s3express-control", region] => (0, Endpoint::ExpressControl { region }, false),
        [.., zonal, region] if zonal.starts_with("s3express-") => {
            let zone = &zonal["s3express-".len()..];
            if zone.is_empty() || zone == "control" {
                return None;
            }
            (n - 2, Endpoint::Zonal { zone, region }, true)
        }
        [.., "s3" | "s3-fips", "dualstack", region] => (
            n - 3,
            Endpoint::Regional {
                region,
                global: false,
            },
            false,
        ),
        [.., "s3" | "s3-fips", region] => (
            n - 2,
            Endpoint::Regional {
                region,
                global: false,
            },
            false,
        ),
        _ => return None,
    };
    let parsed = AwsHost {
        bucket: None,
        base: "",
        endpoint,
    };
    if let Some(region) = parsed.region()
        && !(crate::is_region_name(region)
            || matches!(endpoint, Endpoint::Regional { global: true, .. }))
    {
        return None;
    }
    let bucket_len: usize = labels[..at].iter().map(|l| l.len() + 1).sum();
    let bucket = (bucket_len > 0).then(|| &host[..bucket_len - 1]);
    if bucket.is_some_and(str::is_empty) || (needs_bucket && bucket.is_none()) {
        return None;
    }
    // An MRAP alias is one label.
    if matches!(endpoint, Endpoint::Mrap) && bucket.is_some_and(|b| b.contains('.')) {
        return None;
    }
    Some(AwsHost {
        bucket,
        base: &host[bucket_len..],
        endpoint,
    })
}

/// The zone a directory bucket's name carries (`b--usw2-az1--x-s3` → `usw2-az1`).
pub(crate) fn bucket_zone(bucket: &str) -> Option<&str> {
    let base = bucket.strip_suffix("--x-s3")?;
    let (_, zone) = base.rsplit_once("--")?;
    (!zone.is_empty()).then_some(zone)
}

/// The names a server certificate covers for `regions` and directory-bucket `zones` (zone,
/// region): every S3 form with its wildcard, the global endpoint, the accelerate and MRAP hosts,
/// each zone's zonal host and each region's S3 Express control plane.
pub(crate) fn certificate_names<'a>(
    regions: impl IntoIterator<Item = &'a str>,
    zones: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<String> {
    let mut names: Vec<String> = [
        "s3.amazonaws.com",
        "*.s3.amazonaws.com",
        "*.s3-accelerate.amazonaws.com",
        "*.s3-accelerate.dualstack.amazonaws.com",
        "*.mrap.accesspoint.s3-global.amazonaws.com",
    ]
    .map(str::to_owned)
    .to_vec();
    for region in regions {
        for form in ["s3", "s3.dualstack", "s3-fips", "s3-fips.dualstack"] {
            names.push(format!("{form}.{region}.amazonaws.com"));
            names.push(format!("*.{form}.{region}.amazonaws.com"));
        }
        names.push(format!("s3express-control.{region}.amazonaws.com"));
    }
    for (zone, region) in zones {
        names.push(format!("*.s3express-{zone}.{region}.amazonaws.com"));
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
                endpoint,
            }) if !matches!(endpoint, Endpoint::Mrap) => VirtualHost::new(base).with_bucket(bucket),
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
            let got = parse(host).and_then(|h| match h.endpoint {
                Endpoint::Regional { region, global } => Some((h.bucket, region, h.base, global)),
                _ => None,
            });
            assert_eq!(got, *want, "{host}");
        }
    }

    #[test]
    fn accelerate_express_and_mrap_hosts() {
        type Parsed = Option<(Option<&'static str>, Endpoint<'static>, &'static str)>;
        let table: &[(&str, Parsed)] = &[
            (
                "logs.s3-accelerate.amazonaws.com",
                Some((
                    Some("logs"),
                    Endpoint::Accelerate,
                    "s3-accelerate.amazonaws.com",
                )),
            ),
            (
                "my.logs.s3-accelerate.dualstack.amazonaws.com:443",
                Some((
                    Some("my.logs"),
                    Endpoint::Accelerate,
                    "s3-accelerate.dualstack.amazonaws.com",
                )),
            ),
            ("s3-accelerate.amazonaws.com", None),
            (
                "b--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com",
                Some((
                    Some("b--usw2-az1--x-s3"),
                    Endpoint::Zonal {
                        zone: "usw2-az1",
                        region: "us-west-2",
                    },
                    "s3express-usw2-az1.us-west-2.amazonaws.com",
                )),
            ),
            ("s3express-usw2-az1.us-west-2.amazonaws.com", None),
            ("b.s3express-.us-west-2.amazonaws.com", None),
            ("b.s3express-usw2-az1.not_a_region.amazonaws.com", None),
            (
                "s3express-control.eu-west-1.amazonaws.com",
                Some((
                    None,
                    Endpoint::ExpressControl {
                        region: "eu-west-1",
                    },
                    "s3express-control.eu-west-1.amazonaws.com",
                )),
            ),
            ("b.s3express-control.eu-west-1.amazonaws.com", None),
            (
                "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com",
                Some((
                    Some("mfzwi23gnjvgw"),
                    Endpoint::Mrap,
                    "mrap.accesspoint.s3-global.amazonaws.com",
                )),
            ),
            ("a.b.mrap.accesspoint.s3-global.amazonaws.com", None),
            ("mrap.accesspoint.s3-global.amazonaws.com", None),
        ];
        for (host, want) in table {
            let got = parse(host).map(|h| (h.bucket, h.endpoint, h.base));
            assert_eq!(got, *want, "{host}");
        }
    }

    #[test]
    fn zones_of_bucket_names() {
        assert_eq!(bucket_zone("b--usw2-az1--x-s3"), Some("usw2-az1"));
        assert_eq!(
            bucket_zone("a--b--usw2-lax1-az1--x-s3"),
            Some("usw2-lax1-az1")
        );
        assert_eq!(bucket_zone("b--usw2-az1--xa-s3"), None);
        assert_eq!(bucket_zone("plain"), None);
        assert_eq!(bucket_zone("----x-s3"), None);
    }

    #[test]
    fn certificates_cover_every_form() {
        let names = certificate_names(["eu-west-1"], [("euw1-az1", "eu-west-1")]);
        assert_eq!(names.len(), 15);
        assert!(names.contains(&"*.s3express-euw1-az1.eu-west-1.amazonaws.com".to_owned()));
        assert!(names.contains(&"*.s3-accelerate.dualstack.amazonaws.com".to_owned()));
        assert!(names.contains(&"*.s3-fips.dualstack.eu-west-1.amazonaws.com".to_owned()));
    }
}
