//! The routing decision as pure functions (a leaf: no I/O, no SDK types): which region the next
//! attempt of a call goes to ([`choose`]), and what an answer means for the call ([`judge`]).
//! The interceptor gathers the facts, calls these, and carries out what they say.

use std::sync::Arc;

use crate::redirect::{self, Answer, Evidence, Operation, Verdict};
use crate::region::ValidRegion;
use crate::routing::RouteTicket;

/// What one call (all its attempts) knows about routing.
#[derive(Debug, Clone)]
pub(crate) struct CallState {
    /// `None`: this call is not routed (no bucket, ARN, directory bucket, custom endpoint, off).
    pub(crate) bucket: Option<String>,
    pub(crate) operation: Operation,
    /// The region the SDK would have used (client default or a plain `config_override`).
    pub(crate) original_region: ValidRegion,
    pub(crate) explicit_region: Option<ValidRegion>,
    /// CreateBucket's `LocationConstraint`.
    pub(crate) constraint: Option<ValidRegion>,
    pub(crate) body_replayable: bool,
    /// Learned in this call (redirect or probe): wins over everything.
    pub(crate) learned: Option<ValidRegion>,
    pub(crate) probe_next: bool,
    pub(crate) redirects: u32,
    /// Attempts routed so far in this call.
    pub(crate) attempts: u32,
    /// This attempt's region came from the memory tier: a success confirms nothing new.
    pub(crate) from_cache: bool,
    pub(crate) tried: ValidRegion,
    pub(crate) ticket: Option<Arc<RouteTicket>>,
    /// Endpoint parameters this call sets that a rerouted copy would drop (a newer SDK than we
    /// tested): the call keeps the SDK's own endpoint, and a wrong-region answer is an error.
    pub(crate) not_copied: Vec<String>,
}

impl CallState {
    /// A call's state before its first attempt.
    pub(crate) fn new(operation: Operation, original_region: ValidRegion) -> Self {
        Self {
            bucket: None,
            operation,
            tried: original_region.clone(),
            original_region,
            explicit_region: None,
            constraint: None,
            body_replayable: true,
            learned: None,
            probe_next: false,
            redirects: 0,
            attempts: 0,
            from_cache: false,
            ticket: None,
            not_copied: Vec::new(),
        }
    }
}

/// Where the next attempt goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Choice {
    /// The last answer named no region: probe (one HeadBucket) from the region tried, then
    /// re-send to what it finds.
    Probe { from: ValidRegion },
    /// A region this call already knows (learned, explicit, a CreateBucket constraint) or the
    /// memory tier holds: nothing to discover.
    Known {
        region: ValidRegion,
        from_cache: bool,
    },
    /// A cold bucket: the resolver looks the region up (shared tier, other callers' discovery,
    /// a probe first when `probe_first`), else the attempt goes to `region`.
    Discover {
        region: ValidRegion,
        probe_first: bool,
    },
}

/// The next attempt's region, by precedence: a probe owed > learned in this call > the caller's
/// explicit region > CreateBucket's constraint > the memory tier > discovery from the default.
/// `cached` is asked only when it decides.
pub(crate) fn choose(
    state: &CallState,
    cached: impl FnOnce() -> Option<ValidRegion>,
    content_length: Option<u64>,
    direct_body_limit: u64,
) -> Choice {
    if state.probe_next {
        return Choice::Probe {
            from: state.tried.clone(),
        };
    }
    let known = |region: &ValidRegion| Choice::Known {
        region: region.clone(),
        from_cache: false,
    };
    if let Some(region) = &state.learned {
        return known(region);
    }
    if let Some(region) = &state.explicit_region {
        return known(region);
    }
    if state.operation == Operation::CreateBucket {
        // A new bucket lives where its constraint says: send it there, so no endpoint rejects it.
        return known(state.constraint.as_ref().unwrap_or(&state.original_region));
    }
    if let Some(region) = cached() {
        return Choice::Known {
            region,
            from_cache: true,
        };
    }
    Choice::Discover {
        region: state.original_region.clone(),
        probe_first: probes_first(content_length, state.body_replayable, direct_body_limit),
    }
}

