//! The retry classifier: a wrong-region answer the interceptor tagged is retried at once. It runs
//! after the SDK's own classifiers so its verdict stands; untagged answers are left to them.

use std::time::Duration;

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_types::retry::ErrorKind;

use crate::routing::RedirectTag;

#[derive(Debug, Default)]
pub(crate) struct RedirectClassifier;

impl ClassifyRetry for RedirectClassifier {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response().and_then(|r| r.extension::<RedirectTag>()) {
            // A client error, not a transient one: the connection is healthy and is kept.
            Some(_) => RetryAction::retryable_error_with_explicit_delay(
                ErrorKind::ClientError,
                Duration::ZERO,
            ),
            None => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "s3-multi-region redirect"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}
