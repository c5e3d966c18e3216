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
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple, PyType};
use rusqlite::types::{Value as Column, ValueRef};
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use sha2::{Digest, Sha256};

use super::chain_hash;
use super::slots::{alloc_instance, check_plain_new, fill_slot, slot_offset};

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
        let Ok(event) = alloc_instance(py, kind.cls.bind(py)) else {
            drop(PyErr::take(py));
            return None;
        };
        for (field, value) in kind.fields.iter().zip(values) {
            let value = field_value(py, field, value)?;
            // SAFETY: the offset came from `slot_offset` for this class at construction, and
            // each slot of the fresh instance is written once.
            unsafe { fill_slot(&event, field.offset, value) };
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
                check_plain_new(&cls)?;
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

    /// Checks and decodes `rows[start:]` (a `journal_read`), the first expected to be number
    /// `seq` and chained to `previous`, up to the first row it leaves to the caller.
    ///
    /// Returns (events, fills, fill count, last seq, head, stop, recorded): the events of the
    /// rows decoded, up to `last seq`, whose hash is `head`; their fills-table rows as `decode`
    /// gives them; `stop` the index of the row left to the caller (None if every row was
    /// decoded); each event's row's `recorded_at`, 8 bytes little-endian apiece.
    #[allow(clippy::type_complexity)]
    fn decode_read<'py>(
        &self,
        py: Python<'py>,
        rows: &JournalRows,
        start: usize,
        seq: i64,
        session_id: &Bound<'py, PyString>,
        previous: &[u8],
    ) -> PyResult<(
        Bound<'py, PyList>,
        Bound<'py, PyBytes>,
        usize,
        i64,
        Bound<'py, PyBytes>,
        Option<usize>,
        Bound<'py, PyBytes>,
    )> {
        let sid = session_id.to_str()?.as_bytes();
        let mut out = Decoded::new(py);
        let mut last = seq - 1;
        let mut head = previous.to_vec();
        let mut recorded: Vec<u8> = Vec::new();
        let mut stop = None;
        for (index, row) in rows.rows.iter().enumerate().skip(start) {
            // The read checked each row against the stored hash before it; the first against
            // `previous` is checked here, and each later one follows a row whose stored hash
            // is the head.
            let chained = if index == start {
                owned_chain_hash(&head, sid, &row.columns).is_some_and(|digest| {
                    matches!(&row.columns[5], Column::Blob(stored) if stored[..] == digest[..])
                })
            } else {
                row.chained
            };
            match self.decode_owned(py, row, chained, last + 1, session_id, &mut out) {
                Some(at) => {
                    last += 1;
                    if let Column::Blob(stored) = &row.columns[5] {
                        head.clone_from(stored);
                    }
                    recorded.extend_from_slice(&at.to_le_bytes());
                }
                None => {
                    stop = Some(index);
                    break;
                }
            }
        }
        Ok((
            out.events,
            PyBytes::new(py, &out.fills),
            out.fill_count,
            last,
            PyBytes::new(py, &head),
            stop,
            PyBytes::new(py, &recorded),
        ))
    }
}

/// Journal rows read ahead by `journal_read`, held natively until `JournalDecoder.decode_read`
/// decodes them.
#[pyclass(module = "weatherman_inventory._native", frozen)]
pub struct JournalRows {
    rows: Vec<ReadRow>,
    end: bool,
}

/// One row's six columns as SQLite gave them, and whether its stored hash is its hash chained to
/// the stored hash of the row read before it (to the read's `previous` for the first).
struct ReadRow {
    columns: [Column; 6],
    chained: bool,
}

#[pymethods]
impl JournalRows {
    fn __len__(&self) -> usize {
        self.rows.len()
    }

    /// Whether the journal ended within this read.
    #[getter]
    fn end(&self) -> bool {
        self.end
    }

    /// (seq, stored hash) of the last row read, where a read of the rows after it starts; None
    /// for no rows (or a last row whose seq or hash is not of the journal's types).
    fn last(&self, py: Python<'_>) -> Option<(i64, Py<PyBytes>)> {
        let row = self.rows.last()?;
        let Column::Integer(seq) = row.columns[0] else {
            return None;
        };
        let Column::Blob(hash) = &row.columns[5] else {
            return None;
        };
        Some((seq, PyBytes::new(py, hash).unbind()))
    }

    /// Row `index` as `PersistenceLayer.journal_rows` gives it.
    fn row<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyTuple>> {
        let row = self
            .rows
            .get(index)
            .ok_or_else(|| PyValueError::new_err(format!("no row {index} in this read")))?;
        let items = row
            .columns
            .iter()
            .map(|value| owned_column(py, value))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, items)
    }
}

