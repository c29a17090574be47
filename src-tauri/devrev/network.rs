//! The network side of the client: time limits, the proxy, and what a failed
//! connection means.
//!
//! Certificates come only from the operating system's trust store through
//! reqwest's native TLS backend: OpenSSL's system paths on Linux, the Keychain
//! on macOS, the Windows certificate store. So a corporate root CA installed
//! on the computer works, and nothing here can turn verification off. Requests go
//! through the proxy set in the app's settings, else the one in
//! `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` or the system settings, except for
//! hosts listed in `NO_PROXY`.

use std::time::Duration;

use hyper_util::client::proxy::matcher::Matcher;
use url::Url;

use super::error::TimeoutPhase;
use super::{ApiError, BaseUrl};

/// Time limits of every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Time to open a connection, TLS handshake included.
    pub connect: Duration,
    /// Maximum silence while waiting for the response's headers or its next
    /// bytes. Catches a server that accepts a request and never answers.
    pub read: Duration,
    /// Time for a whole attempt, from connecting to the last byte. Catches a
    /// server that trickles bytes just fast enough to beat `read`.
    pub response: Duration,
}

impl Default for Timeouts {
    /// 10 seconds to connect, 30 seconds of silence, 120 seconds in all. A
    /// page of 500 accounts is a few megabytes, which a slow hotel network
    /// still moves in 120 seconds.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            response: Duration::from_secs(120),
        }
    }
}

/// A proxy address typed in the settings: `http://` or `https://`, a host and
/// a port, without a user name, password, path, query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyUrl(Url);

/// Reason a proxy address was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyUrlError {
    #[error("`{value}` is not a proxy address. Enter one such as http://proxy.example.com:8080, or leave the field empty to use the system's proxy settings.")]
    Malformed { value: String },
    #[error("`{value}` must start with http:// or https://, as in http://proxy.example.com:8080. Other proxy types are not supported.")]
    Scheme { value: String },
    #[error("`{value}` contains a user name or password, which the app would have to store unencrypted. Enter the address only; for a proxy that needs a password, set the HTTPS_PROXY environment variable instead.")]
    Credentials { value: String },
    #[error("`{value}` must be only the proxy's address and port, without a path, `?` query or `#` fragment, as in http://proxy.example.com:8080.")]
    ExtraParts { value: String },
}

