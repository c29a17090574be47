//! Certificates and proxies on loopback. A server's certificate comes from a
//! test CA, trusted only when a child process points `SSL_CERT_FILE` at that
//! CA. An HTTP proxy forwards plain requests and tunnels HTTPS with `CONNECT`,
//! set in the client's options or in the proxy environment variables.
//!
//! The product has no way to skip certificate checks, so the test CA is never
//! trusted inside this process: trust is tested through the `check` command
//! in a child process, and distrust both there and here.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use devrev_export::demo_server::{DemoServer, DemoServerConfig};
use devrev_export::devrev::{
    ApiError, BaseUrl, ClientOptions, DevRevClient, ProxyMode, ProxySource, ProxyUrl, RetryPolicy,
};
use devrev_export::error::AppError;
use devrev_export::token::Token;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509Name, X509};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "tls-proxy-test-token";
const BINARY: &str = env!("CARGO_BIN_EXE_devrev-accounts-export");

/// Variables that choose a proxy, cleared in child processes so that only
/// the test's own settings apply.
const PROXY_VARIABLES: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

async fn start_server() -> DemoServer {
    DemoServer::start(DemoServerConfig {
        accounts: 10,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap()
}

fn client(base_url: &str, proxy: ProxyMode) -> DevRevClient {
    let options = ClientOptions {
        retry: RetryPolicy::none(),
        proxy,
        ..ClientOptions::default()
    };
    DevRevClient::with_options(
        BaseUrl::parse(base_url).unwrap(),
        Token::parse(TOKEN).unwrap(),
        options,
    )
    .unwrap()
}

// A certificate authority made for one test run

struct TestCa {
    certificate: X509,
    key: PKey<Private>,
}

fn new_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn name(common_name: &str) -> X509Name {
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, common_name)
        .unwrap();
    name.build()
}

/// Starts a certificate valid from an hour ago for a day, with a random serial.
fn certificate_builder(subject: &str, key: &PKey<Private>) -> openssl::x509::X509Builder {
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    builder
        .set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    builder.set_subject_name(&name(subject)).unwrap();
    builder.set_pubkey(key).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    builder
        .set_not_before(&Asn1Time::from_unix(now - 3_600).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::from_unix(now + 86_400).unwrap())
        .unwrap();
    builder
}

impl TestCa {
    fn new() -> Self {
        let key = new_key();
        let mut builder = certificate_builder("Accounts Export Test CA", &key);
        builder
            .set_issuer_name(&name("Accounts Export Test CA"))
            .unwrap();
        builder
            .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        builder
            .append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        let key_id = SubjectKeyIdentifier::new()
            .build(&builder.x509v3_context(None, None))
            .unwrap();
        builder.append_extension(key_id).unwrap();
        builder.sign(&key, MessageDigest::sha256()).unwrap();
        TestCa {
            certificate: builder.build(),
            key,
        }
    }

    /// Issues a server certificate for `localhost` and `127.0.0.1`.
    fn issue_server_certificate(&self) -> (X509, PKey<Private>) {
        let key = new_key();
        let mut builder = certificate_builder("localhost", &key);
        builder
            .set_issuer_name(self.certificate.subject_name())
            .unwrap();

        builder
            .append_extension(BasicConstraints::new().build().unwrap())
            .unwrap();
        builder
            .append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        builder
            .append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
            .unwrap();

        let names = SubjectAlternativeName::new()
            .dns("localhost")
            .ip("127.0.0.1")
            .build(&builder.x509v3_context(Some(&self.certificate), None))
            .unwrap();
        builder.append_extension(names).unwrap();
        let authority = AuthorityKeyIdentifier::new()
            .keyid(true)
            .build(&builder.x509v3_context(Some(&self.certificate), None))
            .unwrap();
        builder.append_extension(authority).unwrap();

        builder.sign(&self.key, MessageDigest::sha256()).unwrap();
        (builder.build(), key)
    }

    fn write_pem(&self, path: &Path) {
        std::fs::write(path, self.certificate.to_pem().unwrap()).unwrap();
    }
}

/// Serves HTTPS on a free loopback port with a certificate from `ca`, and
/// passes the decrypted bytes to `upstream`, the demo server.
async fn start_tls_front(ca: &TestCa, upstream: SocketAddr) -> SocketAddr {
    let (certificate, key) = ca.issue_server_certificate();
    let identity = tokio_native_tls::native_tls::Identity::from_pkcs8(
        &certificate.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    let acceptor: tokio_native_tls::TlsAcceptor =
        tokio_native_tls::native_tls::TlsAcceptor::new(identity)
            .unwrap()
            .into();
    let acceptor = Arc::new(acceptor);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate ends the handshake here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
            });
        }
    });
    addr
}

// An HTTP proxy on loopback

