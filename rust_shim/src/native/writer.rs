//! `SqliteWriter`: the statements of one journal commit, run in one call on a connection of its
//! own to the store's SQLite file.
//!
//! A commit of one event is a handful of statements (the journal row, the fill, the order, the
//! position, the account); through Python's `sqlite3` each is a call that makes a cursor, looks
//! the statement up, converts and binds its parameters one by one, and steps it. Here the
//! statements are prepared once and kept, the parameters bound straight from the Python objects,
//! and the transaction begun and committed in the same call. The connection is the writer's
//! second one to the same file, through the same SQLite library (the system's, as Python's
//! `sqlite3` links it), so the two share SQLite's locks and see each other's commits; its
//! transactions never stay open across calls.
//!
//! Errors come back as the exceptions Python's `sqlite3` raises for them (`IntegrityError` for a
//! constraint, `OperationalError` for the rest, `OverflowError` for an integer no column holds),
//! after the transaction is rolled back, so the store turns them into its own errors in one place.

use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyInt, PyList, PyString, PyTuple};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags};

/// Statements kept prepared: more than the distinct statements of single-event commits.
const STATEMENT_CACHE: usize = 64;

#[pyclass(module = "weatherman_inventory._native", frozen)]
pub struct SqliteWriter {
    conn: Mutex<Option<Connection>>,
}

/// A Python `sqlite3` exception of class `class` (`IntegrityError`, ...) with `message`.
fn sqlite3_exception(py: Python<'_>, class: &str, message: String) -> PyErr {
    match py
        .import("sqlite3")
        .and_then(|module| module.getattr(class))
        .and_then(|exc| exc.call1((message,)))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

/// The Python `sqlite3` exception for a SQLite error, its message as `sqlite3` gives it.
fn sqlite3_error(py: Python<'_>, err: &rusqlite::Error) -> PyErr {
    match err {
        rusqlite::Error::SqliteFailure(code, message) => {
            let class = match code.code {
                ErrorCode::ConstraintViolation => "IntegrityError",
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => "DatabaseError",
                _ => "OperationalError",
            };
            let text = message.clone().unwrap_or_else(|| code.to_string());
            sqlite3_exception(py, class, text)
        }
        other => sqlite3_exception(py, "OperationalError", other.to_string()),
    }
}

/// What a closed writer raises, as a closed `sqlite3` connection does.
fn closed(py: Python<'_>) -> PyErr {
    sqlite3_exception(
        py,
        "ProgrammingError",
        "Cannot operate on a closed database.".to_owned(),
    )
}

/// One parameter as SQLite binds it (the types Python's `sqlite3` binds), borrowed from the
/// Python object where it can be; `Ok(None)` for a type it does not bind.
fn sql_value<'a>(item: &'a Bound<'_, PyAny>) -> PyResult<Option<ToSqlOutput<'a>>> {
    Ok(Some(if item.is_none() {
        ToSqlOutput::Owned(Value::Null)
    } else if let Ok(text) = item.cast::<PyString>() {
        ToSqlOutput::Borrowed(ValueRef::Text(text.to_str()?.as_bytes()))
    } else if let Ok(int) = item.cast::<PyInt>() {
        let value: i64 = int.extract().map_err(|_| {
            PyOverflowError::new_err("Python int too large to convert to SQLite INTEGER")
        })?;
        ToSqlOutput::Owned(Value::Integer(value))
    } else if let Ok(bytes) = item.cast::<PyBytes>() {
        ToSqlOutput::Borrowed(ValueRef::Blob(bytes.as_bytes()))
    } else if let Ok(float) = item.cast::<PyFloat>() {
        ToSqlOutput::Owned(Value::Real(float.value()))
    } else {
        return Ok(None);
    }))
}

/// Why a write stopped: SQLite's error, a Python one, a statement and its parameters that do
/// not go together (`sqlite3.ProgrammingError`), or an order upsert that changed no row (its
/// local id).
enum Stop {
    Sqlite(rusqlite::Error),
    Python(PyErr),
    Programming(String),
    NoRow(Py<PyAny>),
}

impl From<rusqlite::Error> for Stop {
    fn from(err: rusqlite::Error) -> Self {
        Self::Sqlite(err)
    }
}

impl From<PyErr> for Stop {
    fn from(err: PyErr) -> Self {
        Self::Python(err)
    }
}

fn run(conn: &Connection, sql: &str, params: &Bound<'_, PyTuple>) -> Result<usize, Stop> {
    let mut stmt = conn.prepare_cached(sql)?;
    let expected = stmt.parameter_count();
    if params.len() != expected {
        return Err(Stop::Programming(format!(
            "Incorrect number of bindings supplied. The current statement uses {expected}, and \
             there are {} supplied.",
            params.len()
        )));
    }
    for (i, item) in params.iter().enumerate() {
        let Some(value) = sql_value(&item)? else {
            return Err(Stop::Programming(format!(
                "Error binding parameter {}: type '{}' is not supported",
                i + 1,
                item.get_type().name()?
            )));
        };
        stmt.raw_bind_parameter(i + 1, value)?;
    }
    Ok(stmt.raw_execute()?)
}

/// The writer's connection, handed to code that runs without the GIL.
struct Held<'a>(&'a Connection);

