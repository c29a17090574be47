//! The desktop app's state and actions, without Tauri.
//!
//! [`AppSession`] owns what the window works with: the settings, the token
//! (saved in the keyring or held for this session only), sample-data mode and
//! the last preview. It also tests the connection: who the token belongs to. The Tauri commands in [`crate::commands`] forward to it,
//! so everything here can be tested without a window.

mod lookups;
mod paused;
mod presets;

pub use presets::{ImportedPreset, PresetList};

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::columns::{ColumnChoice, ColumnOptions};
use crate::csv_export::{export_csv_to_file, with_csv_extension};
use crate::demo_server::{DemoServer, DemoServerConfig, DEFAULT_DEMO_TOKEN};
use crate::devrev::paging::PagingLimits;
use crate::devrev::{
    proxy_for, AccountsExportRequest, BaseUrl, ClientOptions, DevRevClient, DevUser, ProxyInUse,
    ProxyMode, ProxyUrl, RetryNotice, RetryPolicy, DEFAULT_BASE_URL,
};
use crate::error::AppError;
use crate::export::{
    export_resumable, with_xlsx_extension, CancellationToken, ExportSummary, FetchPlan,
    FetchSummary, PreviewSink, Progress,
};
use crate::settings::{Settings, SettingsStore};
use crate::time_zone::{ExportTimeZone, TimeZoneInfo, TimeZonePolicy};
use crate::token::{KeyringError, Token, TokenStore};

/// Number of generated accounts that sample-data mode serves.
pub const SAMPLE_ACCOUNTS: usize = 2_500;

/// Source of the token in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenSource {
    /// Saved in the operating system's keyring.
    Keyring,
    /// Held in memory until the app closes.
    Session,
}

/// Connection state shown in the window. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    pub token_source: Option<TokenSource>,
    pub keyring_available: bool,
    /// Reason the keyring cannot be used, in plain words.
    pub keyring_problem: Option<String>,
    /// The saved server address, shown for editing in Settings.
    pub base_url: String,
    /// The address requests go to now: the demo server in sample mode, else `base_url`.
    pub active_base_url: String,
    pub default_base_url: &'static str,
    pub sample_mode: bool,
    /// The proxy saved in Settings, if any.
    pub proxy: Option<String>,
    /// The proxy that requests to `active_base_url` go through, if any.
    pub proxy_in_use: Option<ProxyInUse>,
    pub version: &'static str,
    /// Note about settings that could not be read or saved.
    pub settings_warning: Option<String>,
    /// The time-zone policy, fixed to the computer's offset now.
    pub time_zone: TimeZoneInfo,
    /// The columns of the grid and the CSV export, in order.
    pub columns: ColumnChoice,
}

/// Outcome of a successful connection test.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    /// The server that answered.
    pub base_url: String,
    /// The user the token belongs to.
    pub user: DevUser,
    /// The proxy the request went through, if any.
    pub proxy: Option<ProxyInUse>,
    pub sample_mode: bool,
    pub elapsed_ms: u64,
    /// One sentence for the settings dialog, naming the user and the server.
    pub message: String,
}

struct SampleData {
    server: DemoServer,
    token: Token,
}