/// Whether a request to a bucket of unknown region must learn the region (one HeadBucket, shared
/// by concurrent callers) before it is sent, rather than go to the best-known region and follow a
/// wrong-region answer as any other operation does.
///
/// hyper does not wait for `100 Continue`, so a body sent to a wrong region is sent whole before
/// S3's 301 arrives. A small replayable body costs little to send twice, and sending it at once
/// makes the common cold write (a small object to a bucket in the client's own region) one
/// request, as in botocore and Java v2. Larger bodies, bodies of unknown length and one-shot
/// streams (which could not be sent a second time) wait, so they never reach a wrong region.
/// A request without a body (CreateMultipartUpload, UploadPartCopy, GET) never waits: its own
/// wrong-region answer teaches the region before any body is sent.
pub(crate) fn probes_first(
    content_length: Option<u64>,
    replayable: bool,
    direct_limit: u64,
) -> bool {
    match content_length {
        Some(0) => false,
        Some(len) => !replayable || len > direct_limit,
        None => true,
    }
}

/// What an answer means for the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Judgement {
    /// Nothing to learn or forget (an error that is not routing's business, a warm success, a
    /// regionless answer that cannot be probed again).
    Nothing,
    /// The answer confirmed the bucket's region: record it.
    Learn(ValidRegion),
    /// The bucket is gone (deleted, or S3 says it does not exist): drop its entry.
    Forget,
    /// Learn the region S3 named and re-send there.
    Follow {
        region: ValidRegion,
        evidence: Evidence,
    },
    /// Probe for the region, then re-send.
    ProbeAndResend,
    /// The region S3 named is the one just tried.
    SameRegion,
    /// A second redirect in one call (A → B → A): stop rather than loop.
    TooManyRedirects { discovered: ValidRegion },
    /// The region is known (learn it) but the body cannot be sent again.
    NotReplayable { discovered: ValidRegion },
    /// A wrong-region answer to a call whose endpoint parameters a reroute would drop.
    ParamsNotCopied,
}

