//! A DevRev-compatible HTTP server that serves generated sample accounts.
//!
//! It backs the integration tests, the `demo-server` command and the desktop
//! app's "Try with sample data" button. It listens on `127.0.0.1` unless the
//! caller binds it elsewhere, and runs on the current Tokio runtime.
//!
//! # Endpoints
//!
//! Every endpoint requires the header `Authorization: Bearer <token>`
//! (otherwise 401 `unauthenticated`) and a JSON body (otherwise 400
//! `parse_error`) with only known fields of the right types (otherwise 400
//! `bad_request` naming the field), and sort keys on sortable fields. Other
//! paths get 404 `not_found` and other methods 405 `method_not_allowed`.
//!
//! - `POST /accounts.export` takes `first` from 1 to 500 (50 when not set)
//!   and returns `{"accounts": [...]}` with the first `first` matching
//!   accounts.
//! - `POST /accounts.list` takes `limit` from 1 to 1,000 (50 when not set),
//!   `mode` (`after`, the default, or `before`) and `cursor`, and returns
//!   `{"accounts": [...], "next_cursor": "...", "prev_cursor": "..."}`.
//!   Without a cursor, `after` starts at the first match and `before` at the
//!   last. `before` returns the matches just before the cursor, still in the
//!   requested order. `next_cursor` is absent on the last page and
//!   `prev_cursor` on the first. A cursor is an opaque string starting with
//!   `c1-`, valid only with the filters and sort order it was returned for, on
//!   a server with the same seed and number of accounts, with any `limit` and
//!   `mode`. Any other cursor gets 400 `bad_request`. An empty cursor counts
//!   as none. Pages read in order give the same accounts in the same order as
//!   `accounts.export` with the same filters.
//! - `GET` or `POST /dev-users.self` takes an empty object (or no body) and
//!   returns `{"dev_user": {...}}` with the first of [`demo_users`], as the
//!   user the token belongs to.
//!
//! The look-ups `POST /dev-users.list`, `/tags.list`, `/stages.custom.list`,
//! `/schemas.subtypes.list` and `/schemas.aggregated.get` return the users,
//! tags, stages, subtypes, tiers and custom fields that the accounts carry
//! (see `routes/lookups.rs`), with the same token and body checks.
//!
//! Each account carries an extra `stage` object (`id` and `name`), a field the
//! `Account` type does not have, so clients show they ignore unknown fields.
//!
//! # Cost
//!
//! Accounts are drawn from the seed when a request needs them and never held
//! all at once. Without `sort_by`, a page costs its accounts plus the
//! non-matching accounts skipped to fill it. With `sort_by`, the first request
//! for a filter and sort order draws every account and keeps a sorted index of
//! the matches (4 bytes each). The last four such indices are cached, so later
//! pages cost only their own accounts.
//!
//! # Filter semantics
//!
//! All filters that are set must match. Within one list filter, one matching
//! entry is enough.
//!
//! - `created_by`: the ID of the user in `created_by`.
//! - `owned_by`: the ID of any of the users in `owned_by`.
//! - `created_date`, `modified_date`: `after` and `before` are inclusive and
//!   either may be left out. An account without the date never matches.
//! - `display_name`: the whole name, compared case-insensitively.
//! - `domains`, `websites`: any of the account's values, compared
//!   case-insensitively.
//! - `external_refs`: any of the account's references, exactly.
//! - `tier`, `subtype`: exact match.
//! - `stage`: the stage ID, from [`demo_stages`].
//! - `tags`: a tag ID the account carries, or `ID=value` to also require
//!   that value on the tag.
//! - `custom_fields`: field name mapped to an accepted value or a list of
//!   them. The account's field must equal one of them: strings compare
//!   case-insensitively, numbers by value (`5` equals `5.0`), everything else
//!   by JSON equality. A missing field counts as `null`.
//! - `sort_by`: `field:asc` or `field:desc` over `display_name`,
//!   `created_date`, `modified_date`, `tier`, `subtype`, `id` and `display_id`,
//!   most significant first. Text sorts case-insensitively, `id` and
//!   `display_id` by the account number (`ACC-2` before `ACC-10`), and
//!   accounts without the value come last in either direction. Ties, and
//!   requests without `sort_by`, keep the generation order.
//!
//! The server does not apply the client-side checks of
//! [`AccountsExportRequest::validate`](crate::devrev::request::AccountsExportRequest::validate)
//! beyond the ranges of `first` and `limit`, because the real API does not
//! either.
//!
//! # Test hooks
//!
//! [`DemoServer::recorded_requests`] lists the requests received, and
//! [`DemoServer::inject_fault`] queues responses such as 429, 503 or a
//! crafted 200 page, and failures a real server cannot produce on demand: a
//! connection that breaks mid-body, cut-off JSON, a stall and a trickle.

