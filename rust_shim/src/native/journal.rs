//! `JournalDecoder`: recovery's decoding of journal rows into events, at native speed.
//!
//! The Python decoders (`events.decoders_for`) stay the definition: this one runs, per kind, the
//! same inline tests `events._JsonTest` describes (it is built from them at import) and builds
//! the same event, filling its slots as the Python decoder does. It decodes a run of rows and
//! stops at the first row it is not sure of (a test that fails, a row it does not handle, a
//! sequence number out of order, a duplicate): the caller decodes that row in Python, which
//! accepts it or names what is wrong, and calls again from the row after it.

use std::collections::HashMap;
use std::io::Write;

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple, PyType};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use sha2::{Digest, Sha256};

use super::chain_hash;

/// The common case of one field's JSON value (`events._JsonTest.native()`).
enum Test {
    Id { intern: bool, max_len: usize },
    Int { low: i64, high: i64 },
    Map(Py<PyDict>),
    Bool,
}

struct Field {
    /// The offset of the field's slot in the event's object (read from its member descriptor).
    offset: isize,
    test: Test,
    optional: bool,
}

/// Where a fill event's fills-table row comes from: (fill_id, order_id, token_id, side, qty,
/// price, fee), as `journal._fill_row` builds it, indices into the event's fields.
struct FillRow {
    side: String,
    fill_id: usize,
    local_id: usize,
    token_id: usize,
    qty: usize,
    price: usize,
    fee: usize,
}

struct Declared {
    cls: Py<PyType>,
    fields: Vec<Field>,
    cross: Option<Py<PyAny>>,
    fill: Option<FillRow>,
}

enum Entry {
    /// Tested and built here.
    Declared(Declared),
    /// Parsed by `loads` and decoded by the kind's Python decoder (collections, rare kinds).
    Python(Py<PyAny>),
}

/// Decodes runs of journal rows (see the module's documentation).
#[pyclass(module = "weatherman_inventory._native", frozen)]
pub struct JournalDecoder {
    kinds: HashMap<String, Entry>,
    loads: Py<PyAny>,
    synthetic_fill_id: Py<PyAny>,
}

fn bad(what: &str) -> PyErr {
    PyValueError::new_err(format!("JournalDecoder: {what}"))
}

fn parse_test(spec: &Bound<'_, PyTuple>) -> PyResult<(Test, bool)> {
    let name: String = spec.get_item(0)?.extract()?;
    let optional: bool = spec.get_item(1)?.extract()?;
    let test = match name.as_str() {
        "id" => Test::Id {
            intern: spec.get_item(2)?.extract()?,
            max_len: spec.get_item(3)?.extract()?,
        },
        "int" => Test::Int {
            low: spec.get_item(2)?.extract()?,
            high: spec.get_item(3)?.extract()?,
        },
        "map" => Test::Map(spec.get_item(2)?.cast_into::<PyDict>()?.unbind()),
        "bool" => Test::Bool,
        other => return Err(bad(&format!("unknown test {other:?}"))),
    };
    Ok((test, optional))
}

/// The offset of `cls`'s slot `name`: its member descriptor must hold an object (`T_OBJECT_EX`,
/// writable) inside the instance, and `cls` must be allocated by its `tp_alloc` with nothing
/// else to do (no `__new__` or `__init__` of its own beyond object's and the dataclass's).
fn slot_offset(cls: &Bound<'_, PyType>, name: &Bound<'_, PyString>) -> PyResult<isize> {
    let descr = cls.getattr(name)?;
    if descr.get_type().name()? != "member_descriptor" {
        return Err(bad(&format!("{name} is not a slot of {cls}")));
    }
    // SAFETY: a `member_descriptor` is a `PyMemberDescrObject`, whose `d_member` points at the
    // class's `PyMemberDef` (pyo3-ffi types the pointer as `PyGetSetDef`).
    let member = unsafe {
        let descr = descr.as_ptr().cast::<ffi::PyMemberDescrObject>();
        &*(*descr).d_member.cast::<ffi::PyMemberDef>()
    };
    // SAFETY: `cls` is a live type object.
    let size = unsafe { (*cls.as_type_ptr()).tp_basicsize };
    let readonly = member.flags & ffi::Py_READONLY != 0;
    if member.type_code != ffi::Py_T_OBJECT_EX
        || readonly
        || member.offset <= 0
        || member.offset >= size
    {
        return Err(bad(&format!(
            "{name} of {cls} is not a writable object slot"
        )));
    }
    Ok(member.offset)
}

