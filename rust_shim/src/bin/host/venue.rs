//! The paper venue's user channel: every fact of the paper exchange reaches the ledger as the
//! frame a Polymarket account receives (`venue-facts.md` §1-§3), through the shim's one call
//! with the raw text (`VenueFeed::on_message`), as a live session forwards the channel.
//!
//! - An order the exchange acknowledges: its venue id is journaled (`on_exchange_order_id`, what
//!   the REST answer to the submission gives) and an `order` `PLACEMENT` follows.
//! - A fill: one frame holding the `trade` message (`MATCHED`) and the order's `UPDATE` with its
//!   cumulative `size_matched`. A taker fill (it paid a fee) is seen in the taker view: our order
//!   at the top, other accounts' resting orders in `maker_orders[]`, some of them on the
//!   complementary token at `1 - p`. A maker fill is seen in the maker view: another account's
//!   taker order at the top, on our token or on the complementary one (a mint or a merge), and our
//!   leg among `maker_orders[]`, named by our API key or by our funder address only.
//! - A settlement: the same trade message under the same trade id, `MINED` on the way for some,
//!   then `CONFIRMED` or `FAILED`.
//! - A cancel: the order's `CANCELLATION`, `size_matched` as the exchange counts it (failed trades
//!   included) and the trades it matched in `associate_trades`.
//!
//! Ids are the venue's shapes, derived from the host's own (so a resumed run sends the same
//! frames): order ids are 0x-prefixed 32-byte hashes, trade ids UUIDs. The frame is a pure
//! function of the event and its tick.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use weatherman_inventory::contract::Outcome;
use weatherman_inventory::shim::{
    InventoryManager, MarketIds, ShimError, VenueAccount, VenueApplied, VenueFeed,
};

use super::events::{FillFacts, LedgerEvent, Side};
use super::market::PaperMarket;

/// The paper account's API key (owner id of its orders).
pub const API_KEY: &str = "9b2e7c4a-1f3d-4e6b-8a5c-0d9e8f7a6b5c";
/// The paper account's funder address, checksummed as the venue spells it.
pub const FUNDER: &str = "0x5aF1c0dE2b3C4d5E6f708192A3b4C5d6E7f80912";
/// Another account, on the other side of our trades.
const OTHER_KEY: &str = "0c7d2b1e-33aa-4f5e-8d90-1a2b3c4d5e6f";
const OTHER_ADDRESS: &str = "0x3D4e5F60718293a4B5c6D7e8F90a1B2c3D4e5F60";
/// Unix seconds of tick 0 (2026-06-01 12:00 UTC, the paper market's epoch); a tick is a minute.
const EPOCH_SECS: u64 = 1_780_315_200;
const MICRO: u64 = 1_000_000;

/// The identity the host's adapter is configured with: the funder in lower case, as an operator
/// might write it (the frames spell it checksummed).
pub fn account() -> VenueAccount {
    VenueAccount {
        api_key: API_KEY.into(),
        funder: FUNDER.to_lowercase(),
    }
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The venue's id of the host's order `local_id`: `0x` and 64 hex digits.
pub fn venue_order_id(local_id: &str) -> String {
    format!("0x{}", hex(&digest(&format!("order:{local_id}"))))
}

/// The venue's trade id of the engine's fill `fill_id`: a version-4 UUID.
pub fn trade_id(fill_id: &str) -> String {
    let d = digest(&format!("trade:{fill_id}"));
    let h = hex(&d[..16]);
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        8 | (d[8] & 3),
        &h[17..20],
        &h[20..32]
    )
}

/// Micro-units as the venue's decimal text: "7.575758", "20", "0.66".
fn text(micro: u64) -> String {
    let (whole, rest) = (micro / MICRO, micro % MICRO);
    if rest == 0 {
        return whole.to_string();
    }
    let frac = format!("{rest:06}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

fn side_text(side: Side) -> &'static str {
    match side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

fn opposite(side: Side) -> Side {
    match side {
        Side::Buy => Side::Sell,
        Side::Sell => Side::Buy,
    }
}

fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Yes => "Yes",
        Outcome::No => "No",
    }
}

fn other(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Yes => Outcome::No,
        Outcome::No => Outcome::Yes,
    }
}

