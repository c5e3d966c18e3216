//! The paper matching engine: resting limit orders filled against the moving books, partially
//! and across ticks, at or better than their limit; cancels; mints and merges that settle a few
//! ticks later, confirmed or failed.
//!
//! `match_tick` only reads the engine; `apply` changes it. The session applies each event to
//! the ledger, the legacy tracker and the engine alike, and on resume replays the applied events
//! from its plan table into a fresh engine, which therefore ends up in the same state.

use weatherman_inventory::contract::Outcome;

use super::events::{LedgerEvent, Side};
use super::market::PaperMarket;
use super::rng::{Rng, Stream};

/// Ticks an order rests before the engine cancels what is left of it.
const ORDER_TTL_TICKS: u64 = 6;
/// Chance per tick that the exchange cancels a resting order anyway.
const CANCEL_PERCENT: u64 = 2;
/// Chance that a fill takes only part of what the book offers.
const PARTIAL_PERCENT: u64 = 40;
/// Chance that a mint or merge fails on chain.
const FAIL_PERCENT: u64 = 15;

/// An order resting on the paper exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOrder {
    pub local_id: String,
    pub side: Side,
    pub market_id: String,
    pub token_id: String,
    pub outcome: Outcome,
    pub qty: u64,
    pub filled: u64,
    pub limit_px: u64,
    pub placed_tick: u64,
}

/// A mint or merge waiting for the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    merge: bool,
    market_id: String,
    condition_id: String,
    yes_token_id: String,
    no_token_id: String,
    /// Dollars for a mint, pairs for a merge.
    amount: u64,
    settle_tick: u64,
}

/// The exchange's and the chain's view of what the session has in flight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Engine {
    orders: Vec<OpenOrder>,
    pending: Vec<Pending>,
}

impl Engine {
    /// Orders resting now, oldest first.
    pub fn open_orders(&self) -> &[OpenOrder] {
        &self.orders
    }

    /// Mints and merges not yet settled.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// What the exchange and the chain report at `tick`: fills, cancels, settlements. At most
    /// one event per order, in the order the orders were placed. Fill ids start with
    /// `fill_prefix` (the database's fill ids are unique across sessions).
    pub fn match_tick(
        &self,
        market: &PaperMarket,
        seed: u64,
        tick: u64,
        fill_prefix: &str,
    ) -> Vec<LedgerEvent> {
        let mut rng = Rng::for_tick(seed, tick, Stream::Engine);
        let count = market.specs().len();
        // What each side of each book still offers this tick: [yes, no] per market.
        let mut asks: Vec<[u64; 2]> = (0..count)
            .map(|i| {
                let b = market.book(i);
                [b.ask_size(Outcome::Yes), b.ask_size(Outcome::No)]
            })
            .collect();
        let mut bids: Vec<[u64; 2]> = (0..count)
            .map(|i| {
                let b = market.book(i);
                [b.bid_size(Outcome::Yes), b.bid_size(Outcome::No)]
            })
            .collect();
        let mut events = Vec::new();
        let mut fills = 0;
        for order in &self.orders {
            let remaining = order.qty - order.filled;
            let cancel = LedgerEvent::Cancel {
                local_id: order.local_id.clone(),
                side: order.side,
                token_id: order.token_id.clone(),
                remaining_qty: remaining,
                limit_px: order.limit_px,
            };
            if tick >= order.placed_tick + ORDER_TTL_TICKS || rng.percent(CANCEL_PERCENT) {
                events.push(cancel);
                continue;
            }
            let Some(index) = market.index_of(&order.market_id) else {
                events.push(cancel);
                continue;
            };
            let book = market.book(index);
            let side_index = usize::from(order.outcome == Outcome::No);
            let (crosses, px, offered) = match order.side {
                Side::Buy => {
                    let ask = book.ask(order.outcome);
                    (ask <= order.limit_px, ask, &mut asks[index][side_index])
                }
                Side::Sell => {
                    let bid = book.bid(order.outcome);
                    (bid >= order.limit_px, bid, &mut bids[index][side_index])
                }
            };
            if !crosses || *offered == 0 {
                continue;
            }
            let mut take = remaining.min(*offered);
            if take > 1 && rng.percent(PARTIAL_PERCENT) {
                take = rng.range(1, take as i64 - 1) as u64;
            }
            *offered -= take;
            // Up to two tenths of a cent of price improvement (Polymarket ticks are 0.001).
            let improvement = rng.range(0, 2) as u64 * 1_000;
            let price_micro = match order.side {
                Side::Buy => px * 10_000 - improvement,
                Side::Sell => (px * 10_000 + improvement).min(1_000_000),
            };
            events.push(LedgerEvent::Fill {
                local_id: order.local_id.clone(),
                side: order.side,
                fill_id: format!("{fill_prefix}f-{tick:06}-{fills}"),
                market_id: order.market_id.clone(),
                token_id: order.token_id.clone(),
                outcome: order.outcome,
                qty: take,
                price_micro,
                order_qty: order.qty,
            });
            fills += 1;
        }
        for pending in self.pending.iter().filter(|p| p.settle_tick <= tick) {
            let confirmed = !rng.percent(FAIL_PERCENT);
            let market_id = pending.market_id.clone();
            let condition_id = pending.condition_id.clone();
            let yes_token_id = pending.yes_token_id.clone();
            let no_token_id = pending.no_token_id.clone();
            events.push(if pending.merge {
                LedgerEvent::MergeSettle {
                    market_id,
                    condition_id,
                    yes_token_id,
                    no_token_id,
                    pair_count: pending.amount,
                    confirmed,
                }
            } else {
                LedgerEvent::MintSettle {
                    market_id,
                    condition_id,
                    yes_token_id,
                    no_token_id,
                    amount_usd: pending.amount,
                    confirmed,
                }
            });
        }
        events
    }