fn parse_fill(spec: &Bound<'_, PyAny>) -> PyResult<Option<FillRow>> {
    if spec.is_none() {
        return Ok(None);
    }
    let (side, fill_id, local_id, token_id, qty, price, fee) = spec.extract()?;
    Ok(Some(FillRow {
        side,
        fill_id,
        local_id,
        token_id,
        qty,
        price,
        fee,
    }))
}

/// One field's value as the Python decoder builds it, or None if it is not the common case.
fn field_value<'py>(py: Python<'py>, field: &Field, value: &Value) -> Option<Bound<'py, PyAny>> {
    if value.is_null() {
        return field.optional.then(|| py.None().into_bound(py));
    }
    match &field.test {
        Test::Id { intern, max_len } => {
            let text = value.as_str()?;
            if text.is_empty() || text.len() > *max_len || !text.is_ascii() {
                return None;
            }
            let text = if *intern {
                PyString::intern(py, text)
            } else {
                PyString::new(py, text)
            };
            Some(text.into_any())
        }
        Test::Int { low, high } => {
            let number = value.as_i64()?;
            if number < *low || number > *high {
                return None;
            }
            Some(number.into_pyobject(py).ok()?.into_any())
        }
        Test::Map(table) => table.bind(py).get_item(value.as_str()?).ok()?,
        Test::Bool => Some(
            pyo3::types::PyBool::new(py, value.as_bool()?)
                .to_owned()
                .into_any(),
        ),
    }
}

/// `object.__new__`'s C function, which the events' classes inherit.
/// The address of `object.__new__`'s C function (libpython's), which the events inherit.
fn object_new() -> Option<usize> {
    // SAFETY: `PyBaseObject_Type` is a static type object.
    unsafe {
        (*std::ptr::addr_of_mut!(ffi::PyBaseObject_Type))
            .tp_new
            .map(|f| f as usize)
    }
}

fn push_json_str(out: &mut Vec<u8>, text: &str) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

impl JournalDecoder {
    fn build<'py>(
        &self,
        py: Python<'py>,
        kind: &Declared,
        values: &[Value],
    ) -> Option<Bound<'py, PyAny>> {
        if values.len() != kind.fields.len() {
            return None;
        }
        let cls = kind.cls.bind(py).as_type_ptr();
        // SAFETY: `object.__new__(cls)` without its checks (a concrete class of ours, checked
        // at construction): `tp_alloc` returns a zeroed, tracked instance or NULL with an error.
        let event = unsafe {
            let alloc = (*cls).tp_alloc?;
            Bound::from_owned_ptr_or_opt(py, alloc(cls, 0))
        };
        let Some(event) = event else {
            drop(PyErr::take(py));
            return None;
        };
        for (field, value) in kind.fields.iter().zip(values) {
            let value = field_value(py, field, value)?;
            // SAFETY: the slot lies inside the fresh instance (checked by `slot_offset`) and is
            // still NULL; it takes the value's reference, as the slot's descriptor would.
            unsafe {
                *event
                    .as_ptr()
                    .cast::<u8>()
                    .offset(field.offset)
                    .cast::<*mut ffi::PyObject>() = value.into_ptr();
            }
        }
        if let Some(cross) = &kind.cross {
            cross.bind(py).call1((&event,)).ok()?;
        }
        Some(event)
    }

    /// The fills-table row of a decoded fill as JSON, followed by a comma, appended to `out`.
    fn fill_row(
        &self,
        py: Python<'_>,
        fill: &FillRow,
        values: &[Value],
        session_id: &Bound<'_, PyString>,
        seq: i64,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        out.push(b'[');
        match values[fill.fill_id].as_str() {
            Some(id) => push_json_str(out, id),
            None => {
                let id = self
                    .synthetic_fill_id
                    .bind(py)
                    .call1((session_id, seq))
                    .ok()?;
                push_json_str(out, id.cast::<PyString>().ok()?.to_str().ok()?);
            }
        }
        for index in [fill.local_id, fill.token_id] {
            out.push(b',');
            push_json_str(out, values[index].as_str()?);
        }
        out.push(b',');
        push_json_str(out, &fill.side);
        for index in [fill.qty, fill.price, fill.fee] {
            write!(out, ",{}", values[index].as_i64()?).ok()?;
        }
        out.extend_from_slice(b"],");
        Some(())
    }
}