/// Seconds and milliseconds of a tick, with `offset_ms` into it.
fn times(tick: u64, offset_ms: u64) -> (String, String) {
    let ms = (EPOCH_SECS + tick * 60) * 1000 + offset_ms;
    ((ms / 1000).to_string(), ms.to_string())
}

/// One of our fills, as a trade message needs it.
struct Trade<'a> {
    local_id: &'a str,
    side: Side,
    fill_id: &'a str,
    ids: &'a MarketIds,
    token_id: &'a str,
    outcome: Outcome,
    qty_micro: u64,
    price_micro: u64,
    taker: bool,
}

impl<'a> Trade<'a> {
    /// The trade of a fill in the market `ids` (a fill with a fee was a taker's).
    fn of(fill: &'a FillFacts, ids: &'a MarketIds) -> Self {
        Self {
            local_id: &fill.local_id,
            side: fill.side,
            fill_id: &fill.fill_id,
            ids,
            token_id: &fill.token_id,
            outcome: fill.outcome,
            qty_micro: fill.qty_micro,
            price_micro: fill.price_micro,
            taker: fill.fee_micro > 0,
        }
    }
}

/// The paper venue: the markets' ids and the adapter that reads its frames into the ledger.
pub struct PaperVenue {
    markets: Vec<MarketIds>,
    feed: VenueFeed,
}

impl PaperVenue {
    /// The venue of `market`'s markets, its feed bound to `ledger`.
    pub fn new(ledger: &InventoryManager, market: &PaperMarket) -> Result<Self, ShimError> {
        Ok(PaperVenue {
            markets: market.specs().iter().map(|s| s.ids.clone()).collect(),
            feed: VenueFeed::new(ledger, &account())?,
        })
    }

    /// The feed the frames go through (the trade history's pages too, at `--resume`).
    pub fn feed(&self) -> &VenueFeed {
        &self.feed
    }

    /// Forwards one frame's raw text to the ledger through the shim.
    pub fn send(
        &self,
        ledger: &mut InventoryManager,
        frame: &str,
    ) -> Result<VenueApplied, ShimError> {
        self.feed.on_message(ledger, frame)
    }

    fn ids_of_market(&self, market_id: &str) -> Option<&MarketIds> {
        self.markets.iter().find(|m| m.market_id == market_id)
    }

    fn ids_of_token(&self, token_id: &str) -> Option<&MarketIds> {
        self.markets
            .iter()
            .find(|m| m.yes_token_id == token_id || m.no_token_id == token_id)
    }

