//! Signatures the front checks itself, and the plain SigV4 it hands s3s afterwards.
//!
//! s3s verifies SigV4 only for credential scopes of service `s3` or `sts`
//! (`s3s/src/ops/signature.rs`), but S3 Express signs with service `s3express` (and a session
//! token in `x-amz-s3session-token`) and a Multi-Region Access Point with SigV4a
//! (`AWS4-ECDSA-P256-SHA256`, region set `*`). For those hosts the front builds the canonical
//! request over exactly the headers the client listed in `SignedHeaders` and checks the
//! signature itself: SigV4 by re-computing the HMAC with aws-sigv4's key derivation, SigV4a by
//! verifying the ECDSA P-256 signature with the public key of aws-sigv4's SigV4a key derivation
//! (any valid signature passes, whatever nonce its signer used). The canonical form is tested
//! against aws-sigv4's own signer. Once verified, the request is re-signed with the emulator's
//! own credentials as plain path-style SigV4 for s3s.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningParams, SigningSettings, UriPathNormalizationMode, sign,
};
use aws_smithy_runtime_api::client::identity::Identity;
use http::HeaderMap;
use http::request::Parts;
use sha2::Digest;

/// `AWS4-HMAC-SHA256` (SigV4) or `AWS4-ECDSA-P256-SHA256` (SigV4a).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algorithm {
    HmacSha256,
    EcdsaP256,
}

/// An `Authorization` header, read (pure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Authorization {
    pub(crate) algorithm: Algorithm,
    pub(crate) access_key: String,
    /// `YYYYMMDD` of the scope.
    pub(crate) date: String,
    /// The scope's region (SigV4 only: SigV4a's scope has none).
    pub(crate) region: Option<String>,
    pub(crate) service: String,
    /// Lower-case names, as listed.
    pub(crate) signed_headers: Vec<String>,
    pub(crate) signature: String,
}

/// Reads `AWS4-… Credential=AK/DATE[/REGION]/SERVICE/aws4_request, SignedHeaders=a;b,
/// Signature=hex`.
pub(crate) fn parse_authorization(value: &str) -> Option<Authorization> {
    let (algorithm, rest) = if let Some(rest) = value.strip_prefix("AWS4-HMAC-SHA256 ") {
        (Algorithm::HmacSha256, rest)
    } else {
        (
            Algorithm::EcdsaP256,
            value.strip_prefix("AWS4-ECDSA-P256-SHA256 ")?,
        )
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim) {
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let scope: Vec<&str> = credential?.split('/').collect();
    let (access_key, date, region, service) = match (algorithm, scope.as_slice()) {
        (Algorithm::HmacSha256, [ak, date, region, service, "aws4_request"]) => {
            (*ak, *date, Some((*region).to_owned()), *service)
        }
        (Algorithm::EcdsaP256, [ak, date, service, "aws4_request"]) => (*ak, *date, None, *service),
        _ => return None,
    };
    let signed_headers: Vec<String> = signed_headers?
        .split(';')
        .map(str::to_ascii_lowercase)
        .collect();
    let signature = signature?;
    let well_formed = !access_key.is_empty()
        && date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && signed_headers.iter().any(|h| h == "host")
        && !signature.is_empty()
        && signature.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then(|| Authorization {
        algorithm,
        access_key: access_key.to_owned(),
        date: date.to_owned(),
        region,
        service: service.to_owned(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
    })
}

/// `YYYYMMDDTHHMMSSZ` as a time (pure).
pub(crate) fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let s = value.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let month = time::Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::try_from(num(0..4)?).ok()?, month, num(6..8)? as u8)
            .ok()?;
    let clock =
        time::Time::from_hms(num(9..11)? as u8, num(11..13)? as u8, num(13..15)? as u8).ok()?;
    let seconds = time::PrimitiveDateTime::new(date, clock)
        .assume_utc()
        .unix_timestamp();
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

/// S3's signing settings: single URI encoding, no path normalisation, the payload hash taken
/// from `x-amz-content-sha256` as sent.
fn s3_settings() -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.signature_location = SignatureLocation::Headers;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings
}

/// Why a signature was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A header it names is missing, or `x-amz-date` is unreadable.
    Malformed(&'static str),
    /// Computed and compared: not the same.
    Mismatch,
}