#[pymethods]
impl JournalDecoder {
    /// `kinds`: kind -> (class, ((slot name, test), ...), cross check or None, fill row or
    /// None) for a declared event, or kind -> Python decoder for one decoded by `loads` and
    /// that decoder. `synthetic_fill_id(session_id, seq)` names a fill journaled without an id.
    #[new]
    fn new(
        kinds: &Bound<'_, PyDict>,
        loads: Py<PyAny>,
        synthetic_fill_id: Py<PyAny>,
    ) -> PyResult<Self> {
        let mut table = HashMap::new();
        for (kind, spec) in kinds.iter() {
            let kind: String = kind.extract()?;
            let entry = if let Ok(spec) = spec.cast::<PyTuple>() {
                let cls = spec.get_item(0)?.cast_into::<PyType>()?;
                // SAFETY: reading the type slots of live type objects.
                if unsafe { (*cls.as_type_ptr()).tp_new.map(|f| f as usize) } != object_new() {
                    return Err(bad(&format!("{cls} has a __new__ of its own")));
                }
                let mut fields = Vec::new();
                for field in spec.get_item(1)?.try_iter()? {
                    let field = field?;
                    let field = field.cast::<PyTuple>()?;
                    let (test, optional) = parse_test(field.get_item(1)?.cast::<PyTuple>()?)?;
                    let offset = slot_offset(&cls, field.get_item(0)?.cast::<PyString>()?)?;
                    fields.push(Field {
                        offset,
                        test,
                        optional,
                    });
                }
                let cross = spec.get_item(2)?;
                Entry::Declared(Declared {
                    cls: cls.unbind(),
                    fields,
                    cross: (!cross.is_none()).then(|| cross.unbind()),
                    fill: parse_fill(&spec.get_item(3)?)?,
                })
            } else {
                Entry::Python(spec.unbind())
            };
            table.insert(kind, entry);
        }
        Ok(Self {
            kinds: table,
            loads,
            synthetic_fill_id,
        })
    }