    /// The user-channel frame that reports `event` at `tick`; `None` for an event that is not
    /// the venue's to report (submissions, mints, merges, marks, exit) or of a market it does
    /// not list.
    pub fn frame(&self, event: &LedgerEvent, tick: u64) -> Option<String> {
        let value = match event {
            LedgerEvent::Acknowledge {
                local_id,
                side,
                market_id,
                token_id,
                outcome,
                qty_micro,
                limit_px,
            } => {
                let ids = self.ids_of_market(market_id)?;
                let (secs, ms) = times(tick, 5);
                order_message(OrderFacts {
                    kind: "PLACEMENT",
                    status: "LIVE",
                    local_id,
                    side: *side,
                    ids,
                    token_id,
                    outcome: *outcome,
                    qty_micro: *qty_micro,
                    matched_micro: 0,
                    limit_px: *limit_px,
                    trades: Vec::new(),
                    created: &secs,
                    ms: &ms,
                })
            }
            LedgerEvent::Fill {
                fill,
                order_qty_micro,
                matched_micro,
                limit_px,
                earlier_fill_ids,
                ..
            } => {
                let ids = self.ids_of_market(&fill.market_id)?;
                let (created, _) = times(tick.saturating_sub(1), 0);
                let (_, ms) = times(tick, 120);
                let mut trades: Vec<String> =
                    earlier_fill_ids.iter().map(|f| trade_id(f)).collect();
                trades.push(trade_id(&fill.fill_id));
                let update = order_message(OrderFacts {
                    kind: "UPDATE",
                    status: if matched_micro >= order_qty_micro {
                        "MATCHED"
                    } else {
                        "LIVE"
                    },
                    local_id: &fill.local_id,
                    side: fill.side,
                    ids,
                    token_id: &fill.token_id,
                    outcome: fill.outcome,
                    qty_micro: *order_qty_micro,
                    matched_micro: *matched_micro,
                    limit_px: *limit_px,
                    trades,
                    created: &created,
                    ms: &ms,
                });
                let trade = Trade::of(fill, ids);
                json!([trade_message(&trade, "MATCHED", tick, 100), update])
            }
            LedgerEvent::FillSettle { fill, confirmed } => {
                let trade = Trade::of(fill, self.ids_of_market(&fill.market_id)?);
                let status = if *confirmed { "CONFIRMED" } else { "FAILED" };
                trade_message(&trade, status, tick, 300)
            }
            LedgerEvent::FillMined { fill } => {
                let trade = Trade::of(fill, self.ids_of_market(&fill.market_id)?);
                trade_message(&trade, "MINED", tick, 250)
            }
            LedgerEvent::Cancel {
                local_id,
                side,
                token_id,
                remaining_qty_micro,
                limit_px,
                qty_micro,
                fill_ids,
                resolved,
            } => {
                let ids = self.ids_of_token(token_id)?;
                let outcome = if ids.yes_token_id == *token_id {
                    Outcome::Yes
                } else {
                    Outcome::No
                };
                let (created, ms) = times(tick, 200);
                order_message(OrderFacts {
                    kind: "CANCELLATION",
                    status: if *resolved {
                        "CANCELED_MARKET_RESOLVED"
                    } else {
                        "CANCELED"
                    },
                    local_id,
                    side: *side,
                    ids,
                    token_id,
                    outcome,
                    qty_micro: *qty_micro,
                    matched_micro: qty_micro.saturating_sub(*remaining_qty_micro),
                    limit_px: *limit_px,
                    trades: fill_ids.iter().map(|f| trade_id(f)).collect(),
                    created: &created,
                    ms: &ms,
                })
            }
            _ => return None,
        };
        Some(value.to_string())
    }
}

/// An order message's facts.
struct OrderFacts<'a> {
    kind: &'a str,
    status: &'a str,
    local_id: &'a str,
    side: Side,
    ids: &'a MarketIds,
    token_id: &'a str,
    outcome: Outcome,
    qty_micro: u64,
    matched_micro: u64,
    limit_px: u64,
    trades: Vec<String>,
    created: &'a str,
    ms: &'a str,
}

fn order_message(o: OrderFacts<'_>) -> Value {
    json!({
        "asset_id": o.token_id,
        "associate_trades": o.trades,
        "created_at": o.created,
        "event_type": "order",
        "expiration": "0",
        "id": venue_order_id(o.local_id),
        "maker_address": FUNDER,
        "market": o.ids.condition_id,
        "order_owner": API_KEY,
        "order_type": "GTC",
        "original_size": text(o.qty_micro),
        "outcome": outcome_text(o.outcome),
        "owner": API_KEY,
        "price": text(o.limit_px * 10_000),
        "side": side_text(o.side),
        "size_matched": text(o.matched_micro),
        "status": o.status,
        "timestamp": o.ms,
        "type": o.kind,
    })
}

/// A resting order's leg of a trade.
#[allow(clippy::too_many_arguments)]
fn leg(
    order_id: &str,
    owner: &str,
    address: &str,
    asset: &str,
    outcome: Outcome,
    price_micro: u64,
    qty_micro: u64,
    side: Option<Side>,
) -> Value {
    let mut leg = json!({
        "asset_id": asset,
        "fee_rate_bps": "",
        "maker_address": address,
        "matched_amount": text(qty_micro),
        "order_id": order_id,
        "outcome": outcome_text(outcome),
        "owner": owner,
        "price": text(price_micro),
    });
    if let Some(side) = side {
        leg["side"] = json!(side_text(side));
    }
    leg
}

