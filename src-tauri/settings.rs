//! Saved preferences (the API base URL, a proxy, the time zone, the chosen
//! columns) and the app's folders.
//!
//! Settings live in `settings.json` in the app's config folder as versioned
//! JSON. A missing file means defaults. A file that cannot be read as settings
//! is renamed aside (never deleted) and reported, and defaults are used.
//! The token is never part of the settings: it lives in the keyring.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::columns::ColumnChoice;
use crate::devrev::{BaseUrl, ProxyUrl, DEFAULT_BASE_URL};
use crate::time_zone::TimeZonePolicy;

/// Environment variable that moves the config folder, for portable installs and tests.
pub const CONFIG_DIR_ENV: &str = "DEVREV_EXPORT_CONFIG_DIR";

/// Version written to new settings files.
const SETTINGS_VERSION: u32 = 1;

/// Preferences that outlive a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Format version of the file. Files from older versions still load.
    pub version: u32,
    /// DevRev API address, such as `https://api.devrev.ai`.
    pub base_url: String,
    /// Clock that the grid, the files and the date filters use.
    pub time_zone: TimeZonePolicy,
    /// Columns of the grid and the exports, or `None` for the default choice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<ColumnChoice>,
    /// Proxy for all requests, such as `http://proxy.example.com:8080`.
    /// Absent means the environment's or the system's proxy settings apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            version: SETTINGS_VERSION,
            base_url: DEFAULT_BASE_URL.to_owned(),
            time_zone: TimeZonePolicy::default(),
            columns: None,
            proxy: None,
        }
    }
}

impl Settings {
    /// Returns the saved base URL, or the default when the saved one is invalid.
    pub fn base_url(&self) -> BaseUrl {
        BaseUrl::parse(&self.base_url).unwrap_or_default()
    }

    /// Returns the saved proxy. An invalid one, which only a hand-edited file
    /// can hold, counts as none and is logged.
    pub fn proxy(&self) -> Option<ProxyUrl> {
        let text = self.proxy.as_deref()?;
        match ProxyUrl::parse(text) {
            Ok(proxy) => Some(proxy),
            Err(error) => {
                tracing::warn!(%error, "the saved proxy is invalid, so none is set");
                None
            }
        }
    }
}

/// Settings as loaded, with a note when the file had to be set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedSettings {
    pub settings: Settings,
    /// Plain-language note for the user, such as where a damaged file was moved.
    pub warning: Option<String>,
}

/// Failure to read or write the settings.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("Could not find a folder for the app's settings. Set {CONFIG_DIR_ENV} to a folder the app may write to.")]
    NoConfigFolder,
    #[error("Could not read the settings file {}: {source}. Check the file's permissions.", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("The settings file {} is damaged ({reason}). Fix or delete it, or open the app, which sets it aside and starts with default settings.", .path.display())]
    Damaged { path: PathBuf, reason: String },
    #[error("The settings file {} has the invalid server address `{value}`. Fix or delete the file, or save a new address in the app's Settings.", .path.display())]
    InvalidBaseUrl { path: PathBuf, value: String },
    #[error("The settings file {} has the invalid proxy `{value}`. Fix or delete the file, or save a new proxy in the app's Settings.", .path.display())]
    InvalidProxy { path: PathBuf, value: String },
    #[error("Could not save the settings to {}: {source}. Check that the folder exists and that you may write to it.", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Returns the folder for settings: `$DEVREV_EXPORT_CONFIG_DIR` when set, else
/// the platform's config folder for the app (on Linux `~/.config/devrev-accounts-export`).
pub fn config_dir() -> Result<PathBuf, SettingsError> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    project_dirs()
        .map(|dirs| dirs.config_dir().to_path_buf())
        .ok_or(SettingsError::NoConfigFolder)
}

/// Returns the folder for log files: `logs` inside the config folder when
/// `$DEVREV_EXPORT_CONFIG_DIR` is set, else the platform's local data folder
/// (on Linux `~/.local/share/devrev-accounts-export/logs`).
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|dir| !dir.is_empty()) {
        return Some(PathBuf::from(dir).join("logs"));
    }
    project_dirs().map(|dirs| dirs.data_local_dir().join("logs"))
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "devrev-accounts-export")
}

