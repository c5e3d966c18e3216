//! The session's legacy position tracking, kept in parallel with the InventoryManager as the
//! seed plan's Task 12 does: a map of `PositionKey -> PositionState` and the portfolio's
//! available capital, in `f64` as the existing session keeps them. After every tick the two are
//! compared and each disagreement is logged with the seed's warning and counted.
//!
//! It follows the venue as the ledger does: a fill's cash leg is `price * shares` truncated to
//! the micro-dollar (what the chain moves), the taker fee leaves the cash, a buy order reserves
//! `qty * limit` rounded up to the micro-dollar and each fill releases its share rounded up. A
//! provisional (`MATCHED`) buy's shares are held but unsettled; a provisional sale's proceeds
//! are cash but not available. `FAILED` undoes the fill: its cash and fee come back and the
//! token is folded again from its remaining facts, so later sales realise against the restated
//! cost. Compared with the inventory: available capital (`accessibleUsd`), unsettled sale
//! proceeds (`unsettledUsd`), and per token the quantity (`qty`), the shares still unsettled
//! (`unsettledQty`) and the average entry price (`avgEntryPrice`), plus any token the inventory
//! holds that the legacy map does not know.

use std::collections::{BTreeMap, HashMap, VecDeque};

use rust_decimal::Decimal;
use weatherman_inventory::contract::{InventoryState, Outcome, PortfolioState, PositionState};

use super::events::{shares_from_micro, FillFacts, LedgerEvent, Side};

/// Dollars by which available capital may differ before it is a discrepancy. The seed warned
/// at $1; both sides here are exact up to f64 rounding, so anything above a micro-dollar is a
/// real disagreement.
pub const CAPITAL_TOLERANCE_USD: f64 = 1e-6;
/// Dollars per contract by which average prices may differ (the ledger rounds cost basis to
/// micro-USDC when part of a position is sold).
pub const PRICE_TOLERANCE_USD: f64 = 1e-6;
/// Dollars by which the cost basis (average price times shares) may differ: the ledger rounds it
/// to the micro-dollar at every partial sale, so with a fraction of a share left the average
/// price itself can move by more than `PRICE_TOLERANCE_USD`.
pub const COST_TOLERANCE_USD: f64 = 1e-5;

/// Micro-units per share or dollar.
const MICRO: u64 = 1_000_000;

/// The legacy map's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PositionKey {
    pub market_id: String,
    pub token_id: String,
}

/// One fact that moved a token: a fill, or a mint or merge (at half a dollar a token).
#[derive(Debug, Clone)]
struct Fact {
    fill_id: Option<String>,
    buy: bool,
    qty_micro: u64,
    /// Dollars per share.
    price: f64,
    fee_micro: u64,
    provisional: bool,
}

/// A token's position: folded facts, then the facts since its oldest provisional fill (kept so
/// that a `FAILED` fill can be taken out and the rest folded again).
#[derive(Debug, Clone)]
struct Token {
    outcome: Outcome,
    /// The fold of the facts settled before `open`: micro-shares, average price, realised.
    base_qty_micro: u64,
    base_avg: f64,
    base_realized: f64,
    open: Vec<Fact>,
}

impl Token {
    fn new(outcome: Outcome) -> Self {
        Token {
            outcome,
            base_qty_micro: 0,
            base_avg: 0.0,
            base_realized: 0.0,
            open: Vec::new(),
        }
    }

    /// (micro-shares, average price, realised PnL) after every fact.
    fn fold(&self) -> (u64, f64, f64) {
        let (mut qty, mut avg, mut realized) =
            (self.base_qty_micro, self.base_avg, self.base_realized);
        for fact in &self.open {
            step(&mut qty, &mut avg, &mut realized, fact);
        }
        (qty, avg, realized)
    }

    /// Shares of provisional buys.
    fn unsettled_micro(&self) -> u64 {
        self.open
            .iter()
            .filter(|f| f.provisional && f.buy)
            .map(|f| f.qty_micro)
            .sum()
    }

