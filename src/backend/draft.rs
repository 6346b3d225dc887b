//! A form's draft kept in a file: the newest version is written at most twice a second (the latest wins), atomically,
//! so typing never waits on the disk and a crash loses at most half a second.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(super) struct Draft<T> {
    path: PathBuf,
    /// The newest draft waiting to be written.
    pending: Arc<Mutex<Option<T>>>,
}

impl<T: serde::Serialize + Send + 'static> Draft<T> {
    pub fn new(path: PathBuf) -> Self {
        Self { path, pending: Arc::default() }
    }

    /// The draft's file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Keeps `value` as the draft (on the runtime; call from a task of it).
    pub fn save(&self, value: T) {
        let already_waiting = self.pending.lock().map(|mut p| p.replace(value).is_some()).unwrap_or(true);
        if already_waiting {
            return;
        }
        let (pending, path) = (self.pending.clone(), self.path.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let Some(value) = pending.lock().ok().and_then(|mut p| p.take()) else { return };
            let _ = tokio::task::spawn_blocking(move || {
                let json = serde_json::to_vec_pretty(&value).unwrap_or_default();
                if let Err(e) = crate::atomic_file::write_atomically(&path, &json) {
                    tracing::warn!("the draft could not be saved to {}: {e}", path.display());
                }
            })
            .await;
        });
    }
}
