//! A copy of S3's endpoint `Params` with another region (and, for endpoint maps, another
//! endpoint). `Params` has no `to_builder()`, so the copy names every field. Two guards keep an
//! SDK that adds a field from losing it silently: the test below fails in our CI when we upgrade,
//! and at run time (a user's `cargo update` can link a newer SDK than we tested) every copy is
//! proven equal to the original but for the region (`Params: PartialEq`), so a call whose
//! `Params` a copy would change otherwise is never rerouted (see `routing/interceptor.rs`). The
//! fields `Debug` shows are read once, for a warning at build time only.

use aws_sdk_s3::config::endpoint::Params;

/// The aws-sdk-s3 release whose `Params` [`COPIED_FIELDS`] was written against.
pub(crate) const TESTED_AWS_SDK_S3: &str = "1.157.0";

/// The fields [`with_region`] carries over, in `Params`'s declaration order.
pub(crate) static COPIED_FIELDS: &[&str] = &[
    "bucket",
    "region",
    "use_fips",
    "use_dual_stack",
    "endpoint",
    "force_path_style",
    "accelerate",
    "use_global_endpoint",
    "use_object_lambda_endpoint",
    "key",
    "prefix",
    "copy_source",
    "disable_access_points",
    "disable_multi_region_access_points",
    "use_arn_region",
    "use_s3_express_control_endpoint",
    "disable_s3_express_session_auth",
];

/// Why a copy of `Params` was refused: it would not have been the original but for the region
/// (a newer aws-sdk-s3 added a field, or its builder wants a field this copy does not set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotCopied {
    /// The fields whose values the copy lost, as far as `Debug` shows them (a field `Debug` hides
    /// cannot be named, and is reported as such).
    pub(crate) fields: Vec<String>,
}

/// `params` with `region`, and with `endpoint` (path-style) when given; FIPS, dual-stack,
/// accelerate and the other flags are kept. `copied` names the fields carried over (all of
/// [`COPIED_FIELDS`] but in tests of the guard).
///
/// The copy is proven, not trusted: the same copy made with the original's region and endpoint
/// must equal the original (`Params: PartialEq`), so a field the copy does not know, whatever
/// `Debug` prints of it, refuses the reroute instead of dropping the field.
pub(crate) fn with_region(
    params: &Params,
    region: &str,
    endpoint: Option<&str>,
    copied: &[&str],
) -> Result<Params, NotCopied> {
    let (routed_endpoint, force_path_style) = match endpoint {
        Some(url) => (Some(url.to_owned()), Some(true)),
        None => (
            params.endpoint().map(str::to_owned),
            params.force_path_style(),
        ),
    };
    if !copy_is_proven(copied, aws_sdk_s3::meta::PKG_VERSION) {
        check_copy(params, copied)?;
    }
    copy_fields(
        params,
        Some(region.to_owned()),
        routed_endpoint,
        force_path_style,
        copied,
    )
    .ok_or_else(|| NotCopied {
        fields: vec!["(the Params builder refused the copy)".to_owned()],
    })
}

/// Whether every copy with `copied` is already proven complete: the full field list, against
/// the aws-sdk-s3 release the tests below checked it on (`copy_names_every_field_of_params`,
/// `the_linked_sdk_is_the_tested_one`). Then the per-copy guard is skipped (its build and
/// comparison were 2.4 k of the 17.5 k instructions routing added to a warm GET); any other
/// linked release (a user's `cargo update`) or field list runs it on every copy.
pub(crate) fn copy_is_proven(copied: &[&str], linked_sdk: &str) -> bool {
    std::ptr::eq(copied, COPIED_FIELDS) && linked_sdk == TESTED_AWS_SDK_S3
}