    /// Folds the facts into the base once none is provisional.
    fn compact(&mut self) {
        if self.open.iter().all(|f| !f.provisional) {
            let (qty, avg, realized) = self.fold();
            (self.base_qty_micro, self.base_avg, self.base_realized) = (qty, avg, realized);
            self.open.clear();
        }
    }
}

/// One fact folded into a position. A sale of more than is held sells the rest at a zero cost
/// basis, as the ledger books it.
fn step(qty: &mut u64, avg: &mut f64, realized: &mut f64, fact: &Fact) {
    let fee = fact.fee_micro as f64 / 1e6;
    if fact.buy {
        let total = *qty + fact.qty_micro;
        *avg = (*avg * *qty as f64 + fact.price * fact.qty_micro as f64) / total as f64;
        *qty = total;
        *realized -= fee;
    } else {
        let sold = fact.qty_micro.min(*qty);
        *realized +=
            ((fact.price - *avg) * sold as f64 + fact.price * (fact.qty_micro - sold) as f64) / 1e6
                - fee;
        *qty -= sold;
        if *qty == 0 {
            *avg = 0.0;
        }
    }
}

/// An open buy order's reservation, micro-dollars.
#[derive(Debug, Clone)]
struct BuyOrder {
    qty_micro: u64,
    filled_micro: u64,
    limit_micro: u64,
    reserved_micro: u64,
}

/// `qty_micro * price_micro / 10^6` rounded up (a reservation) or down (a cash leg).
fn times(qty_micro: u64, price_micro: u64, up: bool) -> u64 {
    let product = u128::from(qty_micro) * u128::from(price_micro);
    let m = u128::from(MICRO);
    u64::try_from(if up { product.div_ceil(m) } else { product / m }).unwrap_or(u64::MAX)
}

/// The legacy tracker.
#[derive(Debug, Clone)]
pub struct LegacyTracker {
    initial_capital_usd: f64,
    cash_usd: f64,
    /// Proceeds of provisional sales, included in the cash, not available.
    unsettled_usd: f64,
    tokens: HashMap<PositionKey, Token>,
    buy_orders: HashMap<String, BuyOrder>,
    /// Pending mints per condition, dollars, oldest first.
    pending_mints: BTreeMap<String, VecDeque<f64>>,
}

impl LegacyTracker {
    /// A portfolio holding `initial_capital_usd` in cash.
    pub fn new(initial_capital_usd: f64) -> Self {
        LegacyTracker {
            initial_capital_usd,
            cash_usd: initial_capital_usd,
            unsettled_usd: 0.0,
            tokens: HashMap::new(),
            buy_orders: HashMap::new(),
            pending_mints: BTreeMap::new(),
        }
    }

    fn token(&mut self, market_id: &str, token_id: &str, outcome: Outcome) -> &mut Token {
        self.tokens
            .entry(PositionKey {
                market_id: market_id.to_owned(),
                token_id: token_id.to_owned(),
            })
            .or_insert_with(|| Token::new(outcome))
    }

    fn push(&mut self, market_id: &str, token_id: &str, outcome: Outcome, fact: Fact) {
        let token = self.token(market_id, token_id, outcome);
        token.open.push(fact);
        token.compact();
    }

    /// A buy order the tracker holds, by the venue's id of it: (local id, size, filled, limit
    /// in micro-dollars).
    pub fn buy_order_by(&self, venue_id: impl Fn(&str) -> bool) -> Option<(String, u64, u64, u64)> {
        let mut found: Vec<_> = self
            .buy_orders
            .iter()
            .filter(|(local_id, _)| venue_id(local_id))
            .collect();
        found.sort_by(|a, b| a.0.cmp(b.0));
        found
            .first()
            .map(|(id, o)| ((*id).clone(), o.qty_micro, o.filled_micro, o.limit_micro))
    }

    /// Cash the venue's account had and the tracker did not (reconciliation), micro-dollars.
    pub fn adjust_cash(&mut self, delta_micro: i64) {
        self.cash_usd += delta_micro as f64 / 1e6;
    }

