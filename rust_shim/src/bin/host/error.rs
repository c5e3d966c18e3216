//! The host's errors: the shim's, the plan table's, and the strategies'.

use weatherman_inventory::shim::ShimError;

/// Why the host stopped.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The ledger, its store or the embedded interpreter failed.
    #[error(transparent)]
    Shim(#[from] ShimError),
    /// The host's own tables failed.
    #[error("host tables: {0}")]
    Db(#[from] super::plan_store::TablesError),
    /// A strategy failed or answered something that is not a list of intents.
    #[error("strategy {name}: {message}")]
    Strategy { name: &'static str, message: String },
    /// Building or starting a strategy's runtime failed.
    #[error("{0}")]
    Setup(String),
    /// The command line or the database asks for something inconsistent; nothing was written.
    #[error("{0}")]
    Usage(String),
    /// A signal stopped the host before the session started; nothing was written.
    #[error("stopped by {0} before the session started: nothing was written")]
    Interrupted(&'static str),
}

impl HostError {
    /// A strategy error.
    pub fn strategy(name: &'static str, message: impl std::fmt::Display) -> Self {
        HostError::Strategy {
            name,
            message: message.to_string(),
        }
    }
}
