//! `presets.json` and `last-used.json` in the app's config folder, and the
//! single-preset files that "Export preset" writes.
//!
//! Both files are versioned JSON written to a temporary file and renamed into
//! place. A missing file means no presets. A file from an older version loads
//! with defaults for what it lacks and is rewritten in the current version on
//! the next change. A file that cannot be read as presets is renamed to
//! `<name>.damaged-<time>` and reported, never deleted. A file from a newer
//! version is read but left unchanged: changes are refused until the app is
//! updated.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    check_name, Preset, PresetError, MAX_PRESET_FILE_BYTES, PRESETS_VERSION, PRESET_FILE_KIND,
};

const PRESETS_FILE: &str = "presets.json";
const LAST_USED_FILE: &str = "last-used.json";

/// The presets as loaded, with a note for the user when the file needed care.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadedPresets {
    pub presets: Vec<Preset>,
    /// Plain-language note, such as where a damaged file was moved.
    pub warning: Option<String>,
    /// True when the file is from a newer version and changes are refused.
    pub read_only: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct PresetsFile {
    /// Missing in files written before the format had a version.
    #[serde(default)]
    version: u32,
    #[serde(default)]
    presets: Vec<Preset>,
}

#[derive(Debug, Serialize, Deserialize)]
struct LastUsedFile {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    settings: Preset,
}

#[derive(Debug, Serialize, Deserialize)]
struct PresetExportFile {
    kind: String,
    version: u32,
    preset: Preset,
}

/// Outcome of reading a versioned file.
enum Read<T> {
    Missing,
    Loaded(T),
    /// From a newer version. `content` is what this version could read.
    Newer {
        content: T,
        version: u64,
    },
    /// Renamed aside to the given path.
    SetAside {
        aside: PathBuf,
        reason: String,
    },
}

