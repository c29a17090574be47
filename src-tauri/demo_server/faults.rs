//! Responses for injected faults, including the ones a working server never
//! sends on its own: a body that breaks off, a request left unanswered, and
//! bytes that arrive a few at a time.
//!
//! [`super::routes`] takes the next fault from the queue and hands it here,
//! except [`Fault::Pass`], which it handles as usual and passes to
//! [`add_headers`].

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::Fault;

/// Builds the response for an injected fault. A status outside 100..=999 is
/// sent as 500, and a header value that is not valid is left out. Both cases
/// are logged. A stall returns once its time is up or `stopping` fires.
pub(super) async fn respond(fault: Fault, stopping: &CancellationToken) -> Response {
    match fault {
        Fault::Status {
            status,
            body,
            retry_after_header,
        } => {
            let mut response = (status_code(status), Json(body)).into_response();
            if let Some(value) = retry_after_header {
                insert_header(&mut response, RETRY_AFTER, &value);
            }
            response
        }
        Fault::Pass { .. } => {
            // The router handles this fault itself; reaching here is a bug in it.
            tracing::error!("demo server: a pass-through fault reached the fault responder");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Fault::Raw {
            status,
            content_type,
            body,
        } => {
            let mut response = (status_code(status), body).into_response();
            insert_header(&mut response, CONTENT_TYPE, &content_type);
            response
        }
        Fault::ResetMidBody { body, sent } => reset_mid_body(body, sent),
        Fault::Stall { duration } => {
            tokio::select! {
                () = tokio::time::sleep(duration) => {}
                () = stopping.cancelled() => {}
            }
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"type": "service_unavailable", "message": "The server stalled on purpose."})),
            )
                .into_response()
        }
        Fault::Trickle {
            body,
            chunk_bytes,
            interval,
        } => trickle(body, chunk_bytes, interval, stopping.clone()),
    }
}

/// Adds the headers of a [`Fault::Pass`] to a response made as usual.
pub(super) fn add_headers(response: &mut Response, headers: &[(String, String)]) {
    for (name, value) in headers {
        match HeaderName::from_bytes(name.as_bytes()) {
            Ok(name) => insert_header(response, name, value),
            Err(_) => tracing::warn!(
                header = %name,
                "demo server: injected header name is invalid; leaving it out"
            ),
        }
    }
}

/// Announces the whole body in `Content-Length`, sends `sent` bytes of it and
/// then fails the body stream, which makes the server drop the connection.
fn reset_mid_body(body: Vec<u8>, sent: usize) -> Response {
    let length = body.len();
    let first = Bytes::from(body).slice(..sent.min(length));
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(first),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "the demo server breaks this response on purpose",
        )),
    ];
    let mut response = Body::from_stream(stream::iter(chunks)).into_response();
    insert_header(&mut response, CONTENT_TYPE, "application/json");
    insert_header(&mut response, CONTENT_LENGTH, &length.to_string());
    response
}

/// Sends `body` in pieces of `chunk_bytes` (at least 1), one every
/// `interval`, and stops early when the server shuts down.
fn trickle(
    body: Vec<u8>,
    chunk_bytes: usize,
    interval: Duration,
    stopping: CancellationToken,
) -> Response {
    let length = body.len();
    let body = Bytes::from(body);
    let chunk_bytes = chunk_bytes.max(1);
    let pieces = stream::unfold(0usize, move |offset| {
        let body = body.clone();
        let stopping = stopping.clone();
        async move {
            if offset >= body.len() {
                return None;
            }
            // The first piece goes at once, so the client sees headers and data.
            if offset > 0 {
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = stopping.cancelled() => return None,
                }
            }
            let end = (offset + chunk_bytes).min(body.len());
            Some((Ok::<Bytes, std::io::Error>(body.slice(offset..end)), end))
        }
    });
    let mut response = Body::from_stream(pieces).into_response();
    insert_header(&mut response, CONTENT_TYPE, "application/json");
    insert_header(&mut response, CONTENT_LENGTH, &length.to_string());
    response
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or_else(|_| {
        tracing::warn!(
            status,
            "demo server: injected fault has an invalid status; sending 500"
        );
        StatusCode::INTERNAL_SERVER_ERROR
    })
}

fn insert_header(response: &mut Response, name: HeaderName, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(value) => {
            response.headers_mut().insert(name, value);
        }
        Err(_) => tracing::warn!(
            header = %name,
            value,
            "demo server: injected header value is invalid; leaving it out"
        ),
    }
}
