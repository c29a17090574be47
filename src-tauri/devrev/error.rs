//! Errors from calling the DevRev API, decoded from the API's error bodies.
//!
//! Every failure names the endpoint and, where the server sent one, the API's
//! error `type`, `message` and extra fields such as `reference_id`. The
//! `Display` text is written for the person using the app and ends with what to
//! do next. The token never appears in any of them.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

/// Error body as the DevRev API sends it with a 4xx or 5xx status.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    /// Machine-readable error type, such as `bad_request` or `unauthenticated`.
    #[serde(rename = "type")]
    pub error_type: Option<String>,
    pub message: Option<String>,
    pub detail: Option<String>,
    /// Seconds to wait, sent with 429. A negative or non-numeric value reads
    /// as absent instead of making the whole body unreadable.
    #[serde(deserialize_with = "lenient_seconds")]
    pub retry_after: Option<u64>,
    /// ID to quote to DevRev support, sent with 500.
    pub reference_id: Option<String>,
    /// Field that a 400 is about, when the server names one.
    pub field_name: Option<String>,
    /// Any other fields of the error body.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorBody {
    /// Returns the body with every occurrence of `secret` in its texts
    /// replaced by `<token>`, and the texts that messages show made safe to
    /// show (see [`shown_text`]).
    pub fn redacted(mut self, secret: &str) -> Self {
        let clean = |text: &mut Option<String>| {
            if let Some(text) = text {
                *text = shown_text(&text.replace(secret, "<token>"));
            }
        };
        clean(&mut self.error_type);
        clean(&mut self.message);
        clean(&mut self.detail);
        clean(&mut self.reference_id);
        clean(&mut self.field_name);
        for value in self.extra.values_mut() {
            redact_value(value, secret);
        }
        self
    }

    /// Returns the server's own explanation: message and detail, when present.
    pub fn explanation(&self) -> Option<String> {
        let parts: Vec<&str> = [self.message.as_deref(), self.detail.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// Failure of a call to the DevRev API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("DevRev rejected the request to {endpoint} as invalid{}. Check the filters and try again.", explained(.body))]
    BadRequest { endpoint: String, body: ErrorBody },

    #[error("DevRev did not accept the API token{}. The token may be mistyped, expired or revoked: create a new personal access token in DevRev (Settings → Account → Personal access tokens) and use that one.", explained(.body))]
    Unauthorized { endpoint: String, body: ErrorBody },

    #[error("The API token is valid but may not read accounts{}. Ask a DevRev administrator for access to accounts, or use a token of a user who has it.", explained(.body))]
    Forbidden { endpoint: String, body: ErrorBody },

    #[error("DevRev is limiting how fast this token may send requests{}. Wait {} and try again.", explained(.body), wait_text(*.retry_after))]
    RateLimited {
        endpoint: String,
        body: ErrorBody,
        /// From the `Retry-After` header, else the body's `retry_after`.
        retry_after: Option<Duration>,
    },

    #[error("DevRev had an internal error while processing {endpoint}{}. Try again in a few minutes; if it keeps failing, contact DevRev support{}.", explained(.body), reference_text(.body))]
    ServerError {
        endpoint: String,
        status: u16,
        body: ErrorBody,
    },

    #[error("DevRev is temporarily unavailable{}. Try again in a few minutes.", explained(.body))]
    Unavailable { endpoint: String, body: ErrorBody },

    #[error("The server at {base_url} responded to {endpoint} with HTTP {status}, which the DevRev API does not send. Check the server address (Settings in the app, --base-url on the command line; the default is https://api.devrev.ai).")]
    UnexpectedStatus {
        base_url: String,
        endpoint: String,
        status: u16,
    },

    #[error("The server at {base_url} is not the DevRev API: it answered {endpoint} with {reply}. Check the server address (Settings in the app, --base-url on the command line; the default is https://api.devrev.ai).")]
    WrongServer {
        base_url: String,
        endpoint: String,
        /// Reply received instead of the API's JSON, such as `HTTP 404 and an HTML page`.
        reply: String,
    },

    #[error("Could not reach {base_url}: {reason}. Check the network connection and the server address (Settings in the app, --base-url on the command line).")]
    Connection {
        base_url: String,
        endpoint: String,
        reason: String,
    },

    #[error("Could not reach {base_url} because this computer has no working network connection ({reason}). Connect to a network, sign in to its web page if it is hotel or guest Wi-Fi, and try again.")]
    NoNetwork {
        base_url: String,
        endpoint: String,
        reason: String,
    },

    #[error("The connection to {base_url} broke while the response to {endpoint} was being read ({reason}). Check the network connection and try again.")]
    ConnectionLost {
        base_url: String,
        endpoint: String,
        reason: String,
    },

    #[error("The secure connection to {base_url} failed: {reason}. If your organization inspects HTTPS traffic, ask IT to install its root certificate in this computer's certificate store, which the app trusts; otherwise check the server address.")]
    Certificate {
        base_url: String,
        endpoint: String,
        reason: String,
    },

    #[error("The proxy {proxy} failed to forward the request to {base_url}: {reason}. Check the proxy address (Settings in the app, --proxy on the command line, or the HTTPS_PROXY environment variable), or ask IT which proxy to use.")]
    Proxy {
        /// Proxy address, without any user name or password.
        proxy: String,
        base_url: String,
        endpoint: String,
        reason: String,
    },

    #[error("The server at {base_url} sent a response to {endpoint} larger than {limit_mib} MiB, far more than the DevRev API sends, so it was not read. Check the server address (Settings in the app, --base-url on the command line).")]
    TooLarge {
        base_url: String,
        endpoint: String,
        limit_mib: usize,
    },

    #[error("{endpoint} timed out: {}. Check the network connection and try again.", .phase.describe(*.after))]
    Timeout {
        endpoint: String,
        phase: TimeoutPhase,
        /// The limit that ran out.
        after: Duration,
    },

    #[error("The response from {endpoint} was cut off or damaged ({reason}). Try again; if it keeps happening, check the network connection or the proxy.")]
    InvalidJson { endpoint: String, reason: String },

    #[error("The response from {endpoint} could not be read at `{path}`: {message}. Check that the server address (Settings in the app, --base-url on the command line) points to the DevRev API.")]
    Decode {
        endpoint: String,
        /// JSON path of the value that failed to decode, such as `accounts[3].created_date`.
        path: String,
        message: String,
    },

    #[error("The app could not prepare its network connection: {reason}. Restart the app; if it keeps failing, check the proxy setting.")]
    Setup { reason: String },
}

/// The stage of a request whose time limit ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Opening the connection, TLS handshake included.
    Connect,
    /// Waiting for the next byte of the response.
    Read,
    /// Receiving the whole response, which a server trickling bytes never finishes.
    Response,
}

