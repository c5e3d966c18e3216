"""Resolution and redemption: markets resolved to a payout vector, then redeemed for cash.

The rules are ledger-rules.md, "Resolution and redemption", and venue-facts §6: payouts `[1, 0]`,
`[0, 1]` or `[1, 1]` (void, half a dollar a share); open orders cancelled, trading refused;
redemption submitted, confirmed with the amount the chain paid (which may be 0), or failed; only
shares on chain are redeemed. Every test asserts the ledger's numbers; the journal tests run on
real SQLite files.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule

from tests.support import execute_sql
from tests.test_ledger_properties import CONDITIONS, TOKENS, LedgerMachine, dollars
from weatherman_inventory import AnomalyKind, InvalidInput, InventoryManager
from weatherman_inventory.events import MICRO
from weatherman_inventory.journal import open_session, recover_session
from weatherman_inventory.resolution import payouts_micro
from weatherman_inventory.store import SCHEMA_VERSION, PersistenceLayer
from weatherman_inventory.verify import Finding, rebuild_caches, verify_session

pytestmark = pytest.mark.usefixtures("quiet_anomalies")

D = Decimal

SID = "sess-res"
FIXTURES = Path(__file__).parent / "fixtures"


def invariant_holds(m: InventoryManager) -> bool:
    records = m.position_records()
    cost = sum(r.cost_micro for r in records)
    realized = sum(r.realized_micro for r in records)
    return m.cash_micro + cost == m.capital_baseline_micro + m.adjustments_micro + realized


def kinds(m: InventoryManager) -> list[AnomalyKind]:
    return [a.kind for a in m.anomalies()]


def held_both_sides(m: InventoryManager) -> None:
    """100 YES at $0.40 and 20 NO at $0.50 in condition c1, a buy and a sell resting."""
    m.on_order_submitted_buy("b-yes", "c1", "y1", "YES", 100, 40)
    m.on_fill_buy("b-yes", "y1", "c1", "YES", 100, D("0.40"), 100, fill_id="f-yes")
    m.on_order_submitted_buy("b-no", "c1", "n1", "NO", 20, 50)
    m.on_fill_buy("b-no", "n1", "c1", "NO", 20, D("0.50"), 20, fill_id="f-no")
    m.on_order_submitted_buy("b-rest", "c1", "n1", "NO", 30, 45)  # reserves $13.50
    m.on_order_submitted_sell("s-rest", "y1", 40, limit_px=70)  # reserves 40 YES


# -- input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payouts", "expected"),
    [
        ([1, 0], (MICRO, 0)),
        ([0, 1], (0, MICRO)),
        ([1, 1], (500_000, 500_000)),
        ((1, 1), (500_000, 500_000)),
        ([0, 0], None),
        ([2, 0], None),
        ([1, 2], None),
        ([-1, 1], None),
        ([1], None),
        ([1, 0, 0], None),
        ([True, False], None),
        ([1.0, 0], None),
        (["1", "0"], None),
        ("[1, 0]", None),
        ({"YES": 1, "NO": 0}, None),
        (None, None),
    ],
)
def test_payouts_are_the_venues_numerators_and_nothing_else(
    payouts: object, expected: tuple[int, int] | None
) -> None:
    if expected is not None:
        assert payouts_micro("payouts", payouts) == expected
        return
    m = InventoryManager(100)
    held_both_sides(m)
    before, text = m.ledger_state(), m.snapshot_json()
    with pytest.raises(InvalidInput) as info:
        m.on_market_resolved("c1", payouts)
    assert (info.value.field, info.value.value) == ("payouts", payouts)
    assert "[1, 0]" in info.value.reason
    assert m.ledger_state() == before
    assert m.snapshot_json() == text


@pytest.mark.parametrize(
    ("call", "field", "value"),
    [
        (lambda m: m.on_market_resolved("", [1, 0]), "condition_id", ""),
        (lambda m: m.on_market_resolved(7, [1, 0]), "condition_id", 7),
        (lambda m: m.on_redemption_submitted(""), "condition_id", ""),
        (lambda m: m.on_redemption_confirmed("c1", D("-1")), "paid_usd", D("-1")),
        (lambda m: m.on_redemption_confirmed("c1", "0.0000001"), "paid_usd", "0.0000001"),
        (lambda m: m.on_redemption_confirmed("c1", float("nan")), "paid_usd", None),
        (lambda m: m.on_redemption_confirmed("c1", True), "paid_usd", True),
        (lambda m: m.on_redemption_failed(None), "condition_id", None),
        (lambda m: m.can_buy(1, 40, market_id=""), "market_id", ""),
        (lambda m: m.can_mint(1, condition_id=3), "condition_id", 3),
    ],
)
def test_malformed_resolution_calls_name_the_field_and_change_nothing(
    call: Any, field: str, value: object
) -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_market_resolved("c1", [1, 1])
    m.on_redemption_submitted("c1")
    before, text = m.ledger_state(), m.snapshot_json()
    with pytest.raises(InvalidInput) as info:
        call(m)
    assert info.value.field == field
    if value is not None:
        assert info.value.value == value
    assert m.ledger_state() == before
    assert m.snapshot_json() == text


# -- resolution -----------------------------------------------------------------------------------


def test_resolution_marks_cancels_and_refuses_trading() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    assert m.in_flight_micro == 13_500_000
    assert m.can_buy(1, 40, market_id="c1") and m.can_sell("y1", 10)
    m.on_market_resolved("c1", [1, 0])
    snap = m.snapshot()
    yes, no = snap.tokens["y1"], snap.tokens["n1"]
    assert (yes.current_price, yes.payout, yes.unrealized_pnl) == (1.0, D(1), 60.0)
    assert (no.current_price, no.payout, no.unrealized_pnl) == (0.0, D(0), -10.0)
    assert (yes.redeemable_qty, no.redeemable_qty) == (D(100), D(20))
    # The resting orders are cancelled, their reservations released.
    assert snap.in_flight_usd == 0.0 and yes.in_flight_qty == 0
    assert {m.order_record(o).status.value for o in ("b-rest", "s-rest")} == {"CANCELLED"}  # type: ignore[union-attr]
    assert m.orders_cancelled_at_resolution("c1") == ("b-rest", "s-rest")
    # Trading on the market is refused; elsewhere it goes on.
    assert not m.can_buy(1, 40, market_id="c1")
    assert not m.can_buy(1, 40, token_id="n1")
    assert m.can_buy(1, 40, market_id="c2") and m.can_buy(1, 40)
    assert not m.can_sell("y1", 1)
    assert not m.can_mint(1, condition_id="c1") and m.can_mint(1, condition_id="c2")
    # Marks no longer move a resolved token.
    m.update_prices({"y1": 55, "n1": 45})
    assert m.snapshot().tokens["y1"].current_price == 1.0
    assert kinds(m) == [] and invariant_holds(m)
    assert m.snapshot_json() == m.snapshot().model_dump_json()


def test_the_same_resolution_resent_changes_nothing() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_market_resolved("c1", [0, 1])
    before, text = m.ledger_state(), m.snapshot_json()
    m.on_market_resolved("c1", (0, 1))
    assert m.ledger_state() == before and m.snapshot_json() == text


def test_a_second_different_resolution_is_an_anomaly_and_marks_again() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_market_resolved("c1", [1, 0])
    m.on_market_resolved("c1", [1, 1])
    assert kinds(m) == [AnomalyKind.RESOLUTION_CHANGED]
    assert m.market_payouts("c1") == (500_000, 500_000)
    assert m.snapshot().tokens["n1"].current_price == 0.5


def test_a_fill_after_resolution_is_applied_marked_and_recorded() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_market_resolved("c1", [0, 1])
    # A NO token the ledger had never seen, in the resolved market, and more YES.
    m.on_fill_buy("late", "n9", "c1", "NO", 10, D("0.30"), 10, fill_id="f-late")
    m.on_fill_buy("b-yes", "y1", "c1", "YES", 5, D("0.50"), 100, fill_id="f-late2")
    assert kinds(m) == [
        AnomalyKind.UNKNOWN_ORDER,  # "late" was never submitted
        AnomalyKind.FILL_AFTER_RESOLUTION,
        AnomalyKind.OVERFILL,  # "b-yes" was filled before
        AnomalyKind.FILL_AFTER_RESOLUTION,
    ]
    snap = m.snapshot()
    assert (snap.tokens["n9"].qty, snap.tokens["n9"].payout) == (D(10), D(1))
    assert snap.tokens["n9"].current_price == 1.0
    assert snap.tokens["y1"].qty == D(105)
    assert snap.total_usd == pytest.approx(100 - 40 - 10 - 3 - 2.5)
    assert invariant_holds(m)


def test_the_venue_cancel_of_an_order_its_resolution_closed_is_no_anomaly() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_market_resolved("c1", [1, 0])
    m.on_order_cancelled_buy("b-rest", 30, 45)
    m.on_order_cancelled_sell("s-rest", "y1", 40)
    assert kinds(m) == []
    m.on_order_cancelled_buy("b-no", 0, 50)  # filled before the resolution: still news
    assert kinds(m) == [AnomalyKind.CANCEL_CLOSED_ORDER]


# -- redemption -----------------------------------------------------------------------------------


def test_redeeming_after_a_void_market_pays_half() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_market_resolved("c1", [1, 1])
    m.on_redemption_submitted("c1")
    snap = m.snapshot()
    assert (snap.tokens["y1"].redeemable_qty, snap.tokens["n1"].redeemable_qty) == (D(0), D(0))
    assert snap.tokens["y1"].qty == D(100)
    m.on_redemption_confirmed("c1", 60)  # (100 + 20) shares at $0.50
    snap = m.snapshot()
    assert snap.total_usd == 100 - 40 - 10 + 60
    assert (snap.tokens["y1"].qty, snap.tokens["n1"].qty) == (D(0), D(0))
    assert snap.tokens["y1"].realized_pnl == D(10)  # 50 paid for 40 of cost
    assert snap.tokens["n1"].realized_pnl == D(0)  # 10 paid for 10 of cost
    assert (snap.tokens["y1"].total_cost, snap.tokens["n1"].total_cost) == (0.0, 0.0)
    assert kinds(m) == [] and invariant_holds(m)
    record = m.resolution_record("c1")
    assert record is not None
    assert (record.redemption, record.paid_micro) == ("CONFIRMED", 60 * MICRO)


def test_a_redemption_that_pays_zero_is_an_anomaly_and_its_loss_realised() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_market_resolved("c1", [1, 0])
    m.on_redemption_submitted("c1")
    m.on_redemption_confirmed("c1", 0)
    snap = m.snapshot()
    assert kinds(m) == [AnomalyKind.REDEMPTION_AMOUNT_MISMATCH]
    assert "paid $0.00, shares * payout is $100.00" in m.anomalies()[0].message
    assert snap.total_usd == 50.0
    assert (snap.tokens["y1"].qty, snap.tokens["n1"].qty) == (D(0), D(0))
    # YES: 100 expected - 40 cost - 100 not paid; NO: 0 paid - 10 cost.
    assert (snap.tokens["y1"].realized_pnl, snap.tokens["n1"].realized_pnl) == (D(-40), D(-10))
    assert invariant_holds(m)


def test_a_payout_is_floored_to_the_micro_dollar_per_token() -> None:
    m = InventoryManager(100)
    m.on_fill_buy("x", "y1", "c1", "YES", D("0.000003"), D("0.5"), D("0.000003"), fill_id="a")
    m.on_fill_buy("x", "n1", "c1", "NO", D("0.000001"), D("0.5"), D("0.000001"), fill_id="b")
    m.on_market_resolved("c1", [1, 1])
    m.on_redemption_submitted("c1")
    m.on_redemption_confirmed("c1", D("0.000001"))  # 3 * 0.5 -> 1, 1 * 0.5 -> 0
    assert AnomalyKind.REDEMPTION_AMOUNT_MISMATCH not in kinds(m)
    assert invariant_holds(m)


def test_shares_not_on_chain_stay_until_their_status_arrives() -> None:
    m = InventoryManager(100)
    m.on_order_submitted_buy("b", "c1", "y1", "YES", 30, 40)
    m.on_fill_buy("b", "y1", "c1", "YES", 10, D("0.40"), 30, fill_id="final")
    m.on_fill_buy("b", "y1", "c1", "YES", 8, D("0.40"), 30, fill_id="mined", status="MINED")
    m.on_fill_buy("b", "y1", "c1", "YES", 5, D("0.40"), 30, fill_id="late", status="MATCHED")
    m.on_fill_buy("b", "y1", "c1", "YES", 7, D("0.40"), 30, fill_id="gone", status="RETRYING")
    m.on_market_resolved("c1", [1, 0])
    assert m.snapshot().tokens["y1"].redeemable_qty == D(18)  # final + MINED
    m.on_redemption_submitted("c1")
    m.on_redemption_confirmed("c1", 18)
    snap = m.snapshot()
    assert (snap.tokens["y1"].qty, snap.tokens["y1"].redeemable_qty) == (D(12), D(0))
    assert kinds(m) == []
    m.on_fill_status("late", "CONFIRMED")
    assert m.snapshot().tokens["y1"].redeemable_qty == D(5)
    m.on_fill_status("gone", "FAILED")  # never happened: its shares and cash are restated
    snap = m.snapshot()
    assert (snap.tokens["y1"].qty, snap.tokens["y1"].redeemable_qty) == (D(5), D(5))
    m.on_redemption_submitted("c1")
    m.on_redemption_confirmed("c1", 5)
    snap = m.snapshot()
    assert snap.tokens["y1"].qty == 0
    assert snap.total_usd == 100 - 23 * 0.40 + 23
    assert snap.tokens["y1"].realized_pnl == D("13.8")
    assert invariant_holds(m)


def test_a_failed_redemption_releases_the_shares() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_market_resolved("c1", [0, 1])
    m.on_redemption_submitted("c1")
    assert m.redeemable_qty_micro("n1") == 0
    m.on_redemption_failed("c1")
    assert m.redeemable_qty_micro("n1") == 20 * MICRO
    assert m.resolution_record("c1").redemption == "FAILED"  # type: ignore[union-attr]
    m.on_redemption_failed("c1")
    assert kinds(m) == [AnomalyKind.NO_PENDING_REDEMPTION]


def test_a_confirmed_redemption_closes_the_conditions_minted_pairs() -> None:
    m = InventoryManager(100)
    m.on_mint_submitted("c1", 30)
    m.on_mint_confirmed("c1", 30, "y1", "n1", "c1")
    m.on_merge_submitted("c1", 10)
    m.on_market_resolved("c1", [1, 0])
    m.on_redemption_submitted("c1")
    m.on_redemption_confirmed("c1", 30)
    pair = m.snapshot().minted_pairs["c1"]
    assert (pair.available, pair.reserved, pair.total_sold, pair.total_minted) == (
        D(0),
        D(0),
        D(30),
        D(30),
    )
    assert m.snapshot().total_usd == 100.0
    assert m.snapshot().tokens["y1"].realized_pnl == D(15)
    assert m.snapshot().tokens["n1"].realized_pnl == D(-15)
    assert invariant_holds(m)


def test_redeeming_tokens_minted_under_another_condition_id_recaps_those_pairs() -> None:
    # The pairs are kept under "cond-1", the tokens resolve and redeem under their market id.
    m = InventoryManager(100)
    m.on_mint_submitted("cond-1", 25)
    m.on_mint_confirmed("cond-1", 25, "y1", "n1", "mkt-1")
    m.on_market_resolved("mkt-1", [0, 1])
    m.on_redemption_submitted("mkt-1")
    m.on_redemption_confirmed("mkt-1", 25)
    pair = m.snapshot().minted_pairs["cond-1"]
    assert (pair.available, pair.total_sold) == (D(0), D(25))
    assert m.snapshot().total_usd == 100.0 and invariant_holds(m)


def test_loaded_positions_of_a_resolved_token_stay_marked_at_its_payout() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_market_resolved("c1", [1, 0])
    m.load_positions([("y1", "c1", "YES", 50, D("0.30"), 0)])
    token = m.snapshot().tokens["y1"]
    assert (token.current_price, token.unrealized_pnl) == (1.0, 35.0)
    assert m.snapshot_json() == m.snapshot().model_dump_json()


def test_a_redemption_of_an_unresolved_market_is_a_cash_correction() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_redemption_submitted("c1")
    m.on_redemption_confirmed("c1", 7)
    assert kinds(m) == [AnomalyKind.REDEMPTION_UNRESOLVED, AnomalyKind.REDEMPTION_UNRESOLVED]
    assert m.adjustments_micro == 7 * MICRO
    assert m.snapshot().tokens["y1"].qty == 100
    assert m.resolution_record("c1") is None
    assert invariant_holds(m)


def test_a_confirmation_with_none_pending_redeems_the_shares_on_chain() -> None:
    m = InventoryManager(100)
    held_both_sides(m)
    m.on_market_resolved("c1", [1, 0])
    m.on_redemption_confirmed("c1", 100)
    assert kinds(m) == [AnomalyKind.NO_PENDING_REDEMPTION]
    assert m.snapshot().tokens["y1"].qty == 0 and m.snapshot().total_usd == 150.0
    m.on_redemption_submitted("c1")
    m.on_redemption_submitted("c1")
    assert kinds(m)[-1] is AnomalyKind.REDEMPTION_ALREADY_PENDING
    assert invariant_holds(m)


# -- the journal ----------------------------------------------------------------------------------


def _session(db: Path) -> tuple[dict[str, object], str]:
    with PersistenceLayer(db, mode="live") as store:
        m = open_session(InventoryManager, store, SID, 100)
        held_both_sides(m)
        m.on_fill_buy("b-rest", "n1", "c1", "NO", 4, D("0.45"), 30, fill_id="p", status="MATCHED")
        m.on_market_resolved("c1", [1, 1])
        m.on_redemption_submitted("c1")
        m.on_redemption_confirmed("c1", 0)
        m.on_market_resolved("c2", [1, 0])
        m.on_redemption_submitted("c2")
        return m.ledger_state(), m.snapshot_json()


def test_recovery_from_the_journal_gives_the_same_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "res.db"
    state, text = _session(db)
    with PersistenceLayer(db) as store:
        rows = [r for r in store.iter_journal(SID) if r.kind.startswith(("market", "redemption"))]
        assert [(r.kind, orjson.loads(r.payload)) for r in rows] == [
            ("market_resolved", ["c1", 500_000, 500_000]),
            ("redemption_submitted", ["c1"]),
            ("redemption_confirmed", ["c1", 0]),
            ("market_resolved", ["c2", 1_000_000, 0]),
            ("redemption_submitted", ["c2"]),
        ]
        table = [
            (r.condition_id, r.yes_payout, r.redemption, r.paid)
            for r in store.load_resolutions(SID)
        ]
        assert table == [("c1", 500_000, "CONFIRMED", 0), ("c2", 1_000_000, "PENDING", 0)]
        recovered = recover_session(InventoryManager, store, SID)
        assert recovered.snapshot_json() == text
        got = recovered.ledger_state()
        assert {k: v for k, v in got.items() if k != "fill_ids"} == {
            k: v for k, v in state.items() if k != "fill_ids"
        }
        # Still provisional, the NO fill's 4 shares stay after the redemption.
        assert recovered.snapshot().tokens["n1"].qty == D(4)
        recovered.on_fill_status("p", "CONFIRMED")
        assert recovered.redeemable_qty_micro("n1") == 4 * MICRO
    with PersistenceLayer(db, readonly=True) as reader:
        assert verify_session(reader, SID).ok


Row = tuple[str, str, str, object, object]


@pytest.mark.parametrize(
    ("statement", "findings"),
    [
        (
            "UPDATE resolutions SET yes_payout = 1000000, no_payout = 0 WHERE condition_id = 'c1'",
            [
                ("resolutions", "c1", "yes_payout", 500_000, 1_000_000),
                ("resolutions", "c1", "no_payout", 500_000, 0),
            ],
        ),
        (
            "UPDATE resolutions SET paid = 60000000 WHERE condition_id = 'c1'",
            [("resolutions", "c1", "paid", 0, 60_000_000)],
        ),
        (
            "UPDATE resolutions SET redemption = 'FAILED' WHERE condition_id = 'c2'",
            [("resolutions", "c2", "redemption", "PENDING", "FAILED")],
        ),
        (
            "DELETE FROM resolutions WHERE condition_id = 'c2'",
            [("resolutions", "c2", "row", "present", None)],
        ),
        (
            "INSERT INTO resolutions VALUES ('sess-res', 'c9', 0, 1000000, NULL, 0, 't', 't')",
            [("resolutions", "c9", "row", None, "present")],
        ),
    ],
)
def test_verify_catches_a_tampered_resolution_row(
    tmp_path: Path, statement: str, findings: list[Row]
) -> None:
    db = tmp_path / "res.db"
    _session(db)
    execute_sql(db, statement)
    with PersistenceLayer(db, readonly=True) as reader:
        report = verify_session(reader, SID)
    assert not report.ok
    assert list(report.findings) == [Finding(*f) for f in findings]
    with PersistenceLayer(db) as store:
        store.lock_session(SID)
        changes = rebuild_caches(store, SID)
        assert len(changes) == len(findings)
        assert all(c.startswith("PROBLEM resolutions") for c in changes)
        store.unlock_session(SID)
    with PersistenceLayer(db, readonly=True) as reader:
        assert verify_session(reader, SID).ok


def test_a_version_3_database_upgrades_and_journals_a_resolution(tmp_path: Path) -> None:
    db = tmp_path / "v3.db"
    _session(db)
    execute_sql(db, "DROP TABLE resolutions", "PRAGMA user_version = 3")
    with PersistenceLayer(db) as store:
        assert store.pragma("user_version") == SCHEMA_VERSION == 5
        recovered = recover_session(InventoryManager, store, SID)
        # The table the upgrade created was empty: recovery rebuilt it from the journal.
        assert AnomalyKind.CACHE_MISMATCH in kinds(recovered)
        assert [r.condition_id for r in store.load_resolutions(SID)] == ["c1", "c2"]
        recovered.on_redemption_confirmed("c2", 0)
        assert store.load_resolutions(SID)[1].redemption == "CONFIRMED"
    with PersistenceLayer(db, readonly=True) as reader:
        assert verify_session(reader, SID).ok


def test_the_fixture_of_83759e3_still_opens_and_verifies(tmp_path: Path) -> None:
    db = tmp_path / "legacy.sqlite"
    shutil.copyfile(FIXTURES / "main-83759e3.sqlite", db)
    with PersistenceLayer(db) as store:
        assert store.pragma("user_version") == 5
        assert store.has_table("resolutions")
        assert store.has_table("writers")
        sid = store.list_sessions()[0].id
        recovered = recover_session(InventoryManager, store, sid)
        assert recovered.resolved_conditions() == ()
    with PersistenceLayer(db, readonly=True) as reader:
        assert verify_session(reader, sid).ok


# -- random histories -----------------------------------------------------------------------------

PAYOUTS = st.sampled_from([[1, 0], [0, 1], [1, 1]])
RESOLVABLE = sorted({*CONDITIONS, *(market for market, _ in TOKENS.values())})


class ResolutionMachine(LedgerMachine):
    """The ledger's state machine, with markets resolving and redemptions among its steps and
    at its end: every invariant of the ledger still holds after each step."""

    @rule(cond=st.sampled_from(RESOLVABLE), payouts=PAYOUTS)
    def resolve(self, cond: str, payouts: list[int]) -> None:
        self.call("on_market_resolved", cond, payouts)

    @rule(cond=st.sampled_from(RESOLVABLE))
    def redeem_submit(self, cond: str) -> None:
        self.call("on_redemption_submitted", cond)

    @rule(
        cond=st.sampled_from(RESOLVABLE),
        exact=st.booleans(),
        paid=dollars(st.integers(0, 80 * MICRO)),
    )
    def redeem_confirm(self, cond: str, exact: bool, paid: object) -> None:
        if exact:
            paid = D(self.expected_payment(cond)).scaleb(-6)
        self.call("on_redemption_confirmed", cond, paid)

    @rule(cond=st.sampled_from(RESOLVABLE))
    def redeem_fail(self, cond: str) -> None:
        self.call("on_redemption_failed", cond)

    def expected_payment(self, cond: str) -> int:
        """What the chain pays for the condition's reserved shares (or, with none pending, its
        redeemable ones), micro-USDC."""
        m = self.mgr
        pending = m.redemption_pending(cond)
        total = 0
        for token in m.condition_token_ids(cond):
            payout = m.payout_micro(token)
            record = m.position_record(token)
            if payout is None or record is None:
                continue
            qty = m.redeemable_qty_micro(token) if pending is None else pending.get(token, 0)
            total += min(qty, record.qty_micro) * payout // MICRO
        return total

    def teardown(self) -> None:
        """Every history ends with each market resolved and redeemed at the expected amount:
        the books still balance, nothing redeemable is left but shares not yet on chain."""
        m = self.mgr
        for i, cond in enumerate(RESOLVABLE):
            if m.market_payouts(cond) is None:
                m.on_market_resolved(cond, [[1, 0], [0, 1], [1, 1]][i % 3])
            m.on_redemption_submitted(cond)
            expected = self.expected_payment(cond)
            before = len(m.anomalies())
            m.on_redemption_confirmed(cond, D(expected).scaleb(-6))
            assert AnomalyKind.REDEMPTION_AMOUNT_MISMATCH not in [
                a.kind for a in m.anomalies()[before:]
            ]
            self.books_balance_exactly()
        snap = m.snapshot()
        for token_id, token in snap.tokens.items():
            if token.payout is not None:
                assert token.redeemable_qty == 0, token_id
        assert snap.accessible_usd == pytest.approx(
            snap.total_usd - snap.in_flight_usd - snap.unsettled_usd, abs=1e-6
        )
        for pair in snap.minted_pairs.values():
            assert pair.available + pair.reserved == 0 or pair.condition_id not in RESOLVABLE


TestResolutionMachine = ResolutionMachine.TestCase