    /// Records what `event` (applied at `tick`) does to the orders and the chain.
    pub fn apply(&mut self, event: &LedgerEvent, market: &PaperMarket, tick: u64) {
        match event {
            LedgerEvent::Submit {
                local_id,
                side,
                market_id,
                token_id,
                outcome,
                qty,
                limit_px,
            } => self.orders.push(OpenOrder {
                local_id: local_id.clone(),
                side: *side,
                market_id: market_id.clone(),
                token_id: token_id.clone(),
                outcome: *outcome,
                qty: *qty,
                filled: 0,
                limit_px: *limit_px,
                placed_tick: tick,
            }),
            LedgerEvent::Fill { local_id, qty, .. } => {
                if let Some(pos) = self.orders.iter().position(|o| &o.local_id == local_id) {
                    let order = &mut self.orders[pos];
                    order.filled += qty;
                    if order.filled >= order.qty {
                        self.orders.remove(pos);
                    }
                }
            }
            LedgerEvent::Cancel { local_id, .. } => {
                self.orders.retain(|o| &o.local_id != local_id);
            }
            LedgerEvent::MintSubmit {
                market_id,
                condition_id,
                amount_usd,
            } => self.push_pending(false, market, market_id, condition_id, *amount_usd, tick),
            LedgerEvent::MergeSubmit {
                market_id,
                condition_id,
                pair_count,
            } => self.push_pending(true, market, market_id, condition_id, *pair_count, tick),
            LedgerEvent::MintSettle { condition_id, .. } => self.settle(false, condition_id),
            LedgerEvent::MergeSettle { condition_id, .. } => self.settle(true, condition_id),
            LedgerEvent::Marks { .. } | LedgerEvent::Exit => {}
        }
    }

    fn push_pending(
        &mut self,
        merge: bool,
        market: &PaperMarket,
        market_id: &str,
        condition_id: &str,
        amount: u64,
        tick: u64,
    ) {
        let spec = market
            .index_of(market_id)
            .map(|i| market.specs()[i].ids.clone());
        let (yes_token_id, no_token_id) = spec
            .map(|ids| (ids.yes_token_id, ids.no_token_id))
            .unwrap_or_default();
        self.pending.push(Pending {
            merge,
            market_id: market_id.to_owned(),
            condition_id: condition_id.to_owned(),
            yes_token_id,
            no_token_id,
            amount,
            // Two to four ticks on chain, from the event itself so that replay agrees.
            settle_tick: tick + 2 + amount % 3,
        });
    }

    fn settle(&mut self, merge: bool, condition_id: &str) {
        if let Some(pos) = self
            .pending
            .iter()
            .position(|p| p.merge == merge && p.condition_id == condition_id)
        {
            self.pending.remove(pos);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submit(
        local_id: &str,
        side: Side,
        outcome: Outcome,
        qty: u64,
        limit_px: u64,
    ) -> LedgerEvent {
        LedgerEvent::Submit {
            local_id: local_id.into(),
            side,
            market_id: "mkt-0".into(),
            token_id: if outcome == Outcome::Yes {
                "tok-0-yes"
            } else {
                "tok-0-no"
            }
            .into(),
            outcome,
            qty,
            limit_px,
        }
    }

    #[test]
    fn fills_are_at_or_better_than_the_limit_and_never_beyond_the_order() {
        let mut market = PaperMarket::new(3, 1);
        let mut engine = Engine::default();
        let mut filled = 0;
        for tick in 1..=400 {
            market.advance_to(tick);
            if engine.open_orders().is_empty() {
                let book = *market.book(0);
                let ask = book.ask(Outcome::Yes);
                let bid = book.bid(Outcome::No);
                engine.apply(
                    &submit(&format!("b{tick}"), Side::Buy, Outcome::Yes, 120, ask),
                    &market,
                    tick,
                );
                engine.apply(
                    &submit(&format!("s{tick}"), Side::Sell, Outcome::No, 120, bid),
                    &market,
                    tick,
                );
                continue;
            }
            let events = engine.match_tick(&market, 3, tick, "");
            for event in &events {
                if let LedgerEvent::Fill {
                    local_id,
                    side,
                    qty,
                    price_micro,
                    ..
                } = event
                {
                    let order = engine
                        .open_orders()
                        .iter()
                        .find(|o| &o.local_id == local_id)
                        .expect("open");
                    assert!(*qty >= 1 && *qty <= order.qty - order.filled);
                    match side {
                        Side::Buy => assert!(*price_micro <= order.limit_px * 10_000),
                        Side::Sell => assert!(*price_micro >= order.limit_px * 10_000),
                    }
                    filled += qty;
                }
            }
            for event in &events {
                engine.apply(event, &market, tick);
            }
        }
        assert!(filled > 0, "the books crossed some orders");
    }

    #[test]
    fn an_order_left_resting_is_cancelled_with_what_remains() {
        let mut market = PaperMarket::new(5, 1);
        let mut engine = Engine::default();
        // A bid at 1 cent never crosses.
        engine.apply(&submit("b1", Side::Buy, Outcome::Yes, 10, 1), &market, 0);
        let mut cancelled = None;
        for tick in 1..=ORDER_TTL_TICKS {
            market.advance_to(tick);
            let events = engine.match_tick(&market, 5, tick, "");
            if let Some(LedgerEvent::Cancel { remaining_qty, .. }) = events.first() {
                cancelled = Some((tick, *remaining_qty));
                break;
            }
        }
        let (tick, remaining) = cancelled.expect("cancelled");
        assert!(tick <= ORDER_TTL_TICKS);
        assert_eq!(remaining, 10);
    }
}
