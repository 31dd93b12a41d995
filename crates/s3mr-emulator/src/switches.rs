//! Switches that choose how the emulator answers: which wrong-region answer S3 would give, what
//! it reports as the bucket's region, added latency and injected faults.
//!
//! Answer switches resolve per field: bucket, then listener region, then emulator defaults.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which answer a request for a bucket of another region gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WrongRegionAnswer {
    /// What a regional endpoint of AWS sends: `400 IllegalLocationConstraintException` when the
    /// bucket's or the endpoint's region is an opt-in region, `301 PermanentRedirect` otherwise.
    #[default]
    Auto,
    /// `301 PermanentRedirect` (bodiless for HEAD).
    PermanentRedirect,
    /// The global endpoint (`s3.amazonaws.com`) for a bucket older than S3's DNS window: a request
    /// signed for the bucket's region is served; one signed for another region gets `400
    /// AuthorizationHeaderMalformed` with `<Region>` (bodiless for HEAD).
    GlobalEndpoint,
    /// The global endpoint for a young bucket: `307 TemporaryRedirect` with `Location` while the
    /// bucket is younger than [`Switches::temporary_redirect_window`], then as `GlobalEndpoint`.
    TemporaryRedirect,
    /// `400 IllegalLocationConstraintException`, whatever the regions.
    IllegalLocationConstraint,
}

/// What an answer reports as the bucket's region, in the `x-amz-bucket-region` header or in the
/// `<Region>` element of `AuthorizationHeaderMalformed`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reported {
    /// The true region.
    #[default]
    Actual,
    /// Nothing (the header or element is left out, as S3 sometimes does).
    Omit,
    /// This value verbatim, whatever it is: for hostile-answer tests.
    Value(String),
}

impl Reported {
    pub(crate) fn apply(&self, actual: &str) -> Option<String> {
        match self {
            Self::Actual => Some(actual.to_owned()),
            Self::Omit => None,
            Self::Value(v) => Some(v.clone()),
        }
    }
}

/// Answer switches for one scope; `None` inherits from the wider scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnswerSwitches {
    /// The wrong-region answer.
    pub answer: Option<WrongRegionAnswer>,
    /// The `x-amz-bucket-region` header on answers that carry it.
    pub region_header: Option<Reported>,
    /// The `<Region>` element of `AuthorizationHeaderMalformed`.
    pub region_element: Option<Reported>,
    /// The header on HeadBucket answers, which S3 always sends: defaults to `region_header`
    /// unless that is [`Reported::Omit`] (a header-less 301 still leaves the probe an answer).
    pub head_bucket_header: Option<Reported>,
    /// The whole body of wrong-region answers, verbatim instead of S3's XML: malformed XML,
    /// entity bombs, oversized bodies (hostile-answer tests).
    pub error_body: Option<String>,
}

impl AnswerSwitches {
    fn or(&self, wider: &AnswerSwitches) -> AnswerSwitches {
        AnswerSwitches {
            answer: self.answer.or(wider.answer),
            region_header: self
                .region_header
                .clone()
                .or_else(|| wider.region_header.clone()),
            region_element: self
                .region_element
                .clone()
                .or_else(|| wider.region_element.clone()),
            head_bucket_header: self
                .head_bucket_header
                .clone()
                .or_else(|| wider.head_bucket_header.clone()),
            error_body: self.error_body.clone().or_else(|| wider.error_body.clone()),
        }
    }
}

/// The answer switches in force for one request, every field resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EffectiveAnswer {
    pub(crate) answer: WrongRegionAnswer,
    pub(crate) region_header: Reported,
    pub(crate) region_element: Reported,
    pub(crate) head_bucket_header: Reported,
    pub(crate) error_body: Option<String>,
}