pub mod data;
mod faults;
mod json;
mod list;
mod order;
mod query;
mod record;
mod routes;
mod users;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use data::{
    account_stage, demo_stages, demo_tags, demo_users, generate_account, DemoStage, DemoTag,
};

use routes::SharedState;

/// Token the demo server accepts unless configured otherwise.
pub const DEFAULT_DEMO_TOKEN: &str = "demo";

/// Most accounts a demo server serves, so that an account index fits in a
/// `u32` in sorted indices and cursors.
pub const MAX_DEMO_ACCOUNTS: usize = u32::MAX as usize;

/// How long [`DemoServer::shutdown`] waits for open requests before it stops
/// the server anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Settings of a demo server.
#[derive(Clone, PartialEq, Eq)]
pub struct DemoServerConfig {
    /// Number of accounts in the data set, at most [`MAX_DEMO_ACCOUNTS`].
    pub accounts: usize,
    /// Seed of the generated data. The same seed always gives the same accounts.
    pub seed: u64,
    /// Token that clients must send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Address to listen on. Port 0 picks a free port.
    pub bind: SocketAddr,
}

impl Default for DemoServerConfig {
    /// 1,000 accounts from seed 42, token `demo`, a free port on `127.0.0.1`.
    fn default() -> Self {
        DemoServerConfig {
            accounts: 1_000,
            seed: 42,
            token: DEFAULT_DEMO_TOKEN.to_owned(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

impl fmt::Debug for DemoServerConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("DemoServerConfig")
            .field("accounts", &self.accounts)
            .field("seed", &self.seed)
            .field("token", &"<redacted>")
            .field("bind", &self.bind)
            .finish()
    }
}

/// Errors that stop the demo server from starting.
#[derive(Debug, thiserror::Error)]
pub enum DemoServerError {
    #[error(
        "could not listen on {addr}: {source}. If another program uses the port, \
         pick another one with --port, or port 0 for any free port."
    )]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("could not read the address the demo server listens on (bound to {addr}): {source}")]
    LocalAddr {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the demo server's token is empty. Set a token, such as `{DEFAULT_DEMO_TOKEN}`.")]
    EmptyToken,
    #[error(
        "the demo server cannot serve {requested} accounts. Choose at most {MAX_DEMO_ACCOUNTS}."
    )]
    TooManyAccounts { requested: usize },
}

/// One request as the server received it, for tests to inspect.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the query string, such as `/accounts.export`.
    pub path: String,
    /// The `Authorization` header as sent, if any.
    pub authorization: Option<String>,
    /// The body as text. Bytes that are not UTF-8 appear as U+FFFD, and a body
    /// that could not be read is empty.
    pub body: String,
}

impl fmt::Debug for RecordedRequest {
    /// Shows whether an `Authorization` header was sent, but not its value.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("body", &self.body)
            .finish()
    }
}

/// A response to send instead of handling a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Responds with this HTTP status and JSON body (`Content-Type:
    /// application/json`), and a `Retry-After` header when one is given. A 200
    /// status with a crafted page, such as one with a repeated cursor, tests a
    /// client's paging guards. The `Retry-After` value is sent as given, so it
    /// may be a number of seconds, an HTTP date, or something invalid.
    Status {
        status: u16,
        body: Value,
        retry_after_header: Option<String>,
    },
    /// Handles the request as usual and adds these headers to the response,
    /// such as `X-RateLimit-Remaining`. It takes a place in the queue, so it
    /// also lets requests through before a later fault.
    Pass { headers: Vec<(String, String)> },
    /// Responds with this status, `Content-Type` and body bytes, which need
    /// not be JSON: an HTML page, or JSON cut off in the middle.
    Raw {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// Sends a 200 whose `Content-Length` announces all of `body`, sends the
    /// first `sent` bytes, then breaks the connection.
    ResetMidBody { body: Vec<u8>, sent: usize },
    /// Reads the request and sends nothing for `duration`, or until the
    /// server shuts down, then responds 503.
    Stall { duration: Duration },
    /// Sends a 200 with the headers at once and then `body` in pieces of
    /// `chunk_bytes`, one every `interval`.
    Trickle {
        body: Vec<u8>,
        chunk_bytes: usize,
        interval: Duration,
    },
}

