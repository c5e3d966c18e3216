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