/// Reads and writes the preset files of one folder. Changes are serialized
/// within the process, so two quick saves cannot lose one another.
#[derive(Debug, Clone)]
pub struct PresetStore {
    dir: PathBuf,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl PresetStore {
    /// Creates a store in the app's config folder, beside `settings.json`.
    pub fn in_config_dir() -> Result<Self, PresetError> {
        Ok(PresetStore::in_dir(&crate::settings::config_dir()?))
    }

    /// Creates a store for the preset files in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        PresetStore {
            dir: dir.to_path_buf(),
            lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Returns the path of `presets.json`.
    pub fn presets_path(&self) -> PathBuf {
        self.dir.join(PRESETS_FILE)
    }

    /// Loads every preset, in the order saved.
    pub async fn load(&self) -> Result<LoadedPresets, PresetError> {
        let _guard = self.lock.lock().await;
        self.load_unlocked().await
    }

    /// Returns the preset named `name`.
    pub async fn get(&self, name: &str) -> Result<Preset, PresetError> {
        let loaded = self.load().await?;
        find_preset(&loaded.presets, name)
    }

    /// Saves `preset` after checking it. With `replace`, a preset of the same
    /// name (compared without case) is replaced in place; without it, an
    /// existing name is an error. Returns the presets after the change.
    pub async fn save(&self, preset: Preset, replace: bool) -> Result<Vec<Preset>, PresetError> {
        preset.validate()?;
        self.change(|presets| {
            match presets
                .iter()
                .position(|existing| same_name(&existing.name, &preset.name))
            {
                Some(_) if !replace => Err(PresetError::Exists {
                    name: preset.name.clone(),
                }),
                Some(position) => {
                    presets[position] = preset;
                    Ok(())
                }
                None => {
                    presets.push(preset);
                    Ok(())
                }
            }
        })
        .await
    }

    /// Renames a preset. Changing only the case of its name is allowed.
    pub async fn rename(&self, old: &str, new: &str) -> Result<Vec<Preset>, PresetError> {
        check_name(new)?;
        self.change(|presets| {
            let position = presets
                .iter()
                .position(|preset| preset.name == old)
                .ok_or_else(|| not_found(presets, old))?;
            let taken = presets
                .iter()
                .enumerate()
                .any(|(index, preset)| index != position && same_name(&preset.name, new));
            if taken {
                return Err(PresetError::Exists {
                    name: new.to_owned(),
                });
            }
            presets[position].name = new.to_owned();
            Ok(())
        })
        .await
    }

    /// Deletes a preset.
    pub async fn delete(&self, name: &str) -> Result<Vec<Preset>, PresetError> {
        self.change(|presets| {
            let position = presets
                .iter()
                .position(|preset| preset.name == name)
                .ok_or_else(|| not_found(presets, name))?;
            presets.remove(position);
            Ok(())
        })
        .await
    }

    /// Writes one preset to a small file that [`Self::import_file`] reads
    /// back. The folder is left out, because it is a path on this computer.
    pub async fn export_file(&self, name: &str, path: &Path) -> Result<(), PresetError> {
        let mut preset = self.get(name).await?;
        preset.folder = None;
        let file = PresetExportFile {
            kind: PRESET_FILE_KIND.to_owned(),
            version: PRESETS_VERSION,
            preset,
        };
        write_json(path, &file).await
    }

    /// Reads a file made by [`Self::export_file`] and saves its preset. A
    /// name already in use gets ` (2)`, ` (3)` and so on. Returns the saved
    /// preset and the presets after the change.
    pub async fn import_file(&self, path: &Path) -> Result<(Preset, Vec<Preset>), PresetError> {
        let text = read_limited(path).await?;
        let not_preset = |reason: String| PresetError::NotAPresetFile {
            path: path.to_path_buf(),
            reason,
        };
        let value: Value =
            serde_json::from_str(&text).map_err(|error| not_preset(error.to_string()))?;
        if value.get("kind").and_then(Value::as_str) != Some(PRESET_FILE_KIND) {
            return Err(not_preset(format!(
                "its `kind` is not \"{PRESET_FILE_KIND}\""
            )));
        }
        let version = value.get("version").and_then(Value::as_u64).unwrap_or(0);
        if version > u64::from(PRESETS_VERSION) {
            return Err(PresetError::NewerVersion {
                path: path.to_path_buf(),
                version,
            });
        }
        let file: PresetExportFile =
            serde_json::from_value(value).map_err(|error| not_preset(error.to_string()))?;

        let mut preset = file.preset;
        preset.name = preset.name.trim().to_owned();
        preset.folder = None;
        preset.validate()?;

        let mut saved = None;
        let presets = self
            .change(|presets| {
                let base = preset.name.clone();
                let mut candidate = base.clone();
                let mut number = 2;
                while presets
                    .iter()
                    .any(|existing| same_name(&existing.name, &candidate))
                {
                    candidate = format!("{base} ({number})");
                    number += 1;
                }
                preset.name = candidate;
                presets.push(preset.clone());
                saved = Some(preset.clone());
                Ok(())
            })
            .await?;
        Ok((saved.expect("the change ran"), presets))
    }

    /// Returns the form as last used, if it was saved and can be read. A
    /// damaged file is set aside and gives `None`.
    pub async fn load_last_used(&self) -> Result<Option<Preset>, PresetError> {
        let path = self.dir.join(LAST_USED_FILE);
        let read = read_versioned(&path, |value| {
            serde_json::from_value::<LastUsedFile>(value).map(|file| file.settings)
        })
        .await?;
        Ok(match read {
            Read::Loaded(settings)
            | Read::Newer {
                content: settings, ..
            } => Some(settings),
            Read::Missing => None,
            Read::SetAside { aside, reason } => {
                tracing::warn!(aside = %aside.display(), %reason, "last-used settings set aside");
                None
            }
        })
    }

    /// Saves the form as last used. Its filters are not checked, because an
    /// unfinished form is worth keeping too.
    pub async fn save_last_used(&self, settings: &Preset) -> Result<(), PresetError> {
        let file = LastUsedFile {
            version: PRESETS_VERSION,
            settings: settings.clone(),
        };
        write_json(&self.dir.join(LAST_USED_FILE), &file).await
    }

    async fn load_unlocked(&self) -> Result<LoadedPresets, PresetError> {
        let path = self.presets_path();
        let read = read_versioned(&path, |value| {
            serde_json::from_value::<PresetsFile>(value).map(|file| file.presets)
        })
        .await?;
        Ok(match read {
            Read::Missing => LoadedPresets::default(),
            Read::Loaded(presets) => LoadedPresets {
                presets,
                warning: None,
                read_only: false,
            },
            Read::Newer { content, version } => LoadedPresets {
                presets: content,
                warning: Some(
                    PresetError::NewerVersion {
                        path: path.clone(),
                        version,
                    }
                    .to_string(),
                ),
                read_only: true,
            },
            Read::SetAside { aside, reason } => LoadedPresets {
                presets: Vec::new(),
                warning: Some(format!(
                    "The presets file could not be read ({reason}), so it was set aside as {} and no presets are loaded. Nothing in it was deleted.",
                    aside.display()
                )),
                read_only: false,
            },
        })
    }

    /// Loads the presets, applies `edit` and saves them, all under the lock.
    async fn change(
        &self,
        edit: impl FnOnce(&mut Vec<Preset>) -> Result<(), PresetError>,
    ) -> Result<Vec<Preset>, PresetError> {
        let _guard = self.lock.lock().await;
        let path = self.presets_path();
        let loaded = self.load_unlocked().await?;
        if loaded.read_only {
            let version = read_version(&path).await.unwrap_or(0);
            return Err(PresetError::NewerVersion { path, version });
        }

        let mut presets = loaded.presets;
        edit(&mut presets)?;
        let file = PresetsFile {
            version: PRESETS_VERSION,
            presets,
        };
        write_json(&path, &file).await?;
        tracing::info!(presets = file.presets.len(), "presets saved");
        Ok(file.presets)
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Returns the preset named `name`, compared exactly first and then without case.
pub fn find_preset(presets: &[Preset], name: &str) -> Result<Preset, PresetError> {
    presets
        .iter()
        .find(|preset| preset.name == name)
        .or_else(|| presets.iter().find(|preset| same_name(&preset.name, name)))
        .cloned()
        .ok_or_else(|| not_found(presets, name))
}

fn not_found(presets: &[Preset], name: &str) -> PresetError {
    let known = if presets.is_empty() {
        "none".to_owned()
    } else {
        presets
            .iter()
            .map(|preset| format!("`{}`", preset.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    PresetError::NotFound {
        name: name.to_owned(),
        known,
    }
}

/// Reads a versioned file and decodes it with `decode`, setting it aside
/// when it is not JSON or does not decode.
async fn read_versioned<T>(
    path: &Path,
    decode: impl Fn(Value) -> Result<T, serde_json::Error>,
) -> Result<Read<T>, PresetError> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Read::Missing),
        Err(error) if error.kind() == std::io::ErrorKind::InvalidData => {
            return set_aside(path, "it is not UTF-8 text".to_owned()).await;
        }
        Err(source) => {
            return Err(PresetError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };

    let value: Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => return set_aside(path, error.to_string()).await,
    };
    // Older files lack fields that came later, and serde fills in their
    // defaults. A file without `version` predates versioning (version 0).
    let version = value.get("version").and_then(Value::as_u64).unwrap_or(0);
    match decode(value) {
        Ok(content) if version > u64::from(PRESETS_VERSION) => Ok(Read::Newer { content, version }),
        Ok(content) => Ok(Read::Loaded(content)),
        Err(error) if version > u64::from(PRESETS_VERSION) => {
            tracing::warn!(%error, version, "a preset file from a newer version could not be read");
            Err(PresetError::NewerVersion {
                path: path.to_path_buf(),
                version,
            })
        }
        Err(error) => set_aside(path, error.to_string()).await,
    }
}

async fn read_version(path: &Path) -> Option<u64> {
    let text = tokio::fs::read_to_string(path).await.ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value.get("version").and_then(Value::as_u64)
}

async fn set_aside<T>(path: &Path, reason: String) -> Result<Read<T>, PresetError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".damaged-{stamp}"));
    let aside = PathBuf::from(aside);
    tokio::fs::rename(path, &aside)
        .await
        .map_err(|source| PresetError::Write {
            path: aside.clone(),
            source,
        })?;
    tracing::warn!(path = %path.display(), aside = %aside.display(), %reason, "damaged preset file set aside");
    Ok(Read::SetAside { aside, reason })
}

/// Reads a file of at most [`MAX_PRESET_FILE_BYTES`] as text.
async fn read_limited(path: &Path) -> Result<String, PresetError> {
    let read_error = |source| PresetError::Read {
        path: path.to_path_buf(),
        source,
    };
    let metadata = tokio::fs::metadata(path).await.map_err(read_error)?;
    if metadata.len() > MAX_PRESET_FILE_BYTES {
        return Err(PresetError::TooLarge {
            path: path.to_path_buf(),
            bytes: metadata.len(),
        });
    }
    let bytes = tokio::fs::read(path).await.map_err(read_error)?;
    String::from_utf8(bytes).map_err(|_| PresetError::NotAPresetFile {
        path: path.to_path_buf(),
        reason: "it is not UTF-8 text".to_owned(),
    })
}

/// Writes JSON to a temporary file beside `path` and renames it into place,
/// so a crash never leaves a half-written file.
async fn write_json(path: &Path, content: &impl Serialize) -> Result<(), PresetError> {
    let json = serde_json::to_vec_pretty(content).expect("presets always serialize");
    let target = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let dir = target.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
        temporary.write_all(&json)?;
        temporary.as_file().sync_all()?;
        temporary.persist(&target).map_err(|error| error.error)?;
        Ok(())
    })
    .await
    .expect("the preset writer does not panic")
    .map_err(|source| PresetError::Write {
        path: path.to_path_buf(),
        source,
    })
}
