//! Pure reading of S3's answers: is this a wrong-region answer, and what region does it name?
//!
//! The evidence, in order of trust (docs/ARCHITECTURE.md §3): the `x-amz-bucket-region` header, then the
//! `<Region>` element of `AuthorizationHeaderMalformed`, then — when neither is there — a
//! HeadBucket probe.

use quick_xml::events::Event;

/// The parts of an answer that decide routing.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// HTTP status.
    pub status: u16,
    /// The `x-amz-bucket-region` header, raw.
    pub bucket_region: Option<&'a str>,
    /// The body, when it is in memory (error bodies are).
    pub body: Option<&'a [u8]>,
    /// The operation answered.
    pub operation: Operation,
}

/// The S3 operations whose wrong-region handling differs from the rest, read once per call from
/// the name the SDK gives them (no string compared after that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Operation {
    /// Goes where its `LocationConstraint` says; its IllegalLocationConstraintException is a real
    /// error, never a redirect.
    CreateBucket,
    /// Evicts the bucket's cached region when it succeeds.
    DeleteBucket,
    /// Bucket-less; its answer names every bucket's region.
    ListBuckets,
    /// HEAD: wrong-region answers come without a body.
    HeadBucket,
    /// HEAD: wrong-region answers come without a body.
    HeadObject,
    /// Every other operation.
    #[default]
    Other,
}

impl Operation {
    /// The operation of an SDK operation name (`Metadata::name`).
    pub fn from_name(name: &str) -> Self {
        match name {
            "CreateBucket" => Self::CreateBucket,
            "DeleteBucket" => Self::DeleteBucket,
            "ListBuckets" => Self::ListBuckets,
            "HeadBucket" => Self::HeadBucket,
            "HeadObject" => Self::HeadObject,
            _ => Self::Other,
        }
    }

    /// Whether S3 answers it without a body.
    pub fn is_head(self) -> bool {
        matches!(self, Self::HeadBucket | Self::HeadObject)
    }
}

/// Where a region came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// The `x-amz-bucket-region` header.
    Header,
    /// The `<Region>` element of an error body.
    RegionElement,
    /// A HeadBucket probe.
    Probe,
}

/// What an answer means for routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A 2xx: the region tried is the bucket's.
    Confirmed,
    /// A wrong-region answer naming the region (not yet validated).
    Redirect {
        /// The region named, raw.
        region: String,
        /// Where it was named.
        evidence: Evidence,
    },
    /// A wrong-region answer that names no region: one HeadBucket probe may tell.
    NeedsProbe,
    /// Anything else (403, 404, 500, a CreateBucket constraint error, ...): not routing's business.
    Other,
}

/// S3 error bodies are small; a larger one is read only this far (bounded parsing).
pub const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The fields of an S3 error body that routing reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorFields {
    /// `<Code>`.
    pub code: Option<String>,
    /// `<Region>`.
    pub region: Option<String>,
}

/// Reads `<Code>` and `<Region>` from the first [`ERROR_BODY_LIMIT`] bytes of an S3 error body.
/// Malformed XML yields what was read before the fault. quick-xml expands no custom entities,
/// so entity bombs stay inert.
pub fn parse_error_body(body: &[u8]) -> ErrorFields {
    let body = &body[..body.len().min(ERROR_BODY_LIMIT)];
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut fields = ErrorFields::default();
    let mut path: Vec<Vec<u8>> = Vec::new();
    // Text counts only once its element closes: a body cut mid-element yields nothing for it.
    let mut pending: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                if path.len() > 8 {
                    break; // S3 errors are two levels deep; anything deeper is not one.
                }
                path.push(e.local_name().as_ref().to_vec());
                pending = None;
            }
            Ok(Event::Text(t)) if path.len() == 2 && path[0] == b"Error" => {
                pending = t
                    .decode()
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty());
            }
            Ok(Event::End(_)) => {
                if path.len() == 2 && path[0] == b"Error" {
                    match path[1].as_slice() {
                        b"Code" => fields.code = pending.take(),
                        b"Region" => fields.region = pending.take(),
                        _ => {}
                    }
                }
                pending = None;
                path.pop();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
    fields
}

/// Classifies one answer (docs/ARCHITECTURE.md §3).
pub fn classify(answer: &Answer<'_>) -> Verdict {
    if (200..300).contains(&answer.status) {
        return Verdict::Confirmed;
    }
    let fields = answer
        .body
        .filter(|b| !b.is_empty())
        .map(parse_error_body)
        .unwrap_or_default();
    let code = fields.code.as_deref();
    let wrong_region = match answer.status {
        301 | 307 => true,
        // HEAD answers carry no body, so no code: a bodiless 400 on HEAD is S3's AHM.
        400 if answer.operation.is_head() && code.is_none() => true,
        400 => match code {
            Some("AuthorizationHeaderMalformed") => true,
            // On CreateBucket this is a real client error: the constraint does not fit the endpoint.
            Some("IllegalLocationConstraintException") => {
                answer.operation != Operation::CreateBucket
            }
            _ => false,
        },
        _ => false,
    };
    if !wrong_region {
        return Verdict::Other;
    }
    if let Some(region) = answer.bucket_region {
        return Verdict::Redirect {
            region: region.to_owned(),
            evidence: Evidence::Header,
        };
    }
    match fields.region {
        Some(region) => Verdict::Redirect {
            region,
            evidence: Evidence::RegionElement,
        },
        None => Verdict::NeedsProbe,
    }
}

