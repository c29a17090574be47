//! The desktop app's state and actions, without Tauri.
//!
//! [`AppSession`] owns what the window works with: the settings, the token
//! (saved in the keyring or held for this session only), sample-data mode and
//! the last preview. The Tauri commands in [`crate::commands`] forward to it,
//! so everything here can be tested without a window.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::columns::{build_table, Column};
use crate::demo_server::{DemoServer, DemoServerConfig, DEFAULT_DEMO_TOKEN};
use crate::devrev::{AccountsExportRequest, BaseUrl, DevRevClient, DEFAULT_BASE_URL};
use crate::error::AppError;
use crate::export::{
    fetch_accounts, with_xlsx_extension, write_accounts, ExportSummary, FetchedAccounts,
};
use crate::settings::{Settings, SettingsStore};
use crate::token::{KeyringError, Token, TokenStore};

/// Number of generated accounts that sample-data mode serves.
pub const SAMPLE_ACCOUNTS: usize = 2_500;

/// Where the token in use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenSource {
    /// Saved in the operating system's keyring.
    Keyring,
    /// Held in memory until the app closes.
    Session,
}

/// What the window shows about the connection. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    pub token_source: Option<TokenSource>,
    pub keyring_available: bool,
    /// Why the keyring cannot be used, in plain words.
    pub keyring_problem: Option<String>,
    pub base_url: String,
    pub default_base_url: &'static str,
    pub sample_mode: bool,
    pub version: &'static str,
    /// Note about settings that could not be read or saved.
    pub settings_warning: Option<String>,
}

/// Accounts of one preview as grid rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<crate::columns::CellValue>>,
    pub count: usize,
    /// The `first` that applied.
    pub limit: u32,
    /// True when the API returned exactly `limit` accounts.
    pub may_be_truncated: bool,
}

struct SampleData {
    server: DemoServer,
    token: Token,
}

struct CachedPreview {
    base_url: BaseUrl,
    request: AccountsExportRequest,
    fetched: FetchedAccounts,
}

/// State and actions of one run of the desktop app.
pub struct AppSession {
    settings_store: Option<SettingsStore>,
    settings: Mutex<Settings>,
    settings_warning: Mutex<Option<String>>,
    token_store: TokenStore,
    session_token: Mutex<Option<Token>>,
    sample: Mutex<Option<SampleData>>,
    last_preview: Mutex<Option<CachedPreview>>,
}

impl AppSession {
    /// Loads the settings and prepares the session. Without a settings store
    /// the defaults are used and changes last until the app closes.
    pub async fn open(settings_store: Option<SettingsStore>, token_store: TokenStore) -> Self {
        let (settings, warning) = match &settings_store {
            Some(store) => match store.load().await {
                Ok(loaded) => (loaded.settings, loaded.warning),
                Err(error) => (Settings::default(), Some(error.to_string())),
            },
            None => (
                Settings::default(),
                Some("No settings folder was found, so settings will not be saved.".to_owned()),
            ),
        };
        if let Some(warning) = &warning {
            tracing::warn!(%warning, "settings not loaded");
        }
        AppSession {
            settings_store,
            settings: Mutex::new(settings),
            settings_warning: Mutex::new(warning),
            token_store,
            session_token: Mutex::new(None),
            sample: Mutex::new(None),
            last_preview: Mutex::new(None),
        }
    }

    /// Reports where the token comes from, whether the keyring works, and the server in use.
    pub async fn status(&self) -> AppStatus {
        let keyring = self.token_store.load().await;
        let session_token = self.session_token.lock().await.is_some();
        let token_source = match (&keyring, session_token) {
            (_, true) => Some(TokenSource::Session),
            (Ok(Some(_)), false) => Some(TokenSource::Keyring),
            _ => None,
        };
        let keyring_problem = keyring.as_ref().err().map(ToString::to_string);
        let keyring_available = !matches!(keyring, Err(KeyringError::Unavailable { .. }));

        let sample = self.sample.lock().await;
        let base_url = match sample.as_ref() {
            Some(sample) => sample.server.base_url(),
            None => self.settings.lock().await.base_url().to_string(),
        };
        AppStatus {
            token_source,
            keyring_available,
            keyring_problem,
            base_url,
            default_base_url: DEFAULT_BASE_URL,
            sample_mode: sample.is_some(),
            version: env!("CARGO_PKG_VERSION"),
            settings_warning: self.settings_warning.lock().await.clone(),
        }
    }

    /// Saves a pasted token in the keyring, or keeps it for this session only.
    /// A token saved in the keyring replaces a session-only one.
    pub async fn save_token(
        &self,
        pasted: &str,
        session_only: bool,
    ) -> Result<AppStatus, AppError> {
        let token = Token::parse(pasted)?;
        if session_only {
            *self.session_token.lock().await = Some(token);
            tracing::info!("token kept for this session only");
        } else {
            self.token_store.save(&token).await?;
            *self.session_token.lock().await = None;
            tracing::info!("token saved in the keyring");
        }
        self.forget_preview().await;
        Ok(self.status().await)
    }