/// A forwarding and tunnelling proxy that records the first line of each
/// connection and reaches only loopback addresses.
struct LoopbackProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl LoopbackProxy {
    /// Starts the proxy. With `reject_tunnels`, it responds to every `CONNECT`
    /// with 407, as a proxy that requires a password does.
    async fn start(reject_tunnels: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));

        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(serve_proxy_connection(client, record, reject_tunnels));
            }
        });
        LoopbackProxy { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve_proxy_connection(
    mut client: TcpStream,
    seen: Arc<Mutex<Vec<String>>>,
    reject_tunnels: bool,
) {
    // Read up to the end of the request head.
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match client.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let first_line = text.lines().next().unwrap_or_default().to_owned();
    seen.lock().unwrap().push(first_line.clone());

    let mut parts = first_line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    let authority = if method == "CONNECT" {
        target.to_owned()
    } else {
        // Absolute form, such as `http://127.0.0.1:8080/accounts.list`.
        target
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let Some(upstream) = loopback_address(&authority) else {
        let _ = client
            .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };

    if method == "CONNECT" && reject_tunnels {
        let _ = client
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    if method == "CONNECT" {
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
    } else if server.write_all(&head).await.is_err() {
        // The demo server reads absolute-form targets as well as paths.
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

/// Returns the address for `host:port` when the host is loopback, so the
/// proxy can never reach another machine.
fn loopback_address(authority: &str) -> Option<SocketAddr> {
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let ip: std::net::IpAddr = match host {
        "localhost" => std::net::Ipv4Addr::LOCALHOST.into(),
        other => other.trim_matches(['[', ']']).parse().ok()?,
    };
    ip.is_loopback().then_some(SocketAddr::new(ip, port))
}

// The `check` command in a child process

/// Runs `check` with only the given proxy and certificate variables set.
async fn run_check(config: &Path, base_url: &str, variables: &[(&str, String)]) -> Output {
    let mut command = Command::new(BINARY);
    command
        .args(["check", "--base-url", base_url])
        .env("DEVREV_TOKEN", TOKEN)
        .env("DEVREV_EXPORT_CONFIG_DIR", config);
    for name in PROXY_VARIABLES {
        command.env_remove(name);
    }
    for (name, value) in variables {
        command.env(name, value);
    }
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

// Certificates

#[tokio::test]
async fn test_ca_trusted_through_cert_file_works() {
    let server = start_server().await;
    let ca = TestCa::new();
    let front = start_tls_front(&ca, server.local_addr()).await;
    let folder = tempfile::tempdir().unwrap();
    let ca_file = folder.path().join("test-ca.pem");
    ca.write_pem(&ca_file);

    let output = run_check(
        folder.path(),
        &format!("https://127.0.0.1:{}", front.port()),
        &[("SSL_CERT_FILE", ca_file.display().to_string())],
    )
    .await;

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("The token works: it belongs to"),
        "{}",
        stdout(&output)
    );
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/dev-users.self");
}

#[tokio::test]
async fn untrusted_certificate_fails_check() {
    let server = start_server().await;
    let ca = TestCa::new();
    let front = start_tls_front(&ca, server.local_addr()).await;
    let folder = tempfile::tempdir().unwrap();

    // The child keeps the machine's own trust settings, which lack the test CA.
    let output = run_check(
        folder.path(),
        &format!("https://127.0.0.1:{}", front.port()),
        &[],
    )
    .await;

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(4));
    let message = stderr(&output);
    assert!(message.contains("The secure connection to"), "{message}");
    assert!(message.contains("root certificate"), "{message}");
    assert!(!message.contains(TOKEN), "{message}");
    assert!(requests.is_empty());
}

#[tokio::test]
async fn untrusted_certificate_is_certificate_problem() {
    let server = start_server().await;
    let ca = TestCa::new();
    let front = start_tls_front(&ca, server.local_addr()).await;

    let error = client(
        &format!("https://localhost:{}", front.port()),
        ProxyMode::Direct,
    )
    .current_user()
    .await
    .unwrap_err();

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert!(matches!(error, ApiError::Certificate { .. }), "{error:?}");
    let shown = AppError::from(error);
    assert_eq!(shown.code, "certificate_problem");
    assert!(shown.message.contains("certificate"), "{}", shown.message);
    assert!(requests.is_empty());
}

#[test]
fn product_has_no_switch_to_skip_verification() {
    let mut pending = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src-tauri")];
    let mut checked = 0;
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path()),
            );
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for forbidden in [
                "danger_accept_invalid",
                "SslVerifyMode::NONE",
                "add_root_certificate",
            ] {
                assert!(
                    !text.contains(forbidden),
                    "{} uses {forbidden}",
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} source files were found");
}

// Proxies

#[tokio::test]
async fn settings_proxy_carries_requests() {
    let server = start_server().await;
    let proxy = LoopbackProxy::start(false).await;
    let client = client(
        &server.base_url(),
        ProxyMode::Manual(ProxyUrl::parse(&proxy.url()).unwrap()),
    );

    let user = client.current_user().await.unwrap();

    let requests = server.recorded_requests();
    let expected_line = format!("POST {}/dev-users.self HTTP/1.1", server.base_url());
    server.shutdown().await;
    assert_eq!(user.display_id.as_deref(), Some("DEVU-1"));
    let in_use = client.proxy().expect("the client names its proxy");
    assert_eq!(in_use.address, proxy.url());
    assert_eq!(in_use.source, ProxySource::Settings);
    assert_eq!(proxy.seen(), [expected_line]);
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn environment_proxy_carries_check() {
    let server = start_server().await;
    let proxy = LoopbackProxy::start(false).await;
    let folder = tempfile::tempdir().unwrap();

    let output = run_check(
        folder.path(),
        &server.base_url(),
        &[("HTTP_PROXY", proxy.url())],
    )
    .await;

    server.shutdown().await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!("through the proxy {}", proxy.url())),
        "{}",
        stdout(&output)
    );
    assert_eq!(proxy.seen().len(), 1, "{:?}", proxy.seen());
}

#[tokio::test]
async fn no_proxy_bypasses_environment_proxy() {
    let server = start_server().await;
    let proxy = LoopbackProxy::start(false).await;
    let folder = tempfile::tempdir().unwrap();

    let output = run_check(
        folder.path(),
        &server.base_url(),
        &[
            ("HTTP_PROXY", proxy.url()),
            ("NO_PROXY", "127.0.0.1".to_owned()),
        ],
    )
    .await;

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stdout(&output).contains("proxy"), "{}", stdout(&output));
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn https_goes_through_proxy_tunnel() {
    let server = start_server().await;
    let ca = TestCa::new();
    let front = start_tls_front(&ca, server.local_addr()).await;
    let proxy = LoopbackProxy::start(false).await;
    let folder = tempfile::tempdir().unwrap();
    let ca_file = folder.path().join("test-ca.pem");
    ca.write_pem(&ca_file);

    let output = run_check(
        folder.path(),
        &format!("https://127.0.0.1:{}", front.port()),
        &[
            ("HTTPS_PROXY", proxy.url()),
            ("SSL_CERT_FILE", ca_file.display().to_string()),
        ],
    )
    .await;

    server.shutdown().await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        proxy.seen(),
        [format!("CONNECT 127.0.0.1:{} HTTP/1.1", front.port())]
    );
}

#[tokio::test]
async fn remote_proxy_skipped_for_plain_http() {
    let server = start_server().await;
    // A name that never resolves: the request must not try it.
    let client = client(
        &server.base_url(),
        ProxyMode::Manual(ProxyUrl::parse("http://proxy.invalid:8080").unwrap()),
    );

    let user = client.current_user().await;

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(user.unwrap().display_id.as_deref(), Some("DEVU-1"));
    assert_eq!(client.proxy(), None);
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let server = start_server().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirector = format!("http://{}", listener.local_addr().unwrap());
    let location = format!("{}/dev-users.self", server.base_url());
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = vec![0_u8; 4096];
        let _ = stream.read(&mut request).await.unwrap();
        let reply = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(reply.as_bytes()).await.unwrap();
    });
    let client = client(&redirector, ProxyMode::Direct);

    let error = client.current_user().await.unwrap_err();

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert!(
        matches!(error, ApiError::UnexpectedStatus { status: 307, .. }),
        "{error:?}"
    );
    assert!(requests.is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn dead_proxy_is_proxy_problem() {
    let server = start_server().await;
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = client(
        &server.base_url(),
        ProxyMode::Manual(ProxyUrl::parse(&proxy_url).unwrap()),
    );

    let error = client.current_user().await.unwrap_err();

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert!(matches!(error, ApiError::Proxy { .. }), "{error:?}");
    let shown = AppError::from(error);
    assert_eq!(shown.code, "proxy_failed");
    assert!(
        shown
            .message
            .starts_with(&format!("The proxy {proxy_url} failed")),
        "{}",
        shown.message
    );
    assert!(requests.is_empty());
}

#[tokio::test]
async fn refused_tunnel_is_proxy_problem() {
    let server = start_server().await;
    let ca = TestCa::new();
    let front = start_tls_front(&ca, server.local_addr()).await;
    let proxy = LoopbackProxy::start(true).await;
    let client = client(
        &format!("https://127.0.0.1:{}", front.port()),
        ProxyMode::Manual(ProxyUrl::parse(&proxy.url()).unwrap()),
    );

    let error = client.current_user().await.unwrap_err();

    server.shutdown().await;
    assert!(matches!(error, ApiError::Proxy { .. }), "{error:?}");
    assert_eq!(AppError::from(error).code, "proxy_failed");
    assert_eq!(proxy.seen().len(), 1);
}
