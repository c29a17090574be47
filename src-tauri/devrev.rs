//! DevRev REST client: `accounts.export`, `accounts.list` and
//! `dev-users.self` with typed requests, responses and errors.
//!
//! The base URL and the token are injected, so the same client talks to DevRev,
//! to a DevRev-compatible server, or to the project's demo server. All calls go
//! through one private send path. It paces requests by the rate limit headers,
//! applies the time limits and sends a request again after a transient failure
//! as [`RetryPolicy`] allows. It announces each wait as a [`RetryNotice`], logs
//! every attempt, and turns non-2xx responses into [`ApiError`]s decoded from
//! the API's error body.

pub mod error;
pub mod lookups;
pub mod models;
pub mod network;
pub mod paging;
mod rate_limit;
pub mod request;
pub mod retry;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

pub use error::{ApiError, ErrorBody, TimeoutPhase};
pub use lookups::{CustomStage, LookupError, SchemaField, Subtype, Tag};
pub use models::{
    Account, AccountsExportResponse, AccountsListResponse, DevUser, DevUsersSelfResponse,
};
pub use network::{
    proxy_for, ProxyInUse, ProxyMode, ProxySource, ProxyUrl, ProxyUrlError, Timeouts,
};
pub use request::{
    AccountFilters, AccountsExportRequest, AccountsListRequest, DateTimeFilter, FieldError,
    ListMode,
};
pub use retry::{RetryNotice, RetryObserver, RetryPolicy, WaitReason};

use crate::token::Token;
use network::{classify, root_cause, TransportFailure};
use rate_limit::RateLimitTracker;

/// Address of DevRev's public API.
pub const DEFAULT_BASE_URL: &str = "https://api.devrev.ai";

/// Largest response body read. A page of 500 accounts is a few megabytes.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// A validated API base URL: `http` or `https`, with a host, and without
/// credentials, query or fragment. Endpoint names are appended to its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

/// Reason a base URL was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("`{value}` is not a web address. Enter an address such as {DEFAULT_BASE_URL}.")]
    Malformed { value: String },
    #[error("`{value}` must start with https:// (or http:// for a server on this computer), as in {DEFAULT_BASE_URL}.")]
    Scheme { value: String },
    #[error("`{value}` uses plain http://, which would send the API token unencrypted. Use https://, as in {DEFAULT_BASE_URL}; http:// is allowed only for a server on this computer (localhost or 127.0.0.1).")]
    PlainHttp { value: String },
    #[error("`{value}` must not contain a user name, password, `?` query or `#` fragment. Enter only the server address, as in {DEFAULT_BASE_URL}.")]
    ExtraParts { value: String },
}

