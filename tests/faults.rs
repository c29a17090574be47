//! The retrying client against the demo server's injected faults: rate
//! limits with every form of `Retry-After`, server errors, a connection
//! broken mid-body, cut-off JSON, a stalled and a trickling response, an
//! expired token in the middle of a paged export, and resuming a paged read.
//!
//! Every case checks the outcome, the message, the number of attempts the
//! server saw and, for exports, that no file is left behind. The retry policy
//! and time limits are shrunk so that no case waits more than a few seconds.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use calamine::{open_workbook, Data, Reader, Xlsx};
use devrev_export::demo_server::{generate_account, DemoServer, DemoServerConfig, Fault};
use devrev_export::devrev::paging::{AccountPager, PagingError, PagingLimits};
use devrev_export::devrev::{
    AccountFilters, AccountsExportRequest, ApiError, BaseUrl, ClientOptions, DevRevClient,
    ProxyMode, RetryNotice, RetryPolicy, TimeoutPhase, Timeouts, WaitReason,
};
use devrev_export::error::AppError;
use devrev_export::export::{
    export_resumable, export_to_file, CancellationToken, ExportError, ExportOutcome, FetchPlan,
};
use devrev_export::token::Token;
use serde_json::json;

const TOKEN: &str = "faults-test-token";
const SEED: u64 = 42;

async fn start_server(accounts: usize) -> DemoServer {
    DemoServer::start(DemoServerConfig {
        accounts,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap()
}

/// A policy with waits of tens of milliseconds and no jitter, so waits are exact.
fn fast_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(40),
        max_delay: Duration::from_millis(200),
        min_rate_limit_wait: Duration::from_millis(50),
        max_rate_limit_wait: Duration::from_millis(1_500),
        pacing_threshold: 0.1,
        jitter: false,
    }
}

fn short_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(2),
        read: Duration::from_millis(400),
        response: Duration::from_secs(3),
    }
}

/// The notices a client announced, in order.
#[derive(Clone, Default)]
struct Notices(Arc<Mutex<Vec<RetryNotice>>>);

impl Notices {
    fn all(&self) -> Vec<RetryNotice> {
        self.0.lock().unwrap().clone()
    }
}

fn client_with(
    server: &DemoServer,
    retry: RetryPolicy,
    timeouts: Timeouts,
) -> (DevRevClient, Notices) {
    let notices = Notices::default();
    let options = ClientOptions {
        timeouts,
        retry,
        proxy: ProxyMode::Direct,
    };
    let client = DevRevClient::with_options(
        BaseUrl::parse(&server.base_url()).unwrap(),
        Token::parse(TOKEN).unwrap(),
        options,
    )
    .unwrap()
    .on_retry({
        let notices = notices.clone();
        move |notice| notices.0.lock().unwrap().push(notice.clone())
    });
    (client, notices)
}

fn fast_client(server: &DemoServer, max_attempts: u32) -> (DevRevClient, Notices) {
    client_with(server, fast_policy(max_attempts), short_timeouts())
}

async fn export_first_ten(client: &DevRevClient) -> Result<Vec<String>, ApiError> {
    let request = AccountsExportRequest {
        first: Some(10),
        ..AccountsExportRequest::default()
    };
    let accounts = client.export_accounts(&request).await?;
    Ok(accounts.into_iter().map(|account| account.id).collect())
}

fn expected_ids(count: usize) -> Vec<String> {
    (0..count)
        .map(|index| generate_account(SEED, index).id)
        .collect()
}

// Rate limits

/// Sends one request that first meets `fault` and then passes, and returns
/// the single notice the client announced.
async fn wait_after_429(fault: Fault) -> RetryNotice {
    let server = start_server(50).await;
    server.inject_fault(fault);
    let (client, notices) = fast_client(&server, 3);

    let ids = export_first_ten(&client).await.unwrap();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(ids, expected_ids(10));
    assert_eq!(attempts, 2);
    let notices = notices.all();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].status, Some(429));
    assert_eq!(notices[0].next_attempt, 2);
    notices[0].clone()
}

