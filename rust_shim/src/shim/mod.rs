//! The Rust side of the Python InventoryManager: a handle whose methods convert Rust arguments,
//! call the ledger, and convert the answer back. No ledger rule lives here.
//!
//! Start the interpreter once with [`start`] (naming the virtualenv), then create or recover
//! [`InventoryManager`] handles. Every method returns `Result<_, ShimError>`.

mod error;
mod interpreter;
mod logging;
mod manager;
mod reconcile;
mod snapshot;
mod target;
mod venue;

pub use error::{ShimError, FIX_COMMAND};
pub use interpreter::{resolve_venv, start, PythonEnv, VENV_ENV};
pub use manager::{
    Anomaly, CashAdjustmentKind, Cents, FillMeta, FillStatus, InventoryManager, LoadedPosition,
    MarketIds, SessionSpec, Shares, StoreMode,
};
pub use reconcile::{
    catch_up, Adopted, CashDifference, Difference, OrderDifference, TokenDifference,
    VenueAccountJson,
};
pub use snapshot::Snapshot;
pub use target::StoreTarget;
pub use venue::{VenueAccount, VenueAction, VenueActionKind, VenueApplied, VenueFeed};