impl BaseUrl {
    /// Parses and checks a base URL typed by a person. Surrounding spaces and
    /// trailing slashes are ignored.
    pub fn parse(text: &str) -> Result<Self, BaseUrlError> {
        let value = text.trim();
        let url = Url::parse(value).map_err(|_| BaseUrlError::Malformed {
            value: value.to_owned(),
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(BaseUrlError::Scheme {
                value: value.to_owned(),
            });
        }
        let has_extra_parts = !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some();
        if has_extra_parts {
            // The message quotes the address, so a password in it is masked.
            let mut shown = url.clone();
            if shown.password().is_some() {
                let _ = shown.set_password(Some("****"));
            }
            return Err(BaseUrlError::ExtraParts {
                value: shown.to_string(),
            });
        }
        // Plain HTTP would send the token unencrypted, which is acceptable only
        // when it never leaves this computer.
        if url.scheme() == "http" && !is_loopback(&url) {
            return Err(BaseUrlError::PlainHttp {
                value: value.to_owned(),
            });
        }
        Ok(BaseUrl(url))
    }

    /// Returns the URL of an endpoint such as `accounts.export`.
    pub fn endpoint(&self, name: &str) -> Url {
        let mut url = self.0.clone();
        let path = format!("{}/{name}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }

    /// Returns the URL as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

impl Default for BaseUrl {
    fn default() -> Self {
        BaseUrl::parse(DEFAULT_BASE_URL).expect("the default base URL is valid")
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Network settings of a client beyond its base URL and token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientOptions {
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    pub proxy: ProxyMode,
}

/// Client for one DevRev organization, identified by base URL and token.
#[derive(Clone)]
pub struct DevRevClient {
    http: reqwest::Client,
    base_url: BaseUrl,
    token: Token,
    timeouts: Timeouts,
    retry: RetryPolicy,
    /// The proxy requests go through, if any, to name it in errors.
    proxy: Option<ProxyInUse>,
    /// Shared by clones, so that every request counts against one window.
    rate_limit: Arc<RateLimitTracker>,
    observer: Option<RetryObserver>,
    /// Name and email of the token's user, when the caller knows them.
    user_label: Option<String>,
    /// Whether exports ask who the token belongs to when `user_label` is unset.
    look_up_user: bool,
}

impl std::fmt::Debug for DevRevClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevRevClient")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

impl DevRevClient {
    /// Creates a client that sends each request once, with the default time
    /// limits and the environment's or the system's proxy. The app and the
    /// command line use [`Self::with_options`] to retry.
    pub fn new(base_url: BaseUrl, token: Token) -> Self {
        let options = ClientOptions {
            retry: RetryPolicy::none(),
            ..ClientOptions::default()
        };
        Self::with_options(base_url, token, options)
            .expect("a client without a proxy of its own always builds")
    }

    /// Creates a client with the given time limits, retry policy and proxy.
    /// Fails only when the HTTP client cannot be set up, such as with a
    /// proxy address that reqwest rejects.
    // ApiError is large because of the error body, but it is built once per
    // failed request, next to a network round trip.
    #[allow(clippy::result_large_err)]
    pub fn with_options(
        base_url: BaseUrl,
        token: Token,
        options: ClientOptions,
    ) -> Result<Self, ApiError> {
        let mut options = options;
        options.proxy = proxy_mode_for(&base_url, options.proxy);
        let mut builder = reqwest::Client::builder()
            // DevRev's API does not redirect. Following a redirect could carry
            // the request to another host, so it is reported as a failure.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.timeouts.connect)
            .read_timeout(options.timeouts.read)
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ));
        builder = match &options.proxy {
            ProxyMode::System => builder,
            ProxyMode::Manual(proxy) => builder.proxy(network::reqwest_proxy(proxy)?),
            ProxyMode::Direct => builder.no_proxy(),
        };
        let http = builder.build().map_err(|error| ApiError::Setup {
            reason: root_cause(&error),
        })?;

        let proxy = proxy_for(&base_url, &options.proxy);
        if let Some(proxy) = &proxy {
            tracing::info!(proxy = %proxy.address, source = ?proxy.source, base_url = %base_url, "requests go through a proxy");
        }
        Ok(DevRevClient {
            http,
            base_url,
            token,
            timeouts: options.timeouts,
            retry: options.retry,
            proxy,
            rate_limit: Arc::default(),
            observer: None,
            user_label: None,
            look_up_user: false,
        })
    }

    /// Returns the client with another retry policy, sharing everything else.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Records who the token belongs to, as `Full Name <email>`, so that
    /// exports can name who made them without another request.
    pub fn with_user_label(mut self, label: Option<String>) -> Self {
        self.user_label = label;
        self
    }

    /// Returns the token the client sends.
    pub(crate) fn token(&self) -> &Token {
        &self.token
    }

    /// Makes exports ask `dev-users.self` who the token belongs to, once
    /// their pages are read, when [`Self::with_user_label`] set no name.
    pub fn with_user_lookup(mut self) -> Self {
        self.look_up_user = true;
        self
    }

    /// Returns whether exports ask who the token belongs to.
    pub fn looks_up_user(&self) -> bool {
        self.look_up_user
    }

    /// Returns who the token belongs to, when [`Self::with_user_label`] set it.
    pub fn user_label(&self) -> Option<&str> {
        self.user_label.as_deref()
    }

    /// Sets the callback that receives a [`RetryNotice`] before every wait:
    /// after a failed attempt that will be retried, and when requests slow
    /// down near the rate limit.
    pub fn on_retry(mut self, observer: impl Fn(&RetryNotice) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Returns the base URL the client sends requests to.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// Returns the proxy that requests go through, if any.
    pub fn proxy(&self) -> Option<&ProxyInUse> {
        self.proxy.as_ref()
    }

    /// Calls `accounts.export` and returns the accounts in the order received.
    pub async fn export_accounts(
        &self,
        request: &AccountsExportRequest,
    ) -> Result<Vec<Account>, ApiError> {
        let response: AccountsExportResponse = self.post("accounts.export", request).await?;
        Ok(response.accounts)
    }

    /// Calls `accounts.list` for one page of accounts.
    pub async fn list_accounts(
        &self,
        request: &AccountsListRequest,
    ) -> Result<AccountsListResponse, ApiError> {
        self.post("accounts.list", request).await
    }

    /// Calls `dev-users.self` and returns the user the token belongs to.
    pub async fn current_user(&self) -> Result<DevUser, ApiError> {
        let response: DevUsersSelfResponse =
            self.post("dev-users.self", &serde_json::Map::new()).await?;
        Ok(response.dev_user)
    }

    /// Sends one POST with a JSON body and decodes a 2xx response as `T`,
    /// retrying transient failures as the policy allows.
    async fn post<B, T>(&self, endpoint: &str, body: &B) -> Result<T, ApiError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let body = serde_json::to_vec(body).expect("request bodies always serialize");
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            self.pace(endpoint).await;

            let attempt_started = Instant::now();
            let result = self.attempt(endpoint, &body).await;
            let elapsed_ms = attempt_started.elapsed().as_millis() as u64;
            let total_ms = started.elapsed().as_millis() as u64;
            let error = match result {
                Ok(value) => {
                    tracing::info!(
                        method = "POST",
                        endpoint,
                        status = 200,
                        attempt,
                        elapsed_ms,
                        total_ms,
                        "API call succeeded"
                    );
                    return Ok(value);
                }
                Err(error) => error,
            };

            let Some(wait) = self.retry.delay_after(&error, attempt) else {
                tracing::warn!(
                    method = "POST",
                    endpoint,
                    status = error.status(),
                    attempt,
                    elapsed_ms,
                    total_ms,
                    transient = error.is_transient(),
                    error = %error,
                    "API call failed"
                );
                return Err(error);
            };
            tracing::warn!(
                method = "POST",
                endpoint,
                status = error.status(),
                attempt,
                max_attempts = self.retry.max_attempts,
                elapsed_ms,
                wait_ms = wait.as_millis() as u64,
                error = %error,
                "API call failed; retrying after a wait"
            );
            attempt += 1;
            self.announce(RetryNotice::after_failure(
                endpoint,
                &error,
                wait,
                attempt,
                self.retry.max_attempts,
            ));
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits before a request when few rate limit units are left.
    async fn pace(&self, endpoint: &str) {
        let Some((wait, remaining)) = self.rate_limit.pace(self.retry.pacing_threshold) else {
            return;
        };
        tracing::info!(
            endpoint,
            remaining,
            wait_ms = wait.as_millis() as u64,
            "slowing down near the rate limit"
        );
        self.announce(RetryNotice::pacing(endpoint, wait, remaining));
        tokio::time::sleep(wait).await;
    }

    fn announce(&self, notice: RetryNotice) {
        if let Some(observer) = &self.observer {
            observer(&notice);
        }
    }

    /// Sends the request once and reads and decodes the response, within
    /// the time limit for a whole response.
    async fn attempt<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &[u8],
    ) -> Result<T, ApiError> {
        let limit = self.timeouts.response;
        match tokio::time::timeout(limit, self.send_and_decode(endpoint, body)).await {
            Ok(result) => result,
            Err(_) => Err(ApiError::Timeout {
                endpoint: endpoint.to_owned(),
                phase: TimeoutPhase::Response,
                after: limit,
            }),
        }
    }

    async fn send_and_decode<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &[u8],
    ) -> Result<T, ApiError> {
        let response = self
            .http
            .post(self.base_url.endpoint(endpoint))
            .bearer_auth(self.token.expose())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|error| self.transport_error(endpoint, &error))?;

        let status = response.status();
        let headers = response.headers().clone();
        self.rate_limit
            .observe(&headers, self.retry.max_rate_limit_wait);
        let bytes = self.read_body(endpoint, response).await?;

        if !status.is_success() {
            return Err(self.status_error(endpoint, status, &headers, &bytes));
        }
        self.decode(endpoint, &headers, &bytes)
    }

    /// Decodes a 2xx body. A body that is not JSON at all comes from another
    /// kind of server. JSON that breaks off or breaks down was damaged on the
    /// way, which another attempt may fix. Well-formed JSON of the wrong shape
    /// is reported with the path of the value that did not fit.
    #[allow(clippy::result_large_err)]
    fn decode<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        headers: &HeaderMap,
        bytes: &[u8],
    ) -> Result<T, ApiError> {
        if !looks_like_json(headers, bytes) {
            return Err(ApiError::WrongServer {
                base_url: self.base_url.to_string(),
                endpoint: endpoint.to_owned(),
                reply: describe_reply(200, headers, bytes),
            });
        }
        // The plain decoder is several times faster; the tracking one runs only
        // to name the failing field once decoding has failed.
        if let Ok(value) = serde_json::from_slice(bytes) {
            return Ok(value);
        }
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let inner = error.inner();
            if inner.is_syntax() || inner.is_eof() {
                let reason = if inner.is_eof() {
                    format!(
                        "it ended after {} bytes, in the middle of the JSON",
                        bytes.len()
                    )
                } else {
                    format!(
                        "invalid JSON at line {}, column {}",
                        inner.line(),
                        inner.column()
                    )
                };
                return ApiError::InvalidJson {
                    endpoint: endpoint.to_owned(),
                    reason,
                };
            }
            ApiError::Decode {
                endpoint: endpoint.to_owned(),
                path: error.path().to_string(),
                message: self.redact(&inner.to_string()),
            }
        })
    }
    /// Reads the response body, failing once it grows past [`MAX_RESPONSE_BYTES`]
    /// so a misbehaving server cannot exhaust memory.
    async fn read_body(
        &self,
        endpoint: &str,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, ApiError> {
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport_error(endpoint, &error))?
        {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(ApiError::TooLarge {
                    base_url: self.base_url.to_string(),
                    endpoint: endpoint.to_owned(),
                    limit_mib: MAX_RESPONSE_BYTES / (1024 * 1024),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Replaces the token in text that came from the server, which a faulty or
    /// hostile server may have copied from the request.
    fn redact(&self, text: &str) -> String {
        text.replace(self.token.expose(), "<token>")
    }

    fn status_error(
        &self,
        endpoint: &str,
        status: reqwest::StatusCode,
        headers: &HeaderMap,
        bytes: &[u8],
    ) -> ApiError {
        let code = status.as_u16();
        let endpoint_name = endpoint.to_owned();
        if code == 407 {
            return self.proxy_error(
                endpoint,
                "the proxy requires a user name and password (HTTP 407)".into(),
            );
        }
        // A 404, 405 or 501, or an error page instead of the API's JSON, means
        // the base URL points to a different server, such as DevRev's web app
        // or a plain file server, which responds to POST with 501.
        if matches!(code, 404 | 405 | 501)
            || (!looks_like_json(headers, bytes)
                && !bytes.is_empty()
                && !matches!(code, 429 | 500..=599))
        {
            return ApiError::WrongServer {
                base_url: self.base_url.to_string(),
                endpoint: endpoint_name,
                reply: describe_reply(code, headers, bytes),
            };
        }

        // The status decides the error. A body that is not the API's JSON error
        // shape (a proxy's HTML page, say) leaves the details empty.
        let body: ErrorBody = serde_json::from_slice(bytes).unwrap_or_default();
        let body = body.redacted(self.token.expose());
        let endpoint = endpoint_name;
        match code {
            400 => ApiError::BadRequest { endpoint, body },
            401 => ApiError::Unauthorized { endpoint, body },
            403 => ApiError::Forbidden { endpoint, body },
            429 => {
                let retry_after =
                    retry_after_header(headers).or(body.retry_after.map(Duration::from_secs));
                ApiError::RateLimited {
                    endpoint,
                    body,
                    retry_after,
                }
            }
            503 => ApiError::Unavailable { endpoint, body },
            500..=599 => ApiError::ServerError {
                endpoint,
                status: code,
                body,
            },
            _ => ApiError::UnexpectedStatus {
                base_url: self.base_url.to_string(),
                endpoint,
                status: code,
            },
        }
    }

    fn transport_error(&self, endpoint: &str, error: &reqwest::Error) -> ApiError {
        let base_url = self.base_url.to_string();
        let endpoint = endpoint.to_owned();
        let reason = self.redact(&root_cause(error));
        match classify(error, self.proxy.is_some()) {
            TransportFailure::Timeout(phase) => {
                let after = match phase {
                    TimeoutPhase::Connect => self.timeouts.connect,
                    TimeoutPhase::Read => self.timeouts.read,
                    TimeoutPhase::Response => self.timeouts.response,
                };
                ApiError::Timeout {
                    endpoint,
                    phase,
                    after,
                }
            }
            TransportFailure::Certificate => ApiError::Certificate {
                base_url,
                endpoint,
                reason: certificate_reason(error),
            },
            TransportFailure::Proxy => self.proxy_error(&endpoint, reason),
            TransportFailure::NoNetwork => ApiError::NoNetwork {
                base_url,
                endpoint,
                reason,
            },
            TransportFailure::ConnectionLost => ApiError::ConnectionLost {
                base_url,
                endpoint,
                reason,
            },
            TransportFailure::Connection => ApiError::Connection {
                base_url,
                endpoint,
                reason,
            },
        }
    }

    fn proxy_error(&self, endpoint: &str, reason: String) -> ApiError {
        ApiError::Proxy {
            proxy: self
                .proxy
                .as_ref()
                .map_or_else(|| "in use".to_owned(), |proxy| proxy.address.clone()),
            base_url: self.base_url.to_string(),
            endpoint: endpoint.to_owned(),
            reason,
        }
    }
}

/// True when a body is JSON or could be: its content type names JSON, or it
/// starts with `{` or `[`. An empty body counts, so a cut-off response is
/// reported as damaged JSON rather than as another server.
fn looks_like_json(headers: &HeaderMap, bytes: &[u8]) -> bool {
    let declared_json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("json"));
    let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
    declared_json || matches!(first, None | Some(b'{' | b'['))
}

/// Describes a reply that is not the API's JSON, such as `HTTP 404 with an
/// HTML page`, for [`ApiError::WrongServer`].
fn describe_reply(status: u16, headers: &HeaderMap, bytes: &[u8]) -> String {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    let body_kind = match content_type.as_deref() {
        _ if bytes.is_empty() => "an empty body".to_owned(),
        Some("text/html") => "an HTML page".to_owned(),
        Some(kind) if kind.contains("json") => "a JSON body".to_owned(),
        Some(kind) => format!("a {kind} body"),
        None if bytes.trim_ascii_start().starts_with(b"<") => "an HTML page".to_owned(),
        None => "a body that is not JSON".to_owned(),
    };
    format!("HTTP {status} and {body_kind}")
}

/// Returns the TLS library's words for a failed handshake. OpenSSL puts the
/// verification result, such as "unable to get local issuer certificate", in
/// brackets after a line of internal codes, so only that part is kept.
fn certificate_reason(error: &reqwest::Error) -> String {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.downcast_ref::<native_tls::Error>().is_some() {
            let text = current.to_string();
            let verification = text
                .rsplit_once('(')
                .filter(|_| text.contains("certificate verify failed"))
                .map(|(_, rest)| rest.trim_end_matches(')').trim().to_owned());
            return match verification {
                Some(result) => format!("the server's certificate was not accepted ({result})"),
                None => text,
            };
        }
        cause = current.source();
    }
    root_cause(error)
}

/// Returns `mode`, or no proxy when `base_url` is plain http and the proxy
/// is not on this computer. Plain http is only accepted for this computer,
/// and a proxy elsewhere would carry the token over the network unencrypted.
fn proxy_mode_for(base_url: &BaseUrl, mode: ProxyMode) -> ProxyMode {
    if base_url.0.scheme() != "http" {
        return mode;
    }
    let remote_proxy = proxy_for(base_url, &mode)
        .filter(|proxy| Url::parse(&proxy.address).map_or(true, |address| !is_loopback(&address)));
    match remote_proxy {
        Some(proxy) => {
            tracing::info!(proxy = %proxy.address, base_url = %base_url, "the proxy is skipped for a plain-http server on this computer");
            ProxyMode::Direct
        }
        None => mode,
    }
}

/// True when the URL's host is this computer: `localhost`, 127.0.0.0/8 or `::1`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

/// Reads `Retry-After` as a number of seconds or as an HTTP date. A date is
/// measured from the response's `Date` header when there is one, so a wrong
/// clock on this computer does not change the wait. A date in the past gives
/// zero; a negative number or other text gives `None`.
fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let until = httpdate::parse_http_date(value).ok()?;
    let now = headers
        .get(reqwest::header::DATE)
        .and_then(|date| date.to_str().ok())
        .and_then(|date| httpdate::parse_http_date(date).ok())
        .unwrap_or_else(std::time::SystemTime::now);
    Some(until.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_appends_endpoint_to_path() {
        let base = BaseUrl::parse("https://example.test/api/").unwrap();

        assert_eq!(
            base.endpoint("accounts.export").as_str(),
            "https://example.test/api/accounts.export"
        );
    }

    #[test]
    fn base_url_default_is_devrev() {
        assert_eq!(BaseUrl::default().as_str(), "https://api.devrev.ai");
    }

    #[test]
    fn base_url_rejects_other_schemes_and_extras() {
        for text in [
            "ftp://example.test",
            "example.test",
            "https://u:p@example.test",
            "https://example.test/?a=1",
        ] {
            assert!(BaseUrl::parse(text).is_err(), "{text} was accepted");
        }
    }

    #[test]
    fn base_url_allows_http_on_loopback_only() {
        for text in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "http://127.3.2.1",
        ] {
            assert!(BaseUrl::parse(text).is_ok(), "{text} was rejected");
        }
        assert!(matches!(
            BaseUrl::parse("http://example.test"),
            Err(BaseUrlError::PlainHttp { .. })
        ));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "30".parse().unwrap());
        assert_eq!(retry_after_header(&headers), Some(Duration::from_secs(30)));

        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_header(&headers), Some(Duration::ZERO));

        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after_header(&headers), None);
    }

    #[test]
    fn retry_after_date_is_measured_from_server_date() {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::DATE,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:45 GMT".parse().unwrap(),
        );

        assert_eq!(retry_after_header(&headers), Some(Duration::from_secs(45)));
    }

    #[test]
    fn retry_after_rejects_negative_numbers() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "-5".parse().unwrap());

        assert_eq!(retry_after_header(&headers), None);
    }

    #[test]
    fn json_is_recognised_by_type_or_first_byte() {
        let mut json_type = HeaderMap::new();
        json_type.insert(
            CONTENT_TYPE,
            "application/json; charset=utf-8".parse().unwrap(),
        );
        let mut html_type = HeaderMap::new();
        html_type.insert(CONTENT_TYPE, "text/html".parse().unwrap());

        assert!(looks_like_json(&json_type, b"<html>"));
        assert!(looks_like_json(&HeaderMap::new(), b"  {\"accounts\": ["));
        assert!(looks_like_json(&HeaderMap::new(), b""));
        assert!(!looks_like_json(&html_type, b"<!doctype html>"));
        assert!(!looks_like_json(
            &HeaderMap::new(),
            b"Service Temporarily Unavailable"
        ));
    }

    #[test]
    fn reply_description_names_html_pages() {
        let mut html_type = HeaderMap::new();
        html_type.insert(CONTENT_TYPE, "text/html; charset=utf-8".parse().unwrap());

        assert_eq!(
            describe_reply(404, &html_type, b"<html></html>"),
            "HTTP 404 and an HTML page"
        );
        assert_eq!(
            describe_reply(200, &HeaderMap::new(), b"<html></html>"),
            "HTTP 200 and an HTML page"
        );
        assert_eq!(
            describe_reply(404, &HeaderMap::new(), b""),
            "HTTP 404 and an empty body"
        );
    }
}