/// The trade message of our fill with `status`, in the taker view for a taker fill and in the
/// maker view otherwise. Which other legs it has is decided by the trade id's hash, so each
/// trade keeps its shape through its status changes.
fn trade_message(t: &Trade<'_>, status: &str, tick: u64, offset_ms: u64) -> Value {
    let id = trade_id(t.fill_id);
    let bits = digest(&format!("shape:{id}"))[0];
    let our_order = venue_order_id(t.local_id);
    let ids = t.ids;
    let complement = if t.outcome == Outcome::Yes {
        &ids.no_token_id
    } else {
        &ids.yes_token_id
    };
    let other_order = |n: u8| format!("0x{}", hex(&digest(&format!("maker:{n}:{id}"))));
    let (match_time, _) = times(tick.saturating_sub(1), 0);
    let (last_update, ms) = times(tick, offset_ms);
    let (taker_side, taker_asset, taker_outcome, taker_price, size, taker_order, owner, address);
    let mut legs = Vec::new();
    if t.taker {
        // Our order took the book: resting orders of others, part on the complementary token.
        (taker_side, taker_asset, taker_outcome) = (t.side, t.token_id, t.outcome);
        (taker_price, size, taker_order) = (t.price_micro, t.qty_micro, our_order);
        (owner, address) = (API_KEY, FUNDER);
        let cross = if bits & 1 == 1 { t.qty_micro / 3 } else { 0 };
        let same = t.qty_micro - cross;
        if same > 0 {
            legs.push(leg(
                &other_order(0),
                OTHER_KEY,
                OTHER_ADDRESS,
                t.token_id,
                t.outcome,
                t.price_micro,
                same,
                None,
            ));
        }
        if cross > 0 {
            legs.push(leg(
                &other_order(1),
                OTHER_KEY,
                OTHER_ADDRESS,
                complement,
                other(t.outcome),
                MICRO - t.price_micro,
                cross,
                Some(t.side),
            ));
        }
    } else {
        // Another account's taker order hit ours: on our token (the opposite side) or on the
        // complementary one (the same side, at 1 - p: a mint or a merge).
        let cross = bits & 1 == 1;
        let extra = if bits & 2 == 2 { 1_500_000 } else { 0 };
        if cross {
            (taker_side, taker_asset, taker_outcome) =
                (t.side, complement.as_str(), other(t.outcome));
            taker_price = MICRO - t.price_micro;
        } else {
            (taker_side, taker_asset, taker_outcome) = (opposite(t.side), t.token_id, t.outcome);
            taker_price = t.price_micro;
        }
        (size, taker_order) = (t.qty_micro + extra, other_order(9));
        (owner, address) = (OTHER_KEY, OTHER_ADDRESS);
        // Our leg, named by our API key, or by our funder alone (in the venue's mixed case).
        let named_by_key = bits & 4 == 4;
        legs.push(leg(
            &our_order,
            if named_by_key { API_KEY } else { "" },
            FUNDER,
            t.token_id,
            t.outcome,
            t.price_micro,
            t.qty_micro,
            None,
        ));
        if extra > 0 {
            legs.push(leg(
                &other_order(2),
                OTHER_KEY,
                OTHER_ADDRESS,
                taker_asset,
                taker_outcome,
                taker_price,
                extra,
                Some(opposite(taker_side)),
            ));
        }
    }
    json!({
        "asset_id": taker_asset,
        "bucket_index": 0,
        "event_type": "trade",
        "fee_rate_bps": "0",
        "id": id,
        "last_update": last_update,
        "maker_address": address,
        "maker_orders": legs,
        "market": ids.condition_id,
        "match_time": match_time,
        "outcome": outcome_text(taker_outcome),
        "owner": owner,
        "price": text(taker_price),
        "side": side_text(taker_side),
        "size": text(size),
        "status": status,
        "taker_order_id": taker_order,
        "timestamp": ms,
        "trade_owner": owner,
        "trader_side": if t.taker { "TAKER" } else { "MAKER" },
        "transaction_hash": format!("0x{}", hex(&digest(&format!("tx:{id}")))),
        "type": "TRADE",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_amounts_have_the_venues_shapes() {
        assert_eq!(text(7_575_758), "7.575758");
        assert_eq!(text(20_000_000), "20");
        assert_eq!(text(660_000), "0.66");
        let order = venue_order_id("s/rs-000001-0");
        assert!(order.starts_with("0x") && order.len() == 66, "{order}");
        let trade = trade_id("s/f-000002-0");
        let parts: Vec<&str> = trade.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(
            parts[2].starts_with('4') && "89ab".contains(&parts[3][..1]),
            "{trade}"
        );
        assert_ne!(trade_id("s/f-000002-1"), trade);
    }
}
