//! The HTTP side of the demo server: routing, request recording, injected
//! faults, authentication, error bodies and the one log line per request.
//!
//! Every request passes [`record_and_log`] first, which records it, responds to it
//! with the next injected fault if there is one, and logs the outcome. Only then
//! does routing decide between `POST /accounts.export`, `POST /accounts.list`,
//! `/dev-users.self`, 405 and 404. Handlers draw, filter and serialize accounts in
//! `spawn_blocking`, because that work grows with the page and the data set.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::json::{export_body, list_body};
use super::list::{ListError, ListQuery};
use super::order::DataSet;
use super::query::ExportQuery;
use super::{faults, users, Fault, RecordedRequest};
use crate::devrev::request::{AccountsExportRequest, AccountsListRequest, RequestParseError};

mod lookups;

/// Largest request body the server reads. Request bodies are a few hundred
/// bytes, so anything near this is a client bug.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Number of most recent requests kept for [`SharedState::recorded_requests`],
/// so a long-running server does not grow without bound.
const MAX_RECORDED_REQUESTS: usize = 1_000;

/// Maximum body text kept per recorded request. With [`MAX_RECORDED_REQUESTS`]
/// this bounds the record at about 64 MB, whatever clients send.
const MAX_RECORDED_BODY_BYTES: usize = 64 * 1024;

/// State shared by the request handlers and the [`super::DemoServer`] handle.
pub(super) struct SharedState {
    pub data: DataSet,
    token: String,
    requests: Mutex<VecDeque<RecordedRequest>>,
    faults: Mutex<VecDeque<Fault>>,
    /// Cancelled when the server shuts down, which ends stalled responses.
    pub stopping: tokio_util::sync::CancellationToken,
}

/// Number of accounts in a response, passed from the handler to the log line
/// through the response extensions.
#[derive(Debug, Clone, Copy)]
struct AccountCount(usize);

/// Paths that injected faults skip: the look-ups of the filter form and of
/// the column headers.
const FAULT_FREE_PATHS: [&str; 5] = [
    "/dev-users.list",
    "/tags.list",
    "/stages.custom.list",
    "/schemas.subtypes.list",
    "/schemas.aggregated.get",
];

impl SharedState {
    pub(super) fn new(accounts: usize, seed: u64, token: String) -> Self {
        SharedState {
            data: DataSet::new(seed, accounts),
            token,
            requests: Mutex::new(VecDeque::new()),
            faults: Mutex::new(VecDeque::new()),
            stopping: tokio_util::sync::CancellationToken::new(),
        }
    }

    pub(super) fn recorded_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).iter().cloned().collect()
    }

    pub(super) fn push_fault(&self, fault: Fault) {
        lock(&self.faults).push_back(fault);
    }

    fn record(&self, request: RecordedRequest) {
        let mut requests = lock(&self.requests);
        if requests.len() == MAX_RECORDED_REQUESTS {
            requests.pop_front();
        }
        requests.push_back(request);
    }

    fn next_fault(&self) -> Option<Fault> {
        lock(&self.faults).pop_front()
    }

    /// True when the header is exactly `Bearer <token>`.
    pub(super) fn is_authorized(&self, headers: &HeaderMap) -> bool {
        headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                // The scheme name is case-insensitive (RFC 9110, section 11.1).
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .is_some_and(|token| token == self.token)
    }
}

/// Locks a mutex, recovering the data if a handler panicked while holding it:
/// the lists stay consistent because every update is a single push or pop.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Builds the router with all state attached.
pub(super) fn router(state: Arc<SharedState>) -> Router {
    Router::new()
        .route(
            "/accounts.export",
            post(export_accounts).fallback(method_not_allowed),
        )
        .route(
            "/accounts.list",
            post(list_accounts).fallback(method_not_allowed),
        )
        .route(
            "/dev-users.self",
            get(users::current_user)
                .post(users::current_user)
                .fallback(method_not_allowed),
        )
        .route(
            "/dev-users.list",
            post(lookups::list_dev_users).fallback(method_not_allowed),
        )
        .route(
            "/tags.list",
            post(lookups::list_tags).fallback(method_not_allowed),
        )
        .route(
            "/stages.custom.list",
            post(lookups::list_custom_stages).fallback(method_not_allowed),
        )
        .route(
            "/schemas.subtypes.list",
            post(lookups::list_subtypes).fallback(method_not_allowed),
        )
        .route(
            "/schemas.aggregated.get",
            post(lookups::get_aggregated_schema).fallback(method_not_allowed),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_and_log,
        ))
        .with_state(state)
}

