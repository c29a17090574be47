//! Pacing requests by DevRev's `X-RateLimit-*` headers.
//!
//! DevRev counts requests per user over a window of five minutes and reports
//! the state with every response: `X-RateLimit-Limit` (units per window),
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` (end of the window, in
//! seconds since the Unix epoch). [`RateLimitTracker`] keeps the latest
//! report and, once few units are left, spreads the remaining requests over
//! the rest of the window, so a long export slows down instead of running
//! into a 429.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, DATE};

/// Header with the units of the current window.
const LIMIT_HEADER: &str = "x-ratelimit-limit";
/// Header with the units left in the current window.
const REMAINING_HEADER: &str = "x-ratelimit-remaining";
/// Header with the end of the current window, in seconds since the Unix epoch.
const RESET_HEADER: &str = "x-ratelimit-reset";

/// Waits shorter than this are not worth a pause.
const MIN_PACING_WAIT: Duration = Duration::from_millis(10);

/// The rate limit state of the last response that reported one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    limit: u64,
    remaining: u64,
    resets_at: Instant,
}

/// The rate limit state shared by every clone of one client.
#[derive(Debug, Default)]
pub(crate) struct RateLimitTracker {
    window: Mutex<Option<Window>>,
}

impl RateLimitTracker {
    /// Records the state a response reports. Responses without the three
    /// headers, or with values that are not numbers, change nothing. A reset
    /// time further away than `max_wait` is cut to it.
    pub(crate) fn observe(&self, headers: &HeaderMap, max_wait: Duration) {
        let number =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let (Some(limit), Some(remaining), Some(reset_epoch)) = (
            number(LIMIT_HEADER),
            number(REMAINING_HEADER),
            number(RESET_HEADER),
        ) else {
            return;
        };

        // The server's own clock, from `Date`, makes the wait immune to a
        // wrong clock on this computer.
        let server_now = headers
            .get(DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| httpdate::parse_http_date(text).ok())
            .unwrap_or_else(SystemTime::now);
        let reset = SystemTime::UNIX_EPOCH + Duration::from_secs(reset_epoch);
        let until_reset = reset
            .duration_since(server_now)
            .unwrap_or(Duration::ZERO)
            .min(max_wait);

        let window = Window {
            limit,
            remaining,
            resets_at: Instant::now() + until_reset,
        };
        *self
            .window
            .lock()
            .unwrap_or_else(|error| error.into_inner()) = Some(window);
    }

    /// Returns how long to wait before the next request and the units left,
    /// and counts the request against the window. Returns `None` while more
    /// than `threshold` (a fraction of the limit) of the units are left, when
    /// no response has reported a window, and once the window has reset.
    pub(crate) fn pace(&self, threshold: f64) -> Option<(Duration, u64)> {
        if threshold <= 0.0 {
            return None;
        }
        let mut guard = self
            .window
            .lock()
            .unwrap_or_else(|error| error.into_inner());
        let window = guard.as_mut()?;
        let now = Instant::now();
        if now >= window.resets_at {
            *guard = None;
            return None;
        }

        let remaining = window.remaining;
        let reserve = (window.limit as f64 * threshold).ceil() as u64;
        // Counting the request here keeps the estimate right when several
        // requests start before the next response reports the real number.
        window.remaining = remaining.saturating_sub(1);
        if remaining > reserve {
            return None;
        }

        let until_reset = window.resets_at - now;
        // With units left, each request takes an equal share of the time to
        // the reset; with none, the next request waits for the reset.
        let wait = until_reset / (remaining.min(u32::MAX as u64 - 1) as u32 + 1);
        (wait >= MIN_PACING_WAIT).then_some((wait, remaining))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(limit: u64, remaining: u64, reset_in: u64) -> HeaderMap {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut headers = HeaderMap::new();
        headers.insert(LIMIT_HEADER, HeaderValue::from(limit));
        headers.insert(REMAINING_HEADER, HeaderValue::from(remaining));
        headers.insert(RESET_HEADER, HeaderValue::from(now + reset_in));
        headers
    }

    const MAX_WAIT: Duration = Duration::from_secs(300);

    #[test]
    fn plenty_left_means_no_wait() {
        let tracker = RateLimitTracker::default();
        tracker.observe(&headers(1000, 900, 120), MAX_WAIT);

        assert_eq!(tracker.pace(0.1), None);
    }

    #[test]
    fn few_left_spreads_requests_to_reset() {
        let tracker = RateLimitTracker::default();
        tracker.observe(&headers(1000, 9, 100), MAX_WAIT);

        let (wait, remaining) = tracker.pace(0.1).unwrap();

        assert_eq!(remaining, 9);
        // 100 seconds (less the time since the header's whole second) over 10 shares.
        assert!(wait <= Duration::from_secs(10), "{wait:?}");
        assert!(wait >= Duration::from_secs(9), "{wait:?}");
    }

    #[test]
    fn none_left_waits_for_reset() {
        let tracker = RateLimitTracker::default();
        tracker.observe(&headers(1000, 0, 60), MAX_WAIT);

        let (wait, _) = tracker.pace(0.1).unwrap();

        assert!(wait > Duration::from_secs(58), "{wait:?}");
        assert!(wait <= Duration::from_secs(60), "{wait:?}");
    }

    #[test]
    fn far_reset_is_cut_to_max_wait() {
        let tracker = RateLimitTracker::default();
        tracker.observe(&headers(10, 0, 86_400), Duration::from_secs(5));

        let (wait, _) = tracker.pace(0.1).unwrap();

        assert!(wait <= Duration::from_secs(5), "{wait:?}");
    }

    #[test]
    fn each_request_counts_against_window() {
        let tracker = RateLimitTracker::default();
        tracker.observe(&headers(100, 11, 60), MAX_WAIT);

        assert_eq!(tracker.pace(0.1), None);
        let (_, remaining) = tracker.pace(0.1).unwrap();

        assert_eq!(remaining, 10);
    }

    #[test]
    fn missing_or_garbage_headers_change_nothing() {
        let tracker = RateLimitTracker::default();
        let mut garbage = headers(1000, 0, 60);
        garbage.insert(REMAINING_HEADER, HeaderValue::from_static("lots"));

        tracker.observe(&HeaderMap::new(), MAX_WAIT);
        tracker.observe(&garbage, MAX_WAIT);

        assert_eq!(tracker.pace(0.1), None);
    }

    #[test]
    fn zero_threshold_turns_pacing_off() {
        let tracker = RateLimitTracker::default();
        tracker.observe(&headers(1000, 0, 60), MAX_WAIT);

        assert_eq!(tracker.pace(0.0), None);
    }
}
