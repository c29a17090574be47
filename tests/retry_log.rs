//! What the retrying client logs: every retry and failure with endpoint,
//! status, attempt and elapsed time, and never the token or the
//! `Authorization` header.
//!
//! This test has a file of its own because `tracing` caches per call site
//! whether anyone listens. A test in the same binary that logs without a
//! subscriber, at the same moment, can make this one miss lines.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use devrev_export::demo_server::{DemoServer, DemoServerConfig, Fault};
use devrev_export::devrev::{
    AccountsExportRequest, BaseUrl, ClientOptions, DevRevClient, ProxyMode, RetryPolicy,
};
use devrev_export::token::Token;

const TOKEN: &str = "retry-log-test-token";

/// Collects everything `tracing` writes while a test runs.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn retries_are_logged_without_token() {
    let captured = CapturedLog::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = DemoServer::start(DemoServerConfig {
        accounts: 50,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap();
    server.inject_fault(Fault::service_unavailable());
    server.inject_fault(Fault::unauthenticated());
    let options = ClientOptions {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(40),
            jitter: false,
            ..RetryPolicy::default()
        },
        proxy: ProxyMode::Direct,
        ..ClientOptions::default()
    };
    let client = DevRevClient::with_options(
        BaseUrl::parse(&server.base_url()).unwrap(),
        Token::parse(TOKEN).unwrap(),
        options,
    )
    .unwrap();

    let error = client
        .export_accounts(&AccountsExportRequest::default())
        .await
        .unwrap_err();
    server.shutdown().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let retry_line = log
        .lines()
        .find(|line| line.contains("retrying after a wait"))
        .unwrap_or_else(|| panic!("no retry was logged: {log}"));
    for field in [
        "endpoint=\"accounts.export\"",
        "status=503",
        "attempt=1",
        "elapsed_ms=",
        "wait_ms=40",
    ] {
        assert!(retry_line.contains(field), "{field} missing: {retry_line}");
    }
    let failure_line = log
        .lines()
        .find(|line| line.contains("API call failed") && line.contains("status=401"))
        .unwrap_or_else(|| panic!("no failure was logged: {log}"));
    assert!(failure_line.contains("attempt=2"), "{failure_line}");
    assert!(failure_line.contains("total_ms="), "{failure_line}");
    assert!(!log.contains(TOKEN), "the token was logged: {log}");
    assert!(
        !log.to_ascii_lowercase().contains("bearer"),
        "the header was logged: {log}"
    );
    assert!(!error.to_string().contains(TOKEN));
}
