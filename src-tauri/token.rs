//! The DevRev API token and its place in the operating system's keyring.
//!
//! [`Token`] contains the secret and never prints it: its `Debug` output is
//! redacted and it has no `Display`. [`TokenStore`] keeps one token in the
//! platform's credential store (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows). The keyring crate's in-memory mock store is
//! never used: on a platform without a supported store every call reports
//! [`KeyringError::Unavailable`].

use std::fmt;
use std::time::Duration;

/// Maximum wait for the platform keyring to respond to one call.
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(15);

/// A DevRev API token (a personal access token or another bearer token).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Reason that pasted text is not a usable token. The messages never quote the text,
/// because it may be most of a real secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("The API token is empty. Paste the personal access token you created in DevRev.")]
    Empty,
    #[error("The API token contains a space, line break or other character that tokens never contain, at position {position} (tokens consist of visible ASCII characters only). Copy the token again and paste only the token.")]
    InvalidCharacter {
        /// 1-based position of the first bad character, counted after trimming.
        position: usize,
    },
}

impl Token {
    /// Cleans up a pasted token: surrounding white space and a leading
    /// `Bearer ` (any case) are removed. The rest must be visible ASCII, as an
    /// HTTP header value requires.
    pub fn parse(pasted: &str) -> Result<Token, TokenError> {
        let mut text = pasted.trim();
        if let Some(prefix) = text.get(..6) {
            let rest = &text[6..];
            let is_scheme = rest.is_empty() || rest.starts_with(char::is_whitespace);
            if prefix.eq_ignore_ascii_case("bearer") && is_scheme {
                text = rest.trim_start();
            }
        }
        if text.is_empty() {
            return Err(TokenError::Empty);
        }
        if let Some(index) = text.chars().position(|c| !c.is_ascii_graphic()) {
            return Err(TokenError::InvalidCharacter {
                position: index + 1,
            });
        }
        Ok(Token(text.to_owned()))
    }

    /// Returns the secret, for the `Authorization` header and the keyring only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Failure to use the platform keyring.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyringError {
    #[error("This computer has no keyring service that the app can use ({detail}), so the token cannot be saved. You can use the token for this session only, or set the DEVREV_TOKEN environment variable for the command line.")]
    Unavailable { detail: String },
    #[error("The keyring refused access to the saved token ({detail}). Unlock the keyring (on Linux, the login keyring) and try again.")]
    Locked { detail: String },
    #[error("The saved token in the keyring is damaged. Remove it in Settings and save the token again.")]
    Damaged,
    #[error("The keyring failed: {detail}. Try again; if it keeps failing, restart the computer's keyring service.")]
    Failed { detail: String },
}

/// Location of the token: one entry in the platform credential store.
#[derive(Debug, Clone)]
pub struct TokenStore {
    service: String,
    user: String,
}

impl Default for TokenStore {
    fn default() -> Self {
        TokenStore::new(TokenStore::DEFAULT_SERVICE, TokenStore::DEFAULT_USER)
    }
}

impl TokenStore {
    /// Service name under which the app's token is stored.
    pub const DEFAULT_SERVICE: &'static str = "devrev-accounts-export";
    /// Entry name of the token within the service.
    pub const DEFAULT_USER: &'static str = "api-token";

    /// Creates a store for the entry `service`/`user`. Tests use their own
    /// service name so they never touch a real saved token.
    pub fn new(service: &str, user: &str) -> Self {
        TokenStore {
            service: service.to_owned(),
            user: user.to_owned(),
        }
    }

    /// Saves the token, replacing any token saved before.
    pub async fn save(&self, token: &Token) -> Result<(), KeyringError> {
        let token = token.clone();
        self.run(move |entry| entry.set_password(token.expose()).map_err(map_error))
            .await
    }

