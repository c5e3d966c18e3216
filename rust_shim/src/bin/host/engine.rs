//! The paper matching engine, playing the venue: resting limit orders filled against the moving
//! books, partially and across ticks, at or better than their limit; cancels; mints and merges
//! that settle a few ticks later, confirmed or failed.
//!
//! As on the venue, an order rests once the exchange has acknowledged it (the next tick), a fill
//! is reported `MATCHED`, then `MINED` when its settlement takes longer than two ticks, and
//! settles (`CONFIRMED`) a few ticks after the match, or fails on chain (`FAILED`) for a seeded
//! share of them. An order that crosses the book takes
//! it and pays the taker fee (`fees::WEATHER_FEES`); an order resting inside the spread is
//! sometimes hit by a taker spending a whole number of dollars, which fills it in fractional
//! shares (5 dollars at 0.66 is 7.575758 shares) at its limit, without a fee (a maker's).
//! Pending settlements are derived from the fills themselves, so replaying the applied events
//! rebuilds them.
//!
//! `match_tick` only reads the engine; `apply` changes it. The session applies each event to
//! the ledger, the legacy tracker and the engine alike, and on resume replays the applied events
//! from its plan table into a fresh engine, which therefore ends up in the same state.

use std::collections::BTreeSet;

use weatherman_inventory::contract::Outcome;

use super::events::{Burn, FillFacts, LedgerEvent, Side};
use super::fees::WEATHER_FEES;
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
/// Chance that a settling fill fails on chain.
pub const FILL_FAIL_PERCENT: u64 = 12;
/// Chance per tick that a taker spending dollars hits an order resting inside the spread.
const TAKER_HIT_PERCENT: u64 = 20;
/// The most a dollar-sized taker spends.
const TAKER_MAX_USD: i64 = 12;
/// Micro-units per share or dollar.
const MICRO: u64 = 1_000_000;

/// The shares `dollars` buy at `price_micro`, to the micro-share (half up), as the venue sizes
/// a dollar-sized market order: 5 dollars at 0.66 is 7.575758 shares.
pub fn shares_for_dollars(dollars: u64, price_micro: u64) -> u64 {
    let num = u128::from(dollars) * u128::from(MICRO) * u128::from(MICRO);
    let price = u128::from(price_micro.max(1));
    u64::try_from((num + price / 2) / price).unwrap_or(u64::MAX)
}

/// An order resting on the paper exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOrder {
    pub local_id: String,
    pub side: Side,
    pub market_id: String,
    pub token_id: String,
    pub outcome: Outcome,
    /// Micro-shares.
    pub qty: u64,
    /// Micro-shares.
    pub filled: u64,
    pub limit_px: u64,
    pub placed_tick: u64,
    /// Whether the exchange has acknowledged it (given its venue id) yet.
    pub acknowledged: bool,
    /// Its fills so far, failed ones included.
    pub fill_ids: Vec<String>,
}

/// A fill waiting for the chain: the `FillSettle` it becomes at `settle_tick`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PendingFill {
    settle: LedgerEvent,
    settle_tick: u64,
    /// Whether the chain has reported it `MINED` (two ticks after the match, when it settles
    /// later than that).
    mined: bool,
    match_tick: u64,
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
    fills: Vec<PendingFill>,
    redemptions: Vec<PendingRedemption>,
}

