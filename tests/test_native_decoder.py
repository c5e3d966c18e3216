"""Recovery's native decoder (`_native.JournalDecoder`) against the Python decoders.

The Python decoders are the definition: for every row the native decoder either builds the very
event (and fills-table row) they build, or stops there and leaves the row to them.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.event_streams import make_stream
from tests.support import CountingDecoder, execute_sql
from tests.test_journal_codec import EVENTS
from weatherman_inventory import journal
from weatherman_inventory.errors import JournalInconsistent, StoreError
from weatherman_inventory.events import FROM_FIELDS, BuyFilled, Event, SellFilled
from weatherman_inventory.journal import (
    _NATIVE_DECODER,
    _fill_row,
    encode_event,
    open_session,
    recover_session,
    replay_checked,
)
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.models import Outcome
from weatherman_inventory.store import PersistenceLayer

SESSION = "native-decoder"

Row = tuple[int, str, bytes, int, int, bytes | None]


def _row(seq: int, kind: str, payload: bytes, duplicate: int = 0) -> Row:
    return (seq, kind, payload, duplicate, 0, None)


def _decode(rows: list[Row], seq: int = 1) -> tuple[list[Any], bytes, int, int]:
    return _NATIVE_DECODER.decode(rows, 0, len(rows), seq, SESSION)


def _python(kind: str, payload: bytes) -> Event:
    return FROM_FIELDS[kind](orjson.loads(payload))


def _same(native: object, python: object) -> None:
    """Equal, of the same class, and every field of the same type (an `Outcome`, not a str)."""
    assert type(native) is type(python)
    assert native == python
    for field in dataclasses.fields(python):  # type: ignore[arg-type]
        a, b = getattr(native, field.name), getattr(python, field.name)
        assert type(a) is type(b), field.name


def _fill_text(event: Event, seq: int) -> bytes:
    return orjson.dumps(_fill_row(SESSION, seq, event)) + b","  # type: ignore[arg-type]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.kind)
def test_every_codec_event_decodes_natively_as_in_python(event: Event) -> None:
    payload = encode_event(event)
    decoded, fills, count, stop = _decode([_row(7, event.kind, payload)], seq=7)
    if event.kind.startswith(("mint_", "merge_")):
        # Mints stay in Python: the replay tracks their rows there.
        assert (decoded, count, stop) == ([], 0, 0)
        return
    assert stop == 1
    _same(decoded[0], event)
    if isinstance(event, BuyFilled | SellFilled):
        assert (fills, count) == (_fill_text(event, 7), 1)
    else:
        assert (fills, count) == (b"", 0)


def test_a_stream_decodes_natively_as_in_python() -> None:
    events = [e for e in make_stream(11, 600) if not e.kind.startswith(("mint_", "merge_"))]
    rows = [_row(i + 1, e.kind, encode_event(e)) for i, e in enumerate(events)]
    decoded, fills, count, stop = _decode(rows)
    assert stop == len(rows)
    for native, event in zip(decoded, events, strict=True):
        _same(native, event)
    want = [
        _fill_text(e, i + 1) for i, e in enumerate(events) if isinstance(e, BuyFilled | SellFilled)
    ]
    assert count == len(want) > 50
    assert fills == b"".join(want)


def test_it_stops_at_each_row_left_to_python() -> None:
    fill = encode_event(BuyFilled("o1", "t1", "m1", Outcome.YES, 40, 645_000, 100, "f-1", 12))
    rows = [_row(1, "buy_filled", fill), _row(2, "buy_filled", fill)]
    assert _decode(rows)[3] == 2
    assert _decode(rows, seq=2)[3] == 0  # a sequence number out of order
    assert _decode([rows[0], _row(3, "buy_filled", fill)])[3] == 1  # a hole
    assert _decode([rows[0], _row(2, "buy_filled", fill, duplicate=1)])[3] == 1
    assert _decode([rows[0], _row(2, "teleported", b"[]")])[3] == 1
    assert _decode([rows[0], _row(2, "session_opened", b'[1,"paper","","{}",2]')])[3] == 1
    assert _decode([rows[0], _row(2, "mint_submitted", b'["c1",5]')])[3] == 1
    assert _decode([rows[0], _row(2, "buy_filled", b"not json")])[3] == 1
    assert _decode([rows[0], _row(2, "prices_updated", b'[["t1",101]]')])[3] == 1


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 1, -1, 10**6, 10**6 + 1, 10**15 - 1, 10**15, 2**62, 2**62 + 1, 2**63])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
    | st.sampled_from(["", "YES", "NO", "GTC", "FOK", "MATCHED", "FAILED", "é", "x" * 257]),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=4,
)


@given(
    st.sampled_from([e for e in EVENTS if not e.kind.startswith(("mint_", "merge_"))]),
    st.data(),
)
def test_a_changed_field_is_decoded_as_python_decodes_it_or_left_to_python(
    event: Event, data: st.DataObject
) -> None:
    values = orjson.loads(encode_event(event))
    if isinstance(values, list) and values:
        values[data.draw(st.integers(0, len(values) - 1))] = data.draw(_JSON)
    elif data.draw(st.booleans()):
        values = data.draw(_JSON)
    payload = orjson.dumps(values)
    decoded, fills, count, stop = _decode([_row(1, event.kind, payload)])
    try:
        want = _python(event.kind, payload)
    except (ValueError, TypeError):
        assert stop == 0, "the native decoder accepted what Python refuses"
        return
    if stop:
        _same(decoded[0], want)
        if isinstance(want, BuyFilled | SellFilled):
            assert (fills, count) == (_fill_text(want, 1), 1)


def test_recovery_through_the_native_decoder_equals_the_python_replay(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = PersistenceLayer(str(path), mode="paper")
    manager = open_session(InventoryManager, store, SESSION, 10**6)
    for event in make_stream(5, 400):
        manager.apply(event)
    want = manager.snapshot_json()
    store.close()

    store = PersistenceLayer(str(path), mode="paper")
    # `collect_fills` takes the Python loop; the default, the native decoder.
    python = replay_checked(InventoryManager, store, SESSION, strict=True, collect_fills=True)
    native = replay_checked(InventoryManager, store, SESSION, strict=True)
    assert native.manager.snapshot_json() == python.manager.snapshot_json() == want
    assert (native.events, native.fill_count, native.fill_digest, native.head) == (
        python.events,
        python.fill_count,
        python.fill_digest,
        python.head,
    )
    assert native.fill_count > 20
    recovered = recover_session(InventoryManager, store, SESSION)
    assert recovered.snapshot_json() == want
    assert not recovered.anomalies()[len(manager.anomalies()) :]
    store.close()


def test_a_fill_journaled_without_an_id_gets_its_synthetic_id() -> None:
    event = SellFilled("o2", "t1", 10, 1_000_000, 50, None, 3)
    decoded, fills, count, stop = _decode([_row(9, event.kind, encode_event(event))], seq=9)
    assert (decoded, count, stop) == ([event], 1, 1)
    assert fills == b'["synthetic:native-decoder:9","o2","t1","sell",10,1000000,3],'
    conn = sqlite3.connect(":memory:")
    # The fills table's JSON of the same row, as `verify` digests it, is the same text.
    text = conn.execute(
        "SELECT json_array('synthetic:native-decoder:9', 'o2', 't1', 'sell', 10, 1000000, 3)"
    ).fetchone()[0]
    assert fills == text.encode() + b","


# -- the native scan of a long journal: the same verdicts as the Python reader --------------

_TAMPERINGS: dict[str, tuple[tuple[str, ...], type[Exception] | None, str | None]] = {
    # name: (statements, what recovery raises, the first finding of verify as "key field")
    "untouched": ((), None, None),
    "payload rewritten": (
        ("UPDATE journal SET payload = X'5B5D' WHERE seq = 1000",),
        StoreError,
        None,
    ),
    "fill price rewritten": (
        (
            "UPDATE journal SET payload = replace(payload, ',0,null', ',1,null') "
            "WHERE seq = (SELECT min(seq) FROM journal WHERE seq > 900 AND kind = 'buy_filled')",
        ),
        JournalInconsistent,
        "hash",
    ),
    "row deleted": (("DELETE FROM journal WHERE seq = 1000",), JournalInconsistent, "seq 1000 seq"),
    "hash erased": (
        ("UPDATE journal SET hash = NULL WHERE seq = 1200",),
        JournalInconsistent,
        "seq 1200 hash",
    ),
    "payload as text": (
        ("UPDATE journal SET payload = CAST(payload AS TEXT) WHERE seq > 1400",),
        JournalInconsistent,
        "seq 1401 hash",
    ),
    "kind not UTF-8": (
        ("UPDATE journal SET kind = CAST(X'FF' AS TEXT) WHERE seq = 1300",),
        StoreError,
        None,
    ),
    "second opening row": (
        ("UPDATE journal SET kind = 'session_opened' WHERE seq = 1100",),
        JournalInconsistent,
        "seq 1100 kind",
    ),
}


def _long_session(path: Path) -> str:
    store = PersistenceLayer(str(path), mode="paper")
    manager = open_session(InventoryManager, store, SESSION, 10**6)
    for event in make_stream(3, 1600):
        manager.apply(event)
    want = manager.snapshot_json()
    store.close()
    return want


def _verdict(path: Path, *, strict: bool, python: bool) -> tuple[object, ...]:
    store = PersistenceLayer(str(path), mode="paper", readonly=not strict)
    try:
        assert store.native_uri() is not None
        replayed = replay_checked(
            InventoryManager, store, SESSION, strict=strict, collect_fills=python
        )
    except (JournalInconsistent, StoreError) as exc:
        return (type(exc), str(exc))
    finally:
        store.close()
    return (
        replayed.manager.snapshot_json(),
        replayed.last_seq,
        replayed.events,
        replayed.head,
        replayed.fill_count,
        replayed.fill_digest,
        replayed.mints,
        replayed.findings,
    )


@pytest.mark.parametrize("tampering", _TAMPERINGS, ids=str)
@pytest.mark.parametrize("strict", [True, False], ids=["recovery", "verify"])
@pytest.mark.parametrize("read", [None, 97], ids=["one-read", "reads-of-97"])
def test_a_long_journal_read_natively_gets_the_python_readers_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tampering: str, strict: bool, read: int | None
) -> None:
    """`read`: rows a native read takes (None: the default); reads of 97 rows put the
    tampered rows in the middle of reads read ahead while the rows before are applied."""
    if read is not None:
        monkeypatch.setattr(journal, "_SCAN_BATCH", read)
    path = tmp_path / "s.db"
    want = _long_session(path)
    statements, refusal, finding = _TAMPERINGS[tampering]
    execute_sql(path, *statements)
    native = _verdict(path, strict=strict, python=False)
    assert native == _verdict(path, strict=strict, python=True)
    if refusal is None:
        assert native[0] == want
        assert isinstance(native[1], int) and native[1] > 1500
    elif strict or refusal is StoreError:
        assert native[0] is refusal
    else:
        findings = native[-1]
        assert isinstance(findings, list) and findings
        first = findings[0]
        assert finding is not None
        assert f"{first.key} {first.field}".endswith(finding)


def test_recovery_of_a_long_journal_reads_it_natively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    want = _long_session(path)
    counting = CountingDecoder()
    monkeypatch.setattr(journal, "_NATIVE_DECODER", counting)
    store = PersistenceLayer(str(path), mode="paper")
    recovered = recover_session(InventoryManager, store, SESSION)
    assert recovered.snapshot_json() == want
    # The first batch is read in Python (it holds the opening row); the rest natively.
    assert counting.scanned > 900
    store.close()
