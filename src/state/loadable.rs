//! [`Loadable`]: the state of an answer the background is fetching.

/// Something asked of the cluster: not yet, on its way, answered, or failed.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Loadable<T> {
    #[default]
    Idle,
    Loading,
    Ready(T),
    Failed(String),
}

impl<T> Loadable<T> {
    pub fn ready(&self) -> Option<&T> {
        if let Loadable::Ready(t) = self { Some(t) } else { None }
    }
}

impl<T> From<Result<T, String>> for Loadable<T> {
    fn from(result: Result<T, String>) -> Self {
        match result {
            Ok(t) => Loadable::Ready(t),
            Err(e) => Loadable::Failed(e),
        }
    }
}
