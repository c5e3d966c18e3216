"""InventoryManager: the seed plan's tests (Tasks 8-10) ported, the journal hook, snapshots.

Where the ledger rules change a seed expectation, the test's name and docstring say so.
"""

from __future__ import annotations

import importlib
import json
import logging
from decimal import Decimal

import orjson
import pytest

from weatherman_inventory import (
    AnomalyKind,
    DuplicateFill,
    InventoryManager,
    InventoryState,
    Outcome,
)
from weatherman_inventory.events import (
    MICRO,
    BuyFilled,
    Event,
    LoadedPosition,
    OrderRecord,
    OrderStatus,
    PositionRecord,
    PricesUpdated,
    SellFilled,
)

YES = Outcome.YES
NO = Outcome.NO


def make_manager(initial_capital_usd: object = 1000) -> InventoryManager:
    return InventoryManager(initial_capital_usd)


def add_position(  # noqa: PLR0917 (the seed's signature)
    mgr: InventoryManager, token_id: str, market_id: str, outcome: Outcome, qty: int, avg: str
) -> None:
    """The seed's test-only `add_position`, through the public fast-start loader."""
    mgr.load_positions([(token_id, market_id, outcome, qty, Decimal(avg), 0)])


def assert_invariant(mgr: InventoryManager) -> None:
    records = mgr.position_records()
    cost = sum(r.cost_micro for r in records)
    realized = sum(r.realized_micro for r in records)
    assert mgr.cash_micro + cost == mgr.capital_baseline_micro + realized


# -- Task 8: core state and risk checks -------------------------------------------------------


def test_fresh_manager_has_full_capital_accessible() -> None:
    snap = make_manager(1000.0).snapshot()
    assert snap.total_usd == 1000.0
    assert snap.in_flight_usd == 0.0
    assert snap.accessible_usd == 1000.0
    assert snap.tokens == {}
    assert snap.minted_pairs == {}
    assert not snap.exit_triggered


def test_can_buy_within_budget() -> None:
    mgr = make_manager(1000.0)
    assert mgr.can_buy(100, 65)  # 100 contracts at $0.65 = $65
    assert not mgr.can_buy(2000, 65)  # $1300 > $1000


def test_can_buy_exactly_the_accessible_amount() -> None:
    mgr = make_manager(65)
    assert mgr.can_buy(100, 65)
    assert not mgr.can_buy(101, 65)


def test_can_sell_with_no_position() -> None:
    assert not make_manager(1000.0).can_sell("tok-1", 10)


def test_can_mint_within_budget() -> None:
    mgr = make_manager(1000.0)
    assert mgr.can_mint(500.0)
    assert not mgr.can_mint(1500.0)


# -- Task 9: order lifecycle --------------------------------------------------------------------


def test_order_submitted_reserves_usd_for_buy() -> None:
    mgr = make_manager(1000.0)
    mgr.on_order_submitted_buy("ord-1", "mkt-1", "tok-1", YES, 100, 65)
    snap = mgr.snapshot()
    assert snap.in_flight_usd == 65.0
    assert snap.accessible_usd == 935.0


def test_order_submitted_reserves_qty_for_sell() -> None:
    mgr = make_manager(1000.0)
    add_position(mgr, "tok-1", "mkt-1", YES, 100, "0.65")
    mgr.on_order_submitted_sell("ord-1", "tok-1", 50)
    pos = mgr.snapshot().tokens["tok-1"]
    assert pos.in_flight_qty == 50
    assert pos.accessible_qty == 50


def test_fill_buy_updates_position_and_releases_reserve() -> None:
    mgr = make_manager(1000.0)
    mgr.on_order_submitted_buy("ord-1", "mkt-1", "tok-1", YES, 100, 65)
    mgr.on_fill_buy("ord-1", "tok-1", "mkt-1", YES, 100, Decimal("0.65"), 100)
    snap = mgr.snapshot()
    assert snap.in_flight_usd == 0.0
    pos = snap.tokens["tok-1"]
    assert pos.qty == 100
    assert pos.avg_entry_price == Decimal("0.65")  # exact, not within 0.001
    assert snap.total_usd == 935.0


