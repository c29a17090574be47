//! DevRev REST client: `accounts.export` with typed requests, accounts and errors.
//!
//! The base URL and the token are injected, so the same client talks to DevRev,
//! to a DevRev-compatible server, or to the project's demo server. All calls go
//! through one private send path that logs the call and turns non-2xx responses
//! into [`ApiError`]s decoded from the API's error body.

pub mod error;
pub mod lookups;
pub mod models;
pub mod paging;
pub mod request;

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

pub use error::{ApiError, ErrorBody};
pub use lookups::{CustomStage, LookupError, SchemaField, Subtype, Tag};
pub use models::{Account, AccountsExportResponse, AccountsListResponse};
pub use request::{
    AccountFilters, AccountsExportRequest, AccountsListRequest, DateTimeFilter, FieldError,
    ListMode,
};

use crate::token::Token;

/// Address of DevRev's public API.
pub const DEFAULT_BASE_URL: &str = "https://api.devrev.ai";

/// Time allowed to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Time allowed for a whole request, response included. An export of 500
/// accounts is a few megabytes, which a slow link still moves in this time.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

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

/// Client for one DevRev organization, identified by base URL and token.
#[derive(Debug, Clone)]
pub struct DevRevClient {
    http: reqwest::Client,
    base_url: BaseUrl,
    token: Token,
}

impl DevRevClient {
    /// Creates a client with the default timeouts.
    pub fn new(base_url: BaseUrl, token: Token) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .expect("the HTTP client settings are valid");
        DevRevClient {
            http,
            base_url,
            token,
        }
    }

    /// Returns the base URL the client sends requests to.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
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

    /// Sends one POST with a JSON body and decodes a 2xx response as `T`.
    async fn post<B, T>(&self, endpoint: &str, body: &B) -> Result<T, ApiError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let started = Instant::now();
        let result = self.send_and_decode(endpoint, body).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(_) => tracing::info!(
                method = "POST",
                endpoint,
                status = 200,
                elapsed_ms,
                "API call succeeded"
            ),
            Err(error) => tracing::warn!(
                method = "POST",
                endpoint,
                status = error.status(),
                elapsed_ms,
                error = %error,
                "API call failed"
            ),
        }
        result
    }

    async fn send_and_decode<B, T>(&self, endpoint: &str, body: &B) -> Result<T, ApiError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let response = self
            .http
            .post(self.base_url.endpoint(endpoint))
            .bearer_auth(self.token.expose())
            .json(body)
            .send()
            .await
            .map_err(|error| self.transport_error(endpoint, &error))?;

        let status = response.status();
        let headers = response.headers().clone();
        let bytes = self.read_body(endpoint, response).await?;

        if !status.is_success() {
            return Err(self.status_error(endpoint, status.as_u16(), &headers, &bytes));
        }

        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let message = if error.inner().is_syntax() || error.inner().is_eof() {
                "the server sent something other than JSON".to_owned()
            } else {
                error.inner().to_string()
            };
            ApiError::Decode {
                endpoint: endpoint.to_owned(),
                path: error.path().to_string(),
                message: self.redact(&message),
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
        status: u16,
        headers: &HeaderMap,
        bytes: &[u8],
    ) -> ApiError {
        // The status decides the error. A body that is not the API's JSON error
        // shape (a proxy's HTML page, say) leaves the details empty.
        let body: ErrorBody = serde_json::from_slice(bytes).unwrap_or_default();
        let body = body.redacted(self.token.expose());
        let endpoint = endpoint.to_owned();
        match status {
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
                status,
                body,
            },
            _ => ApiError::UnexpectedStatus {
                base_url: self.base_url.to_string(),
                endpoint,
                status,
            },
        }
    }

    fn transport_error(&self, endpoint: &str, error: &reqwest::Error) -> ApiError {
        if error.is_timeout() {
            // reqwest marks a connect timeout as both a timeout and a connect error.
            let after = if error.is_connect() {
                CONNECT_TIMEOUT
            } else {
                REQUEST_TIMEOUT
            };
            return ApiError::Timeout {
                endpoint: endpoint.to_owned(),
                after,
            };
        }
        ApiError::Connection {
            base_url: self.base_url.to_string(),
            endpoint: endpoint.to_owned(),
            reason: root_cause(error),
        }
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

/// Reads `Retry-After` as a number of seconds or as an HTTP date.
fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Returns the innermost error message, which names the actual cause (such as
/// "Connection refused") instead of reqwest's generic wrapper text.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
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
}