impl Fault {
    /// 403 `forbidden`, as for a token without access to accounts.
    pub fn forbidden() -> Fault {
        Fault::Status {
            status: 403,
            body: json!({
                "type": "forbidden",
                "message": "The token is not allowed to export accounts.",
                "detail": "Ask an administrator of the organization for access to accounts."
            }),
            retry_after_header: None,
        }
    }

    /// 429 `too_many_requests` with `retry_after` in the body and the
    /// `Retry-After` header, both in seconds.
    pub fn too_many_requests(retry_after_seconds: u64) -> Fault {
        Fault::Status {
            status: 429,
            body: json!({
                "type": "too_many_requests",
                "message": format!("Rate limit exceeded. Retry after {retry_after_seconds} seconds."),
                "retry_after": retry_after_seconds
            }),
            retry_after_header: Some(retry_after_seconds.to_string()),
        }
    }

    /// 500 `internal_error` carrying the given `reference_id`.
    pub fn internal_error(reference_id: &str) -> Fault {
        Fault::Status {
            status: 500,
            body: json!({
                "type": "internal_error",
                "message": "An internal error occurred.",
                "reference_id": reference_id
            }),
            retry_after_header: None,
        }
    }

    /// 401 `unauthenticated`, as for a token that expired or was revoked.
    pub fn unauthenticated() -> Fault {
        Fault::Status {
            status: 401,
            body: json!({
                "type": "unauthenticated",
                "message": "The token has expired."
            }),
            retry_after_header: None,
        }
    }

    /// 429 `too_many_requests` with this raw `Retry-After` header, or none,
    /// and no `retry_after` in the body.
    pub fn rate_limited_with_header(retry_after: Option<&str>) -> Fault {
        Fault::Status {
            status: 429,
            body: json!({
                "type": "too_many_requests",
                "message": "Rate limit exceeded."
            }),
            retry_after_header: retry_after.map(str::to_owned),
        }
    }

    /// Handles the request as usual and reports a rate limit window with
    /// `remaining` of `limit` units left, resetting `reset_in` from now.
    pub fn rate_limit_headers(limit: u64, remaining: u64, reset_in: Duration) -> Fault {
        let reset = std::time::SystemTime::now() + reset_in;
        let reset_epoch = reset
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        Fault::Pass {
            headers: vec![
                ("X-RateLimit-Limit".into(), limit.to_string()),
                ("X-RateLimit-Remaining".into(), remaining.to_string()),
                ("X-RateLimit-Reset".into(), reset_epoch.to_string()),
            ],
        }
    }

    /// Handles the request as usual, with nothing added.
    pub fn pass() -> Fault {
        Fault::Pass {
            headers: Vec::new(),
        }
    }

    /// A 200 `application/json` response holding the first half of a page of
    /// accounts, as when a connection ends early on a proxy that already sent
    /// the whole length.
    pub fn truncated_json() -> Fault {
        let page = br#"{"accounts": [{"id": "don:core:dvrv-us-1:devo/demo:account/1", "display_name": "Cut"#;
        Fault::Raw {
            status: 200,
            content_type: "application/json".into(),
            body: page.to_vec(),
        }
    }

    /// An HTML page with the given status, as a web server or a login portal
    /// sends in place of the API.
    pub fn html_page(status: u16) -> Fault {
        Fault::Raw {
            status,
            content_type: "text/html; charset=utf-8".into(),
            body: b"<!doctype html><html><body><h1>Welcome</h1></body></html>".to_vec(),
        }
    }

    /// 503 `service_unavailable`, as during maintenance.
    pub fn service_unavailable() -> Fault {
        Fault::Status {
            status: 503,
            body: json!({
                "type": "service_unavailable",
                "message": "The service is temporarily unavailable. Try again later."
            }),
            retry_after_header: None,
        }
    }
}