    /// Reads the saved token. No token saved is `Ok(None)`.
    pub async fn load(&self) -> Result<Option<Token>, KeyringError> {
        self.run(|entry| match entry.get_password() {
            Ok(secret) => Token::parse(&secret)
                .map(Some)
                .map_err(|_| KeyringError::Damaged),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(map_error(error)),
        })
        .await
    }

    /// Removes the saved token. Removing when none is saved succeeds.
    pub async fn delete(&self) -> Result<(), KeyringError> {
        self.run(|entry| match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(map_error(error)),
        })
        .await
    }

    /// Runs a blocking keyring call on tokio's blocking pool, because the
    /// platform stores respond over D-Bus or system calls that may take a while.
    async fn run<T, F>(&self, call: F) -> Result<T, KeyringError>
    where
        T: Send + 'static,
        F: FnOnce(&keyring::Entry) -> Result<T, KeyringError> + Send + 'static,
    {
        let service = self.service.clone();
        let user = self.user.clone();
        let blocking = tokio::task::spawn_blocking(move || {
            let entry = platform_entry(&service, &user)?;
            call(&entry)
        });
        // A keyring that never responds (a stuck daemon, an unlock prompt on a
        // machine without a display) must not hang the app or the command line.
        match tokio::time::timeout(KEYRING_TIMEOUT, blocking).await {
            Ok(Ok(result)) => result,
            Ok(Err(error)) => Err(KeyringError::Failed {
                detail: error.to_string(),
            }),
            Err(_) => Err(KeyringError::Unavailable {
                detail: format!(
                    "it did not respond within {} seconds",
                    KEYRING_TIMEOUT.as_secs()
                ),
            }),
        }
    }
}

/// Builds an entry in the platform's persistent store, never in the mock store.
fn platform_entry(service: &str, user: &str) -> Result<keyring::Entry, KeyringError> {
    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    let builder = keyring::secret_service::default_credential_builder();
    #[cfg(target_os = "macos")]
    let builder = keyring::macos::default_credential_builder();
    #[cfg(target_os = "windows")]
    let builder = keyring::windows::default_credential_builder();
    #[cfg(not(any(
        target_os = "linux",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "macos",
        target_os = "windows"
    )))]
    return Err(KeyringError::Unavailable {
        detail: "no supported credential store on this operating system".into(),
    });

    #[cfg(any(
        target_os = "linux",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "macos",
        target_os = "windows"
    ))]
    {
        let credential = builder.build(None, service, user).map_err(map_error)?;
        Ok(keyring::Entry::new_with_credential(credential))
    }
}

fn map_error(error: keyring::Error) -> KeyringError {
    match error {
        keyring::Error::PlatformFailure(source) => KeyringError::Unavailable {
            detail: source.to_string(),
        },
        keyring::Error::NoStorageAccess(source) => KeyringError::Locked {
            detail: source.to_string(),
        },
        keyring::Error::BadEncoding(_) => KeyringError::Damaged,
        other => KeyringError::Failed {
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_trims_and_strips_bearer() {
        let token = Token::parse("  Bearer abc.DEF-123 \n").unwrap();

        assert_eq!(token.expose(), "abc.DEF-123");
    }

    #[test]
    fn parse_strips_bearer_in_any_case() {
        assert_eq!(Token::parse("bearer xyz").unwrap().expose(), "xyz");
        assert_eq!(Token::parse("BEARER   xyz").unwrap().expose(), "xyz");
    }

    #[test]
    fn parse_rejects_empty() {
        assert_eq!(Token::parse("   "), Err(TokenError::Empty));
        assert_eq!(Token::parse("Bearer "), Err(TokenError::Empty));
    }

    #[test]
    fn parse_rejects_inner_whitespace_by_position() {
        assert_eq!(
            Token::parse("abc def"),
            Err(TokenError::InvalidCharacter { position: 4 })
        );
    }

    #[test]
    fn debug_output_is_redacted() {
        let token = Token::parse("super-secret").unwrap();

        assert_eq!(format!("{token:?}"), "Token(<redacted>)");
    }
}
