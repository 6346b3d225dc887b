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