/// Whether a copy of `params` loses nothing: the copy made with the original's own region and
/// endpoint must equal it. One build and one comparison; no `Debug` involved. Called per
/// reroute (and when an error answer may lead to one), never per successful call.
pub(crate) fn check_copy(params: &Params, copied: &[&str]) -> Result<(), NotCopied> {
    let unchanged = copy_fields(
        params,
        params.region().map(str::to_owned),
        params.endpoint().map(str::to_owned),
        params.force_path_style(),
        copied,
    );
    if unchanged.as_ref() == Some(params) {
        Ok(())
    } else {
        Err(NotCopied {
            fields: lost_fields(params, unchanged.as_ref()),
        })
    }
}

/// The copy itself: each field named in `copied`, with the region, endpoint and path style given.
fn copy_fields(
    params: &Params,
    region: Option<String>,
    endpoint: Option<String>,
    force_path_style: Option<bool>,
    copied: &[&str],
) -> Option<Params> {
    // The routing copy names every field; only tests of the guard pass fewer.
    let all = std::ptr::eq(copied, COPIED_FIELDS);
    let keep = |field: &str| all || copied.contains(&field);
    let mut b = Params::builder().set_region(region);
    if keep("bucket") {
        b = b.set_bucket(params.bucket().map(str::to_owned));
    }
    if keep("use_fips") {
        b = b.set_use_fips(params.use_fips());
    }
    if keep("use_dual_stack") {
        b = b.set_use_dual_stack(params.use_dual_stack());
    }
    if keep("endpoint") {
        b = b.set_endpoint(endpoint);
    }
    if keep("force_path_style") {
        b = b.set_force_path_style(force_path_style);
    }
    if keep("accelerate") {
        b = b.set_accelerate(params.accelerate());
    }
    if keep("use_global_endpoint") {
        b = b.set_use_global_endpoint(params.use_global_endpoint());
    }
    if keep("use_object_lambda_endpoint") {
        b = b.set_use_object_lambda_endpoint(params.use_object_lambda_endpoint());
    }
    if keep("key") {
        b = b.set_key(params.key().map(str::to_owned));
    }
    if keep("prefix") {
        b = b.set_prefix(params.prefix().map(str::to_owned));
    }
    if keep("copy_source") {
        b = b.set_copy_source(params.copy_source().map(str::to_owned));
    }
    if keep("disable_access_points") {
        b = b.set_disable_access_points(params.disable_access_points());
    }
    if keep("disable_multi_region_access_points") {
        b = b.set_disable_multi_region_access_points(params.disable_multi_region_access_points());
    }
    if keep("use_arn_region") {
        b = b.set_use_arn_region(params.use_arn_region());
    }
    if keep("use_s3_express_control_endpoint") {
        b = b.set_use_s3_express_control_endpoint(params.use_s3_express_control_endpoint());
    }
    if keep("disable_s3_express_session_auth") {
        b = b.set_disable_s3_express_session_auth(params.disable_s3_express_session_auth());
    }
    b.build().ok()
}

/// The fields whose `Debug` values differ between `original` and `copy`; when `Debug` shows no
/// difference (it hides the field), one entry saying so.
fn lost_fields(original: &Params, copy: Option<&Params>) -> Vec<String> {
    let Some(copy) = copy else {
        return vec!["(the Params builder refused the copy)".to_owned()];
    };
    let (a, b) = (format!("{original:?}"), format!("{copy:?}"));
    let theirs = debug_pairs(&b);
    let lost: Vec<String> = debug_pairs(&a)
        .into_iter()
        .filter(|pair| !theirs.contains(pair))
        .map(|(name, _)| name.to_owned())
        .collect();
    if lost.is_empty() {
        vec!["(a field Debug does not show)".to_owned()]
    } else {
        lost
    }
}

