//! Pure decisions and bodies of S3's wrong-region answers (docs/ARCHITECTURE.md §3).
//!
//! Each answer is written here from our own reading of S3: status, code, the elements S3 puts in
//! its XML error, `x-amz-bucket-region`, and for HEAD no body at all (S3 cannot send one).

use std::time::Duration;

use http::{HeaderValue, Response, StatusCode};
use s3s::Body;

use crate::registry::BucketEntry;
use crate::request::{OpKind, Signature};
use crate::switches::{EffectiveAnswer, WrongRegionAnswer};

/// What the front layer does with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Hand it to the S3 handler of this region.
    Forward,
    /// Answer it here.
    Answer(WrongRegion),
}

/// A wrong-region answer, before rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum WrongRegion {
    /// 301 PermanentRedirect; `bucket_region` is where the bucket lives.
    PermanentRedirect { bucket_region: String },
    /// 307 TemporaryRedirect to the bucket's regional endpoint.
    TemporaryRedirect { bucket_region: String },
    /// 400 IllegalLocationConstraintException.
    IllegalLocationConstraint { bucket_region: String },
    /// 400 AuthorizationHeaderMalformed (or AuthorizationQueryParametersError for a presigned
    /// URL): signed for `signed_region`, S3 expected `expected_region`. `bucket_region` is known
    /// when the request named an existing bucket.
    WrongSigningRegion {
        signed: Signature,
        expected_region: String,
        bucket_region: Option<String>,
    },
}

/// Inputs of [`decide`] that come from the emulator's state.
pub(crate) struct Context<'a> {
    pub(crate) listener_region: &'a str,
    pub(crate) switches: &'a EffectiveAnswer,
    pub(crate) temporary_redirect_window: Duration,
    pub(crate) is_opt_in: &'a (dyn Fn(&str) -> bool + Sync),
}

fn signed_elsewhere(signature: Option<&Signature>, region: &str) -> Option<Signature> {
    signature.filter(|s| s.region() != region).cloned()
}

/// Decides how S3 would answer `op` on `bucket` at the listener of `cx.listener_region`.
pub(crate) fn decide(
    cx: &Context<'_>,
    op: OpKind,
    bucket: Option<&BucketEntry>,
    signature: Option<&Signature>,
) -> Decision {
    let here = cx.listener_region;
    let wrong_signature = |expected: &str, bucket_region: Option<&str>| {
        signed_elsewhere(signature, expected).map(|signed| {
            Decision::Answer(WrongRegion::WrongSigningRegion {
                signed,
                expected_region: expected.to_owned(),
                bucket_region: bucket_region.map(str::to_owned),
            })
        })
    };
    let bucket_region = match bucket {
        // GetBucketLocation is answered from any region; CreateBucket of a taken name gets its
        // conflict from the handler, not a redirect.
        _ if matches!(op, OpKind::GetBucketLocation) => return Decision::Forward,
        Some(entry) if !matches!(op, OpKind::CreateBucket) && entry.region != here => {
            entry.region.clone()
        }
        Some(entry) => {
            let known = (!matches!(op, OpKind::CreateBucket)).then_some(entry.region.as_str());
            return wrong_signature(here, known).unwrap_or(Decision::Forward);
        }
        None => return wrong_signature(here, None).unwrap_or(Decision::Forward),
    };
    let global_endpoint = || match signed_elsewhere(signature, &bucket_region) {
        // The global endpoint routes a request signed for the bucket's region to that region.
        None if signature.is_some() => Decision::Forward,
        None => Decision::Answer(WrongRegion::PermanentRedirect {
            bucket_region: bucket_region.clone(),
        }),
        Some(signed) => Decision::Answer(WrongRegion::WrongSigningRegion {
            signed,
            expected_region: bucket_region.clone(),
            bucket_region: Some(bucket_region.clone()),
        }),
    };
    let region = bucket_region.clone();
    match cx.switches.answer {
        WrongRegionAnswer::Auto if (cx.is_opt_in)(&bucket_region) || (cx.is_opt_in)(here) => {
            Decision::Answer(WrongRegion::IllegalLocationConstraint {
                bucket_region: region,
            })
        }
        WrongRegionAnswer::Auto | WrongRegionAnswer::PermanentRedirect => {
            Decision::Answer(WrongRegion::PermanentRedirect {
                bucket_region: region,
            })
        }
        WrongRegionAnswer::IllegalLocationConstraint => {
            Decision::Answer(WrongRegion::IllegalLocationConstraint {
                bucket_region: region,
            })
        }
        WrongRegionAnswer::GlobalEndpoint => global_endpoint(),
        WrongRegionAnswer::TemporaryRedirect => match bucket {
            Some(entry) if entry.age() < cx.temporary_redirect_window => {
                Decision::Answer(WrongRegion::TemporaryRedirect {
                    bucket_region: region,
                })
            }
            _ => global_endpoint(),
        },
    }
}

