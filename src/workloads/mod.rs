//! Training workloads, pure: what the launch form describes ([`spec`]), the objects it becomes ([`render`]), the
//! job kinds ([`kind`]), hyperparameter sweeps ([`sweep`]) and the fit preview against the GPU ledger ([`fit`]).
//! No I/O: the CLI and the Training screen submit what these return.

pub mod fit;
pub mod kind;
pub mod render;
pub mod spec;
pub mod sweep;

pub use kind::JobKind;
pub use spec::TrainingSpec;
