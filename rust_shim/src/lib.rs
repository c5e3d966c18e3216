//! Rust side of the weatherman InventoryManager.
//!
//! One crate, two products: the Python extension module `weatherman_inventory._native` that
//! maturin builds, and the Rust library the trading session links to call the Python ledger.

pub mod contract;
mod native;
pub mod shim;
