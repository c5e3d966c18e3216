"""Type stubs of the extension module maturin builds from `rust_shim/src/native.rs`."""

from collections.abc import Callable
from typing import Any, Literal

__version__: str

def roundtrip_inventory_state(json: str) -> str:
    """Parse an InventoryState document with the Rust serde types and serialise it back.

    Raises ValueError naming the serde error when Rust refuses the document.
    """

def roundtrip_decision_context(json: str) -> str:
    """Parse a DecisionContext document with the Rust serde types and serialise it back.

    Raises ValueError naming the serde error when Rust refuses the document.
    """

def journal_chain_mismatch(
    previous: bytes,
    session_id: str,
    rows: list[tuple[int, str, bytes, int, int, bytes | None]],
    start: int,
) -> int:
    """The index of the first of `rows[start:]` (journal rows: seq, kind, payload, duplicate,
    recorded_at, hash) whose stored hash is not `store.journal_row_hash` of the row chained to
    the one before (to `previous` for the first), or `len(rows)` if the chain holds.

    A row the native check cannot encode (a value of an unexpected type, text that is not
    UTF-8) is reported as a mismatch: the caller checks it with `journal_row_hash`.
    """

def journal_row_digest(
    previous: bytes,
    session_id: bytes,
    seq: int,
    kind: bytes,
    payload: bytes,
    duplicate: bool,
    recorded_at: int,
) -> bytes:
    """`store.journal_row_hash(previous, session_id, seq, kind, payload, duplicate,
    recorded_at)` of a row with a bytes payload, its session id and kind given UTF-8 encoded.
    Raises ValueError for a field longer than 2^32 - 1 bytes."""

class SlotMaker:
    """Instances of one slotted class from its slots' values, written straight into the slots
    (the events' builders and decoders make every event through one)."""

    def __init__(self, cls: type, names: tuple[str, ...]) -> None:
        """Refuses (ValueError) a class with a `__new__` of its own, or a name that is not a
        writable object slot of `cls`."""

    def make(self, values: tuple[object, ...], /) -> Any:
        """A new `cls` whose slot `names[i]` holds `values[i]` (TypeError unless there is one
        value a name); the values are not checked."""

    def copy(self, instance: Any, /) -> Any:
        """A shallow copy of an instance of `cls` itself (TypeError otherwise): a new instance
        holding the same objects in the named slots; an unset slot stays unset."""

class SqliteWriter:
    """A native connection to a SQLite file that runs a journal commit's statements in one
    call (`store.sqlite.SQLiteBackend.write`), keeping them prepared."""

    def __init__(self, path: str, synchronous: Literal["FULL", "NORMAL"]) -> None:
        """Opens the existing database at `path` (raises `sqlite3.Error` if it cannot)."""

    def write(self, writes: list[tuple[str, tuple[Any, ...], str | None]], /) -> str | None:
        """Runs every `(sql, parameters, local_id)` in one `BEGIN IMMEDIATE` transaction; a
        write naming a local id that changed no row rolls all back and returns that id. Errors
        roll back and raise what Python's `sqlite3` raises (`IntegrityError`,
        `OperationalError`, `ProgrammingError`, `OverflowError`). One thread at a time."""

    def pragma(self, name: str, /) -> int | str | None:
        """The value of a read-only pragma on this connection (what its commits run with)."""

    def close(self) -> None:
        """Closes the connection; a later `write` raises `sqlite3.ProgrammingError`."""

class JournalDecoder:
    """Recovery's decoding of journal rows into events, the tests of `events._JsonTest` run
    natively; it stops at the first row it is not sure of, which the caller decodes in Python.
    """

    def __init__(
        self,
        kinds: dict[str, object],
        loads: Callable[[bytes | str], object],
        synthetic_fill_id: Callable[[str, int], str],
    ) -> None:
        """`kinds` as `events.native_decoder_kinds()` gives them, each fill kind's entry with
        its fills-table row: (side, index of fill_id, local_id, token_id, qty, price, fee)."""

    def decode(
        self,
        rows: list[tuple[int, str, bytes, int, int, bytes | None]],
        start: int,
        end: int,
        seq: int,
        session_id: str,
    ) -> tuple[list[Any], bytes, int, int]:
        """(events, fills, fill count, stop): the events of `rows[start:stop]`, the first
        expected to be number `seq`, stopping before `end` or the first row left to the caller;
        `fills` is their fills-table rows as JSON arrays, each followed by a comma."""

    def decode_read(
        self,
        rows: JournalRows,
        start: int,
        seq: int,
        session_id: str,
        previous: bytes,
    ) -> tuple[list[Any], bytes, int, int, bytes, int | None, bytes]:
        """Check and decode `rows[start:]`, the first expected to be number `seq` and chained
        to `previous`, up to the first row left to the caller.

        (events, fills, fill count, last seq, head, stop, recorded): `stop` is the index of
        the row left to the caller (None if none was), `recorded` each event's row's
        recorded_at as 8 bytes little-endian."""

class JournalRows:
    """Journal rows `journal_read` read, held natively until `decode_read` decodes them."""

    def __len__(self) -> int: ...
    @property
    def end(self) -> bool:
        """Whether the journal ended within the read."""

    def last(self) -> tuple[int, bytes] | None:
        """(seq, stored hash) of the last row read; None for none."""

    def row(self, index: int) -> tuple[int, str, bytes, int, int, bytes | None]:
        """Row `index` as `PersistenceLayer.journal_rows` gives it."""

def journal_read(uri: str, session_id: str, after: int, limit: int, previous: bytes) -> JournalRows:
    """The session's journal rows after number `after` (at most `limit`) read from the SQLite
    database at `uri` (read-only), each row's stored hash checked against its hash chained to
    the stored hash before it (`previous` for the first), with the interpreter released. A
    database it cannot read raises ValueError."""

def fills_digest(uri: str, session_id: str) -> tuple[int, bytes] | None:
    """The number of the session's fills and the sha256 of their rows as `verify` digests
    them, or None if a row holds a value JSON cannot. A database it cannot read raises
    ValueError."""