def test_fill_sell_realizes_pnl() -> None:
    mgr = make_manager(1000.0)
    add_position(mgr, "tok-1", "mkt-1", YES, 100, "0.65")
    mgr.on_order_submitted_sell("ord-1", "tok-1", 50)
    mgr.on_fill_sell("ord-1", "tok-1", 50, Decimal("0.75"), 50)
    pos = mgr.snapshot().tokens["tok-1"]
    assert pos.qty == 50
    assert pos.realized_pnl == Decimal("5")  # (0.75 - 0.65) * 50, exactly
    assert pos.in_flight_qty == 0
    assert_invariant(mgr)


def test_order_cancelled_releases_reserve() -> None:
    mgr = make_manager(1000.0)
    mgr.on_order_submitted_buy("ord-1", "mkt-1", "tok-1", YES, 100, 65)
    assert mgr.snapshot().in_flight_usd == 65.0
    mgr.on_order_cancelled_buy("ord-1", 100, 65)
    assert mgr.snapshot().in_flight_usd == 0.0
    assert mgr.snapshot().accessible_usd == 1000.0


def test_partial_fill_then_cancel_releases_remainder() -> None:
    mgr = make_manager(1000.0)
    mgr.on_order_submitted_buy("ord-1", "mkt-1", "tok-1", YES, 100, 65)
    mgr.on_fill_buy("ord-1", "tok-1", "mkt-1", YES, 60, Decimal("0.65"), 100)
    assert mgr.in_flight_micro == 26 * MICRO  # released 60 * $0.65 = $39 of $65
    mgr.on_order_cancelled_buy("ord-1", 40, 65)
    assert mgr.in_flight_micro == 0  # exactly, not within 0.01
    assert mgr.anomalies() == ()


def test_vwap_across_multiple_fills() -> None:
    mgr = make_manager(1000.0)
    mgr.on_order_submitted_buy("o1", "mkt-1", "tok-1", YES, 100, 60)
    mgr.on_fill_buy("o1", "tok-1", "mkt-1", YES, 100, Decimal("0.60"), 100)
    mgr.on_order_submitted_buy("o2", "mkt-1", "tok-1", YES, 100, 70)
    mgr.on_fill_buy("o2", "tok-1", "mkt-1", YES, 100, Decimal("0.70"), 100)
    pos = mgr.snapshot().tokens["tok-1"]
    assert pos.qty == 200
    assert pos.avg_entry_price == Decimal("0.65")


def test_partial_fill_below_limit_then_cancel_leaves_zero_residue() -> None:
    """The seed releases the fill's cost (60 * $0.60) and leaks $3 of reservation; the rules
    release 60 * the $0.65 limit, so the cancel leaves exactly nothing in flight."""
    mgr = make_manager(1000.0)
    mgr.on_order_submitted_buy("ord-1", "mkt-1", "tok-1", YES, 100, 65)
    mgr.on_fill_buy("ord-1", "tok-1", "mkt-1", YES, 60, Decimal("0.60"), 100)
    assert mgr.in_flight_micro == 26 * MICRO
    assert mgr.cash_micro == 964 * MICRO
    mgr.on_order_cancelled_buy("ord-1", 40, 65)
    assert mgr.in_flight_micro == 0
    assert mgr.order_record("ord-1") == OrderRecord(
        "ord-1",
        "buy",
        "mkt-1",
        "tok-1",
        100 * MICRO,
        650_000,
        "GTC",
        OrderStatus.CANCELLED,
        60 * MICRO,
        0,
        0,
    )


# -- Task 10: mint and merge --------------------------------------------------------------------


def test_mint_submitted_reserves_usd() -> None:
    mgr = make_manager(1000.0)
    mgr.on_mint_submitted("cond-1", 500.0)
    snap = mgr.snapshot()
    assert snap.in_flight_usd == 500.0
    assert snap.accessible_usd == 500.0