/// State and actions of one run of the desktop app.
pub struct AppSession {
    settings_store: Option<SettingsStore>,
    settings: Mutex<Settings>,
    settings_warning: Option<String>,
    token_store: TokenStore,
    session_token: Mutex<Option<Token>>,
    /// The user that the last successful connection test found, with the
    /// base URL and token it was found for.
    known_user: std::sync::Mutex<Option<KnownUser>>,
    sample: Mutex<Option<SampleData>>,
    /// Cancels the preview or export in progress, if any.
    current_job: std::sync::Mutex<Option<CancellationToken>>,
    /// The file the last successful export wrote, which the window may open.
    last_export: std::sync::Mutex<Option<PathBuf>>,
    /// The xlsx export that stopped on a failure and can resume, at most one.
    paused_export: std::sync::Mutex<Option<paused::PausedJob>>,
    /// Retries of previews and exports. Connection tests never retry.
    retry_policy: RetryPolicy,
    lookups: Mutex<lookups::LookupCache>,
    presets: Option<crate::presets::PresetStore>,
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
        let preset_store = presets::store_beside(settings_store.as_ref());
        AppSession {
            settings_store,
            settings: Mutex::new(settings),
            settings_warning: warning,
            token_store,
            session_token: Mutex::new(None),
            known_user: std::sync::Mutex::new(None),
            sample: Mutex::new(None),
            current_job: std::sync::Mutex::new(None),
            last_export: std::sync::Mutex::new(None),
            paused_export: std::sync::Mutex::new(None),
            retry_policy: RetryPolicy::default(),
            lookups: Mutex::default(),
            presets: preset_store,
        }
    }

    /// Replaces the retry policy of previews and exports, which is
    /// [`RetryPolicy::default`] otherwise. Tests use it to shrink the waits.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
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
        let settings = self.settings.lock().await.clone();
        let base_url = settings.base_url().to_string();
        let (active_base_url, proxy_in_use) = match sample.as_ref() {
            Some(sample) => (sample.server.base_url(), None),
            None => (
                base_url.clone(),
                proxy_for(
                    &settings.base_url(),
                    &ProxyMode::from_setting(settings.proxy()),
                ),
            ),
        };
        AppStatus {
            token_source,
            keyring_available,
            keyring_problem,
            base_url,
            active_base_url,
            default_base_url: DEFAULT_BASE_URL,
            sample_mode: sample.is_some(),
            proxy: settings.proxy.clone(),
            proxy_in_use,
            version: env!("CARGO_PKG_VERSION"),
            settings_warning: self.settings_warning.clone(),
            time_zone: ExportTimeZone::resolve(settings.time_zone).into(),
            columns: settings.columns.unwrap_or_default(),
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
        Ok(self.status().await)
    }

    /// Forgets the session token and removes the token from the keyring.
    pub async fn remove_token(&self) -> Result<AppStatus, AppError> {
        self.token_store.delete().await?;
        *self.session_token.lock().await = None;
        tracing::info!("token removed");
        Ok(self.status().await)
    }

    /// Checks and saves the API base URL.
    pub async fn set_base_url(&self, text: &str) -> Result<AppStatus, AppError> {
        let base_url = BaseUrl::parse(text)?;
        // The lock is held while saving, so memory changes only after the
        // file did, and two saves cannot interleave.
        let mut settings = self.settings.lock().await;
        let updated = Settings {
            base_url: base_url.to_string(),
            ..settings.clone()
        };
        if let Some(store) = &self.settings_store {
            store.save(&updated).await?;
        }
        *settings = updated;
        drop(settings);
        tracing::info!(base_url = %base_url, "base URL changed");
        Ok(self.status().await)
    }

    /// Saves the time-zone policy for the grid, the exports and the date filters.
    pub async fn set_time_zone(&self, policy: TimeZonePolicy) -> Result<AppStatus, AppError> {
        self.update_settings(|settings| settings.time_zone = policy)
            .await?;
        tracing::info!(time_zone = %policy, "time zone changed");
        Ok(self.status().await)
    }

    /// Checks and saves the columns of the grid and the exports. The default
    /// choice is saved as no choice, so new standard columns of later
    /// versions appear without a reset.
    pub async fn set_columns(
        &self,
        keys: Vec<String>,
        hidden: Vec<String>,
    ) -> Result<AppStatus, AppError> {
        let choice = ColumnChoice::new(keys, hidden)?;
        let columns = (!choice.is_default()).then_some(choice);
        self.update_settings(|settings| settings.columns = columns)
            .await?;
        tracing::info!("columns changed");
        Ok(self.status().await)
    }

    /// Returns the column options of a run that starts now: the saved
    /// choice, the time-zone policy fixed to the current offset, and the
    /// custom fields' display names from the org's schema.
    pub async fn column_options(&self) -> ColumnOptions {
        let facts = self.custom_field_facts().await;
        let settings = self.settings.lock().await;
        ColumnOptions {
            choice: settings.columns.clone().unwrap_or_default(),
            time_zone: ExportTimeZone::resolve(settings.time_zone),
            custom_labels: facts.labels,
            custom_dates: facts.dates,
        }
    }

    /// Returns the file that the last successful export wrote, if any.
    pub fn last_export(&self) -> Option<PathBuf> {
        self.last_export
            .lock()
            .expect("the last export lock is not poisoned")
            .clone()
    }

    /// Applies `change` to a copy of the settings, saves it, then keeps it.
    async fn update_settings(&self, change: impl FnOnce(&mut Settings)) -> Result<(), AppError> {
        // The lock is held while saving, so memory changes only after the
        // file did, and two saves cannot interleave.
        let mut settings = self.settings.lock().await;
        let mut updated = settings.clone();
        change(&mut updated);
        if let Some(store) = &self.settings_store {
            store.save(&updated).await?;
        }
        *settings = updated;
        Ok(())
    }

    /// Checks and saves the proxy for all requests. Empty text removes it, so
    /// the environment's or the system's proxy applies again.
    pub async fn set_proxy(&self, text: &str) -> Result<AppStatus, AppError> {
        let proxy = match text.trim() {
            "" => None,
            typed => Some(ProxyUrl::parse(typed)?),
        };
        let saved = proxy.as_ref().map(ToString::to_string);
        self.update_settings(|settings| settings.proxy = saved)
            .await?;
        match &proxy {
            Some(proxy) => tracing::info!(%proxy, "proxy set"),
            None => tracing::info!("proxy removed; the system's proxy settings apply"),
        }
        Ok(self.status().await)
    }

    /// Asks the server in use who the token belongs to, with one request to
    /// `dev-users.self` and no retries, so the answer names the actual
    /// problem at once: a rejected token, a missing permission, a rate limit,
    /// a server error, a certificate or proxy problem, no network, or a
    /// server that is not the DevRev API.
    pub async fn test_connection(&self) -> Result<ConnectionReport, AppError> {
        let client = self.client_with(RetryPolicy::none()).await?;
        let sample_mode = self.sample.lock().await.is_some();
        let started = std::time::Instant::now();

        let found = client.current_user().await;
        self.remember_user(&client, found.as_ref().ok());
        let user = found?;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let base_url = client.base_url().to_string();
        let route = match client.proxy() {
            Some(proxy) => format!(" through the proxy {}", proxy.address),
            None => String::new(),
        };
        let message = if sample_mode {
            format!(
                "Connected to the sample data server as {}. Your own token is not used while sample data is on.",
                user.label()
            )
        } else {
            format!(
                "Connected to {base_url}{route}. The token belongs to {}.",
                user.label()
            )
        };
        tracing::info!(base_url = %base_url, elapsed_ms, "connection test succeeded");
        Ok(ConnectionReport {
            base_url,
            proxy: client.proxy().cloned(),
            user,
            sample_mode,
            elapsed_ms,
            message,
        })
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
        Ok(self.status().await)
    }

    /// Stops the demo server and goes back to the saved server and token.
    pub async fn stop_sample_data(&self) -> AppStatus {
        let stopped = self.sample.lock().await.take();
        if let Some(sample) = stopped {
            sample.server.shutdown().await;
            tracing::info!("sample data stopped");
        }
        self.status().await
    }

    /// Runs the request and streams the matching accounts to `sink` as grid
    /// rows. With `all`, every matching account is read through `accounts.list`.
    /// Each wait before a retry goes to `on_wait`. Starting a preview or
    /// export cancels the one in progress.
    pub async fn preview(
        &self,
        request: Value,
        all: bool,
        sink: &dyn PreviewSink,
        on_wait: impl Fn(&RetryNotice) + Send + Sync + 'static,
    ) -> Result<FetchSummary, AppError> {
        let mut plan = plan_for(request, all)?;
        let client = self.client().await?.on_retry(on_wait);
        plan.columns = self.column_options().await;
        let cancel = self.start_job();

        let summary = crate::export::preview(&client, &plan, &cancel, sink).await?;
        Ok(summary)
    }

    /// Writes the accounts that match the request to `path` (`.xlsx` appended
    /// when missing), reporting progress to `on_progress` and each wait
    /// before a retry to `on_wait`.
    ///
    /// The save dialog has already asked before replacing `path`. When `.xlsx`
    /// had to be appended, the dialog never saw the final name, so an existing
    /// file there is not replaced.
    ///
    /// An export of all matching accounts that fails after its retries keeps
    /// its rows and returns an `export_paused` error; [`Self::resume_export`]
    /// continues it. Starting any export discards a paused one first.
    pub async fn export(
        &self,
        request: Value,
        all: bool,
        path: &Path,
        on_progress: impl FnMut(Progress),
        on_wait: impl Fn(&RetryNotice) + Send + Sync + 'static,
    ) -> Result<ExportSummary, AppError> {
        let mut plan = plan_for(request, all)?;
        let target = with_xlsx_extension(path);
        let overwrite = target == path;
        let client = self.client().await?.on_retry(on_wait);
        plan.columns = self.column_options().await;
        self.discard_export().await;
        let cancel = self.start_job();

        let outcome =
            export_resumable(&client, &plan, &target, overwrite, &cancel, on_progress).await?;
        let summary = self.keep_if_paused(&client, outcome)?;
        if summary.cancelled {
            tracing::info!(path = %summary.path.display(), "export cancelled");
        } else {
            tracing::info!(path = %summary.path.display(), rows = summary.rows, "workbook saved");
            self.remember_export(&summary);
        }
        Ok(summary)
    }

    /// Writes the chosen columns of the accounts that match the request to a
    /// CSV file at `path` (`.csv` appended when missing), reporting progress
    /// to `on_progress` and each wait to `on_wait`. Replacing files works as
    /// in [`Self::export`].
    ///
    /// NOTE: the CSV writer has no way to pause, so a CSV export that fails
    /// after its retries deletes its rows and cannot resume.
    pub async fn export_csv(
        &self,
        request: Value,
        all: bool,
        path: &Path,
        on_progress: impl FnMut(Progress) + Send,
        on_wait: impl Fn(&RetryNotice) + Send + Sync + 'static,
    ) -> Result<ExportSummary, AppError> {
        let plan = plan_for(request, all)?;
        let target = with_csv_extension(path);
        let overwrite = target == path;
        let client = self.client().await?.on_retry(on_wait);
        let options = self.column_options().await;
        self.discard_export().await;
        let cancel = self.start_job();

        let summary = export_csv_to_file(
            &client,
            &plan,
            &options,
            &target,
            overwrite,
            &cancel,
            on_progress,
        )
        .await?;
        if summary.cancelled {
            tracing::info!(path = %summary.path.display(), "CSV export cancelled");
        } else {
            tracing::info!(path = %summary.path.display(), rows = summary.rows, "CSV file saved");
            self.remember_export(&summary);
        }
        Ok(summary)
    }

    fn remember_export(&self, summary: &ExportSummary) {
        *self
            .last_export
            .lock()
            .expect("the last export lock is not poisoned") = Some(summary.path.clone());
    }

    /// Cancels the preview or export in progress and discards a paused
    /// export. Does nothing when neither exists.
    pub fn cancel_job(&self) {
        let job = self
            .current_job
            .lock()
            .expect("the job lock is not poisoned")
            .take();
        if let Some(cancel) = job {
            cancel.cancel();
            tracing::info!("job cancelled by the user");
        }
        // Dropping a paused export stops its writer, which deletes the
        // temporary files in the background.
        if let Some(paused) = self.take_paused() {
            tracing::info!(path = %paused.export.target().display(), "paused export discarded by a cancel");
        }
    }

    /// Registers a new job, cancelling the previous one, and returns its token.
    fn start_job(&self) -> CancellationToken {
        let cancel = CancellationToken::new();
        let previous = self
            .current_job
            .lock()
            .expect("the job lock is not poisoned")
            .replace(cancel.clone());
        if let Some(previous) = previous {
            previous.cancel();
        }
        cancel
    }

    /// Builds a client for the server and token in use that retries
    /// transient failures.
    async fn client(&self) -> Result<DevRevClient, AppError> {
        self.client_with(self.retry_policy).await
    }

    /// Builds a client for the server and token in use: the demo server in
    /// sample mode, reached directly, else the saved base URL through the
    /// saved or the system's proxy, with the session or keyring token.
    async fn client_with(&self, retry: RetryPolicy) -> Result<DevRevClient, AppError> {
        if let Some(sample) = self.sample.lock().await.as_ref() {
            let base_url = BaseUrl::parse(&sample.server.base_url())?;
            let options = ClientOptions {
                retry,
                proxy: ProxyMode::Direct,
                ..ClientOptions::default()
            };
            let client = DevRevClient::with_options(base_url, sample.token.clone(), options)?;
            let label = self.known_user_label(&client);
            return Ok(client.with_user_label(label));
        }

        let settings = self.settings.lock().await.clone();
        let base_url = settings.base_url();
        let options = ClientOptions {
            retry,
            proxy: ProxyMode::from_setting(settings.proxy()),
            ..ClientOptions::default()
        };
        let session_token = self.session_token.lock().await.clone();
        let token = match session_token {
            Some(token) => token,
            None => match self.token_store.load().await {
                Ok(Some(token)) => token,
                // Without a keyring no token can have been saved, so the
                // next step is the same as with an empty keyring.
                Ok(None) | Err(KeyringError::Unavailable { .. }) => {
                    return Err(AppError::no_token())
                }
                Err(error) => return Err(error.into()),
            },
        };
        let client = DevRevClient::with_options(base_url, token, options)?;
        let label = self.known_user_label(&client);
        Ok(client.with_user_label(label))
    }

    /// Keeps the user a connection test found for the client's server and
    /// token, or clears the last one when the test failed.
    fn remember_user(&self, client: &DevRevClient, user: Option<&crate::devrev::DevUser>) {
        let known = user.map(|user| KnownUser {
            base_url: client.base_url().to_string(),
            token: client.token().clone(),
            label: user.label(),
        });
        *self
            .known_user
            .lock()
            .expect("the known user lock is not poisoned") = known;
    }

    /// Returns the user found for the client's server and token, if any.
    fn known_user_label(&self, client: &DevRevClient) -> Option<String> {
        let known = self
            .known_user
            .lock()
            .expect("the known user lock is not poisoned");
        known
            .as_ref()
            .filter(|known| {
                known.base_url == client.base_url().to_string() && &known.token == client.token()
            })
            .map(|known| known.label.clone())
    }
}

/// The user that a connection test found for one server and token.
struct KnownUser {
    base_url: String,
    token: Token,
    label: String,
}

/// Checks the request and turns it into a fetch plan with the default page size.
fn plan_for(request: Value, all: bool) -> Result<FetchPlan, AppError> {
    let request = AccountsExportRequest::from_value(request)?;
    Ok(FetchPlan {
        request,
        all,
        limits: PagingLimits::default(),
        columns: ColumnOptions::default(),
    })
}
