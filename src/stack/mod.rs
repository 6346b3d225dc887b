//! The ML stack, pure: the component catalog (`manifests/`, embedded), parameters, templating, YAML parsing and
//! the ordered install plan. Nothing here talks to a cluster; `cluster::install` carries a plan out.

pub mod catalog;
pub mod objects;
pub mod params;
pub mod plan;
pub mod record;
pub mod render;
pub mod report;

/// What can go wrong before anything touches a cluster. Each message says where (file:line, parameter name).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    #[error("stack catalog: {0}")]
    Catalog(String),
    #[error("unknown component {name} (known: {known})")]
    UnknownComponent { name: String, known: String },
    #[error("unknown parameter {name} (known: {known})")]
    UnknownParameter { name: String, known: String },
    #[error("parameter {name}: {reason}")]
    InvalidParameter { name: String, reason: String },
    #[error("{place}: {detail}")]
    Template { place: String, detail: String },
    #[error("{place}: {detail}")]
    Yaml { place: String, detail: String },
    #[error("{object} is defined twice: {first} and {second}")]
    Duplicate { object: String, first: String, second: String },
}
