//! The `Host` header: path-style always; virtual-hosted (`bucket.<domain>`) only under a
//! `--domain` the operator configured. s3s's own `SingleDomain`/`MultiDomain` read any other
//! host name as a bucket (CNAME style), which would let a client's Host header pick the bucket
//! behind the gateway's back; every other Host name is read path-style instead, so the bucket
//! always comes from the path (pure, table-tested).

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

/// How the gateway reads `Host`.
#[derive(Debug, Clone, Default)]
pub(crate) struct GatewayHost {
    /// `--domain` (repeatable): `<bucket>.<domain>` names a bucket; without one, every request
    /// is path-style.
    pub(crate) domains: Vec<String>,
}

/// Whether `domain` can be a `--domain`: a DNS name of labels (letters, digits, `-`), no port,
/// no IP address (pure).
pub(crate) fn check_domain(domain: &str) -> Result<(), &'static str> {
    if domain.is_empty() || domain.len() > 253 {
        return Err("a domain is 1 to 253 characters");
    }
    if domain.parse::<std::net::IpAddr>().is_ok() {
        return Err("an IP address cannot have buckets under it");
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !domain.split('.').all(label_ok) {
        return Err("not a DNS name (letters, digits and '-' between dots; no port)");
    }
    Ok(())
}

/// What a Host header means (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostIs<'a> {
    /// Path-style: the bucket is the path's first segment.
    PathStyle,
    /// Virtual-hosted under the domain: this bucket.
    Bucket(&'a str),
}

/// Reads `host` (a port is ignored) against the configured domains: a bucket's name under one
/// of them, else path-style.
pub(crate) fn read_host<'a>(host: &'a str, domains: &[String]) -> HostIs<'a> {
    let name = match host.rsplit_once(':') {
        Some((name, port))
            if port.bytes().all(|b| b.is_ascii_digit())
                && !name.ends_with(']')
                && !name.contains(':') =>
        {
            name
        }
        _ if host.starts_with('[') => return HostIs::PathStyle,
        _ => host,
    };
    let lower = name.to_ascii_lowercase();
    for domain in domains {
        if let Some(bucket) = lower
            .strip_suffix(&domain.to_ascii_lowercase())
            .and_then(|rest| rest.strip_suffix('.'))
            && !bucket.is_empty()
        {
            return HostIs::Bucket(&name[..bucket.len()]);
        }
    }
    HostIs::PathStyle
}

impl S3Host for GatewayHost {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        Ok(match read_host(host, &self.domains) {
            HostIs::PathStyle => VirtualHost::new(host),
            HostIs::Bucket(bucket) => {
                VirtualHost::new(&host[bucket.len() + 1..]).with_bucket(bucket)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let one = ["s3.example.net".to_owned()];
        let two = ["s3.example.net".to_owned(), "gw.corp.internal".to_owned()];
        let table: [(&str, &[String], HostIs<'_>); 15] = [
            ("127.0.0.1:9000", &[], HostIs::PathStyle),
            ("anything.example.com", &[], HostIs::PathStyle),
            ("127.0.0.1:9000", &one, HostIs::PathStyle),
            ("[::1]:9000", &one, HostIs::PathStyle),
            ("localhost:9000", &one, HostIs::PathStyle),
            ("s3.example.net", &one, HostIs::PathStyle),
            ("S3.Example.Net:443", &one, HostIs::PathStyle),
            ("logs.s3.example.net", &one, HostIs::Bucket("logs")),
            (
                "my.dotted.bucket.s3.example.net:8443",
                &one,
                HostIs::Bucket("my.dotted.bucket"),
            ),
            // Another domain, or one that only ends like ours, is never virtual-hosted.
            ("logs.s3.example.com", &one, HostIs::PathStyle),
            ("evil-s3.example.net", &one, HostIs::PathStyle),
            (".s3.example.net", &one, HostIs::PathStyle),
            ("logs.gw.corp.internal", &one, HostIs::PathStyle),
            ("logs.gw.corp.internal", &two, HostIs::Bucket("logs")),
            ("Logs.S3.Example.Net", &two, HostIs::Bucket("Logs")),
        ];
        for (host, domains, want) in table {
            assert_eq!(read_host(host, domains), want, "{host} under {domains:?}");
        }
    }

    #[test]
    fn domains() {
        for ok in ["s3.example.net", "localhost", "gw-1.corp.internal"] {
            assert_eq!(check_domain(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "127.0.0.1",
            "::1",
            "s3.example.net:9000",
            "-a.b",
            "a..b",
            "a_b.c",
            "*.s3.example.net",
        ] {
            assert!(check_domain(bad).is_err(), "{bad}");
        }
    }
}
