//! The DevRev client against the project's demo server on loopback: request
//! bodies, the bearer header, error statuses and what gets logged.

use std::sync::{Arc, Mutex};

use devrev_export::demo_server::{DemoServer, DemoServerConfig, Fault};
use devrev_export::devrev::{AccountsExportRequest, ApiError, BaseUrl, DevRevClient};
use devrev_export::error::AppError;
use devrev_export::token::Token;
use serde_json::{json, Value};

const TOKEN: &str = "client-test-token";

async fn start_server() -> DemoServer {
    DemoServer::start(DemoServerConfig {
        accounts: 300,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap()
}

fn client_for(server: &DemoServer, token: &str) -> DevRevClient {
    DevRevClient::new(
        BaseUrl::parse(&server.base_url()).unwrap(),
        Token::parse(token).unwrap(),
    )
}

/// Sends `body` through the client and returns the JSON the server received.
async fn body_received(body: Value) -> Value {
    let server = start_server().await;
    let request = AccountsExportRequest::from_value(body).unwrap();

    client_for(&server, TOKEN)
        .export_accounts(&request)
        .await
        .unwrap();

    let recorded = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(recorded.len(), 1);
    serde_json::from_str(&recorded[0].body).unwrap()
}

#[tokio::test]
async fn each_filter_reaches_body_exactly() {
    let cases = [
        json!({"created_by": ["don:identity:dvrv-us-1:devo/demo:devu/1"]}),
        json!({"created_date": {"after": "2021-01-01T00:00:00Z", "before": "2023-06-30T23:59:59Z"}}),
        json!({"custom_fields": {"tnt__region": ["EMEA", "APAC"]}}),
        json!({"display_name": ["Acme", "Müller GmbH"]}),
        json!({"domains": ["example.com"]}),
        json!({"external_refs": ["SF-0012345"]}),
        json!({"first": 500}),
        json!({"modified_date": {"after": "2024-01-01T00:00:00Z"}}),
        json!({"owned_by": ["don:identity:dvrv-us-1:devo/demo:devu/2", "don:identity:dvrv-us-1:devo/demo:devu/3"]}),
        json!({"sort_by": ["created_date:desc", "display_name:asc"]}),
        json!({"stage": ["don:core:dvrv-us-1:devo/demo:custom_stage/1"]}),
        json!({"subtype": ["customer"]}),
        json!({"tags": ["don:core:dvrv-us-1:devo/demo:tag/1", "don:core:dvrv-us-1:devo/demo:tag/2=high"]}),
        json!({"tier": ["Enterprise", "SMB"]}),
        json!({"websites": ["www.example.com"]}),
    ];

    for body in cases {
        assert_eq!(body_received(body.clone()).await, body);
    }
}

#[tokio::test]
async fn empty_request_sends_empty_object() {
    assert_eq!(body_received(json!({})).await, json!({}));
}

#[tokio::test]
async fn token_is_sent_as_bearer_header() {
    let server = start_server().await;

    client_for(&server, &format!("Bearer {TOKEN}"))
        .export_accounts(&AccountsExportRequest::default())
        .await
        .unwrap();

    let recorded = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, "/accounts.export");
    assert_eq!(
        recorded[0].authorization.as_deref(),
        Some("Bearer client-test-token")
    );
}

#[tokio::test]
async fn accounts_arrive_in_server_order() {
    let server = start_server().await;
    let request = AccountsExportRequest {
        first: Some(120),
        ..Default::default()
    };

    let accounts = client_for(&server, TOKEN)
        .export_accounts(&request)
        .await
        .unwrap();

    server.shutdown().await;
    assert_eq!(accounts.len(), 120);
    let expected: Vec<String> = (0..120)
        .map(|index| devrev_export::demo_server::generate_account(42, index).id)
        .collect();
    let received: Vec<String> = accounts.into_iter().map(|account| account.id).collect();
    assert_eq!(received, expected);
}

#[tokio::test]
async fn wrong_token_maps_to_unauthorized() {
    let server = start_server().await;

    let error = client_for(&server, "not-the-token")
        .export_accounts(&AccountsExportRequest::default())
        .await
        .unwrap_err();

    server.shutdown().await;
    assert!(matches!(error, ApiError::Unauthorized { .. }), "{error:?}");
    let shown = AppError::from(error);
    assert_eq!(shown.code, "unauthorized");
    assert!(
        shown.message.contains("create a new personal access token"),
        "{}",
        shown.message
    );
}

#[tokio::test]
async fn invalid_body_maps_to_bad_request() {
    let server = start_server().await;
    // `validate` would stop first = 0 before sending; a struct built by hand
    // shows how the server responds to it.
    let request = AccountsExportRequest {
        first: Some(0),
        ..Default::default()
    };

    let error = client_for(&server, TOKEN)
        .export_accounts(&request)
        .await
        .unwrap_err();

    server.shutdown().await;
    let ApiError::BadRequest { body, .. } = &error else {
        panic!("expected a bad request, got {error:?}");
    };
    assert_eq!(body.error_type.as_deref(), Some("bad_request"));
    assert!(error.to_string().contains("first"), "{error}");
    assert!(error
        .to_string()
        .ends_with("Check the filters and try again."));
}

#[tokio::test]
async fn fault_statuses_map_to_messages() {
    let server = start_server().await;
    let client = client_for(&server, TOKEN);
    let cases: [(Fault, &str, &str); 4] = [
        (
            Fault::forbidden(),
            "forbidden",
            "Ask a DevRev administrator",
        ),
        (
            Fault::too_many_requests(30),
            "rate_limited",
            "Wait 30 seconds",
        ),
        (
            Fault::internal_error("ref-42"),
            "server_error",
            "quote the reference ID ref-42",
        ),
        (
            Fault::service_unavailable(),
            "unavailable",
            "temporarily unavailable",
        ),
    ];

    for (fault, code, phrase) in cases {
        server.inject_fault(fault);

        let error = client
            .export_accounts(&AccountsExportRequest::default())
            .await
            .unwrap_err();

        let shown = AppError::from(error);
        assert_eq!(shown.code, code);
        assert!(shown.message.contains(phrase), "{code}: {}", shown.message);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn rate_limit_wait_comes_from_header() {
    let server = start_server().await;
    server.inject_fault(Fault::too_many_requests(7));

    let error = client_for(&server, TOKEN)
        .export_accounts(&AccountsExportRequest::default())
        .await
        .unwrap_err();

    server.shutdown().await;
    let ApiError::RateLimited {
        retry_after, body, ..
    } = error
    else {
        panic!("expected a rate limit");
    };
    assert_eq!(retry_after, Some(std::time::Duration::from_secs(7)));
    assert_eq!(body.retry_after, Some(7));
}

#[tokio::test]
async fn closed_port_maps_to_connection_failed() {
    let server = start_server().await;
    let base_url = server.base_url();
    server.shutdown().await;
    let client = DevRevClient::new(
        BaseUrl::parse(&base_url).unwrap(),
        Token::parse(TOKEN).unwrap(),
    );

    let error = client
        .export_accounts(&AccountsExportRequest::default())
        .await
        .unwrap_err();

    let shown = AppError::from(error);
    assert_eq!(shown.code, "connection_failed");
    assert!(shown.message.contains(&base_url), "{}", shown.message);
}

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
async fn token_never_appears_in_logs_or_errors() {
    let captured = CapturedLog::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = start_server().await;
    let client = client_for(&server, TOKEN);

    client
        .export_accounts(&AccountsExportRequest::default())
        .await
        .unwrap();
    server.inject_fault(Fault::internal_error("ref-1"));
    let error = client
        .export_accounts(&AccountsExportRequest::default())
        .await
        .unwrap_err();
    server.shutdown().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("accounts.export"), "nothing was logged: {log}");
    assert!(!log.contains(TOKEN), "the token was logged: {log}");
    assert!(!error.to_string().contains(TOKEN));
    assert!(!format!("{error:?}").contains(TOKEN));
    assert!(!format!("{client:?}").contains(TOKEN));
}