/// A rendered error answer: status, headers and (unless HEAD) the XML body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ErrorAnswer {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(&'static str, String)>,
    /// `None` for HEAD: S3 sends no body.
    pub(crate) body: Option<String>,
}

/// Everything [`render`] needs besides the decision.
pub(crate) struct RenderContext<'a> {
    pub(crate) is_head: bool,
    /// HeadBucket answers use the HeadBucket header switch.
    pub(crate) is_head_bucket: bool,
    pub(crate) bucket: Option<&'a str>,
    /// `path?query` of the request, for the 307 `Location`.
    pub(crate) path_and_query: &'a str,
    /// `http` or `https`, for the 307 `Location`.
    pub(crate) scheme: &'a str,
    pub(crate) switches: &'a EffectiveAnswer,
    /// The `host:port` (or S3 host name) that serves a region.
    pub(crate) endpoint_of: &'a dyn Fn(&str) -> String,
    pub(crate) request_id: &'a str,
}

fn xml_error(
    code: &str,
    message: &str,
    elements: &[(&str, Option<String>)],
    request_id: &str,
) -> String {
    use quick_xml::escape::partial_escape as escape;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
    xml.push_str(&format!(
        "<Code>{}</Code><Message>{}</Message>",
        escape(code),
        escape(message)
    ));
    for (name, value) in elements {
        if let Some(value) = value {
            xml.push_str(&format!("<{name}>{}</{name}>", escape(value.as_str())));
        }
    }
    xml.push_str(&format!(
        "<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    ));
    xml
}

/// Renders a wrong-region decision as S3 writes it.
pub(crate) fn render(answer: &WrongRegion, cx: &RenderContext<'_>) -> ErrorAnswer {
    let policy = if cx.is_head_bucket {
        &cx.switches.head_bucket_header
    } else {
        &cx.switches.region_header
    };
    let header = |region: &str| policy.apply(region);
    let bucket = cx.bucket.map(str::to_owned);
    let (status, code, message, elements, region_header, location) = match answer {
        WrongRegion::PermanentRedirect { bucket_region } => (
            StatusCode::MOVED_PERMANENTLY,
            "PermanentRedirect",
            "The bucket you are attempting to access must be addressed using the specified endpoint. \
             Please send all future requests to this endpoint."
                .to_owned(),
            vec![("Endpoint", Some((cx.endpoint_of)(bucket_region))), ("Bucket", bucket)],
            header(bucket_region),
            None,
        ),
        WrongRegion::TemporaryRedirect { bucket_region } => {
            let endpoint = (cx.endpoint_of)(bucket_region);
            (
                StatusCode::TEMPORARY_REDIRECT,
                "TemporaryRedirect",
                "Please re-send this request to the specified temporary endpoint. \
                 Continue to use the original request endpoint for future requests."
                    .to_owned(),
                vec![("Endpoint", Some(endpoint.clone())), ("Bucket", bucket)],
                header(bucket_region),
                Some(format!("{}://{endpoint}{}", cx.scheme, cx.path_and_query)),
            )
        }
        WrongRegion::IllegalLocationConstraint { bucket_region } => (
            StatusCode::BAD_REQUEST,
            "IllegalLocationConstraintException",
            format!(
                "The {bucket_region} location constraint is incompatible for the region specific endpoint this \
                 request was sent to."
            ),
            vec![],
            header(bucket_region),
            None,
        ),
        WrongRegion::WrongSigningRegion { signed, expected_region, bucket_region } => {
            let (code, what) = match signed {
                Signature::Header(_) => ("AuthorizationHeaderMalformed", "The authorization header is malformed"),
                Signature::Query(_) => {
                    ("AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter")
                }
            };
            (
                StatusCode::BAD_REQUEST,
                code,
                format!("{what}; the region '{}' is wrong; expecting '{expected_region}'", signed.region()),
                vec![("Region", cx.switches.region_element.apply(expected_region))],
                bucket_region.as_deref().and_then(header),
                None,
            )
        }
    };
    let mut headers = vec![
        ("x-amz-request-id", cx.request_id.to_owned()),
        ("x-amz-id-2", cx.request_id.to_owned()),
    ];
    headers.push(("content-type", "application/xml".to_owned()));
    if let Some(region) = region_header {
        headers.push(("x-amz-bucket-region", region));
    }
    if let Some(location) = location {
        headers.push(("location", location));
    }
    let body = (!cx.is_head).then(|| match &cx.switches.error_body {
        Some(verbatim) => verbatim.clone(),
        None => xml_error(code, &message, &elements, cx.request_id),
    });
    ErrorAnswer {
        status,
        headers,
        body,
    }
}

/// S3's plain error answer: `status`, `<Error>` with `code`, `message` and the request id (no
/// body for HEAD, which S3 cannot send one for).
pub(crate) fn error_response(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: String,
    is_head: bool,
) -> Response<Body> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>\
         <RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>",
        quick_xml::escape::partial_escape(message)
    );
    to_response(ErrorAnswer {
        status,
        headers: vec![
            ("content-type", "application/xml".into()),
            ("x-amz-request-id", request_id),
        ],
        body: (!is_head).then_some(body),
    })
}