/// Reads and writes `settings.json` in one folder.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    /// Creates a store in the app's config folder (see [`config_dir`]).
    pub fn in_config_dir() -> Result<Self, SettingsError> {
        Ok(SettingsStore::in_dir(&config_dir()?))
    }

    /// Creates a store for `settings.json` in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        SettingsStore {
            path: dir.join("settings.json"),
        }
    }

    /// Returns the settings file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the settings. A missing file gives defaults. A damaged file is
    /// renamed to `settings.json.damaged-<time>` and reported in the warning.
    pub async fn load(&self) -> Result<LoadedSettings, SettingsError> {
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(LoadedSettings {
                    settings: Settings::default(),
                    warning: None,
                })
            }
            Err(source) => {
                return Err(SettingsError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };

        match serde_json::from_str::<Settings>(&text) {
            Ok(settings) => Ok(LoadedSettings {
                settings,
                warning: None,
            }),
            Err(parse_error) => {
                let aside = self.set_aside().await?;
                Ok(LoadedSettings {
                    settings: Settings::default(),
                    warning: Some(format!(
                        "The settings file could not be read ({parse_error}), so default settings are used. The old file was kept as {}.",
                        aside.display()
                    )),
                })
            }
        }
    }

    /// Returns the saved base URL, or the default when no settings file
    /// exists. Unlike [`Self::load`] it changes nothing on disk and fails on a
    /// damaged file or an invalid address, so a caller never sends the token
    /// to a server the user did not choose.
    pub async fn saved_base_url(&self) -> Result<BaseUrl, SettingsError> {
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(BaseUrl::default())
            }
            Err(source) => {
                return Err(SettingsError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let settings: Settings =
            serde_json::from_str(&text).map_err(|error| SettingsError::Damaged {
                path: self.path.clone(),
                reason: error.to_string(),
            })?;
        BaseUrl::parse(&settings.base_url).map_err(|_| SettingsError::InvalidBaseUrl {
            path: self.path.clone(),
            value: settings.base_url.clone(),
        })
    }

    /// Returns the saved settings, or the defaults when no settings file
    /// exists. Like [`Self::saved_base_url`] it changes nothing on disk and
    /// fails on a damaged file.
    pub async fn saved_settings(&self) -> Result<Settings, SettingsError> {
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Settings::default())
            }
            Err(source) => {
                return Err(SettingsError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        serde_json::from_str(&text).map_err(|error| SettingsError::Damaged {
            path: self.path.clone(),
            reason: error.to_string(),
        })
    }

    /// Returns the saved proxy, or `None` when no settings file exists or it
    /// sets none. Like [`Self::saved_base_url`] it changes nothing on disk and
    /// fails on a damaged file or an invalid proxy, so requests never bypass
    /// a proxy the user set.
    pub async fn saved_proxy(&self) -> Result<Option<ProxyUrl>, SettingsError> {
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SettingsError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let settings: Settings =
            serde_json::from_str(&text).map_err(|error| SettingsError::Damaged {
                path: self.path.clone(),
                reason: error.to_string(),
            })?;
        let Some(proxy) = settings.proxy else {
            return Ok(None);
        };
        ProxyUrl::parse(&proxy)
            .map(Some)
            .map_err(|_| SettingsError::InvalidProxy {
                path: self.path.clone(),
                value: proxy,
            })
    }

    /// Saves the settings: written to a temporary file and renamed into place,
    /// so a crash never leaves a half-written file.
    pub async fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        let write_error = |source| SettingsError::Write {
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        tokio::fs::create_dir_all(dir).await.map_err(write_error)?;

        let json = serde_json::to_vec_pretty(settings).expect("settings always serialize");
        let dir = dir.to_path_buf();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut temporary = tempfile::NamedTempFile::new_in(&dir)?;
            temporary.write_all(&json)?;
            temporary.as_file().sync_all()?;
            temporary.persist(&path).map_err(|error| error.error)?;
            Ok(())
        })
        .await
        .expect("the settings writer does not panic")
        .map_err(write_error)
    }

    async fn set_aside(&self) -> Result<PathBuf, SettingsError> {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let aside = self.path.with_extension(format!("json.damaged-{stamp}"));
        tokio::fs::rename(&self.path, &aside)
            .await
            .map_err(|source| SettingsError::Write {
                path: aside.clone(),
                source,
            })?;
        Ok(aside)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();

        let loaded = SettingsStore::in_dir(dir.path()).load().await.unwrap();

        assert_eq!(loaded.settings, Settings::default());
        assert_eq!(loaded.warning, None);
    }

    #[tokio::test]
    async fn saved_settings_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        let settings = Settings {
            base_url: "http://127.0.0.1:8080".into(),
            ..Settings::default()
        };

        store.save(&settings).await.unwrap();
        let loaded = store.load().await.unwrap();

        assert_eq!(loaded.settings, settings);
    }

    #[tokio::test]
    async fn file_without_version_loads() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        std::fs::write(store.path(), r#"{"base_url": "https://example.test"}"#).unwrap();

        let loaded = store.load().await.unwrap();

        assert_eq!(loaded.settings.base_url, "https://example.test");
        assert_eq!(loaded.warning, None);
    }

    #[tokio::test]
    async fn damaged_file_is_set_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        std::fs::write(store.path(), "{not json").unwrap();

        let loaded = store.load().await.unwrap();

        assert_eq!(loaded.settings, Settings::default());
        assert!(loaded.warning.unwrap().contains("damaged"));
        let kept: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(kept.len(), 1);
        assert!(kept[0].starts_with("settings.json.damaged-"));
        let content = std::fs::read_to_string(dir.path().join(&kept[0])).unwrap();
        assert_eq!(content, "{not json");
    }

    #[tokio::test]
    async fn older_file_gets_default_zone_and_columns() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        std::fs::write(
            store.path(),
            r#"{"version": 1, "base_url": "https://example.test"}"#,
        )
        .unwrap();

        let loaded = store.load().await.unwrap();

        assert_eq!(loaded.settings.time_zone, TimeZonePolicy::Local);
        assert_eq!(loaded.settings.columns, None);
    }

    #[tokio::test]
    async fn zone_and_columns_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        let settings = Settings {
            time_zone: TimeZonePolicy::Utc,
            columns: Some(ColumnChoice::parse_list("tier,display_name").unwrap()),
            ..Settings::default()
        };

        store.save(&settings).await.unwrap();

        assert_eq!(store.load().await.unwrap().settings, settings);
        assert_eq!(store.saved_settings().await.unwrap(), settings);
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(text.contains(r#""time_zone": "utc""#), "{text}");
    }

    #[tokio::test]
    async fn saved_settings_reports_damage_without_moving_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        std::fs::write(store.path(), r#"{"time_zone": "mars"}"#).unwrap();

        let error = store.saved_settings().await.unwrap_err();

        assert!(matches!(error, SettingsError::Damaged { .. }), "{error:?}");
        assert!(store.path().exists());
    }

    #[tokio::test]
    async fn proxy_is_saved_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        let settings = Settings {
            proxy: Some("http://127.0.0.1:3128".into()),
            ..Settings::default()
        };

        store.save(&settings).await.unwrap();
        let loaded = store.load().await.unwrap();
        let saved = store.saved_proxy().await.unwrap();

        assert_eq!(
            loaded.settings.proxy.as_deref(),
            Some("http://127.0.0.1:3128")
        );
        assert_eq!(saved.unwrap().as_str(), "http://127.0.0.1:3128");
    }

    #[tokio::test]
    async fn no_proxy_is_left_out_of_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());

        store.save(&Settings::default()).await.unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();

        assert!(!text.contains("proxy"), "{text}");
        assert_eq!(store.saved_proxy().await.unwrap(), None);
    }

    #[tokio::test]
    async fn invalid_saved_proxy_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        std::fs::write(store.path(), r#"{"proxy": "socks5://127.0.0.1:1080"}"#).unwrap();

        let error = store.saved_proxy().await.unwrap_err();

        assert!(
            matches!(error, SettingsError::InvalidProxy { .. }),
            "{error}"
        );
    }
}
