"""Type stubs of the extension module maturin builds from `rust_shim/src/native.rs`."""

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
