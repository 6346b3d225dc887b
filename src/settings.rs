//! The user's settings: what Bosun remembers between runs (theme, screen, window, context).
//!
//! Settings live as JSON in the user's config directory. Writes are atomic (temp file, fsync, rename), so a crash
//! mid-write never leaves a half-written file; a file that cannot be read is set aside, not overwritten, and the
//! user is told where it went. This module does disk I/O: call it from start-up, exit or a background task,
//! never from a frame.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic_file::write_atomically;

/// Environment variable that overrides where settings are kept (used by tests and portable installs).
pub const CONFIG_DIR_ENV: &str = "BOSUN_CONFIG_DIR";

const FILE_NAME: &str = "settings.json";

/// The screens of the app, in navigation order (remembered: the app opens where it was left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Screen {
    #[default]
    Overview,
    Nodes,
    Pods,
    Install,
    Training,
    Experiments,
    Serving,
    ModelAnalysis,
    Notebooks,
}

impl Screen {
    pub const ALL: [Screen; 9] = [
        Screen::Overview,
        Screen::Nodes,
        Screen::Pods,
        Screen::Install,
        Screen::Training,
        Screen::Experiments,
        Screen::Serving,
        Screen::ModelAnalysis,
        Screen::Notebooks,
    ];
}

/// The user's theme choice (remembered in the settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ThemeChoice {
    #[default]
    Dark,
    Light,
}

impl ThemeChoice {
    pub fn toggled(self) -> Self {
        match self {
            Self::Dark => Self::Light,
            Self::Light => Self::Dark,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Dark => "Dark",
            Self::Light => "Light",
        }
    }
}

/// Everything Bosun remembers between runs. Unknown or missing fields fall back to defaults, so older and newer
/// versions of the app can share one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub theme: ThemeChoice,
    pub screen: Screen,
    /// Inner window size in points.
    pub window_size: [f32; 2],
    /// The kubeconfig context used last.
    pub last_context: Option<String>,
    /// Whether the diagnostics panel (frame times) is open.
    pub show_diagnostics: bool,
    /// The namespaces chosen in the picker, per context (absent: all namespaces).
    pub namespaces: std::collections::BTreeMap<String, Vec<String>>,
    /// TensorBoard folders opened on the Experiments screen, opened again at start.
    pub runs_folders: Vec<PathBuf>,
    /// Per-example evaluation files computed on the Model analysis screen, computed again at start.
    pub evaluation_files: Vec<EvaluationFiles>,
}

/// Evaluation files and how they were sliced, as the Model analysis screen's form had them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EvaluationFiles {
    pub paths: Vec<PathBuf>,
    pub label: String,
    pub prediction: String,
    pub weight: String,
    pub slices: Vec<String>,
    pub crosses: Vec<String>,
    pub threshold: f64,
    pub bootstrap: usize,
    pub seed: u64,
    pub model: String,
    pub version: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            theme: ThemeChoice::Dark,
            screen: Screen::Overview,
            window_size: [1360.0, 860.0],
            last_context: None,
            show_diagnostics: false,
            namespaces: Default::default(),
            runs_folders: Vec::new(),
            evaluation_files: Vec::new(),
        }
    }
}

/// Why settings could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// No config directory could be determined (no home directory).
    #[error("no configuration directory found: set {CONFIG_DIR_ENV} to a writable folder")]
    NoConfigDir,
    /// Reading or writing the file failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid settings JSON; it was moved aside.
    #[error(
        "settings file {path} was unreadable (line {line}, column {column}: {message}); defaults are used and the old file was kept as {kept}"
    )]
    Corrupt { path: PathBuf, line: usize, column: usize, message: String, kept: PathBuf },
}

/// Where settings are stored, and the operations on that file.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    dir: PathBuf,
    /// Where data that is not a setting goes (the local store of job history).
    data_dir: PathBuf,
}

/// The outcome of loading: settings to use, plus a problem to show the user if the file was bad.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub problem: Option<SettingsError>,
}