def test_mint_confirmed_creates_positions_and_pairs() -> None:
    mgr = make_manager(1000.0)
    mgr.on_mint_submitted("cond-1", 500.0)
    mgr.on_mint_confirmed("cond-1", 500, "tok-yes", "tok-no", "mkt-1")
    snap = mgr.snapshot()
    assert snap.in_flight_usd == 0.0
    assert snap.total_usd == 500.0
    pair = snap.minted_pairs["cond-1"]
    assert (pair.available, pair.total_minted) == (Decimal(500), Decimal(500))
    yes, no = snap.tokens["tok-yes"], snap.tokens["tok-no"]
    assert (yes.qty, yes.outcome, yes.avg_entry_price) == (Decimal(500), YES, Decimal("0.5"))
    assert (no.qty, no.outcome, no.avg_entry_price) == (Decimal(500), NO, Decimal("0.5"))
    assert_invariant(mgr)


def test_mint_failed_releases_reserve() -> None:
    mgr = make_manager(1000.0)
    mgr.on_mint_submitted("cond-1", 500.0)
    mgr.on_mint_failed("cond-1", 500.0)
    snap = mgr.snapshot()
    assert snap.in_flight_usd == 0.0
    assert snap.total_usd == 1000.0


def test_merge_confirmed_credits_usd_and_removes_pairs() -> None:
    mgr = make_manager(1000.0)
    mgr.on_mint_submitted("cond-1", 500.0)
    mgr.on_mint_confirmed("cond-1", 500, "tok-yes", "tok-no", "mkt-1")
    mgr.on_merge_submitted("cond-1", 200)
    pair = mgr.snapshot().minted_pairs["cond-1"]
    assert (pair.available, pair.reserved) == (Decimal(300), Decimal(200))
    mgr.on_merge_confirmed("cond-1", 200, "tok-yes", "tok-no")
    snap = mgr.snapshot()
    pair = snap.minted_pairs["cond-1"]
    assert (pair.available, pair.reserved, pair.total_merged) == (
        Decimal(300),
        Decimal(0),
        Decimal(200),
    )
    assert snap.tokens["tok-yes"].qty == 300
    assert snap.tokens["tok-no"].qty == 300
    assert snap.total_usd == 700.0
    assert snap.tokens["tok-yes"].realized_pnl == 0  # merged at the $0.50 they cost
    assert_invariant(mgr)


# -- The README's example session ---------------------------------------------------------------


def example_session() -> InventoryManager:
    mgr = InventoryManager(Decimal("1000"))
    mgr.on_order_submitted_buy("ord-1", "mkt-1", "tok-yes", "YES", 100, 65)
    mgr.on_fill_buy("ord-1", "tok-yes", "mkt-1", "YES", 60, Decimal("0.62"), 100, fill_id="f-1")
    mgr.on_order_cancelled_buy("ord-1", 40, 65)
    mgr.on_mint_submitted("cond-1", Decimal("50"))
    mgr.on_mint_confirmed("cond-1", 50, "tok-yes", "tok-no", "mkt-1")
    mgr.on_merge_submitted("cond-1", 20)
    mgr.on_merge_confirmed("cond-1", 20, "tok-yes", "tok-no")
    mgr.update_prices({"tok-yes": 70, "tok-no": 31})
    return mgr


def test_example_session_values() -> None:
    mgr = example_session()
    snap = mgr.snapshot()
    # 1000 - 60 * 0.62 - 50 (mint) + 20 (merge)
    assert mgr.cash_micro == 932_800_000
    assert mgr.in_flight_micro == 0
    yes = snap.tokens["tok-yes"]
    # 110 YES cost 37.20 + 25.00; the merge sold 20 of them: 62.2 * 20 / 110 = 11.309090..9
    # rounds half-even to 11.309091, so 50.890909 stays and 10 - 11.309091 is realised.
    assert mgr.position_record("tok-yes") == PositionRecord(
        "tok-yes", "mkt-1", YES, 90 * MICRO, 50_890_909, -1_309_091
    )
    assert yes.unrealized_pnl == (700_000 * 90 - 50_890_909) / MICRO
    assert snap.tokens["tok-no"].unrealized_pnl == (310_000 * 30 - 15 * MICRO) / MICRO
    assert snap.minted_pairs["cond-1"].total_merged == 20
    assert mgr.anomalies() == ()
    assert_invariant(mgr)