impl ProxyUrl {
    /// Parses and checks a proxy address typed by a person. Surrounding spaces
    /// are ignored, and an address without a scheme, such as
    /// `proxy.example.com:8080`, is read as `http://`.
    pub fn parse(text: &str) -> Result<Self, ProxyUrlError> {
        let value = text.trim();
        let with_scheme = if value.contains("://") {
            value.to_owned()
        } else {
            format!("http://{value}")
        };
        let url = Url::parse(&with_scheme).map_err(|_| ProxyUrlError::Malformed {
            value: value.to_owned(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ProxyUrlError::Scheme {
                value: value.to_owned(),
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ProxyUrlError::Malformed {
                value: value.to_owned(),
            });
        }
        if !url.username().is_empty() || url.password().is_some() {
            // The message quotes the address, so its password is masked.
            let mut masked = url.clone();
            let _ = masked.set_password(None);
            let _ = masked.set_username("");
            return Err(ProxyUrlError::Credentials {
                value: format!("{}://****@{}", url.scheme(), host_and_port(&masked)),
            });
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(ProxyUrlError::ExtraParts {
                value: value.to_owned(),
            });
        }
        Ok(ProxyUrl(url))
    }

    /// Returns the address as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

impl std::fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Proxy choice of a client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxyMode {
    /// The proxy in `HTTPS_PROXY`, `HTTP_PROXY` or `ALL_PROXY`, else the
    /// operating system's, honouring `NO_PROXY`; none when none is set.
    #[default]
    System,
    /// This proxy, except for the hosts in `NO_PROXY`.
    Manual(ProxyUrl),
    /// No proxy, whatever the environment sets. For the built-in demo server,
    /// which only this computer can reach.
    Direct,
}

impl ProxyMode {
    /// Returns the settings' proxy when there is one, else the system's.
    pub fn from_setting(proxy: Option<ProxyUrl>) -> Self {
        proxy.map_or(ProxyMode::System, ProxyMode::Manual)
    }
}

/// Origin of the proxy that a client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxySource {
    /// The proxy field of the app's settings, or `--proxy`.
    Settings,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` or the operating system's settings.
    System,
}

/// The proxy that requests to one base URL go through.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProxyInUse {
    /// Proxy address without user name or password.
    pub address: String,
    pub source: ProxySource,
}

/// Returns the proxy that requests to `base_url` go through, following the
/// same rules as the HTTP client.
pub fn proxy_for(base_url: &BaseUrl, mode: &ProxyMode) -> Option<ProxyInUse> {
    let target: http::Uri = base_url.as_str().parse().ok()?;
    let (matcher, source) = match mode {
        ProxyMode::Direct => return None,
        ProxyMode::Manual(proxy) => (
            Matcher::builder()
                .all(proxy.as_str().to_owned())
                .no(no_proxy_from_env())
                .build(),
            ProxySource::Settings,
        ),
        ProxyMode::System => (Matcher::from_system(), ProxySource::System),
    };
    let intercept = matcher.intercept(&target)?;
    let uri = intercept.uri();
    // The address is shown and logged, so any user name and password go.
    let host = uri
        .authority()
        .map(|authority| authority.as_str().rsplit('@').next().unwrap_or_default())
        .unwrap_or_default();
    Some(ProxyInUse {
        address: format!("{}://{host}", uri.scheme_str().unwrap_or("http")),
        source,
    })
}

/// Builds the `reqwest` proxy for the settings' proxy, bypassed for the hosts
/// in `NO_PROXY` as the environment's proxies are.
#[allow(clippy::result_large_err)]
pub(crate) fn reqwest_proxy(proxy: &ProxyUrl) -> Result<reqwest::Proxy, ApiError> {
    let no_proxy = reqwest::NoProxy::from_string(&no_proxy_from_env());
    reqwest::Proxy::all(proxy.as_str())
        .map(|built| built.no_proxy(no_proxy))
        .map_err(|error| ApiError::Setup {
            reason: format!("the proxy {proxy} cannot be used ({})", root_cause(&error)),
        })
}

fn no_proxy_from_env() -> String {
    std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default()
}

fn host_and_port(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => String::new(),
    }
}

/// Meaning of a failed connection or a broken response, for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TransportFailure {
    Timeout(TimeoutPhase),
    /// The TLS handshake failed, nearly always over the server's certificate.
    Certificate,
    /// The proxy could not be reached or refused to forward the request.
    Proxy,
    /// No name server could be asked, or no route to the host: the computer
    /// is offline.
    NoNetwork,
    /// The connection broke after it was made.
    ConnectionLost,
    /// The server refused the connection, its name was not found, or the
    /// connection failed in another way.
    Connection,
}

/// Sorts a `reqwest` error into a [`TransportFailure`]. `via_proxy` is true
/// when the request went through a proxy, because then a failure to connect
/// is a failure to reach the proxy.
pub(crate) fn classify(error: &reqwest::Error, via_proxy: bool) -> TransportFailure {
    if error.is_timeout() {
        // reqwest marks a connect timeout as both a timeout and a connect error.
        return TransportFailure::Timeout(if error.is_connect() {
            TimeoutPhase::Connect
        } else {
            TimeoutPhase::Read
        });
    }
    if has_source::<native_tls::Error>(error) {
        return TransportFailure::Certificate;
    }
    if error.is_connect() {
        let io_kind = io_error_kind(error);
        if via_proxy {
            return TransportFailure::Proxy;
        }
        return match io_kind {
            Some(
                std::io::ErrorKind::NetworkUnreachable
                | std::io::ErrorKind::HostUnreachable
                | std::io::ErrorKind::NetworkDown,
            ) => TransportFailure::NoNetwork,
            // A failed name lookup has no I/O error kind of its own, so the
            // resolver's message is the only sign of it. A temporary failure
            // means no resolver could be asked; a name that is not found is
            // more likely a mistyped address, which waiting does not fix.
            _ if chain_contains(error, &["temporary failure in name resolution"]) => {
                TransportFailure::NoNetwork
            }
            _ => TransportFailure::Connection,
        };
    }
    // Sending or reading failed on a connection that was made: a reset, or
    // the server closing before the response was complete.
    TransportFailure::ConnectionLost
}

fn has_source<T: std::error::Error + 'static>(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if current.downcast_ref::<T>().is_some() {
            return true;
        }
        cause = current.source();
    }
    false
}

fn io_error_kind(error: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cause = current.source();
    }
    None
}

/// True when the message of `error` or of one of its sources contains one of
/// `signs`, compared in lower case.
fn chain_contains(error: &(dyn std::error::Error + 'static), signs: &[&str]) -> bool {
    let mut cause = Some(error);
    while let Some(current) = cause {
        let text = current.to_string().to_ascii_lowercase();
        if signs.iter().any(|sign| text.contains(sign)) {
            return true;
        }
        cause = current.source();
    }
    false
}

/// Returns the innermost error message, which names the actual cause (such as
/// "Connection refused") instead of reqwest's generic wrapper text.
pub(crate) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
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
    fn proxy_without_scheme_reads_as_http() {
        let proxy = ProxyUrl::parse(" proxy.example.test:3128 ").unwrap();

        assert_eq!(proxy.as_str(), "http://proxy.example.test:3128");
    }

    #[test]
    fn proxy_rejects_other_schemes_and_extras() {
        assert!(matches!(
            ProxyUrl::parse("socks5://127.0.0.1:1080"),
            Err(ProxyUrlError::Scheme { .. })
        ));
        assert!(matches!(
            ProxyUrl::parse("http://127.0.0.1:3128/path"),
            Err(ProxyUrlError::ExtraParts { .. })
        ));
        assert!(matches!(
            ProxyUrl::parse("http://"),
            Err(ProxyUrlError::Malformed { .. })
        ));
    }

    #[test]
    fn proxy_with_password_is_rejected_and_masked() {
        let error = ProxyUrl::parse("http://alice:s3cret@127.0.0.1:3128").unwrap_err();

        assert!(matches!(error, ProxyUrlError::Credentials { .. }));
        assert!(!error.to_string().contains("s3cret"), "{error}");
        assert!(!error.to_string().contains("alice"), "{error}");
    }

    #[test]
    fn settings_proxy_applies_to_base_url() {
        let base_url = BaseUrl::parse("http://127.0.0.1:9").unwrap();
        let proxy = ProxyUrl::parse("http://127.0.0.1:3128").unwrap();

        let in_use = proxy_for(&base_url, &ProxyMode::Manual(proxy));

        // NO_PROXY from the environment could exempt loopback; only check the
        // result when it does not.
        if !no_proxy_from_env().contains("127.0.0.1") {
            assert_eq!(
                in_use,
                Some(ProxyInUse {
                    address: "http://127.0.0.1:3128".into(),
                    source: ProxySource::Settings,
                })
            );
        }
    }

    #[test]
    fn direct_mode_uses_no_proxy() {
        let base_url = BaseUrl::parse("http://127.0.0.1:9").unwrap();

        assert_eq!(proxy_for(&base_url, &ProxyMode::Direct), None);
    }

    #[test]
    fn lookup_failures_are_told_apart() {
        let offline = std::io::Error::other(
            "failed to lookup address information: Temporary failure in name resolution",
        );
        let unknown = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );

        assert!(chain_contains(
            &offline,
            &["temporary failure in name resolution"]
        ));
        assert!(!chain_contains(
            &unknown,
            &["temporary failure in name resolution"]
        ));
    }
}