/// A running demo server.
///
/// Dropping the handle also stops the server, but without waiting, so call
/// [`DemoServer::shutdown`] when the port must be free afterwards.
pub struct DemoServer {
    addr: SocketAddr,
    state: Arc<SharedState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl DemoServer {
    /// Binds the configured address and starts serving on the current Tokio
    /// runtime. Returns once the socket is listening, so requests sent after
    /// this call are accepted.
    pub async fn start(config: DemoServerConfig) -> Result<DemoServer, DemoServerError> {
        if config.token.is_empty() {
            return Err(DemoServerError::EmptyToken);
        }
        if config.accounts > MAX_DEMO_ACCOUNTS {
            return Err(DemoServerError::TooManyAccounts {
                requested: config.accounts,
            });
        }

        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| DemoServerError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| DemoServerError::LocalAddr {
                addr: config.bind,
                source,
            })?;
        if !addr.ip().is_loopback() {
            tracing::warn!(%addr, "demo server listens beyond loopback; other machines can reach it");
        }

        let state = Arc::new(SharedState::new(config.accounts, config.seed, config.token));
        let app = routes::router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // A dropped sender counts as a stop request too.
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });

        tracing::info!(
            %addr,
            accounts = config.accounts,
            seed = config.seed,
            "demo server listening"
        );
        Ok(DemoServer {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Returns the address the server listens on, with the actual port when port 0
    /// was requested.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the base URL for a client, such as `http://127.0.0.1:43120`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns every request received so far, oldest first. Only the most recent
    /// 10,000 are kept.
    pub fn recorded_requests(&self) -> Vec<RecordedRequest> {
        self.state.recorded_requests()
    }

    /// Queues a fault: the next request that arrives, before the token is
    /// checked, gets it as the response. Faults are used in the order they
    /// were queued, one per request. Look-ups (`dev-users.list`, `tags.list`,
    /// `stages.custom.list`, `schemas.subtypes.list`,
    /// `schemas.aggregated.get`) never take one, so the look-ups the app
    /// makes before an export leave the faults to the export's requests.
    pub fn inject_fault(&self, fault: Fault) {
        self.state.push_fault(fault);
    }

    /// Stops accepting connections, lets open requests finish for up to five
    /// seconds, and returns once the listening socket is closed.
    pub async fn shutdown(mut self) {
        self.state.stopping.cancel();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(mut task) = self.task.take() else {
            return;
        };

        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => tracing::warn!(%error, "demo server stopped with an error"),
            Ok(Err(error)) => tracing::warn!(%error, "demo server task failed"),
            Err(_) => {
                tracing::warn!(
                    grace_seconds = SHUTDOWN_GRACE.as_secs(),
                    "demo server requests still open after the grace period; stopping anyway"
                );
                task.abort();
                let _ = task.await;
            }
        }
        tracing::info!(addr = %self.addr, "demo server stopped");
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.state.stopping.cancel();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl fmt::Debug for DemoServer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("DemoServer")
            .field("addr", &self.addr)
            .field("accounts", &self.state.data.accounts)
            .field("seed", &self.state.data.seed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_binds_loopback_with_free_port() {
        let config = DemoServerConfig::default();

        assert_eq!(config.bind, "127.0.0.1:0".parse().unwrap());
        assert_eq!(config.accounts, 1_000);
        assert_eq!(config.seed, 42);
        assert_eq!(config.token, "demo");
    }

    #[test]
    fn config_debug_hides_token() {
        let config = DemoServerConfig {
            token: "s3cret".into(),
            ..Default::default()
        };

        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn recorded_request_debug_hides_authorization() {
        let request = RecordedRequest {
            method: "POST".into(),
            path: "/accounts.export".into(),
            authorization: Some("Bearer s3cret".into()),
            body: "{}".into(),
        };

        assert!(!format!("{request:?}").contains("s3cret"));
    }

    #[test]
    fn bind_error_names_address_and_fix() {
        let error = DemoServerError::Bind {
            addr: "127.0.0.1:8080".parse().unwrap(),
            source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
        };

        let message = error.to_string();

        assert!(message.contains("127.0.0.1:8080"), "{message}");
        assert!(message.contains("--port"), "{message}");
    }

    #[test]
    fn too_many_requests_fault_sets_header_and_body() {
        let Fault::Status {
            status,
            body,
            retry_after_header,
        } = Fault::too_many_requests(7)
        else {
            panic!("not a status fault");
        };

        assert_eq!(status, 429);
        assert_eq!(body["retry_after"], 7);
        assert_eq!(retry_after_header.as_deref(), Some("7"));
    }

    #[tokio::test]
    async fn too_many_accounts_are_rejected() {
        let config = DemoServerConfig {
            accounts: MAX_DEMO_ACCOUNTS + 1,
            ..Default::default()
        };

        let error = DemoServer::start(config).await.unwrap_err();

        assert!(
            matches!(error, DemoServerError::TooManyAccounts { .. }),
            "{error}"
        );
    }

    #[tokio::test]
    async fn empty_token_is_rejected() {
        let config = DemoServerConfig {
            token: String::new(),
            ..Default::default()
        };

        let error = DemoServer::start(config).await.unwrap_err();

        assert!(matches!(error, DemoServerError::EmptyToken));
    }
}