# -- Snapshots ------------------------------------------------------------------------------------


def test_snapshot_json_is_byte_identical_to_model_dump_json() -> None:
    mgr = example_session()
    assert mgr.snapshot_json() == mgr.snapshot().model_dump_json()
    mgr.on_order_submitted_sell("s-1", "tok-no", 10, limit_px=40)
    mgr.trigger_exit()
    assert mgr.snapshot_json() == mgr.snapshot().model_dump_json()


def test_snapshot_json_equal_as_json_for_unusual_values() -> None:
    """Ids with quotes, control characters and non-ASCII, and amounts whose floats print with
    exponents, still give the same JSON value as pydantic's rendering."""
    mgr = InventoryManager(Decimal("0.000003"))
    odd = 'tok "ü\\\n\x01\u2028'
    mgr.on_order_submitted_buy("o", "mkt é", odd, NO, 3, 1)
    mgr.on_fill_buy("o", odd, "mkt é", NO, 3, Decimal("0.000001"), 3)
    mgr.update_prices({odd: 0})
    text = mgr.snapshot_json()
    model_text = mgr.snapshot().model_dump_json()
    assert json.loads(text) == json.loads(model_text)
    assert orjson.loads(text)["tokens"][odd]["totalCost"] == 3e-06
    assert InventoryState.model_validate_json(text) == mgr.snapshot()


def test_snapshots_are_independent_copies() -> None:
    mgr = example_session()
    first = mgr.snapshot()
    first_json = mgr.snapshot_json()
    mgr.update_prices({"tok-yes": 10})
    mgr.on_order_submitted_buy("ord-2", "mkt-2", "tok-2", YES, 10, 50)
    mgr.on_fill_buy("ord-2", "tok-2", "mkt-2", YES, 10, Decimal("0.5"), 10)
    second = mgr.snapshot()
    assert "tok-2" not in first.tokens
    assert first.tokens["tok-yes"].current_price == 0.7
    assert second.tokens["tok-yes"].current_price == 0.1
    assert first.tokens is not second.tokens
    assert json.loads(first_json)["tokens"].keys() == {"tok-yes", "tok-no"}
    # An unchanged token's model is shared (frozen), the dicts never are.
    assert second.tokens["tok-no"] is first.tokens["tok-no"]


def test_snapshot_json_rerenders_only_what_changed() -> None:
    mgr = InventoryManager(10_000)
    for i in range(50):
        mgr.on_order_submitted_buy(f"o{i}", "mkt", f"t{i}", YES, 10, 60)
        mgr.on_fill_buy(f"o{i}", f"t{i}", "mkt", YES, 10, Decimal("0.6"), 10)
    mgr.snapshot_json()
    mgr.update_prices({"t3": 61, "t7": 59})
    assert mgr._view.dirty_json == {"t3", "t7"}  # what the next call re-renders
    text = mgr.snapshot_json()
    assert mgr._view.dirty_json == set()
    assert text == mgr.snapshot().model_dump_json()
    assert json.loads(text)["tokens"]["t7"]["unrealizedPnl"] == pytest.approx(-0.1)


# -- The journal hook -----------------------------------------------------------------------------


class RecordingJournal:
    """Commits by remembering the event and what the manager then held."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.orders: list[OrderRecord | None] = []

    def commit(self, event: Event, manager: InventoryManager) -> None:
        self.events.append(event)
        local_id = getattr(event, "local_id", None)
        self.orders.append(None if local_id is None else manager.order_record(local_id))


class FailingJournal:
    """Refuses every commit with `error`."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.calls = 0

    def commit(self, event: Event, manager: InventoryManager) -> None:
        self.calls += 1
        raise self.error