    /// Applies one fact the session reported.
    pub fn apply(&mut self, event: &LedgerEvent) {
        match event {
            LedgerEvent::Submit {
                local_id,
                side: Side::Buy,
                qty_micro,
                limit_px,
                ..
            } => {
                let limit_micro = limit_px * 10_000;
                self.buy_orders.insert(
                    local_id.clone(),
                    BuyOrder {
                        qty_micro: *qty_micro,
                        filled_micro: 0,
                        limit_micro,
                        reserved_micro: times(*qty_micro, limit_micro, true),
                    },
                );
            }
            LedgerEvent::Submit { .. } | LedgerEvent::MergeSubmit { .. } => {}
            LedgerEvent::Fill {
                fill:
                    FillFacts {
                        local_id,
                        side,
                        fill_id,
                        market_id,
                        token_id,
                        outcome,
                        qty_micro,
                        price_micro,
                        fee_micro,
                    },
                provisional,
                ..
            } => {
                let leg = times(*qty_micro, *price_micro, false);
                let buy = *side == Side::Buy;
                if buy {
                    self.cash_usd -= (leg + fee_micro) as f64 / 1e6;
                    if let Some(order) = self.buy_orders.get_mut(local_id) {
                        order.filled_micro += qty_micro;
                        let release = if order.filled_micro >= order.qty_micro {
                            order.reserved_micro
                        } else {
                            times(*qty_micro, order.limit_micro, true).min(order.reserved_micro)
                        };
                        order.reserved_micro -= release;
                    }
                } else {
                    let net = (leg as f64 - *fee_micro as f64) / 1e6;
                    self.cash_usd += net;
                    if *provisional {
                        self.unsettled_usd += net;
                    }
                }
                let fact = Fact {
                    fill_id: Some(fill_id.clone()),
                    buy,
                    qty_micro: *qty_micro,
                    price: *price_micro as f64 / 1e6,
                    fee_micro: *fee_micro,
                    provisional: *provisional,
                };
                self.push(market_id, token_id, *outcome, fact);
            }
            LedgerEvent::FillSettle { fill, confirmed } => self.settle(
                &PositionKey {
                    market_id: fill.market_id.clone(),
                    token_id: fill.token_id.clone(),
                },
                fill.outcome,
                &fill.fill_id,
                fill.side,
                times(fill.qty_micro, fill.price_micro, false),
                fill.fee_micro,
                *confirmed,
            ),
            LedgerEvent::Cancel { local_id, .. } => {
                self.buy_orders.remove(local_id);
            }
            LedgerEvent::MintSubmit {
                condition_id,
                amount_usd,
                ..
            } => self
                .pending_mints
                .entry(condition_id.clone())
                .or_default()
                .push_back(*amount_usd as f64),
            LedgerEvent::MintSettle {
                market_id,
                condition_id,
                yes_token_id,
                no_token_id,
                amount_usd,
                confirmed,
            } => {
                if let Some(queue) = self.pending_mints.get_mut(condition_id) {
                    queue.pop_front();
                }
                if *confirmed {
                    self.cash_usd -= *amount_usd as f64;
                    let pairs = amount_usd * MICRO;
                    self.push(
                        market_id,
                        yes_token_id,
                        Outcome::Yes,
                        pair_fact(true, pairs),
                    );
                    self.push(market_id, no_token_id, Outcome::No, pair_fact(true, pairs));
                }
            }
            LedgerEvent::MergeSettle {
                market_id,
                yes_token_id,
                no_token_id,
                pair_count,
                confirmed: true,
                ..
            } => {
                self.cash_usd += *pair_count as f64;
                let pairs = pair_count * MICRO;
                self.push(
                    market_id,
                    yes_token_id,
                    Outcome::Yes,
                    pair_fact(false, pairs),
                );
                self.push(market_id, no_token_id, Outcome::No, pair_fact(false, pairs));
            }
            LedgerEvent::RedeemSettle {
                market_id,
                burns,
                confirmed: true,
                ..
            } => {
                // The shares leave as a sale at their payout; the chain pays floor(qty * payout).
                for burn in burns {
                    self.cash_usd += times(burn.qty_micro, burn.payout_micro, false) as f64 / 1e6;
                    let fact = Fact {
                        fill_id: None,
                        buy: false,
                        qty_micro: burn.qty_micro,
                        price: burn.payout_micro as f64 / 1e6,
                        fee_micro: 0,
                        provisional: false,
                    };
                    self.push(market_id, &burn.token_id, burn.outcome, fact);
                }
            }
            LedgerEvent::MergeSettle { .. }
            | LedgerEvent::Acknowledge { .. }
            | LedgerEvent::FillMined { .. }
            | LedgerEvent::Marks { .. }
            | LedgerEvent::Resolve { .. }
            | LedgerEvent::RedeemSubmit { .. }
            | LedgerEvent::RedeemSettle { .. }
            | LedgerEvent::Exit => {}
        }
    }