    /// Decodes `rows[start:end]` (journal rows as `PersistenceLayer.journal_rows` yields them,
    /// the first expected to be number `seq`) up to the first row it leaves to the caller.
    ///
    /// Returns (events, fills, fill count, stop): the events of `rows[start:stop]`, and the
    /// fills-table rows of their fills as `journal.replay_checked` digests them (each row's JSON
    /// array followed by a comma).
    #[allow(clippy::type_complexity)]
    fn decode<'py>(
        &self,
        rows: &Bound<'py, PyList>,
        start: usize,
        end: usize,
        seq: i64,
        session_id: &Bound<'py, PyString>,
    ) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyBytes>, usize, usize)> {
        let py = rows.py();
        let mut out = Decoded::new(py);
        let end = end.min(rows.len());
        let mut at = start;
        while at < end {
            let expected = seq + (at - start) as i64;
            if self
                .decode_row(&rows.get_item(at)?, expected, session_id, &mut out)
                .is_none()
            {
                break;
            }
            at += 1;
        }
        Ok((out.events, PyBytes::new(py, &out.fills), out.fill_count, at))
    }

    /// Reads the session's journal rows after number `after` (at most `limit`) from the
    /// SQLite database at `uri` (opened read-only), checks each row's hash chained from
    /// `previous` and decodes it, up to the first row it leaves to the caller.
    ///
    /// Returns (events, fills, fill count, last seq, head, stop, end, recorded): the events of
    /// the rows after `after` up to `last seq`, whose hash is `head`; `stop` is the row after
    /// them as `journal_rows` gives it, left to the caller (None if none was); `end` is whether
    /// the journal ended; `recorded` is each event's row's `recorded_at`, 8 bytes
    /// little-endian apiece, so a caller can stop at any row of the run and say when it was
    /// written. A database it cannot read raises `ValueError`.
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    fn scan<'py>(
        &self,
        py: Python<'py>,
        uri: &str,
        session_id: &Bound<'py, PyString>,
        after: i64,
        limit: i64,
        previous: &[u8],
    ) -> PyResult<(
        Bound<'py, PyList>,
        Bound<'py, PyBytes>,
        usize,
        i64,
        Bound<'py, PyBytes>,
        Option<Bound<'py, PyTuple>>,
        bool,
        Bound<'py, PyBytes>,
    )> {
        let sid = session_id.to_str()?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(uri, flags).map_err(|e| sqlite_error(&e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| sqlite_error(&e))?;
        let mut select = conn
            .prepare(
                "SELECT seq, kind, payload, duplicate, recorded_at, hash FROM journal \
                 WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(|e| sqlite_error(&e))?;
        let mut rows = select
            .query((sid, after, limit))
            .map_err(|e| sqlite_error(&e))?;
        let mut out = Decoded::new(py);
        let mut last = after;
        let mut head = previous.to_vec();
        let mut read = 0;
        let mut stop = None;
        let mut recorded: Vec<u8> = Vec::new();
        while let Some(row) = rows.next().map_err(|e| sqlite_error(&e))? {
            read += 1;
            let decoded = self.scan_row(
                py,
                row,
                last + 1,
                sid.as_bytes(),
                &head,
                session_id,
                &mut out,
            );
            match decoded {
                Some(hash) => {
                    last += 1;
                    head = hash.to_vec();
                    // `scan_row` read it as an integer before it decoded the row.
                    let at = row.get_ref(4).ok().and_then(|v| v.as_i64().ok());
                    recorded.extend_from_slice(&at.unwrap_or_default().to_le_bytes());
                }
                None => {
                    let Some(row) = python_row(py, row) else {
                        return Err(PyValueError::new_err(format!(
                            "journal: the row after {last} is not readable here"
                        )));
                    };
                    stop = Some(row);
                    break;
                }
            }
        }
        let end = stop.is_none() && read < limit;
        let fills = PyBytes::new(py, &out.fills);
        Ok((
            out.events,
            fills,
            out.fill_count,
            last,
            PyBytes::new(py, &head),
            stop,
            end,
            PyBytes::new(py, &recorded),
        ))
    }
}

/// A row's column as Python's `sqlite3` returns it.
fn column<'py>(py: Python<'py>, value: ValueRef<'_>) -> Option<Bound<'py, PyAny>> {
    Some(match value {
        ValueRef::Null => py.None().into_bound(py),
        ValueRef::Integer(n) => n.into_pyobject(py).ok()?.into_any(),
        ValueRef::Real(x) => x.into_pyobject(py).ok()?.into_any(),
        ValueRef::Text(text) => PyString::new(py, std::str::from_utf8(text).ok()?).into_any(),
        ValueRef::Blob(bytes) => PyBytes::new(py, bytes).into_any(),
    })
}

/// A journal row as `PersistenceLayer.journal_rows` gives it.
fn python_row<'py>(py: Python<'py>, row: &rusqlite::Row<'_>) -> Option<Bound<'py, PyTuple>> {
    let mut items = Vec::with_capacity(6);
    for index in 0..6 {
        items.push(column(py, row.get_ref(index).ok()?)?);
    }
    PyTuple::new(py, items).ok()
}

fn sqlite_error(err: &rusqlite::Error) -> PyErr {
    PyValueError::new_err(format!("journal: {err}"))
}

/// What a run of decoded rows gives: its events, and its fills' rows as `fill_row` writes them.
struct Decoded<'py> {
    events: Bound<'py, PyList>,
    fills: Vec<u8>,
    fill_count: usize,
}

impl<'py> Decoded<'py> {
    fn new(py: Python<'py>) -> Self {
        Self {
            events: PyList::empty(py),
            fills: Vec::new(),
            fill_count: 0,
        }
    }
}