/// The HTTP response of an error answer.
pub(crate) fn to_response(answer: ErrorAnswer) -> Response<Body> {
    let mut builder = Response::builder().status(answer.status);
    for (name, value) in answer.headers {
        // Hostile values from the switches may hold any bytes; `from_bytes` takes all but controls.
        if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
            builder = builder.header(name, value);
        }
    }
    let body = answer.body.map_or_else(Body::empty, Body::from);
    builder.body(body).expect("valid response parts")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switches::Reported;

    fn entry(region: &str) -> BucketEntry {
        BucketEntry {
            region: region.into(),
            created_unix_ms: crate::registry::now_unix_ms(),
        }
    }

    fn switches(answer: WrongRegionAnswer) -> EffectiveAnswer {
        EffectiveAnswer {
            answer,
            region_header: Reported::Actual,
            region_element: Reported::Actual,
            head_bucket_header: Reported::Actual,
            error_body: None,
        }
    }

    fn decide_with(
        answer: WrongRegionAnswer,
        op: OpKind,
        bucket: Option<&str>,
        signed: Option<&str>,
    ) -> Decision {
        let sw = switches(answer);
        let opt_in = |r: &str| r == "me-south-1";
        let cx = Context {
            listener_region: "us-east-1",
            switches: &sw,
            temporary_redirect_window: Duration::from_secs(3600),
            is_opt_in: &opt_in,
        };
        let entry = bucket.map(entry);
        let sig = signed.map(|s| Signature::Header(s.into()));
        decide(&cx, op, entry.as_ref(), sig.as_ref())
    }

    #[test]
    fn decisions() {
        use Decision::Forward;
        use WrongRegionAnswer::*;
        let pr = |r: &str| {
            Decision::Answer(WrongRegion::PermanentRedirect {
                bucket_region: r.into(),
            })
        };
        let ilce = |r: &str| {
            Decision::Answer(WrongRegion::IllegalLocationConstraint {
                bucket_region: r.into(),
            })
        };
        let tr = |r: &str| {
            Decision::Answer(WrongRegion::TemporaryRedirect {
                bucket_region: r.into(),
            })
        };
        let ahm = |signed: &str, expected: &str, bucket: Option<&str>| {
            Decision::Answer(WrongRegion::WrongSigningRegion {
                signed: Signature::Header(signed.into()),
                expected_region: expected.into(),
                bucket_region: bucket.map(Into::into),
            })
        };
        let s = Some("us-east-1");
        let cases = [
            (Auto, OpKind::Other, Some("us-east-1"), s, Forward),
            (Auto, OpKind::Other, None, s, Forward),
            (Auto, OpKind::Other, Some("eu-west-1"), s, pr("eu-west-1")),
            (
                Auto,
                OpKind::Other,
                Some("me-south-1"),
                s,
                ilce("me-south-1"),
            ),
            (
                Auto,
                OpKind::GetBucketLocation,
                Some("eu-west-1"),
                s,
                Forward,
            ),
            (Auto, OpKind::CreateBucket, Some("eu-west-1"), s, Forward),
            (
                PermanentRedirect,
                OpKind::Other,
                Some("me-south-1"),
                s,
                pr("me-south-1"),
            ),
            (
                IllegalLocationConstraint,
                OpKind::HeadBucket,
                Some("eu-west-1"),
                s,
                ilce("eu-west-1"),
            ),
            (
                GlobalEndpoint,
                OpKind::Other,
                Some("eu-west-1"),
                s,
                ahm("us-east-1", "eu-west-1", Some("eu-west-1")),
            ),
            (
                GlobalEndpoint,
                OpKind::Other,
                Some("eu-west-1"),
                Some("eu-west-1"),
                Forward,
            ),
            (
                TemporaryRedirect,
                OpKind::Other,
                Some("eu-west-1"),
                s,
                tr("eu-west-1"),
            ),
            // Right bucket region, wrong signature: S3 expects the endpoint's region.
            (
                Auto,
                OpKind::Other,
                Some("us-east-1"),
                Some("eu-west-1"),
                ahm("eu-west-1", "us-east-1", Some("us-east-1")),
            ),
            (
                Auto,
                OpKind::ListBuckets,
                None,
                Some("eu-west-1"),
                ahm("eu-west-1", "us-east-1", None),
            ),
        ];
        for (answer, op, bucket, signed, want) in cases {
            assert_eq!(
                decide_with(answer, op, bucket, signed),
                want,
                "{answer:?} {op:?} {bucket:?} {signed:?}"
            );
        }
    }

    fn render_with(answer: &WrongRegion, is_head: bool, sw: &EffectiveAnswer) -> ErrorAnswer {
        let endpoint_of = |r: &str| format!("s3.{r}.test");
        render(
            answer,
            &RenderContext {
                is_head,
                is_head_bucket: false,
                bucket: Some("bkt"),
                path_and_query: "/bkt/k?x=1",
                scheme: "http",
                switches: sw,
                endpoint_of: &endpoint_of,
                request_id: "RID",
            },
        )
    }

    fn header<'a>(a: &'a ErrorAnswer, name: &str) -> Option<&'a str> {
        a.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn permanent_redirect_has_endpoint_bucket_and_no_location() {
        let a = render_with(
            &WrongRegion::PermanentRedirect {
                bucket_region: "eu-west-1".into(),
            },
            false,
            &switches(WrongRegionAnswer::Auto),
        );
        assert_eq!(a.status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(header(&a, "x-amz-bucket-region"), Some("eu-west-1"));
        assert_eq!(header(&a, "location"), None);
        let body = a.body.unwrap();
        assert!(body.contains("<Code>PermanentRedirect</Code>"), "{body}");
        assert!(
            body.contains("<Endpoint>s3.eu-west-1.test</Endpoint><Bucket>bkt</Bucket>"),
            "{body}"
        );
    }

    #[test]
    fn head_answers_have_no_body() {
        let a = render_with(
            &WrongRegion::IllegalLocationConstraint {
                bucket_region: "me-south-1".into(),
            },
            true,
            &switches(WrongRegionAnswer::Auto),
        );
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(a.body, None);
        assert_eq!(header(&a, "x-amz-bucket-region"), Some("me-south-1"));
    }

    #[test]
    fn temporary_redirect_has_location() {
        let a = render_with(
            &WrongRegion::TemporaryRedirect {
                bucket_region: "eu-west-1".into(),
            },
            false,
            &switches(WrongRegionAnswer::Auto),
        );
        assert_eq!(a.status, StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(
            header(&a, "location"),
            Some("http://s3.eu-west-1.test/bkt/k?x=1")
        );
    }

    #[test]
    fn malformed_authorization_names_region_and_switches_apply() {
        let answer = WrongRegion::WrongSigningRegion {
            signed: Signature::Header("us-east-1".into()),
            expected_region: "eu-west-1".into(),
            bucket_region: Some("eu-west-1".into()),
        };
        let a = render_with(&answer, false, &switches(WrongRegionAnswer::GlobalEndpoint));
        let body = a.body.unwrap();
        assert!(
            body.contains("<Code>AuthorizationHeaderMalformed</Code>"),
            "{body}"
        );
        assert!(
            body.contains("the region 'us-east-1' is wrong; expecting 'eu-west-1'"),
            "{body}"
        );
        assert!(body.contains("<Region>eu-west-1</Region>"), "{body}");

        let hostile = EffectiveAnswer {
            answer: WrongRegionAnswer::GlobalEndpoint,
            region_header: Reported::Value("evil.example.com/x".into()),
            region_element: Reported::Omit,
            head_bucket_header: Reported::Actual,
            error_body: None,
        };
        let a = render_with(&answer, false, &hostile);
        assert_eq!(
            header(&a, "x-amz-bucket-region"),
            Some("evil.example.com/x")
        );
        assert!(!a.body.unwrap().contains("<Region>"));
    }
}