    /// A provisional fill confirmed (its sale proceeds become available) or failed (its cash
    /// and fee come back, and the token is folded again without it).
    #[allow(clippy::too_many_arguments)]
    fn settle(
        &mut self,
        key: &PositionKey,
        outcome: Outcome,
        fill_id: &str,
        side: Side,
        leg_micro: u64,
        fee_micro: u64,
        confirmed: bool,
    ) {
        let token = self
            .tokens
            .entry(key.clone())
            .or_insert_with(|| Token::new(outcome));
        let Some(pos) = token
            .open
            .iter()
            .position(|f| f.provisional && f.fill_id.as_deref() == Some(fill_id))
        else {
            return;
        };
        if confirmed {
            token.open[pos].provisional = false;
        } else {
            token.open.remove(pos);
        }
        token.compact();
        match side {
            Side::Buy if !confirmed => self.cash_usd += (leg_micro + fee_micro) as f64 / 1e6,
            Side::Buy => {}
            Side::Sell => {
                let net = (leg_micro as f64 - fee_micro as f64) / 1e6;
                self.unsettled_usd -= net;
                if !confirmed {
                    self.cash_usd -= net;
                }
            }
        }
    }

    /// Cash less what open buy orders and pending mints hold and the proceeds of sales not yet
    /// settled, dollars.
    pub fn available_capital_usd(&self) -> f64 {
        let orders: u64 = self.buy_orders.values().map(|o| o.reserved_micro).sum();
        let mints: f64 = self.pending_mints.values().flatten().sum();
        self.cash_usd - orders as f64 / 1e6 - mints - self.unsettled_usd
    }

    /// The positions as `DecisionContext.positions` carries them, ordered by key.
    pub fn positions(&self) -> Vec<PositionState> {
        let mut keys: Vec<&PositionKey> = self.tokens.keys().collect();
        keys.sort();
        keys.into_iter()
            .filter_map(|k| {
                let token = &self.tokens[k];
                let (qty, avg, _) = token.fold();
                (qty > 0).then(|| PositionState {
                    market_id: k.market_id.clone(),
                    token_id: k.token_id.clone(),
                    outcome: token.outcome,
                    qty: shares_from_micro(qty).value(),
                    avg_price: avg,
                })
            })
            .collect()
    }

    /// The portfolio summary as `DecisionContext.portfolio` carries it.
    pub fn portfolio(&self) -> PortfolioState {
        let folds: Vec<(u64, f64, f64)> = self.tokens.values().map(Token::fold).collect();
        PortfolioState {
            initial_capital_usd: self.initial_capital_usd,
            available_capital_usd: self.available_capital_usd(),
            total_exposure_usd: folds.iter().map(|(q, a, _)| a * *q as f64 / 1e6).sum(),
            realized_pnl_usd: folds.iter().map(|(_, _, r)| r).sum(),
        }
    }

