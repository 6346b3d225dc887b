//! Notifications: short messages about things that happened in the background (saved, exported, failed).

use std::collections::VecDeque;

use crate::tone::Tone;

/// Seconds an informational toast stays visible; errors stay until dismissed.
pub const TOAST_SECONDS: f64 = 6.0;
const MAX_TOASTS: usize = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub id: u64,
    pub tone: Tone,
    pub text: String,
    /// Errors and warnings stay until the user closes them.
    pub sticky: bool,
    /// UI time (seconds) when the toast was first shown; set by the view.
    pub shown_at: Option<f64>,
}

#[derive(Debug, Default)]
pub struct Toasts {
    next_id: u64,
    items: VecDeque<Toast>,
}

impl Toasts {
    pub fn push(&mut self, tone: Tone, text: impl Into<String>) -> u64 {
        self.next_id += 1;
        let sticky = matches!(tone, Tone::Err | Tone::Warn);
        self.items.push_back(Toast { id: self.next_id, tone, text: text.into(), sticky, shown_at: None });
        while self.items.len() > MAX_TOASTS {
            self.items.pop_front();
        }
        self.next_id
    }

    pub fn dismiss(&mut self, id: u64) {
        self.items.retain(|t| t.id != id);
    }

    /// Removes non-sticky toasts older than [`TOAST_SECONDS`] at UI time `now`, and stamps new ones.
    /// Returns the seconds until the next one expires, so the caller can schedule a repaint for it.
    pub fn tick(&mut self, now: f64) -> Option<f64> {
        for t in &mut self.items {
            t.shown_at.get_or_insert(now);
        }
        self.items.retain(|t| t.sticky || t.shown_at.is_some_and(|s| now - s < TOAST_SECONDS));
        self.items
            .iter()
            .filter(|t| !t.sticky)
            .filter_map(|t| t.shown_at.map(|s| TOAST_SECONDS - (now - s)))
            .reduce(f64::min)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Toast> {
        self.items.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_expires_errors_stay() {
        let mut toasts = Toasts::default();
        toasts.push(Tone::Ok, "saved");
        let err = toasts.push(Tone::Err, "failed");
        assert_eq!(toasts.tick(10.0), Some(TOAST_SECONDS));
        assert_eq!(toasts.tick(10.0 + TOAST_SECONDS + 0.1), None);
        assert_eq!(toasts.iter().map(|t| t.id).collect::<Vec<_>>(), vec![err]);
        toasts.dismiss(err);
        assert!(toasts.is_empty());
    }

    #[test]
    fn at_most_a_few_are_kept() {
        let mut toasts = Toasts::default();
        for i in 0..20 {
            toasts.push(Tone::Err, format!("e{i}"));
        }
        assert_eq!(toasts.iter().count(), MAX_TOASTS);
        assert_eq!(toasts.iter().last().map(|t| t.text.as_str()), Some("e19"));
    }
}
