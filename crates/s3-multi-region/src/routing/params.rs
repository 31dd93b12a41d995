//! A copy of S3's endpoint `Params` with another region (and, for endpoint maps, another
//! endpoint). `Params` has no `to_builder()`, so the copy names every field. Two guards keep an
//! SDK that adds a field from losing it silently: the test below fails in our CI when we upgrade,
//! and at run time (a user's `cargo update` can link a newer SDK than we tested) the fields of
//! the linked `Params` are compared with the copied ones once, and a call that sets a field the
//! copy would drop is never rerouted (see `routing/interceptor.rs`).

use aws_sdk_s3::config::endpoint::Params;

/// The aws-sdk-s3 release whose `Params` [`COPIED_FIELDS`] was written against.
pub(crate) const TESTED_AWS_SDK_S3: &str = "1.157.0";

/// The fields [`with_region`] carries over, in `Params`'s declaration order.
pub(crate) const COPIED_FIELDS: &[&str] = &[
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

/// `params` with `region`, and with `endpoint` (path-style) when given. FIPS, dual-stack,
/// accelerate and the other flags are kept.
pub(crate) fn with_region(params: &Params, region: &str, endpoint: Option<&str>) -> Params {
    let (endpoint, force_path_style) = match endpoint {
        Some(url) => (Some(url.to_owned()), Some(true)),
        None => (
            params.endpoint().map(str::to_owned),
            params.force_path_style(),
        ),
    };
    Params::builder()
        .set_bucket(params.bucket().map(str::to_owned))
        .set_region(Some(region.to_owned()))
        .set_use_fips(params.use_fips())
        .set_use_dual_stack(params.use_dual_stack())
        .set_endpoint(endpoint)
        .set_force_path_style(force_path_style)
        .set_accelerate(params.accelerate())
        .set_use_global_endpoint(params.use_global_endpoint())
        .set_use_object_lambda_endpoint(params.use_object_lambda_endpoint())
        .set_key(params.key().map(str::to_owned))
        .set_prefix(params.prefix().map(str::to_owned))
        .set_copy_source(params.copy_source().map(str::to_owned))
        .set_disable_access_points(params.disable_access_points())
        .set_disable_multi_region_access_points(params.disable_multi_region_access_points())
        .set_use_arn_region(params.use_arn_region())
        .set_use_s3_express_control_endpoint(params.use_s3_express_control_endpoint())
        .set_disable_s3_express_session_auth(params.disable_s3_express_session_auth())
        .build()
        .expect("a copy of valid params is valid")
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

/// Of the `uncopied` fields, those set on `params` (neither `None` nor `false`): what a copy
/// would drop from this call.
pub(crate) fn dropped_by_copy(params: &Params, uncopied: &[String]) -> Vec<String> {
    if uncopied.is_empty() {
        return Vec::new();
    }
    debug_pairs(&format!("{params:?}"))
        .into_iter()
        .filter(|(name, value)| {
            uncopied.iter().any(|u| u == name) && !matches!(*value, "None" | "false")
        })
        .map(|(name, _)| name.to_owned())
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
    fn an_sdk_field_we_do_not_copy_is_found_and_seen_when_set() {
        // The check fed a field list with an extra name, as a newer SDK would have.
        let mut newer = sdk_fields();
        newer.push("use_shiny_endpoint".to_owned());
        assert_eq!(uncopied(&newer, COPIED_FIELDS), ["use_shiny_endpoint"]);
        assert!(uncopied(&sdk_fields(), COPIED_FIELDS).is_empty());
        // Set or not on a call: a real field stands in for the new one.
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
        let pretend = vec!["key".to_owned(), "use_fips".to_owned()];
        assert_eq!(dropped_by_copy(&with_key, &pretend), ["key"]);
        assert!(dropped_by_copy(&without, &pretend).is_empty());
        assert!(dropped_by_copy(&with_key, &[]).is_empty());
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
        let copy = with_region(&params, "eu-west-1", None);
        assert_eq!(copy.region(), Some("eu-west-1"));
        assert_eq!(with_region(&copy, "us-east-1", None), params);
        let mapped = with_region(&params, "eu-west-1", Some("http://127.0.0.1:1"));
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
            assert!(
                dropped_by_copy(&params, &["new_field".to_owned()]).is_empty(),
                "{key:?}"
            );
        }
    }
}