    /// Every way the legacy view disagrees with the inventory, logged with the seed's warning.
    pub fn compare(&self, inventory: &InventoryState) -> Vec<String> {
        let mut found = Vec::new();
        let old_available = self.available_capital_usd();
        let new_accessible = inventory.accessible_usd;
        if (old_available - new_accessible).abs() > CAPITAL_TOLERANCE_USD {
            log::warn!(
                "inventory/portfolio discrepancy detected old_available={old_available} \
                 new_accessible={new_accessible}"
            );
            found.push(format!(
                "available capital {old_available} != accessible {new_accessible}"
            ));
        }
        if (self.unsettled_usd - inventory.unsettled_usd).abs() > CAPITAL_TOLERANCE_USD {
            log::warn!(
                "inventory/portfolio discrepancy detected legacy_unsettled={} unsettled={}",
                self.unsettled_usd,
                inventory.unsettled_usd
            );
            found.push(format!(
                "unsettled proceeds {} != unsettledUsd {}",
                self.unsettled_usd, inventory.unsettled_usd
            ));
        }
        let mut keys: Vec<&PositionKey> = self.tokens.keys().collect();
        keys.sort();
        for key in keys {
            let token = &self.tokens[key];
            let (qty_micro, legacy_avg, _) = token.fold();
            let legacy_qty = shares_from_micro(qty_micro).value();
            let legacy_unsettled = shares_from_micro(token.unsettled_micro()).value();
            let (qty, unsettled, avg) = inventory
                .tokens
                .get(&key.token_id)
                .map(|t| {
                    (
                        t.qty,
                        t.unsettled_qty,
                        t.avg_entry_price.try_into().unwrap_or(f64::NAN),
                    )
                })
                .unwrap_or((Decimal::ZERO, Decimal::ZERO, 0.0));
            let avg_off = (legacy_avg - avg).abs();
            let cost_off = avg_off * f64::try_from(qty).unwrap_or(f64::NAN);
            if legacy_qty != qty
                || legacy_unsettled != unsettled
                || (avg_off > PRICE_TOLERANCE_USD
                    && (cost_off > COST_TOLERANCE_USD || cost_off.is_nan()))
            {
                log::warn!(
                    "inventory/position discrepancy detected token={} legacy_qty={legacy_qty} \
                     qty={qty} legacy_unsettled={legacy_unsettled} unsettled={unsettled} \
                     legacy_avg={legacy_avg} avg={avg}",
                    key.token_id,
                );
                found.push(format!(
                    "{}: legacy {legacy_qty} ({legacy_unsettled} unsettled) @ {legacy_avg} != \
                     inventory {qty} ({unsettled} unsettled) @ {avg}",
                    key.token_id
                ));
            }
        }
        for (token_id, token) in &inventory.tokens {
            let known = self.tokens.keys().any(|k| &k.token_id == token_id);
            if !known && token.qty > Decimal::ZERO {
                found.push(format!(
                    "{token_id}: held {} but unknown to the legacy map",
                    token.qty
                ));
            }
        }
        found
    }
}