/// A redemption on its way to the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRedemption {
    pub market_id: String,
    pub condition_id: String,
    pub burns: Vec<Burn>,
    pub sent_tick: u64,
    pub settle_tick: u64,
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

    /// The redemption of `market_id` on its way, if any: (burns, the tick it was sent).
    pub fn redemption(&self, market_id: &str) -> Option<&PendingRedemption> {
        self.redemptions.iter().find(|r| r.market_id == market_id)
    }

    /// Redemptions on their way.
    pub fn redemptions(&self) -> &[PendingRedemption] {
        &self.redemptions
    }

    /// Fills not yet settled on chain.
    pub fn unsettled_fills(&self) -> usize {
        self.fills.len()
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
        closed: &BTreeSet<String>,
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
            if closed.contains(&order.market_id) {
                // The market resolved: the venue cancels what rests there (`resolution`).
                continue;
            }
            if !order.acknowledged {
                events.push(LedgerEvent::Acknowledge {
                    local_id: order.local_id.clone(),
                    side: order.side,
                    market_id: order.market_id.clone(),
                    token_id: order.token_id.clone(),
                    outcome: order.outcome,
                    qty_micro: order.qty,
                    limit_px: order.limit_px,
                });
            }
            let remaining = order.qty - order.filled;
            let cancel = LedgerEvent::Cancel {
                local_id: order.local_id.clone(),
                side: order.side,
                token_id: order.token_id.clone(),
                remaining_qty_micro: remaining,
                limit_px: order.limit_px,
                qty_micro: order.qty,
                fill_ids: order.fill_ids.clone(),
                resolved: false,
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
            let limit_micro = order.limit_px * 10_000;
            let (take, price_micro, fee_micro) = if crosses && *offered > 0 {
                // The order takes the book: whole shares, a taker's fee.
                let mut take = remaining.min(*offered * MICRO);
                if take > MICRO && rng.percent(PARTIAL_PERCENT) {
                    let whole = (take / MICRO) as i64;
                    take = if whole > 1 {
                        rng.range(1, whole - 1) as u64 * MICRO
                    } else {
                        take.min(MICRO)
                    };
                }
                *offered -= take.div_ceil(MICRO).min(*offered);
                // Up to two tenths of a cent of price improvement (Polymarket ticks are 0.001).
                let improvement = rng.range(0, 2) as u64 * 1_000;
                let price_micro = match order.side {
                    Side::Buy => px * 10_000 - improvement,
                    Side::Sell => (px * 10_000 + improvement).min(MICRO),
                };
                let fee = WEATHER_FEES.taker_fee_micro(take, price_micro).unwrap_or(0);
                (take, price_micro, fee)
            } else if !crosses && rng.percent(TAKER_HIT_PERCENT) {
                // A taker spending whole dollars hits the resting order at its limit.
                let dollars = rng.range(1, TAKER_MAX_USD) as u64;
                let take = shares_for_dollars(dollars, limit_micro).min(remaining);
                (take, limit_micro, 0)
            } else {
                continue;
            };
            if take == 0 {
                continue;
            }
            events.push(LedgerEvent::Fill {
                fill: FillFacts {
                    local_id: order.local_id.clone(),
                    side: order.side,
                    fill_id: format!("{fill_prefix}f-{tick:06}-{fills}"),
                    market_id: order.market_id.clone(),
                    token_id: order.token_id.clone(),
                    outcome: order.outcome,
                    qty_micro: take,
                    price_micro,
                    fee_micro,
                },
                order_qty_micro: order.qty,
                provisional: true,
                matched_micro: order.filled + take,
                limit_px: order.limit_px,
                earlier_fill_ids: order.fill_ids.clone(),
            });
            fills += 1;
        }
        for pending in self.fills.iter().filter(|p| p.settle_tick <= tick) {
            let mut settle = pending.settle.clone();
            if let LedgerEvent::FillSettle { confirmed, .. } = &mut settle {
                *confirmed = !rng.percent(FILL_FAIL_PERCENT);
            }
            events.push(settle);
        }
        for pending in self
            .fills
            .iter()
            .filter(|p| !p.mined && p.match_tick + 2 == tick && p.settle_tick > tick)
        {
            if let LedgerEvent::FillSettle { fill, .. } = &pending.settle {
                events.push(LedgerEvent::FillMined { fill: fill.clone() });
            }
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
                qty_micro,
                limit_px,
            } => self.orders.push(OpenOrder {
                local_id: local_id.clone(),
                side: *side,
                market_id: market_id.clone(),
                token_id: token_id.clone(),
                outcome: *outcome,
                qty: *qty_micro,
                filled: 0,
                limit_px: *limit_px,
                placed_tick: tick,
                acknowledged: false,
                fill_ids: Vec::new(),
            }),
            LedgerEvent::Acknowledge { local_id, .. } => {
                if let Some(order) = self.orders.iter_mut().find(|o| &o.local_id == local_id) {
                    order.acknowledged = true;
                }
            }
            LedgerEvent::Fill {
                fill, provisional, ..
            } => {
                if let Some(pos) = self.orders.iter().position(|o| o.local_id == fill.local_id) {
                    let order = &mut self.orders[pos];
                    order.filled += fill.qty_micro;
                    order.fill_ids.push(fill.fill_id.clone());
                    if order.filled >= order.qty {
                        self.orders.remove(pos);
                    }
                }
                if *provisional {
                    self.fills.push(PendingFill {
                        settle: LedgerEvent::FillSettle {
                            fill: fill.clone(),
                            confirmed: true,
                        },
                        // Two to four ticks on chain, from the fill itself so that replay agrees.
                        settle_tick: tick + 2 + fill.qty_micro % 3,
                        mined: false,
                        match_tick: tick,
                    });
                }
            }
            LedgerEvent::FillMined { fill } => {
                for pending in &mut self.fills {
                    if matches!(&pending.settle, LedgerEvent::FillSettle { fill: f, .. } if f.fill_id == fill.fill_id)
                    {
                        pending.mined = true;
                    }
                }
            }
            LedgerEvent::FillSettle { fill, .. } => {
                self.fills.retain(|p| {
                    !matches!(&p.settle, LedgerEvent::FillSettle { fill: f, .. } if f.fill_id == fill.fill_id)
                });
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
            LedgerEvent::RedeemSubmit {
                market_id,
                condition_id,
                burns,
            } => self.redemptions.push(PendingRedemption {
                market_id: market_id.clone(),
                condition_id: condition_id.clone(),
                burns: burns.clone(),
                sent_tick: tick,
                // Two or three ticks on chain.
                settle_tick: tick + 2 + tick % 2,
            }),
            LedgerEvent::RedeemSettle { market_id, .. } => {
                self.redemptions.retain(|r| &r.market_id != market_id);
            }
            LedgerEvent::Marks { .. } | LedgerEvent::Exit | LedgerEvent::Resolve { .. } => {}
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
    use std::collections::HashMap;

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
            market_id: "cond-0".into(),
            token_id: if outcome == Outcome::Yes {
                "tok-0-yes"
            } else {
                "tok-0-no"
            }
            .into(),
            outcome,
            qty_micro: qty * MICRO,
            limit_px,
        }
    }

    /// Runs the engine for `ticks` with a buy and a sell resting whenever none is: at the book
    /// (they cross) on even ticks, inside the spread on odd ones. Returns every event applied,
    /// with its tick.
    fn session(seed: u64, ticks: u64) -> (Engine, Vec<(u64, LedgerEvent)>) {
        let mut market = PaperMarket::new(seed, 1);
        let mut engine = Engine::default();
        let mut applied = Vec::new();
        for tick in 1..=ticks {
            market.advance_to(tick);
            let mut events = engine.match_tick(&market, seed, tick, "", &BTreeSet::new());
            if engine.open_orders().is_empty() {
                let book = *market.book(0);
                let inside = tick % 2 == 1;
                let buy_px = if inside {
                    book.bid(Outcome::Yes)
                } else {
                    book.ask(Outcome::Yes)
                };
                let sell_px = if inside {
                    book.ask(Outcome::No)
                } else {
                    book.bid(Outcome::No)
                };
                events.push(submit(
                    &format!("b{tick}"),
                    Side::Buy,
                    Outcome::Yes,
                    120,
                    buy_px,
                ));
                events.push(submit(
                    &format!("s{tick}"),
                    Side::Sell,
                    Outcome::No,
                    120,
                    sell_px,
                ));
            }
            for event in &events {
                if let LedgerEvent::Fill {
                    fill:
                        FillFacts {
                            local_id,
                            side,
                            qty_micro,
                            price_micro,
                            fee_micro,
                            ..
                        },
                    provisional,
                    ..
                } = event
                {
                    let order = engine
                        .open_orders()
                        .iter()
                        .find(|o| &o.local_id == local_id)
                        .expect("open");
                    assert!(*qty_micro >= 1 && *qty_micro <= order.qty - order.filled);
                    let limit = order.limit_px * 10_000;
                    match side {
                        Side::Buy => assert!(*price_micro <= limit),
                        Side::Sell => assert!(*price_micro >= limit),
                    }
                    assert!(*provisional, "every fill is reported MATCHED first");
                    if *fee_micro > 0 {
                        assert_eq!(
                            Some(*fee_micro),
                            WEATHER_FEES.taker_fee_micro(*qty_micro, *price_micro)
                        );
                    } else {
                        // A maker fill: at its limit, hit by a taker spending whole dollars.
                        assert_eq!(*price_micro, limit, "{event:?}");
                    }
                }
                engine.apply(event, &market, tick);
                applied.push((tick, event.clone()));
            }
        }
        (engine, applied)
    }

    #[test]
    fn a_dollar_sized_taker_buys_fractional_shares() {
        assert_eq!(shares_for_dollars(5, 660_000), 7_575_758);
        assert_eq!(shares_for_dollars(1, 820_000), 1_219_512);
        assert_eq!(shares_for_dollars(3, 500_000), 6_000_000);
    }

    #[test]
    fn fills_are_matched_then_settle_once_a_seeded_share_failing_some_fractional_some_with_fees() {
        let (engine, applied) = session(3, 400);
        let mut matched = HashMap::new();
        let (mut confirmed, mut failed, mut fractional, mut taker) = (0, 0, 0, 0);
        for (tick, event) in &applied {
            match event {
                LedgerEvent::Fill { fill, .. } => {
                    assert!(matched.insert(fill.fill_id.clone(), *tick).is_none());
                    fractional += u64::from(fill.qty_micro % MICRO != 0);
                    taker += u64::from(fill.fee_micro > 0);
                }
                LedgerEvent::FillSettle {
                    fill,
                    confirmed: ok,
                    ..
                } => {
                    let fill_id = &fill.fill_id;
                    let at = matched
                        .remove(fill_id)
                        .expect("settled once, after its fill");
                    assert!(
                        (at + 2..=at + 4).contains(tick),
                        "{fill_id}: {at} -> {tick}"
                    );
                    if *ok {
                        confirmed += 1;
                    } else {
                        failed += 1;
                    }
                }
                _ => {}
            }
        }
        assert_eq!(matched.len(), engine.unsettled_fills());
        assert!(fractional >= 10 && taker >= 10, "{fractional} {taker}");
        assert!(
            failed >= 5 && confirmed > 4 * failed,
            "{confirmed} {failed}"
        );
    }

    #[test]
    fn replaying_the_applied_events_rebuilds_the_engine_with_its_pending_settlements() {
        // The first tick after 150 with fills still settling.
        let ticks = (150..250)
            .find(|&t| session(9, t).0.unsettled_fills() > 0)
            .expect("fills settling");
        let (engine, applied) = session(9, ticks);
        let mut market = PaperMarket::new(9, 1);
        let mut replayed = Engine::default();
        for (tick, event) in &applied {
            market.advance_to(*tick);
            replayed.apply(event, &market, *tick);
        }
        assert_eq!(replayed, engine);
        market.advance_to(ticks + 1);
        assert_eq!(
            replayed.match_tick(&market, 9, ticks + 1, "", &BTreeSet::new()),
            engine.match_tick(&market, 9, ticks + 1, "", &BTreeSet::new())
        );
    }

    #[test]
    fn an_order_left_resting_is_cancelled_with_what_remains() {
        let mut market = PaperMarket::new(5, 1);
        let mut engine = Engine::default();
        // A bid at 1 cent never crosses; dollar-sized takers may fill part of it.
        engine.apply(
            &submit("b1", Side::Buy, Outcome::Yes, 100_000, 1),
            &market,
            0,
        );
        let mut cancelled = None;
        for tick in 1..=ORDER_TTL_TICKS {
            market.advance_to(tick);
            let events = engine.match_tick(&market, 5, tick, "", &BTreeSet::new());
            for event in &events {
                if let LedgerEvent::Cancel {
                    remaining_qty_micro,
                    ..
                } = event
                {
                    let filled = engine.open_orders()[0].filled;
                    cancelled = Some((tick, *remaining_qty_micro, filled));
                }
                engine.apply(event, &market, tick);
            }
        }
        let (tick, remaining, filled) = cancelled.expect("cancelled");
        assert!(tick <= ORDER_TTL_TICKS);
        assert_eq!(remaining + filled, 100_000 * MICRO);
        assert!(engine.open_orders().is_empty());
    }
}
