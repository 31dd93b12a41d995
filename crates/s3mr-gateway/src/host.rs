//! The `Host` header: path-style always; virtual-hosted (`bucket.<domain>`) only under the
//! `--domain` the operator configured. s3s's own `SingleDomain`/`MultiDomain` read any other
//! host name as a bucket (CNAME style), which would let a client's Host header pick the bucket
//! behind the gateway's back; a Host outside the domain is refused instead (pure, table-tested).

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};
use s3s::s3_error;

/// How the gateway reads `Host`.
#[derive(Debug, Clone, Default)]
pub(crate) struct GatewayHost {
    /// `--domain`: `<bucket>.<domain>` names a bucket; without one, every request is path-style.
    pub(crate) domain: Option<String>,
}

/// What a Host header means (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostIs<'a> {
    /// Path-style: the bucket is the path's first segment.
    PathStyle,
    /// Virtual-hosted under the domain: this bucket.
    Bucket(&'a str),
    /// A name outside the configured domain.
    Foreign,
}

/// Reads `host` (a port is ignored) against `domain`.
pub(crate) fn read_host<'a>(host: &'a str, domain: Option<&str>) -> HostIs<'a> {
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
    let Some(domain) = domain else {
        return HostIs::PathStyle;
    };
    let is_ip = name.parse::<std::net::IpAddr>().is_ok();
    if is_ip || name.eq_ignore_ascii_case("localhost") || name.eq_ignore_ascii_case(domain) {
        return HostIs::PathStyle;
    }
    let lower = name.to_ascii_lowercase();
    match lower
        .strip_suffix(&domain.to_ascii_lowercase())
        .and_then(|rest| rest.strip_suffix('.'))
    {
        Some(bucket) if !bucket.is_empty() => HostIs::Bucket(&name[..bucket.len()]),
        _ => HostIs::Foreign,
    }
}

impl S3Host for GatewayHost {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        match read_host(host, self.domain.as_deref()) {
            HostIs::PathStyle => Ok(VirtualHost::new(host)),
            HostIs::Bucket(bucket) => Ok(VirtualHost::new(
                self.domain.as_deref().unwrap_or_default(),
            )
            .with_bucket(bucket)),
            HostIs::Foreign => Err(s3_error!(
                InvalidRequest,
                "The Host header names neither this gateway's domain nor a bucket under it"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let domain = Some("s3.example.net");
        let table = [
            ("127.0.0.1:9000", None, HostIs::PathStyle),
            ("anything.example.com", None, HostIs::PathStyle),
            ("127.0.0.1:9000", domain, HostIs::PathStyle),
            ("[::1]:9000", domain, HostIs::PathStyle),
            ("localhost:9000", domain, HostIs::PathStyle),
            ("s3.example.net", domain, HostIs::PathStyle),
            ("S3.Example.Net:443", domain, HostIs::PathStyle),
            ("logs.s3.example.net", domain, HostIs::Bucket("logs")),
            (
                "my.dotted.bucket.s3.example.net:8443",
                domain,
                HostIs::Bucket("my.dotted.bucket"),
            ),
            ("logs.s3.example.com", domain, HostIs::Foreign),
            ("evil-s3.example.net", domain, HostIs::Foreign),
            (".s3.example.net", domain, HostIs::Foreign),
        ];
        for (host, domain, want) in table {
            assert_eq!(read_host(host, domain), want, "{host} under {domain:?}");
        }
    }
}
