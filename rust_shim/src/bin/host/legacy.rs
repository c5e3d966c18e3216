//! The session's legacy position tracking, kept in parallel with the InventoryManager as the
//! seed plan's Task 12 does: a map of `PositionKey -> PositionState` and the portfolio's
//! available capital, in `f64` as the existing session keeps them. After every tick the two are
//! compared and each disagreement is logged with the seed's warning and counted.

use std::collections::{BTreeMap, HashMap, VecDeque};

use rust_decimal::Decimal;
use weatherman_inventory::contract::{InventoryState, Outcome, PortfolioState, PositionState};

use super::events::{LedgerEvent, Side};

/// Dollars by which available capital may differ before it is a discrepancy. The seed warned
/// at $1; both sides here are exact up to f64 rounding, so anything above a micro-dollar is a
/// real disagreement.
pub const CAPITAL_TOLERANCE_USD: f64 = 1e-6;
/// Dollars per contract by which average prices may differ (the ledger rounds cost basis to
/// micro-USDC when part of a position is sold).
pub const PRICE_TOLERANCE_USD: f64 = 1e-6;

/// The legacy map's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PositionKey {
    pub market_id: String,
    pub token_id: String,
}

/// The legacy tracker.
#[derive(Debug, Clone)]
pub struct LegacyTracker {
    initial_capital_usd: f64,
    cash_usd: f64,
    realized_pnl_usd: f64,
    positions: HashMap<PositionKey, PositionState>,
    /// Open buy orders: (remaining contracts, limit in dollars).
    buy_orders: HashMap<String, (u64, f64)>,
    /// Pending mints per condition, dollars, oldest first.
    pending_mints: BTreeMap<String, VecDeque<f64>>,
}

impl LegacyTracker {
    /// A portfolio holding `initial_capital_usd` in cash.
    pub fn new(initial_capital_usd: f64) -> Self {
        LegacyTracker {
            initial_capital_usd,
            cash_usd: initial_capital_usd,
            realized_pnl_usd: 0.0,
            positions: HashMap::new(),
            buy_orders: HashMap::new(),
            pending_mints: BTreeMap::new(),
        }
    }

    fn position(
        &mut self,
        market_id: &str,
        token_id: &str,
        outcome: Outcome,
    ) -> &mut PositionState {
        self.positions
            .entry(PositionKey {
                market_id: market_id.to_owned(),
                token_id: token_id.to_owned(),
            })
            .or_insert_with(|| PositionState {
                market_id: market_id.to_owned(),
                token_id: token_id.to_owned(),
                outcome,
                qty: Decimal::ZERO,
                avg_price: 0.0,
            })
    }

    fn add(&mut self, market_id: &str, token_id: &str, outcome: Outcome, qty: u64, price: f64) {
        let p = self.position(market_id, token_id, outcome);
        let held = f64::try_from(p.qty).unwrap_or(f64::NAN);
        let total = p.qty + Decimal::from(qty);
        p.avg_price =
            (p.avg_price * held + price * qty as f64) / f64::try_from(total).unwrap_or(f64::NAN);
        p.qty = total;
    }

    /// Removes up to `qty` contracts sold at `price`; whatever was not held leaves at a zero
    /// cost basis, as the ledger books it.
    fn remove(&mut self, market_id: &str, token_id: &str, outcome: Outcome, qty: u64, price: f64) {
        let p = self.position(market_id, token_id, outcome);
        let sold = Decimal::from(qty).min(p.qty);
        let sold_f64 = f64::try_from(sold).unwrap_or(f64::NAN);
        let realized = (price - p.avg_price) * sold_f64 + price * (qty as f64 - sold_f64);
        p.qty -= sold;
        if p.qty.is_zero() {
            p.avg_price = 0.0;
        }
        self.realized_pnl_usd += realized;
    }

