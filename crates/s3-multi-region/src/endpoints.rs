//! Region → endpoint maps for sites that are not AWS (the emulator, other S3-compatible sites).

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::error::Error;
use crate::region::validate_region;

/// Where each region is served: `us-east-1=http://127.0.0.1:9101,eu-west-1=http://...`.
/// A client with a map addresses buckets path-style and never leaves the map.
///
/// ```
/// use s3_multi_region::EndpointMap;
/// let map: EndpointMap = "us-east-1=http://127.0.0.1:9101,eu-west-1=http://127.0.0.1:9102".parse().unwrap();
/// assert_eq!(map.get("eu-west-1"), Some("http://127.0.0.1:9102"));
/// assert!("eu-west-1=ftp://x".parse::<EndpointMap>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndpointMap {
    endpoints: BTreeMap<String, String>,
}

impl EndpointMap {
    /// The endpoint URL of `region`.
    pub fn get(&self, region: &str) -> Option<&str> {
        self.endpoints.get(region).map(String::as_str)
    }

    /// The regions in the map.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.endpoints.keys().map(String::as_str)
    }

    /// A short stable name for the map, used as the cache scope so that entries learned against
    /// one site never route requests to another.
    ///
    /// It keys the shared file, Redis and DynamoDB tiers, so it must not change between builds:
    /// SHA-256 (specified, unlike std's `DefaultHasher`) of `region=url` lines in region order,
    /// first 8 bytes in hex.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        for (region, url) in &self.endpoints {
            hasher.update(format!("{region}={url}\n").as_bytes());
        }
        format!("endpoints-{}", hex::encode(&hasher.finalize()[..8]))
    }
}

impl FromStr for EndpointMap {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let mut endpoints = BTreeMap::new();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (region, url) = pair.split_once('=').ok_or_else(|| {
                Error::InvalidEndpointMap(format!("expected REGION=URL, got {pair:?}"))
            })?;
            let region = validate_region(region.trim()).map_err(Error::InvalidRegionArgument)?;
            let url = url.trim().trim_end_matches('/');
            let host = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"));
            if host.is_none_or(|h| h.is_empty() || h.contains('/') || h.contains('?')) {
                return Err(Error::InvalidEndpointMap(format!(
                    "endpoint of {region} must be http(s)://host[:port], got {url:?}"
                )));
            }
            if endpoints
                .insert(region.to_owned(), url.to_owned())
                .is_some()
            {
                return Err(Error::InvalidEndpointMap(format!(
                    "region {region} appears twice"
                )));
            }
        }
        if endpoints.is_empty() {
            return Err(Error::InvalidEndpointMap("no endpoint given".into()));
        }
        Ok(Self { endpoints })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_table() {
        let ok = [
            "us-east-1=http://127.0.0.1:9101",
            " us-east-1 = https://s3.example.com/ ,eu-west-1=http://h:1",
        ];
        for s in ok {
            assert!(s.parse::<EndpointMap>().is_ok(), "{s}");
        }
        let bad = [
            "",
            "us-east-1",
            "US-EAST-1=http://h",
            "evil.com=http://h",
            "us-east-1=h:1",
            "us-east-1=http://",
            "us-east-1=http://h/path",
            "us-east-1=http://h,us-east-1=http://i",
        ];
        for s in bad {
            assert!(s.parse::<EndpointMap>().is_err(), "{s}");
        }
    }

    #[test]
    fn fingerprints_differ_by_content() {
        let a: EndpointMap = "us-east-1=http://h:1".parse().unwrap();
        let b: EndpointMap = "us-east-1=http://h:2".parse().unwrap();
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint(), a.clone().fingerprint());
    }

    /// The fingerprint keys shared caches across builds and releases: pinned to a fixed value
    /// (SHA-256 of "us-east-1=http://127.0.0.1:9101\n", first 8 bytes).
    #[test]
    fn fingerprints_are_stable_across_builds() {
        let map: EndpointMap = "us-east-1=http://127.0.0.1:9101".parse().unwrap();
        assert_eq!(map.fingerprint(), "endpoints-fdd13fb23265ba6f");
    }
}
