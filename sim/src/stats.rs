//! Counts of what the server did, per resource, so tests can assert that a re-list or a dropped watch really
//! happened instead of sleeping and hoping.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Something the server did that a client's behaviour depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Served {
    /// A list answered from its first page (continued pages are the same list).
    List,
    /// A watch refused with `410 Gone` because its resourceVersion was compacted away.
    WatchGone,
    /// A watch closed by the dropped-watch fault.
    WatchDropped,
}

#[derive(Debug, Default)]
pub struct Stats {
    counts: Mutex<BTreeMap<(Served, String), u64>>,
    open_watches: Mutex<BTreeMap<String, u64>>,
}

/// Counts a watch as open until dropped.
pub struct OpenWatch<'a> {
    stats: &'a Stats,
    resource: String,
}

impl Drop for OpenWatch<'_> {
    fn drop(&mut self) {
        if let Ok(mut open) = self.stats.open_watches.lock()
            && let Some(n) = open.get_mut(&self.resource)
        {
            *n = n.saturating_sub(1);
        }
    }
}

impl Stats {
    /// Counts one `what` for a resource (its plural, e.g. `pods`).
    pub fn count(&self, what: Served, resource: &str) {
        if let Ok(mut c) = self.counts.lock() {
            *c.entry((what, resource.to_string())).or_default() += 1;
        }
    }

    /// Marks a watch of `resource` as open for as long as the guard lives.
    pub fn watch_opened(&self, resource: &str) -> OpenWatch<'_> {
        if let Ok(mut open) = self.open_watches.lock() {
            *open.entry(resource.to_string()).or_default() += 1;
        }
        OpenWatch { stats: self, resource: resource.to_string() }
    }

    /// Watches of `resource` streaming now.
    pub fn open_watches(&self, resource: &str) -> u64 {
        self.open_watches.lock().map(|o| o.get(resource).copied().unwrap_or(0)).unwrap_or(0)
    }

    pub fn get(&self, what: Served, resource: &str) -> u64 {
        self.counts.lock().map(|c| c.get(&(what, resource.to_string())).copied().unwrap_or(0)).unwrap_or(0)
    }
}
