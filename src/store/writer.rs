//! The store's writer: a thread of its own that takes records over a channel and writes them in batches — at
//! most every [`FLUSH_EVERY`], or sooner when [`BATCH`] records wait — so the UI and the log streams never wait
//! on the disk.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Record, Store, StoreError};

pub const FLUSH_EVERY: Duration = Duration::from_millis(250);
pub const BATCH: usize = 5_000;

/// Sends records to the writer thread; dropping every sender flushes what is left and ends the thread.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Record>,
}

impl Writer {
    /// Opens the store and starts its writer thread. Write errors are logged, never fatal to the app.
    pub fn start(path: &Path) -> Result<(Writer, std::thread::JoinHandle<()>), StoreError> {
        let mut store = Store::open(path)?;
        // Bounded: what is past the retention goes when the app starts.
        if let Err(e) = store.apply_retention(super::Retention::default()) {
            tracing::warn!("the local store could not apply its retention: {e}");
        }
        let (tx, rx) = mpsc::channel::<Record>();
        let handle = std::thread::Builder::new()
            .name("bosun-store".into())
            .spawn(move || run(&mut store, &rx))
            .map_err(|e| StoreError::Sql(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        Ok((Writer { tx }, handle))
    }

    /// Queues a record; false when the writer has stopped.
    pub fn send(&self, record: Record) -> bool {
        self.tx.send(record).is_ok()
    }
}

fn run(store: &mut Store, rx: &mpsc::Receiver<Record>) {
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
    let mut due = Instant::now() + FLUSH_EVERY;
    loop {
        let wait = due.saturating_duration_since(Instant::now());
        let open = match rx.recv_timeout(wait) {
            Ok(r) => {
                batch.push(r);
                // Take whatever else is waiting without blocking.
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                true
            }
            Err(mpsc::RecvTimeoutError::Timeout) => true,
            Err(mpsc::RecvTimeoutError::Disconnected) => false,
        };
        if !batch.is_empty() && (batch.len() >= BATCH || Instant::now() >= due || !open) {
            if let Err(e) = store.write(&batch) {
                tracing::error!("the local store could not keep {} records: {e}", batch.len());
            }
            batch.clear();
        }
        if Instant::now() >= due {
            due = Instant::now() + FLUSH_EVERY;
        }
        if !open {
            return;
        }
    }
}