/// A mint (in) or merge (out) of `pairs_micro` pairs: each token at half a dollar.
fn pair_fact(buy: bool, pairs_micro: u64) -> Fact {
    Fact {
        fill_id: None,
        buy,
        qty_micro: pairs_micro,
        price: 0.5,
        fee_micro: 0,
        provisional: false,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use weatherman_inventory::shim::{self, InventoryManager};

    use super::super::fees::WEATHER_FEES;
    use super::super::market::PaperMarket;
    use super::super::venue::PaperVenue;
    use super::*;

    fn submit(local_id: &str, side: Side, qty: u64, limit_px: u64) -> LedgerEvent {
        LedgerEvent::Submit {
            local_id: local_id.into(),
            side,
            market_id: "cond-0".into(),
            token_id: "tok-0-yes".into(),
            outcome: Outcome::Yes,
            qty_micro: qty * MICRO,
            limit_px,
        }
    }

    /// The exchange's acknowledgement of an order on YES of market 0.
    fn acknowledge(local_id: &str, side: Side, qty: u64, limit_px: u64) -> LedgerEvent {
        LedgerEvent::Acknowledge {
            local_id: local_id.into(),
            side,
            market_id: "cond-0".into(),
            token_id: "tok-0-yes".into(),
            outcome: Outcome::Yes,
            qty_micro: qty * MICRO,
            limit_px,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fill(
        local_id: &str,
        side: Side,
        fill_id: &str,
        qty_micro: u64,
        price_micro: u64,
        order_qty: u64,
        matched_micro: u64,
        limit_px: u64,
    ) -> LedgerEvent {
        LedgerEvent::Fill {
            fill: FillFacts {
                local_id: local_id.into(),
                side,
                fill_id: fill_id.into(),
                market_id: "cond-0".into(),
                token_id: "tok-0-yes".into(),
                outcome: Outcome::Yes,
                qty_micro,
                price_micro,
                fee_micro: WEATHER_FEES
                    .taker_fee_micro(qty_micro, price_micro)
                    .expect("fee"),
            },
            order_qty_micro: order_qty * MICRO,
            provisional: true,
            matched_micro,
            limit_px,
            earlier_fill_ids: Vec::new(),
        }
    }

    /// The settlement of `event` (a provisional fill).
    fn settle(event: &LedgerEvent, confirmed: bool) -> LedgerEvent {
        let LedgerEvent::Fill { fill, .. } = event.clone() else {
            panic!("a fill")
        };
        LedgerEvent::FillSettle { fill, confirmed }
    }

    /// An in-memory ledger and the paper venue of one market that speaks to it.
    fn ledger() -> (InventoryManager, PaperVenue) {
        let venv = std::env::var_os("WEATHERMAN_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv")));
        shim::start(Some(&venv)).expect("python");
        let ledger = InventoryManager::new(Decimal::from(1000)).expect("ledger");
        let venue = PaperVenue::new(&ledger, &PaperMarket::new(1, 1)).expect("venue");
        (ledger, venue)
    }

    /// A buy filled in fractional shares by two fills, one of which fails after a sale of
    /// settled shares on the same token: the tracker agrees with the ledger at every step, and
    /// one fact fed to the tracker alone is one discrepancy.
    #[test]
    fn statuses_keep_the_tracker_equal_to_the_ledger_and_one_injected_fact_is_one_discrepancy() {
        let (mut ledger, venue) = ledger();
        let mut legacy = LegacyTracker::new(1000.0);
        let first = fill("b1", Side::Buy, "f1", 7_575_758, 660_000, 20, 7_575_758, 66);
        let second = fill(
            "b1",
            Side::Buy,
            "f2",
            12_424_242,
            650_000,
            20,
            20_000_000,
            66,
        );
        let sale = fill("s1", Side::Sell, "f3", 5_000_000, 700_000, 5, 5_000_000, 70);
        let events = [
            submit("b1", Side::Buy, 20, 66),
            acknowledge("b1", Side::Buy, 20, 66),
            first.clone(),
            second.clone(),
            settle(&second, true),
            submit("s1", Side::Sell, 5, 70),
            acknowledge("s1", Side::Sell, 5, 70),
            sale.clone(),
            settle(&first, false),
            settle(&sale, true),
        ];
        for event in &events {
            event.apply(&mut ledger, &venue, 1).expect("ledger");
            legacy.apply(event);
            let state = ledger.snapshot().expect("snapshot").state.clone();
            assert_eq!(
                legacy.compare(&state),
                Vec::<String>::new(),
                "after {event:?}"
            );
        }
        let state = ledger.snapshot().expect("snapshot").state.clone();
        assert_eq!(state.tokens["tok-0-yes"].qty, Decimal::new(7_424_242, 6));
        assert_eq!(legacy.positions()[0].qty, Decimal::new(7_424_242, 6));

        // A buy order the ledger never heard of: the tracker's available capital is lower.
        legacy.apply(&submit("ghost", Side::Buy, 10, 50));
        let found = legacy.compare(&state);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("available capital") && found[0].contains("!= accessible"),
            "{found:?}"
        );
    }
}