#[tokio::test]
async fn retry_after_seconds_is_waited() {
    let notice = wait_after_429(Fault::rate_limited_with_header(Some("1"))).await;

    assert_eq!(notice.wait_ms, 1_000);
    assert_eq!(notice.reason, WaitReason::RateLimited);
    assert_eq!(notice.message, "DevRev asked us to wait 1 s.");
}

#[tokio::test]
async fn retry_after_http_date_is_waited() {
    let at = std::time::SystemTime::now() + Duration::from_secs(2);
    let date = httpdate::fmt_http_date(at);

    let notice = wait_after_429(Fault::rate_limited_with_header(Some(&date))).await;

    // HTTP dates have whole seconds, and the server's `Date` may fall in the next one.
    assert!(
        (500..=2_000).contains(&notice.wait_ms),
        "{}",
        notice.wait_ms
    );
    assert_eq!(notice.reason, WaitReason::RateLimited);
}

#[tokio::test]
async fn retry_after_missing_backs_off() {
    let notice = wait_after_429(Fault::rate_limited_with_header(None)).await;

    assert_eq!(notice.wait_ms, 40);
    assert_eq!(notice.reason, WaitReason::RateLimitedNoWait);
}

#[tokio::test]
async fn retry_after_negative_backs_off() {
    let notice = wait_after_429(Fault::rate_limited_with_header(Some("-5"))).await;

    assert_eq!(notice.wait_ms, 40);
    assert_eq!(notice.reason, WaitReason::RateLimitedNoWait);
}

#[tokio::test]
async fn retry_after_garbage_backs_off() {
    let notice = wait_after_429(Fault::rate_limited_with_header(Some("soon, promise"))).await;

    assert_eq!(notice.wait_ms, 40);
    assert_eq!(notice.reason, WaitReason::RateLimitedNoWait);
}

#[tokio::test]
async fn retry_after_a_day_is_clamped() {
    let notice = wait_after_429(Fault::rate_limited_with_header(Some("86400"))).await;

    assert_eq!(notice.wait_ms, 1_500);
    assert_eq!(notice.message, "DevRev asked us to wait 2 s.");
}

#[tokio::test]
async fn retry_after_in_body_is_waited() {
    let fault = Fault::Status {
        status: 429,
        body: json!({"type": "too_many_requests", "retry_after": 1}),
        retry_after_header: None,
    };

    let notice = wait_after_429(fault).await;

    assert_eq!(notice.wait_ms, 1_000);
    assert_eq!(notice.reason, WaitReason::RateLimited);
}

#[tokio::test]
async fn rate_limit_outlasting_retries_fails_with_wait() {
    let server = start_server(50).await;
    for _ in 0..2 {
        server.inject_fault(Fault::rate_limited_with_header(Some("0")));
    }
    let (client, notices) = fast_client(&server, 2);

    let error = export_first_ten(&client).await.unwrap_err();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(attempts, 2);
    assert_eq!(notices.all().len(), 1);
    let shown = AppError::from(error);
    assert_eq!(shown.code, "rate_limited");
    assert!(
        shown.message.contains("Wait 0 seconds"),
        "{}",
        shown.message
    );
}

#[tokio::test]
async fn low_remaining_units_slow_requests() {
    let server = start_server(50).await;
    // 4 of 100 units left and the window resets in 2 to 3 seconds (the reset
    // and the server's `Date` are whole seconds). The policy cuts that to its
    // 1.5-second maximum wait, and the next request waits a fifth of it.
    server.inject_fault(Fault::rate_limit_headers(100, 4, Duration::from_secs(3)));
    let (client, notices) = fast_client(&server, 1);

    export_first_ten(&client).await.unwrap();
    let started = Instant::now();
    export_first_ten(&client).await.unwrap();
    let elapsed = started.elapsed();

    server.shutdown().await;
    let notices = notices.all();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].reason, WaitReason::Pacing);
    assert!(
        (200..=300).contains(&notices[0].wait_ms),
        "{}",
        notices[0].wait_ms
    );
    assert!(
        elapsed >= Duration::from_millis(notices[0].wait_ms),
        "{elapsed:?}"
    );
    assert!(
        notices[0].message.contains("4 requests left"),
        "{}",
        notices[0].message
    );
}

