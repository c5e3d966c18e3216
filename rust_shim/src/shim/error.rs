//! `ShimError`: what went wrong on the Python side, kept as data the Rust caller can match on.
//!
//! The one place where a Python exception becomes a Rust error is `From<PyErr> for ShimError`;
//! every shim call goes through it, so a Python exception is never a panic and never loses the
//! field, value or kind the ledger put in it.

use pyo3::prelude::*;
use pyo3::types::PyTracebackMethods;

/// The command that builds or repairs the Python environment the shim embeds.
pub const FIX_COMMAND: &str = "make setup";

/// An error from the Python ledger, its store, or the embedded interpreter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShimError {
    /// The ledger refused a malformed argument (`errors.InvalidInput`); nothing changed.
    #[error("invalid input: {field}={value}: {reason}")]
    InvalidInput {
        /// The argument's name as the Python API spells it.
        field: String,
        /// `repr()` of the value Python received.
        value: String,
        /// What the argument requires.
        reason: String,
    },
    /// A well-formed fact that would carry a ledger amount past its bound
    /// (`errors.BoundExceeded`, a kind of `InvalidInput` in Python): refused, nothing changed.
    #[error("bound exceeded: {field}={value}: {reason}")]
    BoundExceeded {
        /// The amount as the snapshot spells it, e.g. `tokens['t1'].qty` or `total_usd`.
        field: String,
        /// `repr()` of what the fact would have made it.
        value: String,
        /// The ledger's explanation, naming the bound.
        reason: String,
        /// `str()` of the largest magnitude allowed, in the amount's unit.
        bound: String,
    },
    /// The SQLite store failed or refused (`errors.StoreError` and its subclasses); the ledger's
    /// memory is unchanged.
    #[error("store error ({kind}): {message}")]
    Store {
        /// The Python class name: `StoreError`, `SessionLocked`, `SessionNotFound`,
        /// `SessionExists`, `SchemaVersionError`.
        kind: String,
        /// The exception's message.
        message: String,
    },
    /// Any other `errors.InventoryError` the ledger raised on purpose.
    #[error("inventory error ({kind}): {message}")]
    Inventory {
        /// The Python class name.
        kind: String,
        /// The exception's message.
        message: String,
    },
    /// An exception the ledger did not raise on purpose (a bug, or a wrong type crossing the
    /// boundary): kept with its traceback so it can be reported.
    #[error("python {kind}: {message}")]
    Python {
        /// The Python class name, e.g. `TypeError`.
        kind: String,
        /// The exception's message.
        message: String,
        /// The formatted traceback, when Python had one.
        traceback: Option<String>,
    },
    /// The Python environment is missing or does not match: no virtualenv, a different
    /// interpreter version, the package not importable.
    #[error("python environment: {message} (fix: run `{fix}`)")]
    Environment {
        /// What is wrong, naming the path or version involved.
        message: String,
        /// The command that fixes it.
        fix: &'static str,
    },
    /// Python's snapshot JSON did not parse as the Rust contract types: the generated types and
    /// the models have drifted apart.
    #[error("contract mismatch: {0}")]
    Contract(String),
}

impl ShimError {
    /// An environment error with the standard fix.
    pub fn environment(message: impl Into<String>) -> Self {
        ShimError::Environment {
            message: message.into(),
            fix: FIX_COMMAND,
        }
    }

    /// Whether the ledger refused an argument or a fact before changing anything: an
    /// `InvalidInput` or a `BoundExceeded`, as Python's `except InvalidInput` would catch both.
    pub fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            ShimError::InvalidInput { .. } | ShimError::BoundExceeded { .. }
        )
    }

    /// The Python class name for errors that came from Python, else a short tag.
    pub fn kind(&self) -> &str {
        match self {
            ShimError::InvalidInput { .. } => "InvalidInput",
            ShimError::BoundExceeded { .. } => "BoundExceeded",
            ShimError::Store { kind, .. }
            | ShimError::Inventory { kind, .. }
            | ShimError::Python { kind, .. } => kind,
            ShimError::Environment { .. } => "Environment",
            ShimError::Contract(_) => "Contract",
        }
    }
}

impl From<serde_json::Error> for ShimError {
    fn from(err: serde_json::Error) -> Self {
        ShimError::Contract(err.to_string())
    }
}

/// Classifies a Python exception by the project's error hierarchy (`weatherman_inventory.errors`).
impl From<PyErr> for ShimError {
    fn from(err: PyErr) -> Self {
        Python::attach(|py| {
            let value = err.value(py);
            let kind = value
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "<unknown>".to_owned());
            let message = value
                .str()
                .map(|s| s.to_string())
                .unwrap_or_else(|_| "<unprintable>".to_owned());
            // The errors module is imported by the package itself, so this is a dict lookup.
            let classes = py
                .import("weatherman_inventory.errors")
                .and_then(|m| {
                    Ok((
                        m.getattr("InvalidInput")?,
                        m.getattr("BoundExceeded")?,
                        m.getattr("StoreError")?,
                        m.getattr("InventoryError")?,
                    ))
                })
                .ok();
            if let Some((invalid, bound, store, inventory)) = classes {
                let attr = |name: &str, repr: bool| -> String {
                    value
                        .getattr(name)
                        .and_then(|v| if repr { v.repr() } else { v.str() })
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                };
                // Before InvalidInput, which it subclasses.
                if value.is_instance(&bound).unwrap_or(false) {
                    return ShimError::BoundExceeded {
                        field: attr("field", false),
                        value: attr("value", true),
                        reason: attr("reason", false),
                        bound: attr("bound", false),
                    };
                }
                if value.is_instance(&invalid).unwrap_or(false) {
                    return ShimError::InvalidInput {
                        field: attr("field", false),
                        value: attr("value", true),
                        reason: attr("reason", false),
                    };
                }
                if value.is_instance(&store).unwrap_or(false) {
                    return ShimError::Store { kind, message };
                }
                if value.is_instance(&inventory).unwrap_or(false) {
                    return ShimError::Inventory { kind, message };
                }
            }
            let traceback = err.traceback(py).and_then(|tb| tb.format().ok());
            ShimError::Python {
                kind,
                message,
                traceback,
            }
        })
    }
}
