//! The reference host: a paper trading session that drives the Python InventoryManager through
//! the shim every tick, with strategies in Rust, Python and TypeScript.

pub mod engine;
pub mod error;
pub mod events;
pub mod fees;
pub mod legacy;
pub mod market;
pub mod plan_store;
pub mod reconcile;
pub mod report;
pub mod resolution;
pub mod rng;
pub mod session;
pub mod stop;
pub mod strategies;
pub mod venue;
