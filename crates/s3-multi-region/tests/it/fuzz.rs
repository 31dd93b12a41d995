//! Property-based fuzzing (proptest; cargo-fuzz needs a nightly toolchain) of the pure functions
//! that stand between S3's answers and a hostname: response classification, error-XML parsing,
//! region validation, s3:// URL parsing and the key → local path mapping of downloads. `cargo test` runs 256 cases per property;
//! `scripts/fuzz.sh` runs many more, bounded in time. Failures proptest finds are saved under
//! `proptest-regressions/` and replayed first on every later run: commit them.

use proptest::prelude::*;
use s3_multi_region::fs::local_path_for_key;
use s3_multi_region::fs::{S3Url, is_valid_bucket_name};
use s3_multi_region::redirect::{Answer, Evidence, Operation, Verdict, classify, parse_error_body};
use s3_multi_region::region::validate_region;

const OPERATIONS: &[&str] = &[
    "GetObject",
    "HeadObject",
    "HeadBucket",
    "PutObject",
    "CreateBucket",
];

/// Strings that look like regions, hosts, paths and garbage, and raw bytes.
fn region_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{2}-[a-z]{4,9}-[0-9]{1,2}",
        "[a-zA-Z0-9.:/_-]{0,40}",
        ".{0,64}",
        Just(String::new()),
        Just("x".repeat(300)),
    ]
}

/// S3-shaped error bodies with arbitrary fields, broken ones, and arbitrary bytes.
fn error_body() -> impl Strategy<Value = Vec<u8>> {
    let code = prop_oneof![
        Just("PermanentRedirect".to_owned()),
        Just("AuthorizationHeaderMalformed".to_owned()),
        Just("IllegalLocationConstraintException".to_owned()),
        Just("TemporaryRedirect".to_owned()),
        "[A-Za-z]{0,20}",
    ];
    prop_oneof![
        (code, region_like(), 0usize..200).prop_map(|(code, region, cut)| {
            let xml = format!(
                "<?xml version=\"1.0\"?><Error><Code>{code}</Code><Region>{}</Region></Error>",
                quick_xml_escape(&region)
            );
            let keep = xml.len().saturating_sub(cut);
            xml.into_bytes()[..keep].to_vec()
        }),
        proptest::collection::vec(any::<u8>(), 0..512),
    ]
}

fn quick_xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

proptest! {
    /// Classification never panics on any answer; every 2xx — whatever header and body come
    /// with it — confirms the region tried; a region it names is never invented or altered:
    /// it is the header verbatim, or the body's `<Region>` exactly as the parser reads it, and
    /// what `validate_region` then accepts is plain `[a-z0-9-]`.
    #[test]
    fn classify_never_panics(
        status in 100u16..600,
        header in proptest::option::of(region_like()),
        body in proptest::option::of(error_body()),
        operation in proptest::sample::select(OPERATIONS),
    ) {
        let operation = Operation::from_name(operation);
        let verdict = classify(&Answer {
            status,
            bucket_region: header.as_deref(),
            body: body.as_deref(),
            operation,
        });
        if (200..300).contains(&status) {
            prop_assert!(matches!(verdict, Verdict::Confirmed), "a 2xx confirms: {verdict:?}");
        }
        if let Verdict::Redirect { region, evidence } = &verdict {
            let named = match evidence {
                Evidence::Header => header.clone(),
                Evidence::RegionElement => body.as_deref().and_then(|b| parse_error_body(b).region),
                Evidence::Probe => None,
            };
            prop_assert_eq!(Some(region.clone()), named, "{:?}", evidence);
            if let Ok(valid) = validate_region(region) {
                let plain = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
                prop_assert!(valid.bytes().all(plain));
            }
        }
    }

    /// Any bytes parse without panicking; a well-formed body gives its code and region back
    /// exactly: any printable text without markup, inner spaces included (surrounding
    /// whitespace is trimmed; S3 sends none).
    #[test]
    fn error_bodies_parse_safely_and_exactly(
        body in error_body(),
        code in "[!-%'-;=?-~]([ !-%'-;=?-~]{0,38}[!-%'-;=?-~])?",
        region in "[!-%'-;=?-~]([ !-%'-;=?-~]{0,38}[!-%'-;=?-~])?",
    ) {
        let _ = parse_error_body(&body);
        let xml = format!("<Error><Code>{code}</Code><Region>{region}</Region></Error>");
        let fields = parse_error_body(xml.as_bytes());
        prop_assert_eq!(fields.code.as_deref(), Some(code.as_str()));
        prop_assert_eq!(fields.region.as_deref(), Some(region.as_str()));
    }

    /// A validated region always makes a well-formed hostname whose host is exactly what we
    /// built: no path, port, user info or second host can ride along.
    #[test]
    fn valid_regions_make_only_plain_hostnames(raw in region_like()) {
        if let Ok(region) = validate_region(&raw) {
            let host = format!("s3.{region}.amazonaws.com");
            let uri: http::Uri = format!("https://{host}/bucket").parse().expect("valid URI");
            prop_assert_eq!(uri.host(), Some(host.as_str()));
            prop_assert_eq!(uri.port(), None);
            prop_assert!(region.len() <= 63);
        }
    }

    /// Parsing never panics; a URL made from parts displays and parses back to the same parts.
    #[test]
    fn s3_urls_round_trip(raw in ".{0,80}", bucket in "[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]", key in ".{0,60}") {
        let _ = raw.parse::<S3Url>();
        let _ = format!("s3://{raw}").parse::<S3Url>();
        if is_valid_bucket_name(&bucket) {
            // A key the URL syntax refuses (NUL, line breaks) is refused by `new` too.
            if let Ok(url) = S3Url::new(&bucket, &key) {
                // Keys print verbatim, control characters escaped for the terminal.
                let shown = url.to_string();
                prop_assert!(!shown.chars().any(char::is_control), "{shown:?}");
                if !key.chars().any(char::is_control) {
                    let again: S3Url = shown.parse().expect("display parses");
                    prop_assert_eq!(again, url);
                }
            } else {
                prop_assert!(key.contains(['\0', '\n', '\r']) || key.len() > 1024, "{key:?}");
            }
        }
    }

    /// Whatever the key, the local path a download writes is inside its destination or refused.
    #[test]
    fn local_paths_stay_inside_the_destination(prefix in key_like(), rest in key_like()) {
        let key = format!("{prefix}{rest}");
        let dest = std::path::Path::new("/dest/dir");
        if let Ok(relative) = local_path_for_key(&prefix, &key) {
            prop_assert!(relative.is_relative(), "{key:?} -> {relative:?}");
            prop_assert!(
                relative.components().all(|c| matches!(c, std::path::Component::Normal(_))),
                "{key:?} -> {relative:?}"
            );
            let joined = dest.join(&relative);
            prop_assert!(joined.starts_with(dest) && joined != dest, "{key:?} -> {joined:?}");
            // Reassembled from its components, the path is the rest of the key: nothing dropped.
            let again: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            prop_assert_eq!(again.join("/"), rest);
        }
    }
}

/// Keys heavy on what paths care about: `..`, `.`, `/`, `%2e`, NUL and backslashes.
fn key_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => Just("..".to_owned()),
        4 => Just("/".to_owned()),
        3 => Just(".".to_owned()),
        1 => Just("%2e".to_owned()),
        1 => Just("\0".to_owned()),
        1 => Just("\\".to_owned()),
        4 => "[a-z]{1,4}",
        1 => "\\PC{1,3}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}