impl SettingsStore {
    /// A store in the given directory.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self { data_dir: dir.clone(), dir }
    }

    /// The store in `BOSUN_CONFIG_DIR`, else the platform's config directory (e.g. `~/.config/bosun`).
    /// The folder given with `--config-dir`, or else as [`SettingsStore::from_env`] finds it.
    pub fn chosen(config_dir: Option<PathBuf>) -> Result<Self, SettingsError> {
        match config_dir {
            Some(dir) => Ok(Self::in_dir(dir)),
            None => Self::from_env(),
        }
    }

    pub fn from_env() -> Result<Self, SettingsError> {
        if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(Self::in_dir(dir));
        }
        directories::ProjectDirs::from("dev", "bosun", "bosun")
            .map(|dirs| Self { dir: dirs.config_dir().to_path_buf(), data_dir: dirs.data_dir().to_path_buf() })
            .ok_or(SettingsError::NoConfigDir)
    }

    /// The local store's file: the platform's data folder (`~/.local/share/bosun/bosun.db`), or the settings
    /// folder when one was given.
    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join("bosun.db")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Loads the settings. A missing file gives defaults silently; a corrupt one gives defaults and a problem,
    /// after moving the file aside so the user's data is not lost on the next save.
    pub fn load(&self) -> Loaded {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Loaded { settings: Settings::default(), problem: None };
            }
            Err(source) => {
                let problem = SettingsError::Io { action: "could not read", path, source };
                return Loaded { settings: Settings::default(), problem: Some(problem) };
            }
        };
        match serde_json::from_str::<Settings>(&text) {
            Ok(settings) => Loaded { settings, problem: None },
            Err(e) => {
                let kept = self.dir.join(format!("{FILE_NAME}.corrupt-{}", unix_seconds()));
                let problem = match fs::rename(&path, &kept) {
                    Ok(()) => SettingsError::Corrupt {
                        path,
                        line: e.line(),
                        column: e.column(),
                        message: e.to_string(),
                        kept,
                    },
                    Err(source) => SettingsError::Io { action: "could not set aside unreadable", path, source },
                };
                Loaded { settings: Settings::default(), problem: Some(problem) }
            }
        }
    }

    /// Writes the settings atomically: a temp file in the same directory, fsync, rename over the old file.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| SettingsError::Io { action, path, source }
        };
        fs::create_dir_all(&self.dir).map_err(io("could not create", &self.dir))?;
        let json = serde_json::to_vec_pretty(settings).map_err(|e| SettingsError::Io {
            action: "could not encode",
            path: self.path(),
            source: e.into(),
        })?;
        write_atomically(&self.path(), &json).map_err(io("could not write", &self.path()))
    }
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_without_problem() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = SettingsStore::in_dir(dir.path()).load();
        assert_eq!(loaded.settings, Settings::default());
        assert!(loaded.problem.is_none());
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path().join("nested"));
        let settings = Settings {
            theme: ThemeChoice::Light,
            screen: Screen::Nodes,
            window_size: [1000.0, 700.0],
            last_context: Some("prod".into()),
            show_diagnostics: true,
            namespaces: [("prod".to_string(), vec!["ml".to_string()])].into(),
            runs_folders: vec![PathBuf::from("/data/tensorboard")],
            evaluation_files: vec![EvaluationFiles {
                paths: vec![PathBuf::from("/data/eval.csv")],
                slices: vec!["hour:bins=4".into()],
                threshold: 0.5,
                ..Default::default()
            }],
        };
        store.save(&settings).unwrap();
        assert_eq!(store.load().settings, settings);
    }

    #[test]
    fn corrupt_file_is_kept_aside_and_reported_with_position() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        fs::write(store.path(), "{\n  \"theme\": Dark\n}").unwrap();
        let loaded = store.load();
        assert_eq!(loaded.settings, Settings::default());
        let Some(SettingsError::Corrupt { line, kept, .. }) = loaded.problem else {
            panic!("expected a corrupt-file problem, got {:?}", loaded.problem);
        };
        assert_eq!(line, 2);
        assert_eq!(fs::read_to_string(kept).unwrap(), "{\n  \"theme\": Dark\n}");
        assert!(!store.path().exists());
    }

    #[test]
    fn unknown_fields_and_missing_fields_are_tolerated() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        fs::write(store.path(), r#"{"theme":"Light","from_the_future":1}"#).unwrap();
        let loaded = store.load();
        assert!(loaded.problem.is_none());
        assert_eq!(loaded.settings.theme, ThemeChoice::Light);
        assert_eq!(loaded.settings.screen, Screen::Overview);
    }
}
