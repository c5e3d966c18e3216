//! Rust side of the weatherman InventoryManager.
//!
//! One crate, two products: the Python extension module `weatherman_inventory._native` that
//! maturin builds, and the Rust library the trading session links to call the Python ledger.

pub mod shim;

use pyo3::prelude::*;

/// The extension module maturin builds as `weatherman_inventory._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