/// The AWS URI-encoding set: everything but the unreserved `A-Z a-z 0-9 - _ . ~`.
const AWS_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A query as SigV4 signs it: pairs form-decoded, AWS-encoded, sorted on the encoded pair,
/// `k=v` joined by `&` (a bare `session` is `session=`) (pure).
fn canonical_query(query: &str) -> String {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned()
    };
    let encode = |s: &str| percent_encoding::utf8_percent_encode(s, AWS_ENCODE).to_string();
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (encode(&decode(k)), encode(&decode(v)))
        })
        .collect();
    pairs.sort();
    let joined: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    joined.join("&")
}

/// A header value as SigV4 signs it: spaces trimmed, runs of spaces made one (pure).
fn canonical_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.trim_matches(' ').chars() {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

/// The canonical request of `parts` over the headers `auth` lists, S3's way: the path as sent
/// (no normalisation, no second encoding), the payload hash as `x-amz-content-sha256` says.
fn canonical_request(parts: &Parts, auth: &Authorization) -> Result<String, Refusal> {
    let mut creq = format!(
        "{}\n{}\n{}\n",
        parts.method.as_str(),
        match parts.uri.path() {
            "" => "/",
            path => path,
        },
        canonical_query(parts.uri.query().unwrap_or_default())
    );
    for name in &auth.signed_headers {
        let mut values = Vec::new();
        for value in parts.headers.get_all(name.as_str()) {
            let value = value.to_str().map_err(|_| Refusal::Malformed("header"))?;
            values.push(canonical_value(value));
        }
        if values.is_empty() {
            return Err(Refusal::Malformed("a signed header is missing"));
        }
        creq.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("UNSIGNED-PAYLOAD");
    creq.push_str(&format!("\n{}\n{payload}", auth.signed_headers.join(";")));
    Ok(creq)
}

/// Checks the signature `auth` carries for `parts`, made with `secret`: SigV4 (HMAC) for the
/// scope region `region`, or SigV4a — an ECDSA P-256 signature verified with the public key of
/// aws-sigv4's key derivation from the access key and secret.
pub(crate) fn verify(
    parts: &Parts,
    auth: &Authorization,
    secret: &str,
    region: &str,
) -> Result<(), Refusal> {
    use p256::ecdsa::signature::Verifier;

    let amz_date = parts
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .filter(|d| d.starts_with(&auth.date))
        .ok_or(Refusal::Malformed("x-amz-date"))?;
    let time = parse_amz_date(amz_date).ok_or(Refusal::Malformed("x-amz-date"))?;
    let creq = canonical_request(parts, auth)?;
    let hashed = hex::encode(sha2::Sha256::digest(creq.as_bytes()));
    let verified = match auth.algorithm {
        Algorithm::HmacSha256 => {
            let sts = format!(
                "AWS4-HMAC-SHA256\n{amz_date}\n{}/{region}/{}/aws4_request\n{hashed}",
                auth.date, auth.service
            );
            let key =
                aws_sigv4::sign::v4::generate_signing_key(secret, time, region, &auth.service);
            aws_sigv4::sign::v4::calculate_signature(key, sts.as_bytes()) == auth.signature
        }
        Algorithm::EcdsaP256 => {
            let sts = format!(
                "AWS4-ECDSA-P256-SHA256\n{amz_date}\n{}/{}/aws4_request\n{hashed}",
                auth.date, auth.service
            );
            let key = aws_sigv4::sign::v4a::generate_signing_key(&auth.access_key, secret);
            let signing = p256::ecdsa::SigningKey::from_slice(key.as_ref())
                .map_err(|_| Refusal::Malformed("key"))?;
            let signature = hex::decode(&auth.signature)
                .ok()
                .and_then(|der| p256::ecdsa::Signature::from_der(&der).ok())
                .ok_or(Refusal::Malformed("signature"))?;
            signing
                .verifying_key()
                .verify(sts.as_bytes(), &signature)
                .is_ok()
        }
    };
    if verified {
        Ok(())
    } else {
        Err(Refusal::Mismatch)
    }
}

/// Rewrites a verified request for s3s: path-style `path_and_query` on `s3.<region>`, without
/// the other scheme's headers, signed with the emulator's `access_key`/`secret` for `region`
/// (service `s3`), the payload hash kept as the client sent it.
pub(crate) fn resign_for_s3s(
    parts: &mut Parts,
    path_and_query: &str,
    region: &str,
    access_key: &str,
    secret: &str,
) -> Result<(), Refusal> {
    let host = format!("s3.{region}.amazonaws.com");
    parts.uri = path_and_query
        .parse()
        .map_err(|_| Refusal::Malformed("path"))?;
    let headers: &mut HeaderMap = &mut parts.headers;
    for name in [
        "authorization",
        "x-amz-s3session-token",
        "x-amz-region-set",
        "x-amz-security-token",
        "x-amz-date",
    ] {
        headers.remove(name);
    }
    headers.insert(
        http::header::HOST,
        host.parse().map_err(|_| Refusal::Malformed("host"))?,
    );
    let payload = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("UNSIGNED-PAYLOAD")
        .to_owned();
    // Only what s3s reads for the signature and the body; other headers go along unsigned.
    let signed: Vec<(&str, &str)> = ["host", "x-amz-content-sha256"]
        .into_iter()
        .filter_map(|name| Some((name, headers.get(name)?.to_str().ok()?)))
        .collect();
    let identity: Identity = Credentials::new(access_key, secret, None, None, "emulator").into();
    let params: SigningParams<'_> = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("s3")
        .time(SystemTime::now())
        .settings(s3_settings())
        .build()
        .map_err(|_| Refusal::Malformed("scope"))?
        .into();
    let request = SignableRequest::new(
        parts.method.as_str(),
        path_and_query,
        signed.into_iter(),
        SignableBody::Precomputed(payload),
    )
    .map_err(|_| Refusal::Malformed("request"))?;
    let (instructions, _) = sign(request, &params)
        .map_err(|_| Refusal::Malformed("request"))?
        .into_parts();
    for (name, value) in instructions.headers() {
        let value = value.parse().map_err(|_| Refusal::Malformed("header"))?;
        let name: http::HeaderName = name.parse().map_err(|_| Refusal::Malformed("header"))?;
        headers.insert(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_authorization_forms() {
        let v4 = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20261205/us-west-2/s3express/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=AB01",
        )
        .unwrap();
        assert_eq!(v4.algorithm, Algorithm::HmacSha256);
        assert_eq!(v4.region.as_deref(), Some("us-west-2"));
        assert_eq!(v4.service, "s3express");
        assert_eq!(v4.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(v4.signature, "ab01");
        let v4a = parse_authorization(
            "AWS4-ECDSA-P256-SHA256 Credential=AKID/20261205/s3/aws4_request, \
             SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045",
        )
        .unwrap();
        assert_eq!(v4a.algorithm, Algorithm::EcdsaP256);
        assert_eq!(v4a.region, None);
        assert_eq!(v4a.service, "s3");
        for bad in [
            "",
            "AWS AKID:sig",
            "AWS4-HMAC-SHA256 Credential=AKID/20261205/s3/aws4_request, SignedHeaders=host, Signature=ab",
            "AWS4-ECDSA-P256-SHA256 Credential=AKID/20261205/us-west-2/s3/aws4_request, SignedHeaders=host, Signature=ab",
            "AWS4-HMAC-SHA256 Credential=AKID/2026120/r/s3/aws4_request, SignedHeaders=host, Signature=ab",
            "AWS4-HMAC-SHA256 Credential=AKID/20261205/r/s3/aws4_request, SignedHeaders=x-amz-date, Signature=ab",
            "AWS4-HMAC-SHA256 Credential=AKID/20261205/r/s3/aws4_request, SignedHeaders=host, Signature=zz",
            "AWS4-HMAC-SHA256 Credential=AKID/20261205/r/s3/aws4_request, SignedHeaders=host",
        ] {
            assert_eq!(parse_authorization(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_amz_dates() {
        assert_eq!(
            parse_amz_date("19700101T000010Z"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(10))
        );
        for bad in [
            "",
            "19700101T000010",
            "1970-01-01T00:00:10Z",
            "19701301T000000Z",
            "1970010aT000000Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    /// A request signed by aws-sigv4 as the SDK signs it verifies; one changed byte does not.
    #[test]
    fn verifies_what_aws_sigv4_signs_and_nothing_else() {
        for (algorithm, scope) in [
            (Algorithm::HmacSha256, "us-west-2"),
            (Algorithm::EcdsaP256, "*"),
        ] {
            let identity: Identity = Credentials::new("AKID", "secret", None, None, "t").into();
            let settings = s3_settings();
            let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);
            let params: SigningParams<'_> = match algorithm {
                Algorithm::HmacSha256 => aws_sigv4::sign::v4::SigningParams::builder()
                    .identity(&identity)
                    .region(scope)
                    .name("s3express")
                    .time(time)
                    .settings(settings)
                    .build()
                    .unwrap()
                    .into(),
                Algorithm::EcdsaP256 => aws_sigv4::sign::v4a::SigningParams::builder()
                    .identity(&identity)
                    .region_set(scope)
                    .name("s3")
                    .time(time)
                    .settings(settings)
                    .build()
                    .unwrap()
                    .into(),
            };
            let host = "b.example.amazonaws.com";
            // Unsorted, encoded and bare query parameters; a value with runs of spaces; a
            // header sent twice.
            let uri = "/dir/k%20x%2By?prefix=a%2Fb&list-type=2&session&z=1+2&delimiter=%2F";
            let signable = SignableRequest::new(
                "GET",
                uri,
                [
                    ("host", host),
                    ("x-amz-meta-a", "  one   two "),
                    ("x-amz-meta-b", "1"),
                    ("x-amz-meta-b", "2"),
                ]
                .into_iter(),
                SignableBody::UnsignedPayload,
            )
            .unwrap();
            let (instructions, _) = sign(signable, &params).unwrap().into_parts();
            let mut request = http::Request::get(uri)
                .header("host", host)
                .header("x-amz-meta-a", "  one   two ")
                .header("x-amz-meta-b", "1")
                .header("x-amz-meta-b", "2")
                .body(())
                .unwrap();
            for (name, value) in instructions.headers() {
                request.headers_mut().insert(
                    name.parse::<http::HeaderName>().unwrap(),
                    value.parse().unwrap(),
                );
            }
            // Headers added later (not signed) change nothing.
            request
                .headers_mut()
                .insert("user-agent", http::HeaderValue::from_static("later"));
            let (mut parts, ()) = request.into_parts();
            let auth =
                parse_authorization(parts.headers["authorization"].to_str().unwrap()).unwrap();
            assert_eq!(auth.algorithm, algorithm);
            assert_eq!(verify(&parts, &auth, "secret", scope), Ok(()));
            assert_eq!(
                verify(&parts, &auth, "other", scope),
                Err(Refusal::Mismatch)
            );
            if algorithm == Algorithm::EcdsaP256 {
                // Another valid signature of the same string (s negated, as a signer with its
                // own nonce makes a different one): verified, not matched.
                let der = hex::decode(&auth.signature).unwrap();
                let (r, s) = p256::ecdsa::Signature::from_der(&der)
                    .unwrap()
                    .split_scalars();
                let other = p256::ecdsa::Signature::from_scalars(r, -s).unwrap();
                let mut twin = auth.clone();
                twin.signature = hex::encode(other.to_der().as_bytes());
                assert_ne!(twin.signature, auth.signature);
                assert_eq!(verify(&parts, &twin, "secret", scope), Ok(()));
            }
            let mut other_key = auth.clone();
            other_key.access_key = "AKID2".into();
            if algorithm == Algorithm::EcdsaP256 {
                // SigV4a's key comes from the access key too.
                assert_eq!(
                    verify(&parts, &other_key, "secret", scope),
                    Err(Refusal::Mismatch)
                );
            }
            let mut moved = parts.clone();
            moved.uri = uri.replace("z=1+2", "z=1+3").parse().unwrap();
            assert_eq!(
                verify(&moved, &auth, "secret", scope),
                Err(Refusal::Mismatch)
            );
            parts
                .headers
                .insert("x-amz-meta-a", http::HeaderValue::from_static("2"));
            assert_eq!(
                verify(&parts, &auth, "secret", scope),
                Err(Refusal::Mismatch)
            );
        }
    }
}