/// The `name: value` pairs of a derived `Debug` struct (`Params { bucket: Some("b"), .. }`),
/// split only at top-level commas: quoted strings (a key may hold `, x: y`) and nested brackets
/// are skipped over.
fn debug_pairs(debug: &str) -> Vec<(&str, &str)> {
    let Some(open) = debug.find('{') else {
        return Vec::new();
    };
    let inner = debug[open + 1..].trim_end().trim_end_matches('}');
    let mut parts = Vec::new();
    let (mut start, mut depth, mut quoted, mut escaped) = (0, 0i32, false, false);
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '(' | '[' | '{' if !quoted => depth += 1,
            ')' | ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter_map(|part| part.split_once(": "))
        .map(|(name, value)| (name.trim(), value.trim()))
        .collect()
}

/// The fields of `Params` in the aws-sdk-s3 linked into this program, in declaration order.
pub(crate) fn sdk_fields() -> Vec<String> {
    let params = Params::builder()
        .region("us-east-1")
        .build()
        .expect("params with a region are valid");
    debug_pairs(&format!("{params:?}"))
        .into_iter()
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The fields of `sdk` that `copied` does not name (pure).
pub(crate) fn uncopied(sdk: &[String], copied: &[&str]) -> Vec<String> {
    sdk.iter()
        .filter(|f| !copied.contains(&f.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linked_sdk_is_the_tested_one() {
        assert_eq!(
            aws_sdk_s3::meta::PKG_VERSION,
            TESTED_AWS_SDK_S3,
            "aws-sdk-s3 moved: check COPIED_FIELDS against its Params, then update TESTED_AWS_SDK_S3"
        );
    }

    #[test]
    fn only_the_full_field_list_on_the_tested_sdk_skips_the_guard() {
        assert!(copy_is_proven(COPIED_FIELDS, TESTED_AWS_SDK_S3));
        assert!(!copy_is_proven(COPIED_FIELDS, "1.999.0"), "a newer SDK");
        let all_but_key: Vec<&str> = COPIED_FIELDS
            .iter()
            .copied()
            .filter(|f| *f != "key")
            .collect();
        assert!(!copy_is_proven(&all_but_key, TESTED_AWS_SDK_S3));
        // Equal contents in another slice are not the proven list (a test's own list).
        let same: Vec<&str> = COPIED_FIELDS.to_vec();
        assert!(!copy_is_proven(&same, TESTED_AWS_SDK_S3));
    }

    #[test]
    fn debug_pairs_skip_quoted_commas() {
        let debug = r#"Params { bucket: Some("b"), key: Some("a, new_field: Some(\"x\"), b"), use_fips: false, new_field: Some(true), list: Some([1, 2]) }"#;
        let pairs = debug_pairs(debug);
        let names: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["bucket", "key", "use_fips", "new_field", "list"]);
        assert_eq!(pairs[3], ("new_field", "Some(true)"));
        assert_eq!(
            pairs[4],
            ("list", "Some([1, 2])"),
            "a comma inside brackets"
        );
    }

    #[test]
    fn an_sdk_field_we_do_not_copy_is_found_and_a_copy_that_loses_it_is_refused() {
        // The field list with an extra name, as a newer SDK would have: warned about at build.
        let mut newer = sdk_fields();
        newer.push("use_shiny_endpoint".to_owned());
        assert_eq!(uncopied(&newer, COPIED_FIELDS), ["use_shiny_endpoint"]);
        assert!(uncopied(&sdk_fields(), COPIED_FIELDS).is_empty());
        // A copier that does not know `key` (as ours would not know a new field): a call that
        // sets it cannot be copied, one that does not set it can.
        let all_but_key: Vec<&str> = COPIED_FIELDS
            .iter()
            .copied()
            .filter(|f| *f != "key")
            .collect();
        let with_key = Params::builder()
            .region("us-east-1")
            .bucket("b")
            .key("k, x: y")
            .build()
            .unwrap();
        let without = Params::builder()
            .region("us-east-1")
            .bucket("b")
            .build()
            .unwrap();
        assert_eq!(
            with_region(&with_key, "eu-west-1", None, &all_but_key),
            Err(NotCopied {
                fields: vec!["key".to_owned()]
            })
        );
        assert_eq!(
            check_copy(&with_key, &all_but_key).unwrap_err().fields,
            ["key"]
        );
        assert!(check_copy(&without, &all_but_key).is_ok());
        let routed = with_region(&without, "eu-west-1", None, &all_but_key).unwrap();
        assert_eq!(routed.region(), Some("eu-west-1"));
        assert!(check_copy(&with_key, COPIED_FIELDS).is_ok());
    }

    /// The guard is `PartialEq`, not `Debug`: a lost field that `Debug` does not show (the
    /// shape of a newer SDK that prints `Params` differently) is still refused, and said so.
    #[test]
    fn a_lost_field_that_debug_does_not_show_is_still_refused() {
        let original = Params::builder()
            .region("us-east-1")
            .bucket("b")
            .use_fips(true)
            .build()
            .unwrap();
        let lossy = Params::builder()
            .region("us-east-1")
            .bucket("b")
            .build()
            .unwrap();
        assert_ne!(original, lossy);
        // Debug shows the difference: the field is named.
        assert_eq!(lost_fields(&original, Some(&lossy)), ["use_fips"]);
        // Two different Params whose Debug texts agree (what a Debug that hides a field gives):
        // compared with `!=`, refused all the same, with a field name that says why none is given.
        assert_eq!(
            lost_fields(&original, Some(&original)),
            ["(a field Debug does not show)"]
        );
        assert_eq!(
            lost_fields(&original, None),
            ["(the Params builder refused the copy)"]
        );
        let without_fips: Vec<&str> = COPIED_FIELDS
            .iter()
            .copied()
            .filter(|f| *f != "use_fips")
            .collect();
        assert!(with_region(&original, "eu-west-1", None, &without_fips).is_err());
    }

    #[test]
    fn copy_names_every_field_of_params() {
        let params = Params::builder().region("us-east-1").build().unwrap();
        let _ = params;
        assert_eq!(
            sdk_fields(),
            COPIED_FIELDS,
            "aws-sdk-s3 changed Params: update with_region"
        );
    }

    #[test]
    fn copy_keeps_flags_and_changes_region() {
        let params = Params::builder()
            .bucket("b")
            .region("us-east-1")
            .use_fips(true)
            .use_dual_stack(true)
            .accelerate(false)
            .key("k")
            .build()
            .unwrap();
        let copy = with_region(&params, "eu-west-1", None, COPIED_FIELDS).unwrap();
        assert_eq!(copy.region(), Some("eu-west-1"));
        assert_eq!(
            with_region(&copy, "us-east-1", None, COPIED_FIELDS).unwrap(),
            params
        );
        let mapped = with_region(
            &params,
            "eu-west-1",
            Some("http://127.0.0.1:1"),
            COPIED_FIELDS,
        )
        .unwrap();
        assert_eq!(
            (mapped.endpoint(), mapped.force_path_style()),
            (Some("http://127.0.0.1:1"), Some(true))
        );
        assert_eq!(mapped.use_fips(), Some(true));
    }

    /// A key is user data: quotes, brackets and `, name: value` inside it must not split fields.
    /// Debug escapes the quote (`\"`), so the scanner must honour escapes inside quoted text.
    #[test]
    fn a_key_shaped_like_fields_stays_one_value() {
        for key in [
            "a), new_field: Some(true), (b",
            "q\"), new_field: Some(true), (\"",
            "back\\slash\\\"), new_field: Some(true), (",
        ] {
            let params = Params::builder()
                .region("us-east-1")
                .bucket("b")
                .key(key)
                .build()
                .unwrap();
            let debug = format!("{params:?}");
            let pairs = debug_pairs(&debug);
            let names: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
            assert_eq!(names, COPIED_FIELDS, "{key:?} in {debug}");
            let value = pairs.iter().find(|(n, _)| *n == "key").unwrap().1;
            assert_eq!(value, format!("Some({key:?})"), "{key:?}");
            assert!(check_copy(&params, COPIED_FIELDS).is_ok(), "{key:?}");
        }
    }
}