impl JournalDecoder {
    /// Decodes one row that is in sequence and no duplicate into `out`, or None (nothing added)
    /// if the row is left to the caller. `payload` is the row's payload object when the caller
    /// has one (a Python decoder takes it as is).
    #[allow(clippy::too_many_arguments)]
    fn decode_one<'py>(
        &self,
        py: Python<'py>,
        seq: i64,
        kind: &str,
        body: &[u8],
        payload: Option<&Bound<'py, PyAny>>,
        session_id: &Bound<'py, PyString>,
        out: &mut Decoded<'py>,
    ) -> Option<()> {
        let event = match self.kinds.get(kind)? {
            Entry::Declared(declared) => {
                let values: Vec<Value> = serde_json::from_slice(body).ok()?;
                let event = self.build(py, declared, &values)?;
                if let Some(fill) = &declared.fill {
                    let mark = out.fills.len();
                    if self
                        .fill_row(py, fill, &values, session_id, seq, &mut out.fills)
                        .is_none()
                    {
                        out.fills.truncate(mark);
                        return None;
                    }
                    out.fill_count += 1;
                }
                event
            }
            Entry::Python(decode) => {
                let value = match payload {
                    Some(payload) => self.loads.bind(py).call1((payload,)),
                    None => self.loads.bind(py).call1((PyBytes::new(py, body),)),
                };
                decode.bind(py).call1((value.ok()?,)).ok()?
            }
        };
        out.events.append(event).ok()
    }

    /// Checks and decodes one row read from SQLite: its hash chained to `previous` (returned),
    /// or None (nothing added) if the row is left to the caller.
    #[allow(clippy::too_many_arguments)]
    fn scan_row<'py>(
        &self,
        py: Python<'py>,
        row: &rusqlite::Row<'_>,
        expected: i64,
        sid: &[u8],
        previous: &[u8],
        session_id: &Bound<'py, PyString>,
        out: &mut Decoded<'py>,
    ) -> Option<[u8; 32]> {
        let seq = row.get_ref(0).ok()?.as_i64().ok()?;
        let duplicate = row.get_ref(3).ok()?.as_i64().ok()?;
        if seq != expected || duplicate != 0 {
            return None;
        }
        let kind = row.get_ref(1).ok()?.as_str().ok()?;
        let (tag, body) = match row.get_ref(2).ok()? {
            ValueRef::Blob(body) => (0, body),
            ValueRef::Text(body) => (1, body),
            _ => return None,
        };
        let recorded_at = row.get_ref(4).ok()?.as_i64().ok()?;
        let stored = row.get_ref(5).ok()?.as_blob().ok()?;
        let hash = chain_hash(
            previous,
            sid,
            seq,
            kind.as_bytes(),
            tag,
            body,
            0,
            recorded_at,
        )?;
        if stored != hash {
            return None;
        }
        self.decode_one(py, seq, kind, body, None, session_id, out)?;
        Some(hash)
    }

    /// `decode_one` of a row as `PersistenceLayer.journal_rows` gives it.
    fn decode_row<'py>(
        &self,
        row: &Bound<'py, PyAny>,
        expected: i64,
        session_id: &Bound<'py, PyString>,
        out: &mut Decoded<'py>,
    ) -> Option<()> {
        let row = row.cast::<PyTuple>().ok()?;
        let seq: i64 = row.get_item(0).ok()?.extract().ok()?;
        if seq != expected || row.get_item(3).ok()?.is_truthy().ok()? {
            return None;
        }
        let kind = row.get_item(1).ok()?;
        let kind = kind.cast::<PyString>().ok()?.to_str().ok()?;
        let payload = row.get_item(2).ok()?;
        let body: &[u8] = if let Ok(bytes) = payload.cast::<PyBytes>() {
            bytes.as_bytes()
        } else {
            payload.cast::<PyString>().ok()?.to_str().ok()?.as_bytes()
        };
        self.decode_one(row.py(), seq, kind, body, Some(&payload), session_id, out)
    }
}

/// The number of the session's fills in the SQLite database at `uri` and the sha256 of their
/// rows as `verify._fill_digest` computes them (each row's `json_array(fill_id, order_id,
/// token_id, side, qty, price, fee)` followed by a comma, in the order recorded), or None if a
/// row holds a value JSON cannot (a BLOB). A database it cannot read raises `ValueError`. The
/// interpreter is released while it reads, so recovery computes it beside the replay.
#[pyfunction]
pub fn fills_digest(
    py: Python<'_>,
    uri: &str,
    session_id: &str,
) -> PyResult<Option<(u64, Vec<u8>)>> {
    py.detach(|| read_fills_digest(uri, session_id))
        .map_err(|err| sqlite_error(&err))
}

fn read_fills_digest(uri: &str, session_id: &str) -> rusqlite::Result<Option<(u64, Vec<u8>)>> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mut select = conn.prepare(
        "SELECT json_array(fill_id, order_id, token_id, side, qty, price, fee) FROM fills \
         WHERE session_id = ?1 ORDER BY id",
    )?;
    let mut rows = select.query([session_id])?;
    let mut digest = Sha256::new();
    let mut count = 0;
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                let Ok(text) = row.get_ref(0).and_then(|v| Ok(v.as_str()?)) else {
                    return Ok(None);
                };
                digest.update(text.as_bytes());
                digest.update(b",");
                count += 1;
            }
            Ok(None) => break,
            // SQLite refuses a BLOB in json_array: the exact comparison names it.
            Err(rusqlite::Error::SqliteFailure(_, _)) => return Ok(None),
            Err(err) => return Err(err),
        }
    }
    Ok(Some((count, digest.finalize().to_vec())))
}
