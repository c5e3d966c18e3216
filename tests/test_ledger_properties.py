"""Property-based tests of the ledger: random interleavings of every event, valid and malformed.

A hypothesis state machine drives an InventoryManager over small pools of order ids, tokens and
conditions, so orders are filled, overfilled, cancelled twice, tokens oversold, and mints and
merges confirmed with nothing pending. After every step the rules' invariants must hold exactly.
A second manager gets the same calls but renders its snapshot only now and then, so cached
snapshot fragments are checked after many events as well as after one. Some steps arm a journal
that refuses the next commit: the manager must then be exactly as before.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.test_ledger_rules import MALFORMED
from weatherman_inventory import (
    AnomalyKind,
    DuplicateFill,
    InvalidInput,
    InventoryManager,
    InventoryState,
    Outcome,
)
from weatherman_inventory.events import MICRO, Event, OrderStatus

YES = Outcome.YES
NO = Outcome.NO
LOCAL_IDS = [f"o{i}" for i in range(6)]
TOKENS: dict[str, tuple[str, Outcome]] = {
    "yes-0": ("mkt-0", YES),
    "no-0": ("mkt-0", NO),
    "yes-1": ("mkt-1", YES),
    "no-1": ("mkt-1", NO),
    "stray": ("mkt-s", YES),
}
# cond-x names tokens of two markets: confirmations there contradict cond-0's and cond-1's.
CONDITIONS: dict[str, tuple[str, str, str]] = {
    "cond-0": ("yes-0", "no-0", "mkt-0"),
    "cond-1": ("yes-1", "no-1", "mkt-1"),
    "cond-x": ("yes-0", "no-1", "mkt-0"),
}
FILL_IDS = [None, None, "f0", "f1", "f2", "f3"]
ENDED = (OrderStatus.FILLED, OrderStatus.CANCELLED)

local_ids = st.sampled_from(LOCAL_IDS)
tokens = st.sampled_from(sorted(TOKENS))
conditions = st.sampled_from(sorted(CONDITIONS))
qtys = st.integers(1, 60)
limits = st.integers(1, 100)
outcome_values = st.sampled_from([YES, NO, "YES", "NO"])
fill_ids = st.sampled_from(FILL_IDS)
# A fill with no status is final; the others are provisional until CONFIRMED or FAILED.
BOOKED_AT = datetime(2026, 3, 8, 14, 3, tzinfo=UTC)
fill_statuses = st.sampled_from([None, None, "MATCHED", "MINED", "RETRYING", "CONFIRMED"])
status_moves = st.sampled_from(["MATCHED", "MINED", "RETRYING", "CONFIRMED", "FAILED", "FAILED"])
micro_prices = st.integers(0, 100).map(lambda cents: cents * 10_000) | st.integers(0, MICRO)


def _as_input(micro: int, form: str) -> object:
    """micro-USDC as the dollars a caller may pass: Decimal, str, or float (by its repr)."""
    dollars = Decimal(micro).scaleb(-6)
    if form == "str":
        return str(dollars)
    if form == "float":
        return micro / MICRO
    if form == "int" and micro % MICRO == 0:
        return micro // MICRO
    return dollars


def shares(micro: int) -> Decimal:
    """Micro-shares as the exact decimal shares a caller passes and the snapshot shows."""
    return Decimal(micro).scaleb(-6)


def dollars(micro: st.SearchStrategy[int]) -> st.SearchStrategy[object]:
    forms = st.sampled_from(["decimal", "str", "float", "int"])
    return st.tuples(micro, forms).map(lambda t: _as_input(*t))


fill_prices = dollars(micro_prices)
fees = st.just(0) | dollars(st.integers(0, 50_000))


class FailingJournal:
    """Refuses every commit."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.calls = 0

    def commit(self, event: Event, manager: InventoryManager) -> None:
        self.calls += 1
        manager.position_totals()  # as a store's journal plans its accounts row, then fails
        raise self.error


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.mgr = InventoryManager(Decimal(500), clock=self.clock)
        self.shadow = InventoryManager(Decimal(500), clock=self.clock)
        self.armed: str | None = None
        self.steps = 0
        # What the status rule needs to name the histories it makes: each fill id's token, the
        # token's sales before it, and its last status; each token's sales so far.
        self.fills: dict[str, tuple[str, int]] = {}
        self.last_status: dict[str, str] = {}
        self.sales: dict[str, int] = {}
        # Orders one of whose fills FAILED: the rules leave their released reservation released.
        self.failed_orders: set[str] = set()

    @initialize(capital=dollars(st.integers(0, 2_000 * MICRO)))
    def start(self, capital: object) -> None:
        self.mgr = InventoryManager(capital, clock=self.clock)
        self.shadow = InventoryManager(capital, clock=self.clock)

    @staticmethod
    def clock() -> datetime:
        """Both managers book provisional fills at the same instant, so they stay equal."""
        return BOOKED_AT

    # -- calling both managers, or checking a refused commit --------------------------------

    def call(self, name: str, *args: Any, **kwargs: Any) -> None:
        armed, self.armed = self.armed, None
        if armed is None:
            getattr(self.mgr, name)(*args, **kwargs)
            getattr(self.shadow, name)(*args, **kwargs)
            return
        before = self.mgr.ledger_state()
        before_json = self.mgr.snapshot_json()
        for mgr in (self.mgr, self.shadow):
            error = DuplicateFill("f-dup") if armed == "duplicate" else RuntimeError("disk full")
            journal = FailingJournal(error)
            mgr._bind(journal)
            raised = False
            try:
                getattr(mgr, name)(*args, **kwargs)
            except RuntimeError:
                raised = True
            finally:
                mgr._bind(None)
            assert raised == (journal.calls == 1 and armed == "error")
        after = self.mgr.ledger_state()
        if armed == "duplicate" and journal.calls:
            added = self.mgr.anomalies()[-1]
            assert added.kind is AnomalyKind.DUPLICATE_FILL
            assert after["anomalies"] == [*before["anomalies"], added]  # type: ignore[misc]
            before["anomalies"] = after["anomalies"]
        assert after == before
        if not (armed == "duplicate" and journal.calls):
            assert self.mgr.snapshot_json() == before_json

    def order_qty(self, local_id: str, exact: bool, fallback: object) -> object:
        record = self.mgr.order_record(local_id)
        return shares(record.qty_micro) if exact and record is not None else fallback

    def remaining(self, local_id: str, exact: bool, fallback: int) -> object:
        record = self.mgr.order_record(local_id)
        if exact and record is not None:
            return shares(max(record.qty_micro - record.filled_qty_micro, 0))
        return fallback

    # -- every event ----------------------------------------------------------------------------

    @rule(kind=st.sampled_from(["error", "duplicate"]))
    def arm_failing_journal(self, kind: str) -> None:
        self.armed = kind

    @rule(local_id=local_ids, token=tokens, lie=st.booleans(), qty=qtys, limit=limits)
    def submit_buy(self, local_id: str, token: str, lie: bool, qty: int, limit: int) -> None:
        market, outcome = TOKENS[token]
        self.call("on_order_submitted_buy", local_id, "mkt-lie" if lie else market, token,
                  outcome.value, qty, limit)  # fmt: skip

    @rule(local_id=local_ids, token=tokens, qty=qtys, limit=st.none() | limits)
    def submit_sell(self, local_id: str, token: str, qty: int, limit: int | None) -> None:
        self.call("on_order_submitted_sell", local_id, token, qty, limit_px=limit)

    @rule(
        local_id=local_ids,
        token=tokens,
        outcome=outcome_values,
        fill_qty=qtys,
        price=fill_prices,
        exact=st.booleans(),
        order_qty=qtys,
        fill_id=fill_ids,
        fee=fees,
        status=fill_statuses,
    )
    def fill_buy(  # noqa: PLR0917 (hypothesis passes rule arguments by name)
        self,
        local_id: str,
        token: str,
        outcome: Outcome | str,
        fill_qty: int,
        price: object,
        exact: bool,
        order_qty: object,
        fill_id: str | None,
        fee: object,
        status: str | None,
    ) -> None:
        market = TOKENS[token][0]
        order_qty = self.order_qty(local_id, exact, order_qty)
        self.call("on_fill_buy", local_id, token, market, outcome, fill_qty, price, order_qty,
                  fill_id=fill_id, fee_usd=fee, status=status if fill_id else None)  # fmt: skip
        self.remember_fill(fill_id, token, status)

    @rule(
        local_id=local_ids,
        token=tokens,
        fill_qty=qtys,
        price=fill_prices,
        exact=st.booleans(),
        order_qty=qtys,
        fill_id=fill_ids,
        fee=fees,
        status=fill_statuses,
    )
    def fill_sell(  # noqa: PLR0917 (hypothesis passes rule arguments by name)
        self,
        local_id: str,
        token: str,
        fill_qty: int,
        price: object,
        exact: bool,
        order_qty: object,
        fill_id: str | None,
        fee: object,
        status: str | None,
    ) -> None:
        order_qty = self.order_qty(local_id, exact, order_qty)
        self.call("on_fill_sell", local_id, token, fill_qty, price, order_qty,
                  fill_id=fill_id, fee_usd=fee, status=status if fill_id else None)  # fmt: skip
        self.remember_fill(fill_id, token, status)
        self.sales[token] = self.sales.get(token, 0) + 1

    def remember_fill(self, fill_id: str | None, token: str, status: str | None) -> None:
        if fill_id is not None and fill_id not in self.fills:
            self.fills[fill_id] = (token, self.sales.get(token, 0))
            self.last_status[fill_id] = status or "CONFIRMED"

    @rule(fill_id=st.sampled_from([*FILL_IDS[2:], "f-unknown"]), status=status_moves)
    def fill_status(self, fill_id: str, status: str) -> None:
        """A settlement status for a fill: provisional ones move on or fail (restated as if they
        never happened), terminal ones contradicted, unknown ids recorded."""
        known = self.fills.get(fill_id)
        last = self.last_status.get(fill_id)
        if known is not None:
            token, sales_before = known
            if status == last:
                event("status: repeated")
            elif status == "CONFIRMED" and last == "FAILED":
                event("status: CONFIRMED after FAILED")
            elif status == "FAILED" and self.sales.get(token, 0) > sales_before:
                event("status: FAILED after a later sale of its token")
            self.last_status[fill_id] = status
        record = self.mgr.fill_record(fill_id)
        if status == "FAILED" and record is not None:
            self.failed_orders.add(record.local_id)
        self.call("on_fill_status", fill_id, status)

    @rule(local_id=local_ids, exact=st.booleans(), remaining=st.integers(0, 60), limit=limits)
    def cancel_buy(self, local_id: str, exact: bool, remaining: int, limit: object) -> None:
        record = self.mgr.order_record(local_id)
        if exact and record is not None and record.limit_micro is not None:
            limit = Decimal(record.limit_micro).scaleb(-4)  # micro-USDC per share as cents
        self.call("on_order_cancelled_buy", local_id, self.remaining(local_id, exact, remaining),
                  limit)  # fmt: skip

    @rule(local_id=local_ids, token=tokens, exact=st.booleans(), remaining=st.integers(0, 60))
    def cancel_sell(self, local_id: str, token: str, exact: bool, remaining: int) -> None:
        record = self.mgr.order_record(local_id)
        if exact and record is not None:
            token = record.token_id
        self.call("on_order_cancelled_sell", local_id, token,
                  self.remaining(local_id, exact, remaining))  # fmt: skip

    @rule(cond=conditions, amount=dollars(st.integers(1, 40 * MICRO)))
    def mint_submit(self, cond: str, amount: object) -> None:
        self.call("on_mint_submitted", cond, amount)

    @rule(cond=conditions, pairs=st.integers(1, 40), own_tokens=st.booleans())
    def mint_confirm(self, cond: str, pairs: int, own_tokens: bool) -> None:
        queue = self.mgr.pending_mint_reservations(cond)
        if queue and queue[0] % MICRO == 0 and own_tokens:
            pairs = queue[0] // MICRO  # mostly what was reserved
        yes, no, market = CONDITIONS[cond if own_tokens else "cond-x"]
        self.call("on_mint_confirmed", cond, pairs, yes, no, market)

    @rule(cond=conditions, exact=st.booleans(), amount=dollars(st.integers(1, 40 * MICRO)))
    def mint_fail(self, cond: str, exact: bool, amount: object) -> None:
        queue = self.mgr.pending_mint_reservations(cond)
        if exact and queue:
            amount = Decimal(queue[0]).scaleb(-6)
        self.call("on_mint_failed", cond, amount)

    @rule(cond=conditions, pairs=st.integers(1, 40))
    def merge_submit(self, cond: str, pairs: int) -> None:
        self.call("on_merge_submitted", cond, pairs)

    @rule(cond=conditions, exact=st.booleans(), pairs=st.integers(1, 40), own_tokens=st.booleans())
    def merge_confirm(self, cond: str, exact: bool, pairs: object, own_tokens: bool) -> None:
        queue = self.mgr.pending_merge_reservations(cond)
        if exact and queue:
            pairs = shares(queue[0][0])
        yes, no, _ = CONDITIONS[cond if own_tokens else "cond-x"]
        self.call("on_merge_confirmed", cond, pairs, yes, no)

    @rule(cond=conditions, exact=st.booleans(), pairs=st.integers(1, 40))
    def merge_fail(self, cond: str, exact: bool, pairs: object) -> None:
        queue = self.mgr.pending_merge_reservations(cond)
        if exact and queue:
            pairs = shares(queue[0][0])
        self.call("on_merge_failed", cond, pairs)

    @rule(prices=st.dictionaries(st.sampled_from([*TOKENS, "unknown"]), st.integers(0, 100)))
    def update_prices(self, prices: dict[str, int]) -> None:
        self.call("update_prices", prices)

    @rule(
        kind=st.sampled_from(["DEPOSIT", "WITHDRAWAL", "REBATE", "CORRECTION"]),
        amount=dollars(st.integers(0, 50 * MICRO)),
        negative=st.booleans(),
    )
    def adjust_cash(self, kind: str, amount: object, negative: bool) -> None:
        if negative and kind == "CORRECTION" and amount:
            amount = -Decimal(str(amount))
        self.call("on_cash_adjustment", kind, amount, f"{kind.lower()} in a test session")

    @precondition(lambda self: not self.mgr.exit_triggered)
    @rule(chance=st.integers(0, 9))
    def trigger_exit(self, chance: int) -> None:
        if chance == 0:  # rare: most sessions trade to the end
            self.call("trigger_exit")

    @rule(
        rows=st.lists(
            st.tuples(tokens, st.integers(0, 40), st.integers(0, 100), st.integers(-5, 5)),
            max_size=2,
            unique_by=lambda row: row[0],
        )
    )
    def load_positions(self, rows: list[tuple[str, int, int, int]]) -> None:
        self.call(
            "load_positions",
            [
                (token, *TOKENS[token], qty, Decimal(cents) / 100, Decimal(realized) / 4)
                for token, qty, cents, realized in rows
            ],
        )

    @rule(case=st.sampled_from(MALFORMED))
    def malformed(self, case: tuple[str, tuple[Any, ...], dict[str, Any], str]) -> None:
        method, args, kwargs, field = case
        before_json = self.mgr.snapshot_json()
        before = self.mgr.ledger_state()
        try:
            getattr(self.mgr, method)(*args, **kwargs)
        except InvalidInput as exc:
            assert exc.field == field
        else:
            raise AssertionError(f"{method}{args} was accepted")
        assert self.mgr.snapshot_json() == before_json
        assert self.mgr.ledger_state() == before

    # -- after every step -----------------------------------------------------------------------

    @invariant()
    def books_balance_exactly(self) -> None:
        mgr = self.mgr
        records = mgr.position_records()
        cost = sum(r.cost_micro for r in records)
        realized = sum(r.realized_micro for r in records)
        assert mgr.cash_micro + cost == (
            mgr.capital_baseline_micro + mgr.adjustments_micro + realized
        )

    @invariant()
    def position_totals_equal_the_positions_summed_afresh(self) -> None:
        positions = self.mgr.ledger_state()["positions"]
        cost = realized = value = 0
        for _t, _m, _o, qty, _f, p_cost, p_realized, mark in positions:  # type: ignore[attr-defined]
            cost += p_cost
            realized += p_realized
            value += p_cost * MICRO if mark is None else qty * mark
        assert self.mgr.position_totals() == (cost, realized, value)

    @invariant()
    def unsettled_amounts_are_kept_apart(self) -> None:
        state = self.mgr.snapshot()
        assert state.unsettled_usd >= 0
        assert state.accessible_usd == pytest.approx(
            state.total_usd - state.in_flight_usd - state.unsettled_usd, abs=1e-6
        )
        for token in state.tokens.values():
            assert token.unsettled_qty >= 0
            assert token.accessible_qty == max(
                token.qty - token.unsettled_qty - token.in_flight_qty, Decimal(0)
            )

    @invariant()
    def reservations_are_exact_and_never_negative(self) -> None:
        mgr = self.mgr
        orders = [mgr.order_record(i) for i in mgr.order_ids()]
        pending = sum(sum(mgr.pending_mint_reservations(c)) for c in CONDITIONS)
        assert mgr.in_flight_micro == sum(o.reserved_micro for o in orders if o) + pending
        assert mgr.in_flight_micro >= 0
        for order in orders:
            assert order is not None
            assert order.reserved_micro >= 0 and order.reserved_qty_micro >= 0
            if order.status in ENDED:
                assert (order.reserved_micro, order.reserved_qty_micro) == (0, 0)
            elif order.side == "buy":
                assert order.limit_micro is not None
                left = max(order.qty_micro - order.filled_qty_micro, 0)
                # whole shares at cent limits: every release is exact, nothing rounds; a failed
                # fill's release is not restored (the rules), so its order reserves less
                if order.local_id in self.failed_orders:
                    assert order.reserved_micro * MICRO <= left * order.limit_micro
                else:
                    assert order.reserved_micro * MICRO == left * order.limit_micro
        snap = mgr.snapshot()
        for token_id, token in snap.tokens.items():
            reserved = sum(o.reserved_qty_micro for o in orders if o and o.token_id == token_id)
            assert token.in_flight_qty == shares(reserved)
            assert token.qty >= 0 and token.in_flight_qty >= 0
            assert token.accessible_qty == max(
                token.qty - token.unsettled_qty - token.in_flight_qty, 0
            )
            record = mgr.position_record(token_id)
            assert record is not None and record.cost_micro >= 0
            if token.qty == 0:
                assert record.cost_micro == 0 and token.total_cost == 0.0
        for order in orders:
            assert order is not None
            assert order.reserved_qty_micro == 0 or order.token_id in snap.tokens
            assert order.side == "sell" or order.reserved_qty_micro == 0

    @invariant()
    def minted_pairs_stay_within_the_tokens_held(self) -> None:
        mgr = self.mgr
        snap = mgr.snapshot()
        for cond, pair in snap.minted_pairs.items():
            assert min(pair.available, pair.reserved, pair.total_sold, pair.total_merged) >= 0
            assert (
                pair.available + pair.reserved + pair.total_sold + pair.total_merged
                == pair.total_minted
            )
            assert pair.reserved == shares(sum(r for _, r in mgr.pending_merge_reservations(cond)))
            tokens = mgr.condition_tokens(cond)
            assert tokens is not None
            held = [snap.tokens[t].qty if t in snap.tokens else 0 for t in tokens]
            assert pair.available + pair.reserved <= min(held)

    @invariant()
    def snapshot_json_matches_the_model_and_round_trips(self) -> None:
        mgr = self.mgr
        text = mgr.snapshot_json()
        snap = mgr.snapshot()
        assert text == snap.model_dump_json()
        # JSON carries the Decimal fields as numbers: parsing gives back every float and int
        # exactly, and an average like 1/3 as the float the text holds, so the text round-trips.
        parsed = InventoryState.model_validate_json(text)
        assert parsed.model_dump_json() == text
        assert parsed.model_dump(exclude={"tokens"}) == snap.model_dump(exclude={"tokens"})
        assert (
            snap.accessible_usd
            == (mgr.cash_micro - mgr.in_flight_micro - round(snap.unsettled_usd * MICRO)) / MICRO
        )

    @invariant()
    def a_manager_rendering_rarely_agrees(self) -> None:
        self.steps += 1
        assert self.shadow.ledger_state() == self.mgr.ledger_state()
        if self.steps % 7 == 0:
            assert self.shadow.snapshot_json() == self.mgr.snapshot_json()
            assert self.shadow.snapshot() == self.mgr.snapshot()


TestLedgerMachine = LedgerMachine.TestCase
