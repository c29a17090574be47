//! When to send a failed request again, and how long to wait first.
//!
//! [`RetryPolicy`] decides from the error and the attempt number: a rate
//! limit waits as long as DevRev requests (clamped to a sane range), other
//! transient failures back off exponentially with jitter, and permanent ones
//! are not retried. Each wait is announced as a [`RetryNotice`], which the
//! window turns into a countdown and the command line into a line of text.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::ApiError;

/// How often and after what waits a failed request is sent again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per request, the first one included. 1 means no retries.
    pub max_attempts: u32,
    /// Backoff before the second attempt. Each later attempt waits twice as long.
    pub base_delay: Duration,
    /// Maximum backoff between two attempts, before jitter.
    pub max_delay: Duration,
    /// Minimum wait after a 429, even when DevRev requests less.
    pub min_rate_limit_wait: Duration,
    /// Maximum wait after a 429. A longer requested wait is cut to this and
    /// the request is tried again, because a wait of hours is more likely a
    /// server mistake than a real limit.
    pub max_rate_limit_wait: Duration,
    /// Fraction of the rate limit window's units below which requests are
    /// spread out until the window resets. 0 turns the pacing off.
    pub pacing_threshold: f64,
    /// Randomize each backoff between half and all of its length, so clients
    /// that failed together do not retry together.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    /// Five attempts with backoffs of about 1, 2, 4 and 8 seconds. Rate limit
    /// waits are clamped to 1 second to 5 minutes, the length of DevRev's rate
    /// limit window, and requests slow down below 10 % of the window's units.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            min_rate_limit_wait: Duration::from_secs(1),
            max_rate_limit_wait: Duration::from_secs(300),
            pacing_threshold: 0.1,
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Returns a policy that sends each request once and never paces.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            pacing_threshold: 0.0,
            ..RetryPolicy::default()
        }
    }

    /// Returns the wait before attempt `attempt + 1` after `error` ended
    /// attempt `attempt` (counted from 1), or `None` when the error is
    /// permanent or the attempts are used up.
    pub fn delay_after(&self, error: &ApiError, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_attempts || !error.is_transient() {
            return None;
        }
        if let ApiError::RateLimited {
            retry_after: Some(requested),
            ..
        } = error
        {
            return Some(self.clamp_rate_limit_wait(*requested));
        }
        Some(self.backoff(attempt))
    }

    /// Clamps a wait that DevRev requested to the policy's range.
    pub fn clamp_rate_limit_wait(&self, requested: Duration) -> Duration {
        requested.clamp(self.min_rate_limit_wait, self.max_rate_limit_wait)
    }

    /// Returns the exponential backoff after attempt `attempt`, capped at
    /// `max_delay` and jittered when `jitter` is set.
    fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        let full = self
            .base_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay);
        if !self.jitter {
            return full;
        }
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// Reason the client waits before its next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// DevRev responded 429 and named the wait (`Retry-After` or `retry_after`).
    RateLimited,
    /// DevRev responded 429 without naming a wait, so the client backs off.
    RateLimitedNoWait,
    /// The request failed in a way that may pass, such as a 503 or a timeout.
    Retry,
    /// Few rate limit units are left in the window, so requests are spread out.
    Pacing,
}

/// A wait that the client is about to make, for a countdown or a log line.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryNotice {
    /// API endpoint of the request, such as `accounts.list`.
    pub endpoint: String,
    pub reason: WaitReason,
    /// The attempt that comes after the wait, counted from 1.
    pub next_attempt: u32,
    pub max_attempts: u32,
    /// Length of the wait in milliseconds.
    pub wait_ms: u64,
    /// HTTP status of the failed attempt, if the server sent one.
    pub status: Option<u16>,
    /// Short sentence naming what failed or why the client slows down, such
    /// as "DevRev had an error (HTTP 500)." A countdown puts the time after it.
    pub cause: String,
    /// One sentence for the person waiting, such as "DevRev asked us to wait 30 s."
    pub message: String,
}

impl RetryNotice {
    /// Describes the wait after a failed attempt.
    pub(crate) fn after_failure(
        endpoint: &str,
        error: &ApiError,
        wait: Duration,
        next_attempt: u32,
        max_attempts: u32,
    ) -> Self {
        let seconds = whole_seconds(wait);
        let cause = short_failure(error);
        let (reason, message) = match error {
            ApiError::RateLimited {
                retry_after: Some(_),
                ..
            } => (
                WaitReason::RateLimited,
                format!("DevRev asked us to wait {seconds} s."),
            ),
            ApiError::RateLimited { .. } => (
                WaitReason::RateLimitedNoWait,
                format!("{cause} Trying again in {seconds} s."),
            ),
            _ => (
                WaitReason::Retry,
                format!(
                    "{cause} Trying again in {seconds} s (attempt {next_attempt} of {max_attempts})."
                ),
            ),
        };
        RetryNotice {
            endpoint: endpoint.to_owned(),
            reason,
            next_attempt,
            max_attempts,
            wait_ms: wait.as_millis() as u64,
            status: error.status(),
            cause,
            message,
        }
    }