/// Records the request, responds with an injected fault if one is queued,
/// and logs method, path, status, elapsed time and account count. The
/// `Authorization` header is recorded for tests but never logged.
async fn record_and_log(
    State(state): State<Arc<SharedState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await;

    state.record(RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        authorization: parts
            .headers
            .get(AUTHORIZATION)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
        body: body
            .as_ref()
            .map(|bytes| {
                let kept = &bytes[..bytes.len().min(MAX_RECORDED_BODY_BYTES)];
                String::from_utf8_lossy(kept).into_owned()
            })
            .unwrap_or_default(),
    });

    // Look-ups the app makes on its own before an export, such as the
    // schema for column names, would otherwise take faults queued for the
    // export's requests.
    let fault = if FAULT_FREE_PATHS.contains(&path.as_str()) {
        None
    } else {
        state.next_fault()
    };
    let response = match (fault, body) {
        (Some(Fault::Pass { headers }), Ok(bytes)) => {
            let mut response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            faults::add_headers(&mut response, &headers);
            response
        }
        (None, Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        (Some(Fault::Pass { .. }) | None, Err(error)) => {
            tracing::warn!(%error, path = %path, "demo server: could not read a request body");
            ApiError::unreadable_body(&error).into_response()
        }
        (Some(fault), _) => faults::respond(fault, &state.stopping).await,
    };

    let accounts = response
        .extensions()
        .get::<AccountCount>()
        .map_or(0, |count| count.0);
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        accounts,
        "demo server request"
    );
    response
}

/// `POST /accounts.export`: checks the token, decodes and checks the body as
/// the API does, then returns the first matching accounts.
async fn export_accounts(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !state.is_authorized(&headers) {
        return Err(ApiError::unauthenticated());
    }

    let value = parse_json(&body)?;
    let request = AccountsExportRequest::parse_value(value).map_err(ApiError::from_parse_error)?;
    let query =
        ExportQuery::new(request).map_err(|error| ApiError::bad_request(error.to_string()))?;

    let (count, body) = run_blocking(move || {
        let accounts = query.run(&state.data);
        Ok((accounts.len(), export_body(&accounts)))
    })
    .await?;
    Ok(json_response(count, body))
}

/// `POST /accounts.list`: checks the token, decodes and checks the body as
/// the API does, then returns one page with its cursors.
async fn list_accounts(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !state.is_authorized(&headers) {
        return Err(ApiError::unauthenticated());
    }

    let value = parse_json(&body)?;
    let request = AccountsListRequest::parse_value(value).map_err(ApiError::from_parse_error)?;

    let (count, body) = run_blocking(move || {
        let page = ListQuery::new(request, &state.data)
            .and_then(|query| query.run(&state.data))
            .map_err(|error: ListError| ApiError::bad_request(error.to_string()))?;
        let body = list_body(
            &page.accounts,
            page.next_cursor.as_deref(),
            page.prev_cursor.as_deref(),
        );
        Ok((page.accounts.len(), body))
    })
    .await?;
    Ok(json_response(count, body))
}

pub(super) fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|error| ApiError::parse_error(&error))
}

/// Runs the CPU work of a request on Tokio's blocking pool, so that a large
/// page or building a sorted order does not stall other requests.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "demo server: generating accounts failed");
            Err(ApiError::internal())
        })
}

/// Builds a 200 response with a JSON body, carrying the account count for the
/// log line.
fn json_response(accounts: usize, body: Vec<u8>) -> Response {
    let mut response = (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response();
    response.extensions_mut().insert(AccountCount(accounts));
    response
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    let path = uri.path();
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        error_type: "method_not_allowed",
        message: format!(
            "`{path}` does not accept {method}. Send a POST request with a JSON body."
        ),
    }
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    let path = uri.path();
    ApiError {
        status: StatusCode::NOT_FOUND,
        error_type: "not_found",
        message: format!(
            "{method} {path} is not an endpoint of the demo server. It serves POST /accounts.export, POST /accounts.list, /dev-users.self and the look-ups POST /dev-users.list, /tags.list, /stages.custom.list, /schemas.subtypes.list and /schemas.aggregated.get."
        ),
    }
}

/// An error response in the API's shape: `{"type": ..., "message": ...}`.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    /// The API's error type, such as `bad_request` or `unauthenticated`.
    error_type: &'static str,
    message: String,
}

impl ApiError {
    pub(super) fn unauthenticated() -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            error_type: "unauthenticated",
            message: "Missing or invalid token. Send the header `Authorization: Bearer <token>` \
                      with the token the demo server was started with."
                .into(),
        }
    }

    pub(super) fn parse_error(error: &serde_json::Error) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error_type: "parse_error",
            message: format!("The request body is not valid JSON: {error}."),
        }
    }

    pub(super) fn bad_request(message: String) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error_type: "bad_request",
            message,
        }
    }

    /// Turns a decoding error of the body into a `bad_request` naming the field.
    fn from_parse_error(error: RequestParseError) -> Self {
        let message = match error {
            RequestParseError::NotAnObject => {
                "The request body must be a JSON object, such as {\"first\": 10}.".to_owned()
            }
            other => other.to_string(),
        };
        Self::bad_request(message)
    }

    fn unreadable_body(error: &axum::Error) -> Self {
        Self::bad_request(format!(
            "The request body could not be read (it may be larger than {MAX_BODY_BYTES} bytes): {error}."
        ))
    }

    fn internal() -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error_type: "internal_error",
            message: "The demo server failed while generating accounts. See its log.".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "type": self.error_type, "message": self.message }));
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}