/// All switches of an emulator. Change them with [`crate::Emulator::configure`] or over the admin
/// path (`PUT /_s3mr/switches` with this struct as JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Switches {
    /// Defaults for every request.
    pub defaults: AnswerSwitches,
    /// Overrides by listener region.
    pub per_region: HashMap<String, AnswerSwitches>,
    /// Overrides by bucket (win over region overrides).
    pub per_bucket: HashMap<String, AnswerSwitches>,
    /// How long after creation a bucket gets `307` in [`WrongRegionAnswer::TemporaryRedirect`].
    #[serde(with = "duration_ms")]
    pub temporary_redirect_window: Duration,
    /// Regions that answer `IllegalLocationConstraintException` in [`WrongRegionAnswer::Auto`].
    pub opt_in_regions: BTreeSet<String>,
    /// Latency added before every answer.
    #[serde(with = "duration_ms")]
    pub latency: Duration,
    /// Latency by listener region (wins over `latency`).
    #[serde(with = "duration_ms_map")]
    pub per_region_latency: HashMap<String, Duration>,
    /// Latency by HTTP method (`DELETE`, `PUT`, ...), added to the region's: lets a test act
    /// between two requests of one command (a write landing between `mv`'s copy and delete).
    #[serde(with = "duration_ms_map")]
    pub per_method_latency: HashMap<String, Duration>,
}

/// Regions launched after 2019-03-20, which a customer must opt in to. S3 answers requests that
/// cross into or out of them with `IllegalLocationConstraintException`, not 301.
pub const DEFAULT_OPT_IN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
];

impl Default for Switches {
    fn default() -> Self {
        Self {
            defaults: AnswerSwitches::default(),
            per_region: HashMap::new(),
            per_bucket: HashMap::new(),
            temporary_redirect_window: Duration::from_secs(24 * 3600),
            opt_in_regions: DEFAULT_OPT_IN_REGIONS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            latency: Duration::ZERO,
            per_region_latency: HashMap::new(),
            per_method_latency: HashMap::new(),
        }
    }
}

impl Switches {
    /// Sets the wrong-region answer for every request.
    pub fn answer(&mut self, answer: WrongRegionAnswer) -> &mut Self {
        self.defaults.answer = Some(answer);
        self
    }

    /// Answer switches of one bucket, created on first use.
    pub fn bucket(&mut self, bucket: &str) -> &mut AnswerSwitches {
        self.per_bucket.entry(bucket.to_owned()).or_default()
    }

    /// Answer switches of one listener region, created on first use.
    pub fn region(&mut self, region: &str) -> &mut AnswerSwitches {
        self.per_region.entry(region.to_owned()).or_default()
    }

    pub(crate) fn effective(&self, listener_region: &str, bucket: Option<&str>) -> EffectiveAnswer {
        let empty = AnswerSwitches::default();
        let by_bucket = bucket
            .and_then(|b| self.per_bucket.get(b))
            .unwrap_or(&empty);
        let by_region = self.per_region.get(listener_region).unwrap_or(&empty);
        let merged = by_bucket.or(by_region).or(&self.defaults);
        let region_header = merged.region_header.unwrap_or_default();
        let head_bucket_header =
            merged
                .head_bucket_header
                .unwrap_or_else(|| match &region_header {
                    Reported::Omit => Reported::Actual,
                    other => other.clone(),
                });
        EffectiveAnswer {
            answer: merged.answer.unwrap_or_default(),
            region_header,
            region_element: merged.region_element.unwrap_or_default(),
            head_bucket_header,
            error_body: merged.error_body,
        }
    }

    pub(crate) fn latency_for(&self, region: &str, method: &str) -> Duration {
        let by_region = self
            .per_region_latency
            .get(region)
            .copied()
            .unwrap_or(self.latency);
        by_region
            + self
                .per_method_latency
                .get(method)
                .copied()
                .unwrap_or_default()
    }

    pub(crate) fn is_opt_in(&self, region: &str) -> bool {
        self.opt_in_regions.contains(region)
    }
}

/// A fault to inject into the next `count` matching requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// What happens to the request.
    pub kind: FaultKind,
    /// Only requests to this listener region (any when `None`).
    #[serde(default)]
    pub region: Option<String>,
    /// Only requests for this bucket (any when `None`).
    #[serde(default)]
    pub bucket: Option<String>,
    /// Only requests with this HTTP method, e.g. `PUT` (any when `None`).
    #[serde(default)]
    pub method: Option<String>,
    /// How many matching requests it hits before it is spent.
    pub count: u32,
}

/// The kinds of injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// `500 InternalError`.
    InternalError,
    /// `503 SlowDown`.
    SlowDown,
    /// The connection is closed without an answer.
    DropConnection,
}

