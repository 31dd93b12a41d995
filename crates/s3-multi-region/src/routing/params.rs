//! A copy of S3's endpoint `Params` with another region (and, for endpoint maps, another
//! endpoint). `Params` has no `to_builder()`, so the copy names every field; the test below fails
//! when an SDK upgrade adds one.

use aws_sdk_s3::config::endpoint::Params;

/// The fields [`with_region`] carries over, in `Params`'s declaration order.
#[cfg(test)]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Field names as `Params`'s Debug output lists them.
    fn debug_field_names(params: &Params) -> Vec<String> {
        let debug = format!("{params:?}");
        let inner = debug.split_once('{').unwrap().1.rsplit_once('}').unwrap().0;
        inner
            .split(", ")
            .filter_map(|part| part.split_once(':').map(|(name, _)| name.trim().to_owned()))
            .filter(|name| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
            .collect()
    }

    #[test]
    fn copy_names_every_field_of_params() {
        let params = Params::builder().region("us-east-1").build().unwrap();
        assert_eq!(
            debug_field_names(&params),
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
}