// SAFETY: one thread at a time uses the connection: `SqliteWriter::write` holds the writer's
// mutex for the whole call, and gives the GIL back only around a statement it waits on.
unsafe impl Send for Held<'_> {}

impl Held<'_> {
    /// Run `sql` (a statement without parameters).
    fn run(self, sql: &str) -> rusqlite::Result<usize> {
        self.0.prepare_cached(sql)?.raw_execute()
    }
}

/// `sql` without the GIL: `BEGIN IMMEDIATE` may wait for another writer's lock, `COMMIT` for
/// the disk, and other Python threads run meanwhile.
fn run_detached(py: Python<'_>, conn: &Connection, sql: &'static str) -> rusqlite::Result<usize> {
    let held = Held(conn);
    py.detach(move || held.run(sql))
}

fn write_all(py: Python<'_>, conn: &Connection, writes: &Bound<'_, PyList>) -> Result<(), Stop> {
    run_detached(py, conn, "BEGIN IMMEDIATE")?;
    for write in writes.iter() {
        let write = write.cast::<PyTuple>().map_err(PyErr::from)?;
        let sql = write.get_item(0)?;
        let sql = sql.cast::<PyString>().map_err(PyErr::from)?.to_str()?;
        let params = write.get_item(1)?;
        let params = params.cast::<PyTuple>().map_err(PyErr::from)?;
        let changed = run(conn, sql, params)?;
        let local_id = write.get_item(2)?;
        if changed == 0 && !local_id.is_none() {
            return Err(Stop::NoRow(local_id.unbind()));
        }
    }
    run_detached(py, conn, "COMMIT")?;
    Ok(())
}

impl SqliteWriter {
    /// `f` on the open connection, or the error a closed one gives. Never waits for the lock:
    /// a thread waiting here would hold the GIL that the one inside needs back after its
    /// COMMIT; the store's lock serializes the callers, so a second caller is a misuse.
    fn with_connection<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Connection) -> PyResult<T>,
    ) -> PyResult<T> {
        let guard = self.conn.try_lock().map_err(|_| {
            sqlite3_exception(
                py,
                "ProgrammingError",
                "the writer is in use by another thread".to_owned(),
            )
        })?;
        f(guard.as_ref().ok_or_else(|| closed(py))?)
    }
}

#[pymethods]
impl SqliteWriter {
    /// A connection to the SQLite file at `path` (which exists, in WAL mode), committing with
    /// `synchronous` (`"FULL"` or `"NORMAL"`), waiting up to 5 s for the write lock.
    #[new]
    fn new(py: Python<'_>, path: &str, synchronous: &str) -> PyResult<Self> {
        if !matches!(synchronous, "FULL" | "NORMAL") {
            return Err(PyValueError::new_err(format!(
                "synchronous must be FULL or NORMAL, not {synchronous:?}"
            )));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open_with_flags(path, flags)?;
            conn.busy_timeout(Duration::from_secs(5))?;
            conn.execute_batch(&format!(
                "PRAGMA foreign_keys = ON; PRAGMA synchronous = {synchronous};"
            ))?;
            conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            Ok(conn)
        };
        let conn = open().map_err(|err| sqlite3_error(py, &err))?;
        Ok(Self {
            conn: Mutex::new(Some(conn)),
        })
    }

    /// Run `writes`, each a tuple `(sql, parameters, local_id)`, in one transaction (`BEGIN
    /// IMMEDIATE` ... `COMMIT`). A write with a `local_id` must change a row: if it changes
    /// none, everything is rolled back and that local id returned. Any error rolls back too.
    /// One thread at a time: a call while another runs fails.
    fn write(&self, py: Python<'_>, writes: &Bound<'_, PyList>) -> PyResult<Option<Py<PyAny>>> {
        self.with_connection(py, |conn| match write_all(py, conn, writes) {
            Ok(()) => Ok(None),
            Err(stop) => {
                if !conn.is_autocommit() {
                    // A failed rollback leaves nothing to undo: SQLite ended the transaction.
                    let _ = conn.execute_batch("ROLLBACK");
                }
                match stop {
                    Stop::Sqlite(err) => Err(sqlite3_error(py, &err)),
                    Stop::Python(err) => Err(err),
                    Stop::Programming(message) => {
                        Err(sqlite3_exception(py, "ProgrammingError", message))
                    }
                    Stop::NoRow(local_id) => Ok(Some(local_id)),
                }
            }
        })
    }

    /// The value of a read-only pragma on this connection (`synchronous`, `foreign_keys`, ...):
    /// what its commits run with.
    fn pragma(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(PyValueError::new_err(format!(
                "a pragma name is letters and underscores, not {name:?}"
            )));
        }
        let value = self.with_connection(py, |conn| {
            conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get::<_, Value>(0))
                .map_err(|err| sqlite3_error(py, &err))
        })?;
        Ok(match value {
            Value::Integer(int) => int.into_pyobject(py)?.into_any().unbind(),
            Value::Text(text) => text.into_pyobject(py)?.into_any().unbind(),
            _ => py.None(),
        })
    }

    /// Close the connection (later writes fail).
    fn close(&self) {
        let mut guard = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.take();
    }
}