// Server errors

#[tokio::test]
async fn unavailable_twice_then_success() {
    let server = start_server(50).await;
    server.inject_fault(Fault::service_unavailable());
    server.inject_fault(Fault::service_unavailable());
    let (client, notices) = fast_client(&server, 5);

    let ids = export_first_ten(&client).await.unwrap();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(ids, expected_ids(10));
    assert_eq!(attempts, 3);
    let notices = notices.all();
    let waits: Vec<u64> = notices.iter().map(|notice| notice.wait_ms).collect();
    assert_eq!(waits, [40, 80]);
    assert!(notices
        .iter()
        .all(|notice| notice.reason == WaitReason::Retry));
    assert_eq!(
        notices[0].message,
        "DevRev is temporarily unavailable (HTTP 503). Trying again in 1 s (attempt 2 of 5)."
    );
}

#[tokio::test]
async fn internal_error_gives_up_with_reference_id() {
    let server = start_server(50).await;
    for _ in 0..3 {
        server.inject_fault(Fault::internal_error("ref-7"));
    }
    let (client, notices) = fast_client(&server, 3);

    let error = export_first_ten(&client).await.unwrap_err();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(attempts, 3);
    assert_eq!(notices.all().len(), 2);
    let shown = AppError::from(error);
    assert_eq!(shown.code, "server_error");
    assert!(
        shown
            .message
            .ends_with("contact DevRev support and quote the reference ID ref-7."),
        "{}",
        shown.message
    );
}

#[tokio::test]
async fn permanent_errors_are_sent_once() {
    let cases = [
        (Fault::unauthenticated(), "unauthorized"),
        (Fault::forbidden(), "forbidden"),
        (
            Fault::Status {
                status: 400,
                body: json!({"type": "bad_request", "message": "first is invalid"}),
                retry_after_header: None,
            },
            "bad_request",
        ),
    ];

    for (fault, code) in cases {
        let server = start_server(50).await;
        server.inject_fault(fault);
        let (client, notices) = fast_client(&server, 5);

        let error = export_first_ten(&client).await.unwrap_err();

        let attempts = server.recorded_requests().len();
        server.shutdown().await;
        assert_eq!(attempts, 1, "{code}");
        assert!(notices.all().is_empty(), "{code}");
        assert_eq!(AppError::from(error).code, code);
    }
}

// Broken and slow responses

#[tokio::test]
async fn reset_mid_body_is_retried() {
    let server = start_server(50).await;
    let body = serde_json::to_vec(&json!({"accounts": vec![json!({"id": "x"}); 50]})).unwrap();
    server.inject_fault(Fault::ResetMidBody { body, sent: 100 });
    let (client, notices) = fast_client(&server, 3);

    let ids = export_first_ten(&client).await.unwrap();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(ids, expected_ids(10));
    assert_eq!(attempts, 2);
    assert_eq!(
        notices.all()[0].message,
        "The connection broke. Trying again in 1 s (attempt 2 of 3)."
    );
}

#[tokio::test]
async fn reset_every_time_names_lost_connection() {
    let server = start_server(50).await;
    for _ in 0..2 {
        let body = br#"{"accounts": [{"id": "a"}, {"id": "b"}]}"#.to_vec();
        server.inject_fault(Fault::ResetMidBody { body, sent: 10 });
    }
    let (client, _) = fast_client(&server, 2);

    let error = export_first_ten(&client).await.unwrap_err();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(attempts, 2);
    assert!(
        matches!(error, ApiError::ConnectionLost { .. }),
        "{error:?}"
    );
    let shown = AppError::from(error);
    assert_eq!(shown.code, "connection_lost");
    assert!(
        shown
            .message
            .contains("broke while the response to accounts.export"),
        "{}",
        shown.message
    );
}

