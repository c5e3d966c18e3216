//! Python `logging` (logger `weatherman_inventory`) into Rust's `log`.
//!
//! A `logging.Handler` forwards each record with its level, logger name, message and the fields
//! the ledger attached with `extra=` (an anomaly's kind, order, quantities), so the host's log
//! shows anomaly warnings as the ledger wrote them. The host sets up its Rust logger before the
//! interpreter starts; the Python logger's level follows `log::max_level()` so records the host
//! would drop are not formatted in Python at all.

use std::ffi::CStr;

use pyo3::prelude::*;
use pyo3::wrap_pyfunction;

const HANDLER_CODE: &CStr = cr#"
import logging

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RustLogHandler(logging.Handler):
    """Forwards records to the host's Rust `log`, with their `extra=` fields."""

    def __init__(self, sink, level):
        super().__init__(level)
        self._sink = sink

    def emit(self, record):
        try:
            fields = [(k, repr(v)) for k, v in vars(record).items() if k not in _STANDARD]
            self._sink(record.levelno, record.name, record.getMessage(), fields)
        except Exception:
            self.handleError(record)


def install(sink, level):
    logger = logging.getLogger("weatherman_inventory")
    for handler in list(logger.handlers):
        if type(handler).__name__ == "RustLogHandler":
            logger.removeHandler(handler)
    logger.addHandler(RustLogHandler(sink, level))
    logger.setLevel(level)
    # The host owns the output: without this, a root handler would print the records twice.
    logger.propagate = False
"#;

/// Python's numeric level for the most verbose Rust level the host lets through.
fn python_level(filter: log::LevelFilter) -> u32 {
    match filter {
        log::LevelFilter::Off => 60,
        log::LevelFilter::Error => 40,
        log::LevelFilter::Warn => 30,
        log::LevelFilter::Info => 20,
        log::LevelFilter::Debug => 10,
        log::LevelFilter::Trace => 1,
    }
}

fn rust_level(python_level: u32) -> log::Level {
    match python_level {
        40.. => log::Level::Error,
        30..=39 => log::Level::Warn,
        20..=29 => log::Level::Info,
        10..=19 => log::Level::Debug,
        _ => log::Level::Trace,
    }
}

/// The sink the Python handler calls: one Rust `log` record per Python record, with the
/// Python logger's name as the target and the extra fields appended as `key=value`.
#[pyfunction]
fn forward_record(level: u32, name: &str, message: &str, fields: Vec<(String, String)>) {
    let level = rust_level(level);
    if !log::log_enabled!(target: name, level) {
        return;
    }
    let mut line = String::with_capacity(message.len() + 16 * fields.len());
    line.push_str(message);
    for (key, value) in &fields {
        line.push(' ');
        line.push_str(key);
        line.push('=');
        line.push_str(value);
    }
    log::log!(target: name, level, "{line}");
}

/// Installs the handler on the `weatherman_inventory` logger (replacing an earlier one).
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let module = PyModule::from_code(
        py,
        HANDLER_CODE,
        c"weatherman_inventory_rust_log.py",
        c"weatherman_inventory_rust_log",
    )?;
    let sink = wrap_pyfunction!(forward_record, py)?;
    module.call_method1("install", (sink, python_level(log::max_level())))?;
    Ok(())
}