impl TimeoutPhase {
    /// Describes what ran out, for the error message.
    fn describe(self, after: Duration) -> String {
        let seconds = after.as_secs_f64();
        match self {
            TimeoutPhase::Connect => {
                format!("no connection to the server within {seconds} seconds")
            }
            TimeoutPhase::Read => format!("the server sent nothing for {seconds} seconds"),
            TimeoutPhase::Response => format!(
                "the response was still incomplete after {seconds} seconds, so the server or the network is sending far too slowly"
            ),
        }
    }
}

impl ApiError {
    /// Returns the HTTP status of the response, if the server sent one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::BadRequest { .. } => Some(400),
            ApiError::Unauthorized { .. } => Some(401),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::RateLimited { .. } => Some(429),
            ApiError::ServerError { status, .. } | ApiError::UnexpectedStatus { status, .. } => {
                Some(*status)
            }
            ApiError::Unavailable { .. } => Some(503),
            _ => None,
        }
    }

    /// Returns the error body the server sent, if it sent one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            ApiError::BadRequest { body, .. }
            | ApiError::Unauthorized { body, .. }
            | ApiError::Forbidden { body, .. }
            | ApiError::RateLimited { body, .. }
            | ApiError::ServerError { body, .. }
            | ApiError::Unavailable { body, .. } => Some(body),
            _ => None,
        }
    }

    /// True when the same request may succeed if sent again after a wait:
    /// rate limits, HTTP 500, 502, 503 and 504, a lost or absent network,
    /// timeouts, and a response cut off mid-JSON. A rejected token, an invalid
    /// request, a certificate or proxy problem and a wrong server address are
    /// not, because sending again changes nothing.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::RateLimited { .. }
            | ApiError::Unavailable { .. }
            | ApiError::NoNetwork { .. }
            | ApiError::ConnectionLost { .. }
            | ApiError::Timeout { .. }
            | ApiError::InvalidJson { .. } => true,
            ApiError::ServerError { status, .. } => matches!(status, 500 | 502 | 504),
            _ => false,
        }
    }
}

fn lenient_seconds<'de, D>(deserializer: D) -> Result<Option<u64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value = Value::deserialize(deserializer)?;
    Ok(value.as_u64())
}

/// Most characters of one server text that a message shows.
const MAX_SHOWN_CHARS: usize = 500;