    /// Forgets the session token and removes the token from the keyring.
    pub async fn remove_token(&self) -> Result<AppStatus, AppError> {
        *self.session_token.lock().await = None;
        self.token_store.delete().await?;
        self.forget_preview().await;
        tracing::info!("token removed");
        Ok(self.status().await)
    }

    /// Checks and saves the API base URL.
    pub async fn set_base_url(&self, text: &str) -> Result<AppStatus, AppError> {
        let base_url = BaseUrl::parse(text)?;
        let updated = {
            let mut settings = self.settings.lock().await;
            settings.base_url = base_url.to_string();
            settings.clone()
        };
        if let Some(store) = &self.settings_store {
            store.save(&updated).await?;
        }
        self.forget_preview().await;
        tracing::info!(base_url = %base_url, "base URL changed");
        Ok(self.status().await)
    }

    /// Starts the built-in demo server on loopback and uses it until
    /// [`Self::stop_sample_data`], without touching the saved settings or token.
    pub async fn start_sample_data(&self) -> Result<AppStatus, AppError> {
        let mut sample = self.sample.lock().await;
        if sample.is_none() {
            let config = DemoServerConfig {
                accounts: SAMPLE_ACCOUNTS,
                ..DemoServerConfig::default()
            };
            let server = DemoServer::start(config)
                .await
                .map_err(|error| AppError::new("sample_data_failed", error.to_string()))?;
            tracing::info!(base_url = %server.base_url(), "sample data started");
            let token = Token::parse(DEFAULT_DEMO_TOKEN).expect("the demo token is valid");
            *sample = Some(SampleData { server, token });
        }
        drop(sample);
        self.forget_preview().await;
        Ok(self.status().await)
    }

    /// Stops the demo server and goes back to the saved server and token.
    pub async fn stop_sample_data(&self) -> AppStatus {
        let stopped = self.sample.lock().await.take();
        if let Some(sample) = stopped {
            sample.server.shutdown().await;
            tracing::info!("sample data stopped");
        }
        self.forget_preview().await;
        self.status().await
    }

    /// Runs the export request and returns the accounts as grid rows.
    pub async fn preview(&self, request: Value) -> Result<Preview, AppError> {
        let request = AccountsExportRequest::from_value(request)?;
        let client = self.client().await?;
        let fetched = fetch_accounts(&client, &request).await?;

        let table = build_table(&fetched.accounts);
        let preview = Preview {
            count: table.rows.len(),
            columns: table.columns,
            rows: table.rows,
            limit: fetched.limit,
            may_be_truncated: fetched.may_be_truncated(),
        };
        *self.last_preview.lock().await = Some(CachedPreview {
            base_url: client.base_url().clone(),
            request,
            fetched,
        });
        Ok(preview)
    }

    /// Writes the accounts that match the request to `path` (`.xlsx` appended
    /// when missing). Reuses the last preview when its request and server are
    /// the same, so the file holds exactly what the grid showed.
    ///
    /// The save dialog has already asked before replacing `path`. When `.xlsx`
    /// had to be appended, the dialog never saw the final name, so an existing
    /// file there is not replaced.
    pub async fn export(&self, request: Value, path: &Path) -> Result<ExportSummary, AppError> {
        let request = AccountsExportRequest::from_value(request)?;
        let target = with_xlsx_extension(path);
        let overwrite = target == path;
        let client = self.client().await?;

        let cached = self.last_preview.lock().await.as_ref().and_then(|cached| {
            let same = cached.request == request && &cached.base_url == client.base_url();
            same.then(|| cached.fetched.clone())
        });
        let fetched = match cached {
            Some(fetched) => fetched,
            None => fetch_accounts(&client, &request).await?,
        };

        let summary = write_accounts(fetched, &target, overwrite).await?;
        tracing::info!(path = %summary.path.display(), rows = summary.rows, "workbook saved");
        Ok(summary)
    }

    /// Builds a client for the server and token in use: the demo server in
    /// sample mode, else the saved base URL with the session or keyring token.
    async fn client(&self) -> Result<DevRevClient, AppError> {
        if let Some(sample) = self.sample.lock().await.as_ref() {
            let base_url = BaseUrl::parse(&sample.server.base_url())?;
            return Ok(DevRevClient::new(base_url, sample.token.clone()));
        }

        let base_url = self.settings.lock().await.base_url();
        let session_token = self.session_token.lock().await.clone();
        let token = match session_token {
            Some(token) => token,
            None => self
                .token_store
                .load()
                .await?
                .ok_or_else(AppError::no_token)?,
        };
        Ok(DevRevClient::new(base_url, token))
    }

    async fn forget_preview(&self) {
        *self.last_preview.lock().await = None;
    }
}