fn owned_column<'py>(py: Python<'py>, value: &Column) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Column::Null => py.None().into_bound(py),
        Column::Integer(n) => n.into_pyobject(py)?.into_any(),
        Column::Real(x) => x.into_pyobject(py)?.into_any(),
        Column::Text(text) => PyString::new(py, text).into_any(),
        Column::Blob(bytes) => PyBytes::new(py, bytes).into_any(),
    })
}

/// Reads the session's journal rows after number `after` (at most `limit`) from the SQLite
/// database at `uri` (opened read-only) and checks each row's stored hash against its hash
/// chained to the stored hash before it (`previous` for the first), with the interpreter
/// released: recovery reads the next rows in a thread while it applies the ones before.
/// A database it cannot read raises `ValueError`.
#[pyfunction]
pub fn journal_read(
    py: Python<'_>,
    uri: &str,
    session_id: &str,
    after: i64,
    limit: i64,
    previous: Vec<u8>,
) -> PyResult<JournalRows> {
    py.detach(|| read_rows(uri, session_id, after, limit, previous))
        .map_err(|err| sqlite_error(&err))
}

fn read_rows(
    uri: &str,
    session_id: &str,
    after: i64,
    limit: i64,
    mut previous: Vec<u8>,
) -> rusqlite::Result<JournalRows> {
    let conn = open_readonly(uri)?;
    let mut select = conn.prepare(
        "SELECT seq, kind, payload, duplicate, recorded_at, hash FROM journal \
         WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let mut cursor = select.query((session_id, after, limit))?;
    let mut rows = Vec::new();
    while let Some(row) = cursor.next()? {
        let columns: [Column; 6] = [
            owned(row, 0)?,
            owned(row, 1)?,
            owned(row, 2)?,
            owned(row, 3)?,
            owned(row, 4)?,
            owned(row, 5)?,
        ];
        let digest = owned_chain_hash(&previous, session_id.as_bytes(), &columns);
        let stored = match &columns[5] {
            Column::Blob(hash) => hash.clone(),
            _ => Vec::new(),
        };
        let chained = digest.is_some_and(|digest| digest[..] == stored[..]);
        previous = stored;
        rows.push(ReadRow { columns, chained });
    }
    let end = i64::try_from(rows.len()).map_or(true, |read| read < limit);
    Ok(JournalRows { rows, end })
}

/// Column `index` of `row`, owned; text that is not UTF-8 is an error (recovery then reads the
/// journal from there through the store, which names what is wrong).
fn owned(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Column> {
    Ok(match row.get_ref(index)? {
        ValueRef::Null => Column::Null,
        ValueRef::Integer(n) => Column::Integer(n),
        ValueRef::Real(x) => Column::Real(x),
        ValueRef::Text(text) => Column::Text(
            std::str::from_utf8(text)
                .map_err(rusqlite::Error::Utf8Error)?
                .to_owned(),
        ),
        ValueRef::Blob(bytes) => Column::Blob(bytes.to_vec()),
    })
}

/// `chain_hash` of a row's owned columns, or None if they are not of the journal's types.
fn owned_chain_hash(previous: &[u8], session_id: &[u8], columns: &[Column; 6]) -> Option<[u8; 32]> {
    let (Column::Integer(seq), Column::Text(kind), Column::Integer(duplicate), Column::Integer(at)) =
        (&columns[0], &columns[1], &columns[3], &columns[4])
    else {
        return None;
    };
    let (tag, body) = match &columns[2] {
        Column::Blob(body) => (0, body.as_slice()),
        Column::Text(body) => (1, body.as_bytes()),
        _ => return None,
    };
    let duplicate = u8::try_from(*duplicate).ok().filter(|d| *d <= 1)?;
    chain_hash(
        previous,
        session_id,
        *seq,
        kind.as_bytes(),
        tag,
        body,
        duplicate,
        *at,
    )
}

/// The SQLite database at `uri`, opened read-only for one thread, waiting up to 5 s for a lock.
fn open_readonly(uri: &str) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
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

    /// Decodes one read row that is chained, in sequence and no duplicate into `out`, returning
    /// its `recorded_at`, or None (nothing added) if the row is left to the caller.
    fn decode_owned<'py>(
        &self,
        py: Python<'py>,
        row: &ReadRow,
        chained: bool,
        expected: i64,
        session_id: &Bound<'py, PyString>,
        out: &mut Decoded<'py>,
    ) -> Option<i64> {
        let [Column::Integer(seq), Column::Text(kind), Column::Blob(body), Column::Integer(0), Column::Integer(at), _] =
            &row.columns
        else {
            return None;
        };
        if !chained || *seq != expected {
            return None;
        }
        self.decode_one(py, *seq, kind, body, None, session_id, out)?;
        Some(*at)
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
    let conn = open_readonly(uri)?;
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
