//! The token store against the real Secret Service: save, read back from a new
//! process, replace, delete. `scripts/test.sh` runs these inside a private
//! D-Bus session with an unlocked gnome-keyring; plain `cargo test` skips them.

use std::process::Command;

use devrev_export::token::{KeyringError, Token, TokenStore};

const CHILD_SERVICE_ENV: &str = "KEYRING_TEST_SERVICE";
const CHILD_EXPECT_ENV: &str = "KEYRING_TEST_EXPECT";

/// Service name unique to this run, so parallel runs and a real saved token never collide.
fn test_service() -> String {
    format!("devrev-accounts-export-test-{}", std::process::id())
}

/// Runs `read_back_in_child` in a new process and asserts that it passed.
/// `expected` is the token that process must read, or `None` for no token.
fn read_in_new_process(service: &str, expected: Option<&str>) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "read_back_in_child",
            "--include-ignored",
            "--nocapture",
        ])
        .env(CHILD_SERVICE_ENV, service)
        .env(CHILD_EXPECT_ENV, expected.unwrap_or(""))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child process did not read {expected:?}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
#[ignore = "needs a Secret Service; scripts/test.sh provides one"]
async fn token_round_trip_across_processes() {
    let service = test_service();
    let store = TokenStore::new(&service, TokenStore::DEFAULT_USER);
    let first = Token::parse("first-token-AAA").unwrap();
    let second = Token::parse("Bearer second-token-BBB").unwrap();

    store.save(&first).await.unwrap();
    read_in_new_process(&service, Some("first-token-AAA"));

    store.save(&second).await.unwrap();
    read_in_new_process(&service, Some("second-token-BBB"));

    store.delete().await.unwrap();
    read_in_new_process(&service, None);
    assert_eq!(store.load().await.unwrap(), None);
}

#[tokio::test]
#[ignore = "needs a Secret Service; scripts/test.sh provides one"]
async fn delete_without_token_succeeds() {
    let store = TokenStore::new(&format!("{}-empty", test_service()), "api-token");

    store.delete().await.unwrap();

    assert_eq!(store.load().await.unwrap(), None);
}

/// Runs the second half of `token_round_trip_across_processes` in a new
/// process. It checks nothing when started without its environment variables.
#[tokio::test]
#[ignore = "started by token_round_trip_across_processes"]
async fn read_back_in_child() {
    let (Ok(service), Ok(expected)) = (
        std::env::var(CHILD_SERVICE_ENV),
        std::env::var(CHILD_EXPECT_ENV),
    ) else {
        return;
    };
    let store = TokenStore::new(&service, TokenStore::DEFAULT_USER);

    let loaded = store.load().await.unwrap();

    let expected = (!expected.is_empty()).then_some(expected);
    assert_eq!(loaded.as_ref().map(Token::expose), expected.as_deref());
}

#[tokio::test]
async fn missing_secret_service_is_reported_plainly() {
    // A D-Bus address where nothing listens stands for a desktop without a
    // keyring service. The check runs in a new process so the address does
    // not leak into other tests.
    let output = Command::new(env!("CARGO_BIN_EXE_devrev-accounts-export"))
        .args(["export", "--out"])
        .arg(std::env::temp_dir().join(format!("never-written-{}.xlsx", std::process::id())))
        .args(["--base-url", "http://127.0.0.1:9"])
        .env_remove("DEVREV_TOKEN")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/keyring-test-bus",
        )
        .env(
            "DEVREV_EXPORT_CONFIG_DIR",
            tempfile::tempdir().unwrap().path(),
        )
        .output()
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("could not be read from the keyring"),
        "{stderr}"
    );
    assert!(stderr.contains("DEVREV_TOKEN"), "{stderr}");
}

#[test]
fn unavailable_error_offers_session_token() {
    let error = KeyringError::Unavailable {
        detail: "no Secret Service".into(),
    };

    assert!(error.to_string().contains("for this session only"));
}
