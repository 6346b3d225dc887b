//! Training workloads, pure: what the launch form describes ([`spec`]), the objects it becomes ([`render`]), the
//! job kinds ([`kind`]), hyperparameter sweeps ([`sweep`]), the fit preview against the GPU ledger ([`fit`]) and a job
//! object read back into the form ([`import`]); model servers ([`serving`]).
//! No I/O: the CLI and the Training screen submit what these return.

pub mod capacity;
pub mod evaluation;
pub mod fit;
pub mod import;
pub mod kind;
pub mod missing_pods;
pub mod notebook;
pub mod priority;
pub mod render;
pub mod serving;
pub mod spec;
pub mod sweep;

pub use kind::JobKind;
pub use spec::TrainingSpec;