    /// Describes a wait that keeps the client within DevRev's rate limit.
    pub(crate) fn pacing(endpoint: &str, wait: Duration, remaining: u64) -> Self {
        let cause = format!(
            "Slowing down to stay within DevRev's rate limit ({remaining} requests left in this window)."
        );
        RetryNotice {
            endpoint: endpoint.to_owned(),
            reason: WaitReason::Pacing,
            next_attempt: 1,
            max_attempts: 1,
            wait_ms: wait.as_millis() as u64,
            status: None,
            message: format!("{cause} Next request in {} s.", whole_seconds(wait)),
            cause,
        }
    }
}

/// Callback that receives every [`RetryNotice`] of a client. It runs on the
/// task that makes the request, so it should only hand the notice on.
pub type RetryObserver = Arc<dyn Fn(&RetryNotice) + Send + Sync>;

/// Rounds a wait up to whole seconds, so a countdown never shows 0 s while
/// the client still waits.
fn whole_seconds(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000) as u64
}

/// Names a transient failure in a few words, for a notice.
fn short_failure(error: &ApiError) -> String {
    match error {
        ApiError::RateLimited { .. } => "DevRev is limiting requests.".into(),
        ApiError::ServerError { status, .. } => format!("DevRev had an error (HTTP {status})."),
        ApiError::Unavailable { .. } => "DevRev is temporarily unavailable (HTTP 503).".into(),
        ApiError::Timeout { .. } => "The request timed out.".into(),
        ApiError::NoNetwork { .. } => "There is no network connection.".into(),
        ApiError::ConnectionLost { .. } => "The connection broke.".into(),
        ApiError::InvalidJson { .. } => "The response was cut off.".into(),
        _ => "The request failed.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devrev::ErrorBody;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        }
    }

    fn unavailable() -> ApiError {
        ApiError::Unavailable {
            endpoint: "accounts.list".into(),
            body: ErrorBody::default(),
        }
    }

    fn rate_limited(retry_after: Option<Duration>) -> ApiError {
        ApiError::RateLimited {
            endpoint: "accounts.list".into(),
            body: ErrorBody::default(),
            retry_after,
        }
    }

    #[test]
    fn backoff_doubles_up_to_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            max_delay: Duration::from_secs(5),
            ..policy()
        };

        let waits: Vec<Option<Duration>> = (1..=5)
            .map(|attempt| policy.delay_after(&unavailable(), attempt))
            .collect();

        assert_eq!(
            waits,
            [1, 2, 4, 5, 5].map(|seconds| Some(Duration::from_secs(seconds)))
        );
    }

    #[test]
    fn jitter_stays_within_half_and_full() {
        let policy = RetryPolicy::default();

        for _ in 0..200 {
            let wait = policy.delay_after(&unavailable(), 3).unwrap();
            assert!(wait >= Duration::from_secs(2), "{wait:?}");
            assert!(wait <= Duration::from_secs(4), "{wait:?}");
        }
    }

    #[test]
    fn last_attempt_is_not_retried() {
        assert_eq!(policy().delay_after(&unavailable(), 5), None);
        assert_eq!(RetryPolicy::none().delay_after(&unavailable(), 1), None);
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        let unauthorized = ApiError::Unauthorized {
            endpoint: "accounts.list".into(),
            body: ErrorBody::default(),
        };

        assert_eq!(policy().delay_after(&unauthorized, 1), None);
    }

    #[test]
    fn rate_limit_wait_is_clamped() {
        let policy = policy();

        let short = policy.delay_after(&rate_limited(Some(Duration::ZERO)), 1);
        let asked = policy.delay_after(&rate_limited(Some(Duration::from_secs(30))), 1);
        let day = policy.delay_after(&rate_limited(Some(Duration::from_secs(86_400))), 1);

        assert_eq!(short, Some(Duration::from_secs(1)));
        assert_eq!(asked, Some(Duration::from_secs(30)));
        assert_eq!(day, Some(Duration::from_secs(300)));
    }

    #[test]
    fn rate_limit_without_wait_backs_off() {
        assert_eq!(
            policy().delay_after(&rate_limited(None), 2),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn notice_names_requested_wait() {
        let notice = RetryNotice::after_failure(
            "accounts.list",
            &rate_limited(Some(Duration::from_secs(30))),
            Duration::from_secs(30),
            2,
            5,
        );

        assert_eq!(notice.message, "DevRev asked us to wait 30 s.");
        assert_eq!(notice.reason, WaitReason::RateLimited);
        assert_eq!(notice.status, Some(429));
        assert_eq!(
            serde_json::to_value(&notice).unwrap()["reason"],
            "rate_limited"
        );
    }

    #[test]
    fn notice_rounds_seconds_up() {
        let notice = RetryNotice::after_failure(
            "accounts.list",
            &unavailable(),
            Duration::from_millis(1_200),
            3,
            5,
        );

        assert_eq!(
            notice.message,
            "DevRev is temporarily unavailable (HTTP 503). Trying again in 2 s (attempt 3 of 5)."
        );
    }
}