def test_journal_sees_the_state_after_the_event() -> None:
    mgr = make_manager()
    journal = RecordingJournal()
    mgr._bind(journal)
    mgr.on_order_submitted_buy("ord-1", "mkt-1", "tok-1", YES, 100, 65)
    mgr.on_fill_buy("ord-1", "tok-1", "mkt-1", YES, 40, Decimal("0.6"), 100, fill_id="f1")
    assert [e.kind for e in journal.events] == ["buy_submitted", "buy_filled"]
    filled = journal.orders[1]
    assert filled is not None
    assert (filled.status, filled.filled_qty_micro, filled.reserved_micro) == (
        OrderStatus.PARTIALLY_FILLED,
        40 * MICRO,
        60 * 65 * 10_000,
    )


def test_update_prices_journals_only_changed_marks_of_held_tokens() -> None:
    mgr = example_session()
    journal = RecordingJournal()
    mgr._bind(journal)
    mgr.update_prices({"tok-yes": 70, "tok-no": 35, "not-held": 50})
    assert journal.events == [PricesUpdated((("tok-no", 350_000),))]
    mgr.update_prices({"tok-yes": 70})
    assert len(journal.events) == 1  # nothing changed: no event at all


def session_calls() -> list[tuple[str, tuple[object, ...], dict[str, object]]]:
    """One call of every mutating method, in an order where each applies to the state."""
    return [
        ("on_order_submitted_buy", ("b2", "mkt-1", "tok-yes", YES, 10, 50), {}),
        ("on_fill_buy", ("b2", "tok-yes", "mkt-1", YES, 4, Decimal("0.5"), 10), {"fill_id": "n"}),
        ("on_fill_buy", ("zz", "tok-new", "mkt-9", NO, 4, Decimal("0.5"), 10), {}),
        ("on_order_cancelled_buy", ("b2", 6, 50), {}),
        ("on_order_submitted_sell", ("s2", "tok-yes", 5), {}),
        ("on_fill_sell", ("s2", "tok-yes", 2, Decimal("0.9"), 5), {"fee_usd": "0.01"}),
        ("on_fill_sell", ("s9", "ghost", 2, Decimal("0.9"), 5), {}),
        ("on_order_cancelled_sell", ("s2", "tok-yes", 3), {}),
        ("on_mint_submitted", ("cond-1", 5), {}),
        ("on_mint_confirmed", ("cond-1", 5, "tok-yes", "tok-no", "mkt-1"), {}),
        ("on_mint_submitted", ("cond-2", 5), {}),
        ("on_mint_failed", ("cond-2", 5), {}),
        ("on_merge_submitted", ("cond-1", 3), {}),
        ("on_merge_confirmed", ("cond-1", 3, "tok-yes", "tok-no"), {}),
        ("on_merge_submitted", ("cond-1", 2), {}),
        ("on_merge_failed", ("cond-1", 2), {}),
        ("update_prices", ({"tok-yes": 12, "tok-no": 88},), {}),
        ("load_positions", ([("tok-no", "mkt-1", NO, 7, Decimal("0.4"), Decimal("-1"))],), {}),
        ("trigger_exit", (), {}),
    ]


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
@pytest.mark.parametrize("index", range(len(session_calls())))
def test_failed_commit_leaves_the_manager_exactly_as_before(
    index: int, error: BaseException
) -> None:
    mgr = example_session()
    calls = session_calls()
    for name, args, kwargs in calls[:index]:
        getattr(mgr, name)(*args, **kwargs)
    mgr.snapshot()
    before_json = mgr.snapshot_json()
    before = mgr.ledger_state()
    journal = FailingJournal(error)
    mgr._bind(journal)
    name, args, kwargs = calls[index]
    with pytest.raises(type(error)):
        getattr(mgr, name)(*args, **kwargs)
    assert journal.calls == 1
    assert mgr.ledger_state() == before
    assert mgr.snapshot_json() == before_json
    assert mgr.snapshot().model_dump_json() == before_json
    # The same call then applies as it would have: the undo left nothing behind.
    mgr._bind(None)
    reference = example_session()
    for ref_name, ref_args, ref_kwargs in calls[: index + 1]:
        getattr(reference, ref_name)(*ref_args, **ref_kwargs)
    getattr(mgr, name)(*args, **kwargs)
    assert mgr.ledger_state() == reference.ledger_state()
    assert mgr.snapshot_json() == reference.snapshot_json()