/// The region a CreateBucket body asks for: `<LocationConstraint>`, with S3's legacy `EU` alias.
/// `None` when the body names none (us-east-1).
pub fn location_constraint(body: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(&body[..body.len().min(ERROR_BODY_LIMIT)]);
    let mut inside = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => inside = e.local_name().as_ref() == b"LocationConstraint",
            Ok(Event::Text(t)) if inside => {
                let text = t.decode().ok()?.trim().to_owned();
                return match text.as_str() {
                    "" => None,
                    "EU" => Some("eu-west-1".to_owned()),
                    _ => Some(text),
                };
            }
            Ok(Event::End(_)) => inside = false,
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
        buf.clear();
    }
}

/// `(bucket, region)` pairs of a ListBuckets answer (S3 adds `<BucketRegion>` since 2024).
pub fn listed_bucket_regions(body: &[u8]) -> Vec<(String, String)> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut pairs = Vec::new();
    let (mut name, mut region, mut field) = (None::<String>, None::<String>, Vec::new());
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                field = e.local_name().as_ref().to_vec();
                if field == b"Bucket" {
                    (name, region) = (None, None);
                }
            }
            Ok(Event::Text(t)) => {
                let text = t.decode().map(|s| s.trim().to_owned()).unwrap_or_default();
                match field.as_slice() {
                    b"Name" => name = Some(text),
                    b"BucketRegion" => region = Some(text),
                    _ => {}
                }
            }
            Ok(Event::End(e)) => {
                if e.local_name().as_ref() == b"Bucket"
                    && let (Some(n), Some(r)) = (name.take(), region.take())
                {
                    pairs.push((n, r));
                }
                field.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    const AHM: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AuthorizationHeaderMalformed</Code>\
        <Message>the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region>\
        <RequestId>1</RequestId></Error>";
    const AHM_NO_REGION: &[u8] =
        b"<Error><Code>AuthorizationHeaderMalformed</Code><Message>m</Message></Error>";
    const PR: &[u8] = b"<Error><Code>PermanentRedirect</Code><Endpoint>s3.eu-west-1.amazonaws.com</Endpoint></Error>";
    const ILCE: &[u8] =
        b"<Error><Code>IllegalLocationConstraintException</Code><Message>m</Message></Error>";
    const TIMEOUT: &[u8] = b"<Error><Code>RequestTimeout</Code></Error>";

    fn verdict(status: u16, header: Option<&str>, body: &[u8], operation: &str) -> Verdict {
        let operation = Operation::from_name(operation);
        classify(&Answer {
            status,
            bucket_region: header,
            body: Some(body),
            operation,
        })
    }

    fn redirect(region: &str, evidence: Evidence) -> Verdict {
        Verdict::Redirect {
            region: region.into(),
            evidence,
        }
    }

    type Case<'a> = (u16, Option<&'a str>, &'a [u8], &'a str, Verdict);

    #[test]
    fn classification_table() {
        use Evidence::*;
        let e = Some("eu-west-1");
        let cases: &[Case<'_>] = &[
            (200, None, b"", "GetObject", Verdict::Confirmed),
            (204, e, b"", "DeleteObject", Verdict::Confirmed),
            (301, e, PR, "GetObject", redirect("eu-west-1", Header)),
            (301, None, PR, "GetObject", Verdict::NeedsProbe),
            (301, e, b"", "HeadObject", redirect("eu-west-1", Header)),
            (301, None, b"", "HeadBucket", Verdict::NeedsProbe),
            (307, e, b"", "PutObject", redirect("eu-west-1", Header)),
            (400, e, AHM, "GetObject", redirect("eu-west-1", Header)),
            (
                400,
                None,
                AHM,
                "GetObject",
                redirect("eu-west-1", RegionElement),
            ),
            (400, None, AHM_NO_REGION, "GetObject", Verdict::NeedsProbe),
            (400, e, b"", "HeadObject", redirect("eu-west-1", Header)),
            (400, None, b"", "HeadObject", Verdict::NeedsProbe),
            (400, None, b"", "GetObject", Verdict::Other),
            (400, e, ILCE, "GetObject", redirect("eu-west-1", Header)),
            (400, e, ILCE, "CreateBucket", Verdict::Other),
            (400, None, TIMEOUT, "PutObject", Verdict::Other),
            (403, e, b"", "HeadBucket", Verdict::Other),
            (404, None, b"", "HeadBucket", Verdict::Other),
            (500, None, b"", "GetObject", Verdict::Other),
            (
                503,
                None,
                b"<Error><Code>SlowDown</Code></Error>",
                "GetObject",
                Verdict::Other,
            ),
        ];
        for (status, header, body, op, want) in cases {
            assert_eq!(
                &verdict(*status, *header, body, op),
                want,
                "{status} {header:?} {op}"
            );
        }
    }

    #[test]
    fn error_body_parsing_is_bounded_and_tolerant() {
        assert_eq!(parse_error_body(AHM).region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            parse_error_body(b"<Error><Code>X</Code><Region>eu-").region,
            None
        );
        assert_eq!(parse_error_body(b"not xml at all").code, None);
        // <Region> nested elsewhere is not the error's region.
        assert_eq!(
            parse_error_body(b"<Error><Details><Region>x</Region></Details></Error>").region,
            None
        );
        // An entity bomb is not expanded.
        let bomb = b"<!DOCTYPE e [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\
            <Error><Code>&b;</Code><Region>eu-west-1</Region></Error>";
        assert_eq!(parse_error_body(bomb).region.as_deref(), Some("eu-west-1"));
        // A 10 MB body is read only to the limit.
        let mut huge = b"<Error><Code>AuthorizationHeaderMalformed</Code><Message>".to_vec();
        huge.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
        huge.extend(b"</Message><Region>eu-west-1</Region></Error>");
        assert_eq!(parse_error_body(&huge).region, None);
    }

    #[test]
    fn create_bucket_constraints() {
        let body = |c: &str| {
            format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{c}</LocationConstraint></CreateBucketConfiguration>"
            )
        };
        assert_eq!(
            location_constraint(body("eu-west-2").as_bytes()).as_deref(),
            Some("eu-west-2")
        );
        assert_eq!(
            location_constraint(body("EU").as_bytes()).as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(location_constraint(body("").as_bytes()), None);
        assert_eq!(location_constraint(b""), None);
    }

    #[test]
    fn list_buckets_regions() {
        let body = b"<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name><CreationDate>x</CreationDate>\
            <BucketRegion>eu-west-1</BucketRegion></Bucket><Bucket><Name>b</Name></Bucket>\
            <Bucket><Name>c</Name><BucketRegion>us-east-1</BucketRegion></Bucket></Buckets>\
            <Owner><ID>o</ID></Owner></ListAllMyBucketsResult>";
        assert_eq!(
            listed_bucket_regions(body),
            [
                ("a".to_owned(), "eu-west-1".to_owned()),
                ("c".to_owned(), "us-east-1".to_owned())
            ]
        );
    }

    #[test]
    fn operation_names_map_to_their_variants() {
        let table = [
            ("CreateBucket", Operation::CreateBucket),
            ("DeleteBucket", Operation::DeleteBucket),
            ("ListBuckets", Operation::ListBuckets),
            ("HeadBucket", Operation::HeadBucket),
            ("HeadObject", Operation::HeadObject),
            ("GetObject", Operation::Other),
            ("headbucket", Operation::Other),
        ];
        for (name, want) in table {
            assert_eq!(Operation::from_name(name), want, "{name}");
        }
    }

    #[test]
    fn the_parse_bound_is_64_kib_and_nesting_8_deep() {
        // A <Region> 60 KiB in is still read (the bound is 64 KiB, not less).
        let pad = "<Pad>x</Pad>".repeat(60 * 1024 / 12);
        let body = format!(
            "<Error><Code>AuthorizationHeaderMalformed</Code>{pad}<Region>eu-west-1</Region></Error>"
        );
        assert!(body.len() < ERROR_BODY_LIMIT);
        assert_eq!(
            parse_error_body(body.as_bytes()).region.as_deref(),
            Some("eu-west-1")
        );
        // Elements nest up to 8 deep below <Error> and parsing goes on; deeper, it stops.
        let nested = |depth: usize| {
            format!(
                "<Error>{}{}<Region>eu-west-1</Region></Error>",
                "<a>".repeat(depth),
                "</a>".repeat(depth)
            )
        };
        assert_eq!(
            parse_error_body(nested(8).as_bytes()).region.as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(parse_error_body(nested(9).as_bytes()).region, None);
    }

    #[test]
    fn only_the_constraint_element_names_the_region() {
        let table: [(&[u8], Option<&str>); 4] = [
            (
                b"<CreateBucketConfiguration><Tag>x</Tag><LocationConstraint>ap-southeast-2</LocationConstraint></CreateBucketConfiguration>",
                Some("ap-southeast-2"),
            ),
            (b"<CreateBucketConfiguration><LocationConstraint> </LocationConstraint></CreateBucketConfiguration>", None),
            (b"<CreateBucketConfiguration><LocationConstraint>EU</LocationConstraint></CreateBucketConfiguration>", Some("eu-west-1")),
            (b"<CreateBucketConfiguration></CreateBucketConfiguration>", None),
        ];
        for (body, want) in table {
            assert_eq!(
                location_constraint(body).as_deref(),
                want,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
