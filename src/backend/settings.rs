//! Saving the settings: debounced, so a burst of changes (resizing the window) is one write.

use std::time::Duration;

use tokio::sync::watch;

use super::Outbox;
use crate::settings::{Settings, SettingsStore};
use crate::state::protocol::Event;

/// Settings changes are written at most this often; bursts collapse into one write.
const SAVE_DEBOUNCE: Duration = Duration::from_millis(300);

pub(super) struct SettingsArea {
    latest: watch::Sender<Option<Settings>>,
}

impl SettingsArea {
    pub fn start(store: SettingsStore, outbox: Outbox) -> Self {
        let (latest, rx) = watch::channel(None);
        tokio::spawn(save_loop(rx, store, outbox));
        Self { latest }
    }

    /// Saves these settings soon; a later call before then wins.
    pub fn save(&self, settings: Settings) {
        let _ = self.latest.send(Some(settings));
    }
}

async fn save_loop(mut latest: watch::Receiver<Option<Settings>>, store: SettingsStore, outbox: Outbox) {
    while latest.changed().await.is_ok() {
        tokio::time::sleep(SAVE_DEBOUNCE).await;
        let Some(settings) = latest.borrow_and_update().clone() else { continue };
        let store = store.clone();
        let result = tokio::task::spawn_blocking(move || store.save(&settings)).await;
        let failure = match result {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        outbox.send(Event::SettingsSaveFailed(failure));
    }
}