/// Returns server text fit for a terminal, a log line or the window. Control
/// characters (escape sequences and line breaks among them) and marks that
/// reverse the text direction become spaces. Text past [`MAX_SHOWN_CHARS`]
/// is cut and ends with `…`.
fn shown_text(text: &str) -> String {
    let is_direction_mark = |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    let mut shown: String = text
        .chars()
        .take(MAX_SHOWN_CHARS + 1)
        .map(|c| {
            if c.is_control() || is_direction_mark(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    if shown.chars().count() > MAX_SHOWN_CHARS {
        shown = shown.chars().take(MAX_SHOWN_CHARS).collect();
        shown.push('…');
    }
    shown
}

fn redact_value(value: &mut Value, secret: &str) {
    match value {
        Value::String(text) => *text = text.replace(secret, "<token>"),
        Value::Array(items) => items.iter_mut().for_each(|item| redact_value(item, secret)),
        Value::Object(map) => map.values_mut().for_each(|item| redact_value(item, secret)),
        _ => {}
    }
}

fn explained(body: &ErrorBody) -> String {
    match body.explanation() {
        Some(text) => format!(" (\"{}\")", text.trim_end_matches('.')),
        None => String::new(),
    }
}

fn wait_text(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) if wait.as_secs() > 3_600 => "an hour or more".into(),
        Some(wait) if wait.as_secs() == 1 => "1 second".into(),
        Some(wait) => format!("{} seconds", wait.as_secs()),
        None => "a minute".into(),
    }
}

fn reference_text(body: &ErrorBody) -> String {
    match &body.reference_id {
        Some(id) => format!(" and quote the reference ID {id}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> ErrorBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn server_text_is_made_safe() {
        let long = "x".repeat(2_000);
        let sent = ErrorBody {
            message: Some("red \u{1b}[31mtext\nforged line \u{202E}reversed".into()),
            detail: Some(long),
            ..ErrorBody::default()
        };

        let shown = sent.redacted("secret");

        let message = shown.message.unwrap();
        let detail = shown.detail.unwrap();
        assert_eq!(message, "red  [31mtext forged line  reversed");
        assert_eq!(detail.chars().count(), MAX_SHOWN_CHARS + 1);
        assert!(detail.ends_with('…'));
    }

    #[test]
    fn bad_request_quotes_server_message() {
        let error = ApiError::BadRequest {
            endpoint: "accounts.export".into(),
            body: body(r#"{"type":"bad_request","message":"first must be at most 500"}"#),
        };

        assert_eq!(
            error.to_string(),
            "DevRev rejected the request to accounts.export as invalid (\"first must be at most 500\"). Check the filters and try again."
        );
    }

    #[test]
    fn rate_limited_names_wait() {
        let error = ApiError::RateLimited {
            endpoint: "accounts.export".into(),
            body: ErrorBody::default(),
            retry_after: Some(Duration::from_secs(30)),
        };

        assert_eq!(
            error.to_string(),
            "DevRev is limiting how fast this token may send requests. Wait 30 seconds and try again."
        );
    }

    #[test]
    fn server_error_quotes_reference_id() {
        let error = ApiError::ServerError {
            endpoint: "accounts.export".into(),
            status: 500,
            body: body(r#"{"type":"internal_error","reference_id":"ref-123"}"#),
        };

        assert!(error
            .to_string()
            .ends_with("contact DevRev support and quote the reference ID ref-123."));
    }

    #[test]
    fn error_body_keeps_extra_fields() {
        let parsed = body(r#"{"type":"bad_request","allowed_values":["a","b"]}"#);

        assert_eq!(parsed.error_type.as_deref(), Some("bad_request"));
        assert!(parsed.extra.contains_key("allowed_values"));
    }

    #[test]
    fn invalid_retry_after_keeps_rest_of_body() {
        let parsed =
            body(r#"{"type":"too_many_requests","message":"Slow down.","retry_after":-5}"#);

        assert_eq!(parsed.retry_after, None);
        assert_eq!(parsed.message.as_deref(), Some("Slow down."));
    }

    #[test]
    fn transient_errors_are_the_retryable_ones() {
        let server_error = |status| ApiError::ServerError {
            endpoint: "accounts.list".into(),
            status,
            body: ErrorBody::default(),
        };
        let wrong_server = ApiError::WrongServer {
            base_url: "https://example.test".into(),
            endpoint: "accounts.list".into(),
            reply: "HTTP 404 and an HTML page".into(),
        };

        assert!(server_error(500).is_transient());
        assert!(server_error(502).is_transient());
        assert!(!server_error(501).is_transient());
        assert!(!wrong_server.is_transient());
    }

    #[test]
    fn timeout_names_phase_and_limit() {
        let error = ApiError::Timeout {
            endpoint: "accounts.list".into(),
            phase: TimeoutPhase::Connect,
            after: Duration::from_secs(10),
        };

        assert_eq!(
            error.to_string(),
            "accounts.list timed out: no connection to the server within 10 seconds. Check the network connection and try again."
        );
    }
}