#[tokio::test]
async fn truncated_json_is_retried() {
    let server = start_server(50).await;
    server.inject_fault(Fault::truncated_json());
    let (client, notices) = fast_client(&server, 3);

    let ids = export_first_ten(&client).await.unwrap();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(ids, expected_ids(10));
    assert_eq!(attempts, 2);
    assert_eq!(
        notices.all()[0].message,
        "The response was cut off. Trying again in 1 s (attempt 2 of 3)."
    );
}

#[tokio::test]
async fn truncated_json_every_time_is_reported() {
    let server = start_server(50).await;
    server.inject_fault(Fault::truncated_json());
    server.inject_fault(Fault::truncated_json());
    let (client, _) = fast_client(&server, 2);

    let error = export_first_ten(&client).await.unwrap_err();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(attempts, 2);
    let shown = AppError::from(error);
    assert_eq!(shown.code, "invalid_response");
    assert!(
        shown.message.contains("was cut off or damaged"),
        "{}",
        shown.message
    );
    assert!(
        shown.message.contains("in the middle of the JSON"),
        "{}",
        shown.message
    );
}

#[tokio::test]
async fn stalled_response_times_out() {
    let server = start_server(50).await;
    server.inject_fault(Fault::Stall {
        duration: Duration::from_secs(30),
    });
    server.inject_fault(Fault::Stall {
        duration: Duration::from_secs(30),
    });
    let (client, notices) = fast_client(&server, 2);
    let started = Instant::now();

    let error = export_first_ten(&client).await.unwrap_err();

    let elapsed = started.elapsed();
    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(attempts, 2);
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(
        matches!(
            error,
            ApiError::Timeout {
                phase: TimeoutPhase::Read,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        notices.all()[0].message,
        "The request timed out. Trying again in 1 s (attempt 2 of 2)."
    );
    let shown = AppError::from(error);
    assert_eq!(shown.code, "timed_out");
    assert_eq!(
        shown.message,
        "accounts.export timed out: the server sent nothing for 0.4 seconds. Check the network connection and try again."
    );
}

#[tokio::test]
async fn trickling_response_times_out() {
    let server = start_server(50).await;
    // 400 bytes, one every 50 ms, would take 20 seconds. Each byte beats the
    // silence limit, so only the limit on the whole response stops it.
    server.inject_fault(Fault::Trickle {
        body: vec![b' '; 400],
        chunk_bytes: 1,
        interval: Duration::from_millis(50),
    });
    let timeouts = Timeouts {
        response: Duration::from_millis(800),
        ..short_timeouts()
    };
    let (client, _) = client_with(&server, fast_policy(1), timeouts);
    let started = Instant::now();

    let error = export_first_ten(&client).await.unwrap_err();

    let elapsed = started.elapsed();
    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(attempts, 1);
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert!(
        matches!(
            error,
            ApiError::Timeout {
                phase: TimeoutPhase::Response,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("timed out"), "{message}");
    assert!(
        message.contains("still incomplete after 0.8 seconds"),
        "{message}"
    );
}

// Wrong server

#[tokio::test]
async fn html_page_names_wrong_server() {
    let server = start_server(50).await;
    server.inject_fault(Fault::html_page(200));
    let (client, notices) = fast_client(&server, 3);

    let error = export_first_ten(&client).await.unwrap_err();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(attempts, 1);
    assert!(notices.all().is_empty());
    let shown = AppError::from(error);
    assert_eq!(shown.code, "wrong_server");
    assert!(
        shown.message.contains("is not the DevRev API"),
        "{}",
        shown.message
    );
    assert!(
        shown.message.contains("HTTP 200 and an HTML page"),
        "{}",
        shown.message
    );
}

#[tokio::test]
async fn unknown_path_names_wrong_server() {
    let server = start_server(50).await;
    let base_url = BaseUrl::parse(&format!("{}/not-the-api", server.base_url())).unwrap();
    let options = ClientOptions {
        retry: fast_policy(3),
        proxy: ProxyMode::Direct,
        ..ClientOptions::default()
    };
    let client =
        DevRevClient::with_options(base_url, Token::parse(TOKEN).unwrap(), options).unwrap();

    let error = export_first_ten(&client).await.unwrap_err();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(attempts, 1);
    let shown = AppError::from(error);
    assert_eq!(shown.code, "wrong_server");
    assert!(shown.message.contains("HTTP 404"), "{}", shown.message);
}

// Paged exports

fn all_plan(page_size: u32) -> FetchPlan {
    FetchPlan {
        request: AccountsExportRequest::default(),
        all: true,
        limits: PagingLimits {
            page_size,
            ..PagingLimits::default()
        },
        columns: Default::default(),
    }
}

fn folder_entries(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Waits up to two seconds for the writer thread to delete its temporary files.
async fn wait_until_empty(folder: &Path) -> Vec<String> {
    let mut entries = folder_entries(folder);
    for _ in 0..20 {
        if entries.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        entries = folder_entries(folder);
    }
    entries
}

#[tokio::test]
async fn expired_token_mid_export_leaves_no_file() {
    let server = start_server(100).await;
    server.inject_fault(Fault::pass());
    server.inject_fault(Fault::pass());
    server.inject_fault(Fault::unauthenticated());
    let (client, notices) = fast_client(&server, 5);
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");

    let error = export_to_file(
        &client,
        &all_plan(20),
        &target,
        false,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap_err();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(attempts, 3);
    assert!(notices.all().is_empty());
    let ExportError::Fetch(fetch) = error else {
        panic!("expected a fetch error, got {error:?}");
    };
    let resume = fetch.resume_point().expect("a paged read can resume");
    assert_eq!(resume.pages(), 2);
    assert_eq!(resume.accounts(), 40);
    assert!(resume.cursor().is_some());
    let shown = AppError::from(fetch);
    assert_eq!(shown.code, "unauthorized");
    assert!(
        shown.message.contains("create a new personal access token"),
        "{}",
        shown.message
    );
    assert!(!target.exists());
    assert_eq!(wait_until_empty(folder.path()).await, Vec::<String>::new());
}

#[tokio::test]
async fn export_survives_transient_faults() {
    let server = start_server(100).await;
    server.inject_fault(Fault::pass());
    server.inject_fault(Fault::service_unavailable());
    server.inject_fault(Fault::truncated_json());
    server.inject_fault(Fault::pass());
    server.inject_fault(Fault::internal_error("ref-1"));
    let (client, notices) = fast_client(&server, 5);
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");

    let summary = export_to_file(
        &client,
        &all_plan(25),
        &target,
        false,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();

    let attempts = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(summary.rows, 100);
    assert_eq!(summary.pages, 4);
    // Four pages plus one request for each of the three failures.
    assert_eq!(attempts, 7);
    assert_eq!(notices.all().len(), 3);
    assert!(target.exists());
}

/// Reads every page and returns the IDs, or the error with the IDs read so far.
async fn read_pages(
    pager: &mut AccountPager<'_>,
    ids: &mut Vec<String>,
) -> Result<(), PagingError> {
    while let Some(page) = pager.next_page().await? {
        ids.extend(page.accounts.into_iter().map(|account| account.id));
    }
    Ok(())
}

#[tokio::test]
async fn paged_read_resumes_after_giving_up() {
    let server = start_server(95).await;
    server.inject_fault(Fault::pass());
    server.inject_fault(Fault::pass());
    for _ in 0..2 {
        server.inject_fault(Fault::service_unavailable());
    }
    let (client, _) = fast_client(&server, 2);
    let mut pager = AccountPager::new(
        &client,
        AccountFilters::default(),
        PagingLimits {
            page_size: 20,
            max_pages: 100,
        },
    );
    let mut ids = Vec::new();

    let error = read_pages(&mut pager, &mut ids).await.unwrap_err();
    let after_failure = pager.next_page().await.unwrap();
    let point = error.into_resume_point().expect("a paged read can resume");
    let cursor = point.cursor().map(str::to_owned);
    let mut resumed = AccountPager::resume(&client, point);
    read_pages(&mut resumed, &mut ids).await.unwrap();

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(after_failure, None, "a pager is spent after an error");
    assert_eq!(ids.len(), 95);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 95);
    assert_eq!(ids, expected_ids(95));
    assert_eq!(resumed.pages(), 5);
    assert_eq!(resumed.accounts(), 95);
    // The resumed read asked again for the page that failed, with its cursor.
    let retried: serde_json::Value = serde_json::from_str(&requests[4].body).unwrap();
    assert_eq!(retried["cursor"].as_str(), cursor.as_deref());
    assert_eq!(requests.len(), 2 + 2 + 3);
}

#[tokio::test]
async fn resumed_read_keeps_duplicate_guard() {
    let server = start_server(10).await;
    let page = |ids: &[&str], next: Option<&str>| Fault::Status {
        status: 200,
        body: json!({
            "accounts": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
            "next_cursor": next,
        }),
        retry_after_header: None,
    };
    server.inject_fault(page(&["a", "b"], Some("c1")));
    server.inject_fault(Fault::service_unavailable());
    server.inject_fault(page(&["b", "c"], Some("c1")));
    let (client, _) = fast_client(&server, 1);
    let mut pager = AccountPager::new(
        &client,
        AccountFilters::default(),
        PagingLimits {
            page_size: 2,
            max_pages: 10,
        },
    );
    let mut ids = Vec::new();

    let error = read_pages(&mut pager, &mut ids).await.unwrap_err();
    let mut resumed = AccountPager::resume(&client, error.into_resume_point().unwrap());
    let second = read_pages(&mut resumed, &mut ids).await.unwrap_err();

    server.shutdown().await;
    // The page that repeats the cursor is dropped with its accounts, after
    // its known account `b` was counted as a duplicate.
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(resumed.duplicates_dropped(), 1);
    assert!(
        matches!(second, PagingError::RepeatedCursor { pages: 2, .. }),
        "{second:?}"
    );
}

#[tokio::test]
async fn paused_export_resumes_to_every_account() {
    let server = start_server(100).await;
    server.inject_fault(Fault::pass());
    server.inject_fault(Fault::pass());
    server.inject_fault(Fault::unauthenticated());
    let (client, _notices) = fast_client(&server, 5);
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");
    let plan = all_plan(20);

    let outcome = export_resumable(
        &client,
        &plan,
        &target,
        false,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    let ExportOutcome::Paused(paused) = outcome else {
        panic!("expected a paused export");
    };
    assert_eq!(paused.accounts(), 40);
    assert!(!target.exists());
    let resumed = paused
        .resume(&client, &CancellationToken::new(), |_| {})
        .await
        .unwrap();

    server.shutdown().await;
    let ExportOutcome::Finished(summary) = resumed else {
        panic!("expected a finished export");
    };
    assert_eq!(summary.rows, 100);
    assert_eq!(summary.pages, 5);
    let mut workbook: Xlsx<_> = open_workbook(&target).unwrap();
    let sheet = workbook.worksheet_range("Accounts").unwrap();
    let mut rows = sheet.rows();
    let header = rows.next().unwrap();
    let id_column = header
        .iter()
        .position(|cell| cell == &Data::String("DevRev ID".into()))
        .unwrap();
    let ids: Vec<String> = rows.map(|row| row[id_column].to_string()).collect();
    let expected: Vec<String> = (0..100)
        .map(|index| generate_account(SEED, index).id)
        .collect();
    assert_eq!(ids, expected);
}