def test_store_duplicate_fill_becomes_an_anomaly_and_changes_nothing() -> None:
    mgr = InventoryManager(1000, track_fill_ids=False)
    mgr.on_order_submitted_buy("ord-1", "mkt-1", "tok-1", YES, 100, 65)
    before = mgr.ledger_state()
    before_json = mgr.snapshot_json()
    mgr._bind(FailingJournal(DuplicateFill("f-1")))
    mgr.on_fill_buy("ord-1", "tok-1", "mkt-1", YES, 10, Decimal("0.6"), 100, fill_id="f-1")
    (anomaly,) = mgr.anomalies()
    assert anomaly.kind is AnomalyKind.DUPLICATE_FILL
    assert isinstance(anomaly.event, BuyFilled)
    assert anomaly.event.fill_id == "f-1"
    after = mgr.ledger_state()
    assert after["anomalies"] == [anomaly]
    assert {k: v for k, v in after.items() if k != "anomalies"} == {
        k: v for k, v in before.items() if k != "anomalies"
    }
    assert mgr.snapshot_json() == before_json


def test_untracked_fill_ids_keep_no_set() -> None:
    mgr = InventoryManager(1000, track_fill_ids=False)
    mgr.on_order_submitted_buy("ord-1", "mkt-1", "tok-1", YES, 100, 65)
    mgr.on_fill_buy("ord-1", "tok-1", "mkt-1", YES, 10, Decimal("0.6"), 100, fill_id="f-1")
    mgr.on_fill_buy("ord-1", "tok-1", "mkt-1", YES, 10, Decimal("0.6"), 100, fill_id="f-1")
    assert mgr.ledger_state()["fill_ids"] is None
    record = mgr.position_record("tok-1")
    assert record is not None
    assert record.qty_micro == 20 * MICRO


def test_apply_replays_events_to_the_same_state() -> None:
    mgr = make_manager()
    journal = RecordingJournal()
    mgr._bind(journal)
    for name, args, kwargs in session_calls():
        getattr(mgr, name)(*args, **kwargs)
    replayed = make_manager()
    for event in journal.events:
        replayed.apply(event)
    assert replayed.ledger_state() == mgr.ledger_state()
    assert replayed.snapshot_json() == mgr.snapshot_json()


# -- Anomalies are logged -------------------------------------------------------------------------


def test_anomalies_are_logged_as_warnings_with_their_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mgr = make_manager()
    with caplog.at_level(logging.WARNING, logger="weatherman_inventory"):
        mgr.on_fill_buy("nobody", "tok-1", "mkt-1", YES, 5, Decimal("0.4"), 5, fill_id="f9")
    (record,) = caplog.records
    assert record.name == "weatherman_inventory"
    assert record.levelno == logging.WARNING
    assert record.__dict__["kind"] == "unknown_order"
    assert record.__dict__["event_kind"] == "buy_filled"
    assert record.__dict__["local_id"] == "nobody"
    assert record.__dict__["fill_qty_micro"] == 5 * MICRO
    assert record.__dict__["outcome"] == "YES"
    assert "nobody" in record.getMessage()
    (anomaly,) = mgr.anomalies()
    assert anomaly.message in record.getMessage()


def test_record_anomaly_from_recovery() -> None:
    mgr = make_manager()
    mgr.record_anomaly("position_cache_mismatch", None, "tok-1: cache qty 5, replay 4")
    (anomaly,) = mgr.anomalies()
    assert anomaly.kind is AnomalyKind.POSITION_CACHE_MISMATCH
    assert anomaly.event is None