    /// Applies one fact the session reported.
    pub fn apply(&mut self, event: &LedgerEvent) {
        match event {
            LedgerEvent::Submit {
                local_id,
                side: Side::Buy,
                qty,
                limit_px,
                ..
            } => {
                self.buy_orders
                    .insert(local_id.clone(), (*qty, *limit_px as f64 / 100.0));
            }
            LedgerEvent::Submit { .. } | LedgerEvent::MergeSubmit { .. } => {}
            LedgerEvent::Fill {
                local_id,
                side,
                market_id,
                token_id,
                outcome,
                qty,
                price_micro,
                ..
            } => {
                let price = *price_micro as f64 / 1e6;
                match side {
                    Side::Buy => {
                        self.cash_usd -= price * *qty as f64;
                        self.add(market_id, token_id, *outcome, *qty, price);
                        if let Some((remaining, _)) = self.buy_orders.get_mut(local_id) {
                            *remaining = remaining.saturating_sub(*qty);
                        }
                    }
                    Side::Sell => {
                        self.cash_usd += price * *qty as f64;
                        self.remove(market_id, token_id, *outcome, *qty, price);
                    }
                }
            }
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
                    let pairs = *amount_usd;
                    self.cash_usd -= pairs as f64;
                    self.add(market_id, yes_token_id, Outcome::Yes, pairs, 0.5);
                    self.add(market_id, no_token_id, Outcome::No, pairs, 0.5);
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
                self.remove(market_id, yes_token_id, Outcome::Yes, *pair_count, 0.5);
                self.remove(market_id, no_token_id, Outcome::No, *pair_count, 0.5);
            }
            LedgerEvent::MergeSettle { .. } | LedgerEvent::Marks { .. } | LedgerEvent::Exit => {}
        }
    }

    /// Cash less what open buy orders and pending mints hold, dollars.
    pub fn available_capital_usd(&self) -> f64 {
        let orders: f64 = self
            .buy_orders
            .values()
            .map(|(remaining, limit)| *remaining as f64 * limit)
            .sum();
        let mints: f64 = self.pending_mints.values().flatten().sum();
        self.cash_usd - orders - mints
    }

    /// The positions as `DecisionContext.positions` carries them, ordered by key.
    pub fn positions(&self) -> Vec<PositionState> {
        let mut keys: Vec<&PositionKey> = self.positions.keys().collect();
        keys.sort();
        keys.into_iter()
            .map(|k| self.positions[k].clone())
            .filter(|p| p.qty > Decimal::ZERO)
            .collect()
    }

    /// The portfolio summary as `DecisionContext.portfolio` carries it.
    pub fn portfolio(&self) -> PortfolioState {
        PortfolioState {
            initial_capital_usd: self.initial_capital_usd,
            available_capital_usd: self.available_capital_usd(),
            total_exposure_usd: self
                .positions
                .values()
                .map(|p| p.avg_price * f64::try_from(p.qty).unwrap_or(f64::NAN))
                .sum(),
            realized_pnl_usd: self.realized_pnl_usd,
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
        for (key, legacy) in &self.positions {
            let (qty, avg) = inventory
                .tokens
                .get(&key.token_id)
                .map(|t| (t.qty, t.avg_entry_price.try_into().unwrap_or(f64::NAN)))
                .unwrap_or((Decimal::ZERO, 0.0));
            if legacy.qty != qty || (legacy.avg_price - avg).abs() > PRICE_TOLERANCE_USD {
                log::warn!(
                    "inventory/position discrepancy detected token={} legacy_qty={} qty={qty} \
                     legacy_avg={} avg={avg}",
                    key.token_id,
                    legacy.qty,
                    legacy.avg_price
                );
                found.push(format!(
                    "{}: legacy {} @ {} != inventory {qty} @ {avg}",
                    key.token_id, legacy.qty, legacy.avg_price
                ));
            }
        }
        for (token_id, token) in &inventory.tokens {
            let known = self.positions.keys().any(|k| &k.token_id == token_id);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buy_below_its_limit_then_cancelled_frees_the_whole_reservation() {
        let mut legacy = LegacyTracker::new(1000.0);
        legacy.apply(&LedgerEvent::Submit {
            local_id: "o1".into(),
            side: Side::Buy,
            market_id: "mkt-0".into(),
            token_id: "tok-0-yes".into(),
            outcome: Outcome::Yes,
            qty: 100,
            limit_px: 65,
        });
        assert!((legacy.available_capital_usd() - 935.0).abs() < 1e-9);
        legacy.apply(&LedgerEvent::Fill {
            local_id: "o1".into(),
            side: Side::Buy,
            fill_id: "f1".into(),
            market_id: "mkt-0".into(),
            token_id: "tok-0-yes".into(),
            outcome: Outcome::Yes,
            qty: 60,
            price_micro: 600_000,
            order_qty: 100,
        });
        // Cash 1000 - 36, the rest of the order (40 at $0.65) still reserved.
        assert!((legacy.available_capital_usd() - (964.0 - 26.0)).abs() < 1e-9);
        legacy.apply(&LedgerEvent::Cancel {
            local_id: "o1".into(),
            side: Side::Buy,
            token_id: "tok-0-yes".into(),
            remaining_qty: 40,
            limit_px: 65,
        });
        assert!((legacy.available_capital_usd() - 964.0).abs() < 1e-9);
        assert_eq!(legacy.positions()[0].qty, Decimal::from(60));
    }
}
