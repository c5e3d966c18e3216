//! The extension module maturin builds as `weatherman_inventory._native`.
//!
//! Besides the version it exposes Rust's view of the contract: each `roundtrip_*` function parses a
//! JSON document with the serde types of `contract.rs` and serialises it back, so the Python tests
//! prove in-process that Rust accepts, refuses and re-emits every vector as pydantic does.
//! `journal_chain_mismatch` checks the journal's hash chain for recovery: the same bytes as
//! `store.journal_row_hash`, at native speed.
//! `SlotMaker` (`native/slots.rs`) makes the events: each slot written once, in one call.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::contract::{DecisionContext, InventoryState};

mod journal;
mod slots;
mod writer;

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

/// The sha256 of one journal row chained to `previous`, encoded as `store.journal_row_hash`
/// encodes it (big-endian `>IqIBIBq` head, then session id, kind and payload); `None` for a row
/// this fast path does not encode (a value of another type, text that is not UTF-8, a number or
/// length out of range), which the caller hashes in Python instead.
fn row_hash(previous: &[u8], session_id: &[u8], row: &Bound<'_, PyAny>) -> Option<[u8; 32]> {
    let row = row.cast::<PyTuple>().ok()?;
    if row.len() != 6 {
        return None;
    }
    let seq: i64 = row.get_item(0).ok()?.extract().ok()?;
    let kind_item = row.get_item(1).ok()?;
    let kind = kind_item.cast::<PyString>().ok()?.to_str().ok()?;
    let payload_item = row.get_item(2).ok()?;
    let (tag, body): (u8, &[u8]) = if let Ok(bytes) = payload_item.cast::<PyBytes>() {
        (0, bytes.as_bytes())
    } else if let Ok(text) = payload_item.cast::<PyString>() {
        (1, text.to_str().ok()?.as_bytes())
    } else {
        return None;
    };
    let duplicate = u8::from(row.get_item(3).ok()?.is_truthy().ok()?);
    let recorded_at: i64 = row.get_item(4).ok()?.extract().ok()?;
    chain_hash(
        previous,
        session_id,
        seq,
        kind.as_bytes(),
        tag,
        body,
        duplicate,
        recorded_at,
    )
}

/// `store.journal_row_hash` of one row's values: the payload's `tag` is 0 for bytes (a BLOB),
/// 1 for text. None if a length does not fit the encoding.
#[allow(clippy::too_many_arguments)]
pub(crate) fn chain_hash(
    previous: &[u8],
    session_id: &[u8],
    seq: i64,
    kind: &[u8],
    tag: u8,
    body: &[u8],
    duplicate: u8,
    recorded_at: i64,
) -> Option<[u8; 32]> {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(u32::try_from(session_id.len()).ok()?.to_be_bytes());
    hasher.update(seq.to_be_bytes());
    hasher.update(u32::try_from(kind.len()).ok()?.to_be_bytes());
    hasher.update([tag]);
    hasher.update(u32::try_from(body.len()).ok()?.to_be_bytes());
    hasher.update([duplicate]);
    hasher.update(recorded_at.to_be_bytes());
    hasher.update(session_id);
    hasher.update(kind);
    hasher.update(body);
    Some(hasher.finalize().into())
}

/// `store.journal_row_hash` of a row the journal writes (payload bytes, so a BLOB), from the
/// session id and kind encoded already: the journal's commit hashes each row here, in one call.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn journal_row_digest<'py>(
    py: Python<'py>,
    previous: &[u8],
    session_id: &[u8],
    seq: i64,
    kind: &[u8],
    payload: &[u8],
    duplicate: bool,
    recorded_at: i64,
) -> PyResult<Bound<'py, PyBytes>> {
    let digest = chain_hash(
        previous,
        session_id,
        seq,
        kind,
        0,
        payload,
        u8::from(duplicate),
        recorded_at,
    )
    .ok_or_else(|| PyValueError::new_err("journal row: a length does not fit 32 bits"))?;
    Ok(PyBytes::new(py, &digest))
}

/// The index of the first of `rows[start:]` whose stored hash is not the hash of the row chained
/// to the one before (to `previous` for `rows[start]`), or `len(rows)` if the chain holds.
///
/// `rows` are journal rows as `PersistenceLayer.journal_rows` yields them: (seq, kind, payload,
/// duplicate, recorded_at, hash). A row the fast path cannot encode is reported as the first
/// mismatch too: the caller checks the reported row with `store.journal_row_hash` and goes on
/// from the row after it.
#[pyfunction]
fn journal_chain_mismatch(
    previous: &[u8],
    session_id: &Bound<'_, PyString>,
    rows: &Bound<'_, PyList>,
    start: usize,
) -> usize {
    let end = rows.len();
    let Ok(session_id) = session_id.to_str() else {
        return start.min(end);
    };
    let session_id = session_id.as_bytes();
    let mut previous: [u8; 32] = match previous.try_into() {
        Ok(hash) => hash,
        Err(_) => return start.min(end),
    };
    for index in start..end {
        let Ok(row) = rows.get_item(index) else {
            return index;
        };
        let Some(digest) = row_hash(&previous, session_id, &row) else {
            return index;
        };
        let stored = row.cast::<PyTuple>().ok().and_then(|r| r.get_item(5).ok());
        match stored.as_ref().and_then(|s| s.cast::<PyBytes>().ok()) {
            Some(stored) if stored.as_bytes() == digest => previous = digest,
            _ => return index,
        }
    }
    end
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(roundtrip_inventory_state, m)?)?;
    m.add_function(wrap_pyfunction!(roundtrip_decision_context, m)?)?;
    m.add_function(wrap_pyfunction!(journal_chain_mismatch, m)?)?;
    m.add_function(wrap_pyfunction!(journal_row_digest, m)?)?;
    m.add_class::<journal::JournalDecoder>()?;
    m.add_class::<slots::SlotMaker>()?;
    m.add_class::<writer::SqliteWriter>()?;
    m.add_function(wrap_pyfunction!(journal::fills_digest, m)?)?;
    m.add_function(wrap_pyfunction!(journal::journal_read, m)?)?;
    m.add_class::<journal::JournalRows>()?;
    Ok(())
}