# -- Fast-start cache -----------------------------------------------------------------------------


def test_load_positions_replaces_and_moves_the_baseline() -> None:
    mgr = example_session()
    cash = mgr.cash_micro
    mgr.load_positions(
        [
            ("tok-yes", "mkt-1", "YES", 10, Decimal("0.55"), Decimal("2.5")),
            LoadedPosition("tok-z", "mkt-2", NO, 4 * MICRO, 1_000_000, -250_000),
        ]
    )
    assert mgr.cash_micro == cash
    yes = mgr.position_record("tok-yes")
    assert yes is not None
    assert (yes.qty_micro, yes.cost_micro, yes.realized_micro) == (10 * MICRO, 5_500_000, 2_500_000)
    # (5.5 - 2.5) - (50.890909 + 1.309091) for tok-yes, (1 + 0.25) for tok-z
    assert mgr.capital_baseline_micro == 1000 * MICRO + 3_000_000 - 52_200_000 + 1_250_000
    assert mgr.snapshot().tokens["tok-yes"].unrealized_pnl == 0.0  # marked at entry again
    # The minted-pair cap follows the smaller holding: 10 YES now cover 10 pairs of 30.
    pair = mgr.snapshot().minted_pairs["cond-1"]
    assert (pair.available, pair.total_sold) == (Decimal(10), Decimal(20))
    assert_invariant(mgr)


@pytest.mark.parametrize(
    ("module", "cls"),
    [("orders", "Order"), ("positions", "Holding"), ("pairs", "Pairs")],
)
def test_ledger_object_copy_keeps_every_slot(module: str, cls: str) -> None:
    """A journaled event's checkpoint copies the objects it touches: a copy that missed a slot
    would restore a stale value after a failed commit."""
    kind = getattr(importlib.import_module(f"weatherman_inventory.{module}"), cls)
    original = kind.__new__(kind)
    for n, name in enumerate(kind.__slots__):
        setattr(original, name, f"value-{n}")
    copy = original.copy()
    assert copy is not original
    assert {name: getattr(copy, name) for name in kind.__slots__} == {
        name: f"value-{n}" for n, name in enumerate(kind.__slots__)
    }


def _comparable(checkpoint: object) -> tuple[object, ...]:
    """A checkpoint's contents, each copied ledger object as its slots' values."""
    import dataclasses  # noqa: PLC0415

    def value(v: object) -> object:
        slots = getattr(type(v), "__slots__", None)
        if slots and not isinstance(v, tuple):
            return (type(v).__name__, *(getattr(v, name) for name in slots))
        return v

    names = [f.name for f in dataclasses.fields(checkpoint)]  # type: ignore[arg-type]
    *head, saved, dirty, settle, resolution = (getattr(checkpoint, n) for n in names)
    return (
        *head,
        [(id(mapping), key, value(v)) for mapping, key, v in saved],
        [(id(flags), key, was) for flags, key, was in dirty],
        settle,
        resolution,
    )


def test_a_fills_quick_checkpoint_copies_what_the_full_one_copies() -> None:
    """`_fill_checkpoint`, where it applies, saves exactly what `_full_checkpoint` saves for
    the same fill on the same ledger (streams with mints, sells of minted tokens, fills of
    unknown orders, settlement statuses)."""
    from tests.event_streams import make_stream  # noqa: PLC0415

    quick = full = 0
    for seed in range(6):
        mgr = InventoryManager(Decimal(10_000))
        for event in make_stream(seed, 800):
            if isinstance(event, BuyFilled | SellFilled) and event.status is None:
                fast = mgr._fill_checkpoint(event)
                if fast is None:
                    full += 1
                else:
                    quick += 1
                    assert _comparable(fast) == _comparable(mgr._full_checkpoint(event))
            mgr.apply(event)
    assert (quick >= 60, full >= 60) == (True, True), (quick, full)
