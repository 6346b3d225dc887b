//! Fault injection: errors, latency, dropped watches and expired tokens, set at start or at run time, so clients can
//! be tested against a flaky server.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::api::status::ApiError;

/// The faults in force. All off by default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FaultConfig {
    /// Fraction (0–1) of API requests answered with `error_code`.
    pub error_rate: f64,
    /// 500, 503 or 429 (429 and 503 carry `Retry-After`).
    pub error_code: u16,
    /// Added to every request.
    pub latency_ms: u64,
    /// Watches and followed logs are closed after this many seconds (0 = never), so clients must resume.
    pub drop_watch_after_secs: u64,
    /// Users whose tokens are treated as expired (401).
    pub expired_users: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Faults {
    config: Mutex<FaultConfig>,
}

impl Faults {
    pub fn new(config: FaultConfig) -> Self {
        Self { config: Mutex::new(config) }
    }

    fn get(&self) -> FaultConfig {
        self.config.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn set(&self, config: FaultConfig) {
        if let Ok(mut c) = self.config.lock() {
            *c = config;
        }
    }

    pub fn config(&self) -> FaultConfig {
        self.get()
    }

    pub fn latency(&self) -> Option<Duration> {
        let ms = self.get().latency_ms;
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// Fails a request at the configured rate. Health checks are never failed.
    pub fn maybe_fail(&self, path: &str) -> Result<(), ApiError> {
        let c = self.get();
        if c.error_rate <= 0.0
            || path.starts_with("/healthz")
            || path.starts_with("/readyz")
            || path.starts_with("/kubesim")
        {
            return Ok(());
        }
        if fastrand::f64() >= c.error_rate {
            return Ok(());
        }
        Err(match c.error_code {
            429 => ApiError::too_many_requests(1),
            503 => ApiError::unavailable("the server is currently unable to handle the request (injected fault)"),
            _ => ApiError::internal("injected fault"),
        })
    }

    pub fn is_expired(&self, user: &str) -> bool {
        self.get().expired_users.iter().any(|u| u == user)
    }

    pub fn watch_drop_after(&self) -> Option<Duration> {
        let s = self.get().drop_watch_after_secs;
        (s > 0).then(|| Duration::from_secs(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rate_one_always_fails_with_the_chosen_code() {
        let f = Faults::new(FaultConfig { error_rate: 1.0, error_code: 429, ..Default::default() });
        let e = f.maybe_fail("/api/v1/pods").unwrap_err();
        assert_eq!((e.code, e.retry_after), (429, Some(1)));
        assert!(f.maybe_fail("/healthz").is_ok());
        f.set(FaultConfig::default());
        assert!(f.maybe_fail("/api/v1/pods").is_ok());
    }
}