/// Judges `answer` to the attempt just made. `check` validates a region S3 named (format,
/// partition or endpoint map); its error ends the call.
pub(crate) fn judge<E>(
    state: &CallState,
    answer: &Answer<'_>,
    check: impl FnOnce(&str) -> Result<ValidRegion, E>,
) -> Result<Judgement, E> {
    let verdict = redirect::classify(answer);
    let wrong_region = matches!(verdict, Verdict::Redirect { .. } | Verdict::NeedsProbe);
    if wrong_region && !state.not_copied.is_empty() {
        return Ok(Judgement::ParamsNotCopied);
    }
    Ok(match verdict {
        Verdict::Confirmed => match state.operation {
            Operation::DeleteBucket => Judgement::Forget,
            Operation::CreateBucket => {
                Judgement::Learn(state.constraint.clone().unwrap_or(state.tried.clone()))
            }
            // A warm call confirms what the memory tier already holds.
            _ if state.from_cache => Judgement::Nothing,
            _ => Judgement::Learn(state.tried.clone()),
        },
        Verdict::Other => {
            let code = answer
                .body
                .map(redirect::parse_error_body)
                .and_then(|fields| fields.code);
            if answer.status == 404 && code.as_deref() == Some("NoSuchBucket") {
                Judgement::Forget
            } else {
                Judgement::Nothing
            }
        }
        Verdict::Redirect { region, evidence } => {
            let region = check(&region)?;
            if region == state.tried {
                Judgement::SameRegion
            } else if state.redirects >= 1 {
                Judgement::TooManyRedirects { discovered: region }
            } else if !state.body_replayable {
                Judgement::NotReplayable { discovered: region }
            } else {
                Judgement::Follow { region, evidence }
            }
        }
        Verdict::NeedsProbe if state.redirects >= 1 || !state.body_replayable => Judgement::Nothing,
        Verdict::NeedsProbe => Judgement::ProbeAndResend,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str) -> ValidRegion {
        ValidRegion::new(name).unwrap()
    }

    fn state(operation: Operation) -> CallState {
        let mut state = CallState::new(operation, r("us-east-1"));
        state.bucket = Some("b".into());
        state
    }

    #[test]
    fn which_region_the_next_attempt_takes() {
        const MIB: u64 = 1024 * 1024;
        type Setup = fn(&mut CallState);
        // (what the call knows, the memory tier's region, content length) -> choice
        type Row = (
            &'static str,
            Setup,
            Option<&'static str>,
            Option<u64>,
            Choice,
        );
        let table: &[Row] = &[
            (
                "cold GET: discover from the default, no probe first",
                |_| {},
                None,
                Some(0),
                Choice::Discover {
                    region: r("us-east-1"),
                    probe_first: false,
                },
            ),
            (
                "cold large PUT: probe first",
                |_| {},
                None,
                Some(MIB + 1),
                Choice::Discover {
                    region: r("us-east-1"),
                    probe_first: true,
                },
            ),
            (
                "warm: the memory tier decides",
                |_| {},
                Some("eu-west-1"),
                Some(0),
                Choice::Known {
                    region: r("eu-west-1"),
                    from_cache: true,
                },
            ),
            (
                "explicit region beats the memory tier",
                |s| s.explicit_region = Some(r("ap-southeast-2")),
                Some("eu-west-1"),
                Some(0),
                Choice::Known {
                    region: r("ap-southeast-2"),
                    from_cache: false,
                },
            ),
            (
                "learned in this call beats the explicit region",
                |s| {
                    s.explicit_region = Some(r("ap-southeast-2"));
                    s.learned = Some(r("eu-west-1"));
                },
                None,
                Some(0),
                Choice::Known {
                    region: r("eu-west-1"),
                    from_cache: false,
                },
            ),
            (
                "a probe owed beats everything, from the region tried",
                |s| {
                    s.probe_next = true;
                    s.tried = r("eu-central-1");
                    s.learned = Some(r("eu-west-1"));
                },
                Some("eu-west-1"),
                Some(0),
                Choice::Probe {
                    from: r("eu-central-1"),
                },
            ),
            (
                "CreateBucket goes to its constraint, never to the memory tier",
                |s| {
                    s.operation = Operation::CreateBucket;
                    s.constraint = Some(r("eu-west-1"));
                },
                Some("ap-southeast-2"),
                Some(200),
                Choice::Known {
                    region: r("eu-west-1"),
                    from_cache: false,
                },
            ),
            (
                "CreateBucket without a constraint goes to the default",
                |s| s.operation = Operation::CreateBucket,
                Some("ap-southeast-2"),
                Some(0),
                Choice::Known {
                    region: r("us-east-1"),
                    from_cache: false,
                },
            ),
        ];
        for (name, setup, cached, len, want) in table {
            let mut call = state(Operation::Other);
            setup(&mut call);
            let got = choose(&call, || cached.map(r), *len, MIB);
            assert_eq!(&got, want, "{name}");
        }
    }

    #[test]
    fn the_memory_tier_is_asked_only_when_it_decides() {
        let mut call = state(Operation::Other);
        call.learned = Some(r("eu-west-1"));
        let asked = std::cell::Cell::new(false);
        choose(
            &call,
            || {
                asked.set(true);
                None
            },
            None,
            0,
        );
        assert!(!asked.get());
    }

    #[test]
    fn which_cold_requests_wait_for_the_region() {
        const MIB: u64 = 1024 * 1024;
        // (content length, replayable, limit) -> probes first
        let table = [
            ((Some(0), true, MIB), false),
            ((Some(0), false, MIB), false),
            ((Some(1024), true, MIB), false),
            ((Some(MIB), true, MIB), false),
            ((Some(MIB + 1), true, MIB), true),
            ((Some(1024), false, MIB), true),
            ((None, true, MIB), true),
            ((None, false, MIB), true),
            // 0 = always probe first for a body
            ((Some(1), true, 0), true),
            ((Some(0), true, 0), false),
        ];
        for ((len, replayable, limit), want) in table {
            assert_eq!(
                probes_first(len, replayable, limit),
                want,
                "{len:?} {replayable} {limit}"
            );
        }
    }

    const NO_SUCH_BUCKET: &[u8] = b"<Error><Code>NoSuchBucket</Code></Error>";
    const REDIRECT_EU: &[u8] =
        b"<Error><Code>PermanentRedirect</Code><Region>eu-west-1</Region></Error>";

    #[test]
    fn what_an_answer_means() {
        type Setup = fn(&mut CallState);
        // (case, call setup, status, x-amz-bucket-region, body) -> judgement
        type Row = (
            &'static str,
            Setup,
            u16,
            Option<&'static str>,
            Option<&'static [u8]>,
            Judgement,
        );
        let table: &[Row] = &[
            (
                "cold 200 confirms the region tried",
                |_| {},
                200,
                None,
                None,
                Judgement::Learn(r("us-east-1")),
            ),
            (
                "warm 200 confirms nothing new",
                |s| s.from_cache = true,
                200,
                None,
                None,
                Judgement::Nothing,
            ),
            (
                "DeleteBucket 204 forgets the bucket",
                |s| s.operation = Operation::DeleteBucket,
                204,
                None,
                None,
                Judgement::Forget,
            ),
            (
                "CreateBucket 200 learns its constraint",
                |s| {
                    s.operation = Operation::CreateBucket;
                    s.constraint = Some(r("eu-west-1"));
                },
                200,
                None,
                None,
                Judgement::Learn(r("eu-west-1")),
            ),
            (
                "404 NoSuchBucket forgets",
                |s| s.from_cache = true,
                404,
                None,
                Some(NO_SUCH_BUCKET),
                Judgement::Forget,
            ),
            (
                "404 NoSuchKey: the bucket is there, its region stays",
                |s| s.from_cache = true,
                404,
                None,
                Some(b"<Error><Code>NoSuchKey</Code></Error>"),
                Judgement::Nothing,
            ),
            (
                "403 is not routing's business",
                |_| {},
                403,
                None,
                Some(b"<Error><Code>AccessDenied</Code></Error>"),
                Judgement::Nothing,
            ),
            (
                "301 with the header: follow",
                |_| {},
                301,
                Some("eu-west-1"),
                None,
                Judgement::Follow {
                    region: r("eu-west-1"),
                    evidence: Evidence::Header,
                },
            ),
            (
                "301 naming the region just tried",
                |s| s.tried = r("eu-west-1"),
                301,
                Some("eu-west-1"),
                None,
                Judgement::SameRegion,
            ),
            (
                "second redirect in one call",
                |s| s.redirects = 1,
                301,
                Some("eu-west-1"),
                None,
                Judgement::TooManyRedirects {
                    discovered: r("eu-west-1"),
                },
            ),
            (
                "one-shot body: learn, do not re-send",
                |s| s.body_replayable = false,
                301,
                None,
                Some(REDIRECT_EU),
                Judgement::NotReplayable {
                    discovered: r("eu-west-1"),
                },
            ),
            (
                "bodiless HEAD 400 without a region: probe",
                |s| s.operation = Operation::HeadObject,
                400,
                None,
                None,
                Judgement::ProbeAndResend,
            ),
            (
                "no second probe after a redirect",
                |s| {
                    s.operation = Operation::HeadObject;
                    s.redirects = 1;
                },
                301,
                None,
                None,
                Judgement::Nothing,
            ),
            (
                "uncopied endpoint params: no reroute",
                |s| s.not_copied = vec!["new_field".into()],
                301,
                Some("eu-west-1"),
                None,
                Judgement::ParamsNotCopied,
            ),
        ];
        for (name, setup, status, header, body, want) in table {
            let mut call = state(Operation::Other);
            setup(&mut call);
            let answer = Answer {
                status: *status,
                bucket_region: *header,
                body: *body,
                operation: call.operation,
            };
            let got = judge(&call, &answer, ValidRegion::new);
            assert_eq!(got.as_ref(), Ok(want), "{name}");
        }
    }

    #[test]
    fn a_region_that_fails_the_check_ends_the_call() {
        let call = state(Operation::Other);
        let answer = Answer {
            status: 301,
            bucket_region: Some("evil.example.com/x"),
            body: None,
            operation: Operation::Other,
        };
        assert!(judge(&call, &answer, ValidRegion::new).is_err());
        // The partition check is the caller's: its refusal is returned as is.
        let answer = Answer {
            bucket_region: Some("cn-north-1"),
            ..answer
        };
        assert_eq!(
            judge(&call, &answer, |_| Err::<ValidRegion, _>("outside")),
            Err("outside")
        );
    }
}
