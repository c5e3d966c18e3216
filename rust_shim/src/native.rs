//! The extension module maturin builds as `weatherman_inventory._native`.
//!
//! Besides the version it exposes Rust's view of the contract: each `roundtrip_*` function parses a
//! JSON document with the serde types of `contract.rs` and serialises it back, so the Python tests
//! prove in-process that Rust accepts, refuses and re-emits every vector as pydantic does.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::contract::{DecisionContext, InventoryState};

/// Parses `json` as `T` and serialises it back; a serde error becomes a `ValueError` naming it.
fn roundtrip<T: DeserializeOwned + Serialize>(type_name: &str, json: &str) -> PyResult<String> {
    let value: T = serde_json::from_str(json)
        .map_err(|err| PyValueError::new_err(format!("{type_name}: {err}")))?;
    serde_json::to_string(&value)
        .map_err(|err| PyValueError::new_err(format!("{type_name} does not serialise: {err}")))
}

/// Parses an `InventoryState` JSON document with the Rust types and re-emits it.
#[pyfunction]
fn roundtrip_inventory_state(json: &str) -> PyResult<String> {
    roundtrip::<InventoryState>("InventoryState", json)
}

/// Parses a `DecisionContext` JSON document with the Rust types and re-emits it.
#[pyfunction]
fn roundtrip_decision_context(json: &str) -> PyResult<String> {
    roundtrip::<DecisionContext>("DecisionContext", json)
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(roundtrip_inventory_state, m)?)?;
    m.add_function(wrap_pyfunction!(roundtrip_decision_context, m)?)?;
    Ok(())
}