impl Fault {
    /// A fault for the next `count` requests anywhere.
    pub fn new(kind: FaultKind, count: u32) -> Self {
        Self {
            kind,
            region: None,
            bucket: None,
            method: None,
            count,
        }
    }

    /// Limits the fault to one listener region.
    pub fn in_region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }

    /// Limits the fault to one bucket.
    pub fn for_bucket(mut self, bucket: &str) -> Self {
        self.bucket = Some(bucket.to_owned());
        self
    }

    /// Limits the fault to one HTTP method (`GET`, `PUT`, `POST`, `DELETE`, `HEAD`).
    pub fn for_method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    fn matches(&self, region: &str, bucket: Option<&str>, method: &str) -> bool {
        self.count > 0
            && self.region.as_deref().is_none_or(|r| r == region)
            && self.bucket.as_deref().is_none_or(|b| Some(b) == bucket)
            && self.method.as_deref().is_none_or(|m| m == method)
    }
}

/// Takes one hit from the first matching fault, dropping spent faults.
pub(crate) fn take_fault(
    faults: &mut Vec<Fault>,
    region: &str,
    bucket: Option<&str>,
    method: &str,
) -> Option<FaultKind> {
    let index = faults
        .iter()
        .position(|f| f.matches(region, bucket, method))?;
    let fault = &mut faults[index];
    fault.count -= 1;
    let kind = fault.kind;
    if fault.count == 0 {
        faults.remove(index);
    }
    Some(kind)
}

mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

mod duration_ms_map {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::HashMap;
    use std::time::Duration;

    pub(super) fn serialize<S: Serializer>(
        m: &HashMap<String, Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let ms: HashMap<&String, u64> = m.iter().map(|(k, v)| (k, v.as_millis() as u64)).collect();
        ms.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<HashMap<String, Duration>, D::Error> {
        let ms = HashMap::<String, u64>::deserialize(d)?;
        Ok(ms
            .into_iter()
            .map(|(k, v)| (k, Duration::from_millis(v)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_beats_region_beats_defaults() {
        let mut s = Switches::default();
        s.answer(WrongRegionAnswer::GlobalEndpoint);
        s.region("eu-west-1").region_header = Some(Reported::Omit);
        s.bucket("b").answer = Some(WrongRegionAnswer::IllegalLocationConstraint);
        let e = s.effective("eu-west-1", Some("b"));
        assert_eq!(e.answer, WrongRegionAnswer::IllegalLocationConstraint);
        assert_eq!(e.region_header, Reported::Omit);
        let e = s.effective("us-east-1", Some("c"));
        assert_eq!(e.answer, WrongRegionAnswer::GlobalEndpoint);
        assert_eq!(e.region_header, Reported::Actual);
    }

    #[test]
    fn faults_are_spent_in_order() {
        let mut faults = vec![
            Fault::new(FaultKind::DropConnection, 1).for_method("put"),
            Fault::new(FaultKind::SlowDown, 1).in_region("eu-west-1"),
            Fault::new(FaultKind::InternalError, 2),
        ];
        assert_eq!(
            take_fault(&mut faults, "us-east-1", None, "GET"),
            Some(FaultKind::InternalError)
        );
        assert_eq!(
            take_fault(&mut faults, "eu-west-1", None, "GET"),
            Some(FaultKind::SlowDown)
        );
        assert_eq!(
            take_fault(&mut faults, "eu-west-1", None, "GET"),
            Some(FaultKind::InternalError)
        );
        assert_eq!(take_fault(&mut faults, "eu-west-1", None, "GET"), None);
        assert_eq!(
            take_fault(&mut faults, "eu-west-1", None, "PUT"),
            Some(FaultKind::DropConnection)
        );
        assert!(faults.is_empty());
    }

    #[test]
    fn switches_round_trip_as_json() {
        let mut s = Switches::default();
        s.bucket("b").region_header = Some(Reported::Value("evil.example.com/x".into()));
        s.per_region_latency
            .insert("eu-west-1".into(), Duration::from_millis(20));
        s.per_method_latency
            .insert("DELETE".into(), Duration::from_millis(30));
        assert_eq!(
            s.latency_for("eu-west-1", "DELETE"),
            Duration::from_millis(50)
        );
        assert_eq!(s.latency_for("us-east-1", "GET"), Duration::ZERO);
        let json = serde_json::to_string(&s).unwrap();
        let back: Switches = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }
}
