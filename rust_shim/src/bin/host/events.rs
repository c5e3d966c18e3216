//! The facts the host feeds the ledger, in a form it can journal in its own plan table.
//!
//! Quantities are integer micro-shares (the venue's shares have 6 decimals), prices integer
//! micro-dollars per share, fees micro-dollars and mint amounts whole dollars, so a plan read
//! back from the database gives exactly the `Decimal`s the first run passed.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use weatherman_inventory::contract::Outcome;
use weatherman_inventory::shim::{InventoryManager, Shares, ShimError, VenueApplied};

use super::venue::{venue_order_id, PaperVenue};

/// Which way an order trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

/// What every fill event says of its fill. Flattened into the event's JSON: the plan table
/// spells a fill's facts as fields of the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillFacts {
    pub local_id: String,
    pub side: Side,
    pub fill_id: String,
    pub market_id: String,
    pub token_id: String,
    pub outcome: Outcome,
    /// Micro-shares.
    pub qty_micro: u64,
    /// Micro-dollars per share.
    pub price_micro: u64,
    /// The taker fee, micro-dollars (0 for a maker fill).
    pub fee_micro: u64,
}

/// One call into the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LedgerEvent {
    /// A limit order sent to the exchange.
    Submit {
        local_id: String,
        side: Side,
        market_id: String,
        token_id: String,
        outcome: Outcome,
        /// Micro-shares.
        qty_micro: u64,
        /// Cents, 1..99.
        limit_px: u64,
    },
    /// The exchange acknowledged a submitted order: its venue id is journaled, and the venue's
    /// `PLACEMENT` follows.
    Acknowledge {
        local_id: String,
        side: Side,
        market_id: String,
        token_id: String,
        outcome: Outcome,
        /// Micro-shares.
        qty_micro: u64,
        /// Cents, 1..99.
        limit_px: u64,
    },
    /// A (partial) fill of an order, reported `MATCHED` when `provisional` (its settlement
    /// follows as a `FillSettle`), final otherwise.
    Fill {
        #[serde(flatten)]
        fill: FillFacts,
        /// The order's size, micro-shares.
        order_qty_micro: u64,
        provisional: bool,
        /// The order's shares matched with this fill, micro-shares (the venue's cumulative
        /// `size_matched`).
        #[serde(default)]
        matched_micro: u64,
        /// The order's limit, cents.
        #[serde(default)]
        limit_px: u64,
        /// The engine's ids of the order's earlier fills.
        #[serde(default)]
        earlier_fill_ids: Vec<String>,
    },
    /// A provisional fill's transaction was mined: not final yet.
    FillMined {
        #[serde(flatten)]
        fill: FillFacts,
    },
    /// The chain settled a provisional fill: `CONFIRMED`, or `FAILED` (the fill never happened).
    /// It repeats the fill's facts, so that a reader of the plan (the legacy tracker) can undo it.
    FillSettle {
        #[serde(flatten)]
        fill: FillFacts,
        confirmed: bool,
    },
    /// The rest of an order cancelled.
    Cancel {
        local_id: String,
        side: Side,
        token_id: String,
        /// Micro-shares.
        remaining_qty_micro: u64,
        limit_px: u64,
        /// The order's size, micro-shares.
        #[serde(default)]
        qty_micro: u64,
        /// The engine's ids of the order's fills (failed ones included: the venue counts them
        /// in `size_matched`).
        #[serde(default)]
        fill_ids: Vec<String>,
        /// Cancelled by the venue because the market resolved (`CANCELED_MARKET_RESOLVED`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        resolved: bool,
    },
    /// A mint of `amount_usd` dollars of pairs sent to the chain.
    MintSubmit {
        market_id: String,
        condition_id: String,
        amount_usd: u64,
    },
    /// A mint settled: confirmed (pairs created) or failed.
    MintSettle {
        market_id: String,
        condition_id: String,
        yes_token_id: String,
        no_token_id: String,
        amount_usd: u64,
        confirmed: bool,
    },
    /// A merge of `pair_count` pairs sent to the chain.
    MergeSubmit {
        market_id: String,
        condition_id: String,
        pair_count: u64,
    },
    /// A merge settled: confirmed ($1 a pair back) or failed.
    MergeSettle {
        market_id: String,
        condition_id: String,
        yes_token_id: String,
        no_token_id: String,
        pair_count: u64,
        confirmed: bool,
    },
    /// The market of `condition_id` resolved to the venue's payout numerators `[YES, NO]`.
    Resolve {
        market_id: String,
        condition_id: String,
        payouts: [u32; 2],
    },
    /// A redemption of the resolved condition sent to the chain, burning `burns`.
    RedeemSubmit {
        market_id: String,
        condition_id: String,
        burns: Vec<Burn>,
    },
    /// A redemption settled: confirmed, the chain paying `paid_micro`, or failed.
    RedeemSettle {
        market_id: String,
        condition_id: String,
        burns: Vec<Burn>,
        paid_micro: u64,
        confirmed: bool,
    },
    /// Exit: no new buys or mints from now on.
    Exit,
    /// New marks, cents.
    Marks { prices: BTreeMap<String, u64> },
}

/// Shares of one token a redemption burns, and what one pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burn {
    pub token_id: String,
    pub outcome: Outcome,
    /// Micro-shares.
    pub qty_micro: u64,
    /// Micro-dollars a share (1_000_000, 0 or 500_000).
    pub payout_micro: u64,
}

/// Micro-shares as the exact quantity the ledger takes.
pub fn shares_from_micro(micro: u64) -> Shares {
    Shares::from(Decimal::from_i128_with_scale(i128::from(micro), 6).normalize())
}

impl LedgerEvent {
    /// Feeds the event to the ledger through the shim, at `tick`. The venue's facts
    /// (acknowledgements, fills, settlements, cancels) travel as the venue's frames through
    /// `venue`, whose answer is returned; the session's own calls go directly.
    pub fn apply(
        &self,
        ledger: &mut InventoryManager,
        venue: &PaperVenue,
        tick: u64,
    ) -> Result<Option<VenueApplied>, ShimError> {
        if let Some(frame) = venue.frame(self, tick) {
            if let LedgerEvent::Acknowledge { local_id, .. } = self {
                ledger.on_exchange_order_id(local_id, &venue_order_id(local_id))?;
            }
            return venue.send(ledger, &frame).map(Some);
        }
        match self {
            LedgerEvent::Submit {
                local_id,
                side: Side::Buy,
                market_id,
                token_id,
                outcome,
                qty_micro,
                limit_px,
            } => ledger.on_order_submitted_buy(
                local_id,
                market_id,
                token_id,
                *outcome,
                shares_from_micro(*qty_micro),
                *limit_px,
            ),
            LedgerEvent::Submit {
                local_id,
                side: Side::Sell,
                token_id,
                qty_micro,
                ..
            } => ledger.on_order_submitted_sell(local_id, token_id, shares_from_micro(*qty_micro)),
            LedgerEvent::Acknowledge { .. }
            | LedgerEvent::Fill { .. }
            | LedgerEvent::FillMined { .. }
            | LedgerEvent::FillSettle { .. }
            | LedgerEvent::Cancel { .. } => Err(ShimError::InvalidInput {
                field: "market_id".into(),
                value: format!("{self:?}"),
                reason: "a market of the paper venue is required".into(),
            }),
            LedgerEvent::MintSubmit {
                condition_id,
                amount_usd,
                ..
            } => ledger.on_mint_submitted(condition_id, Decimal::from(*amount_usd)),
            LedgerEvent::MintSettle {
                market_id,
                condition_id,
                yes_token_id,
                no_token_id,
                amount_usd,
                confirmed,
            } => {
                if *confirmed {
                    ledger.on_mint_confirmed(
                        condition_id,
                        *amount_usd,
                        yes_token_id,
                        no_token_id,
                        market_id,
                    )
                } else {
                    ledger.on_mint_failed(condition_id, Decimal::from(*amount_usd))
                }
            }
            LedgerEvent::MergeSubmit {
                condition_id,
                pair_count,
                ..
            } => ledger.on_merge_submitted(condition_id, *pair_count),
            LedgerEvent::MergeSettle {
                condition_id,
                yes_token_id,
                no_token_id,
                pair_count,
                confirmed,
                ..
            } => {
                if *confirmed {
                    ledger.on_merge_confirmed(condition_id, *pair_count, yes_token_id, no_token_id)
                } else {
                    ledger.on_merge_failed(condition_id, *pair_count)
                }
            }
            LedgerEvent::Resolve {
                condition_id,
                payouts,
                ..
            } => ledger.on_market_resolved(condition_id, *payouts),
            LedgerEvent::RedeemSubmit { condition_id, .. } => {
                ledger.on_redemption_submitted(condition_id)
            }
            LedgerEvent::RedeemSettle {
                condition_id,
                paid_micro,
                confirmed,
                ..
            } => {
                if *confirmed {
                    let paid = Decimal::from_i128_with_scale(i128::from(*paid_micro), 6);
                    ledger.on_redemption_confirmed(condition_id, paid)
                } else {
                    ledger.on_redemption_failed(condition_id)
                }
            }
            LedgerEvent::Exit => ledger.trigger_exit(),
            LedgerEvent::Marks { prices } => {
                let prices = prices.iter().map(|(k, v)| (k.clone(), *v)).collect();
                ledger.update_prices(&prices)
            }
        }
        .map(|()| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micro_shares_become_exact_decimals() {
        assert_eq!(shares_from_micro(7_575_758).value().to_string(), "7.575758");
        assert_eq!(shares_from_micro(20_000_000).value().to_string(), "20");
    }

    #[test]
    fn events_survive_the_plan_table() {
        let event = LedgerEvent::Fill {
            fill: FillFacts {
                local_id: "rs-000007-0".into(),
                side: Side::Sell,
                fill_id: "f-000009-0".into(),
                market_id: "mkt-1".into(),
                token_id: "tok-1-no".into(),
                outcome: Outcome::No,
                qty_micro: 7_575_758,
                price_micro: 431_000,
                fee_micro: 12_340,
            },
            order_qty_micro: 20_000_000,
            provisional: true,
            matched_micro: 7_575_758,
            limit_px: 43,
            earlier_fill_ids: vec!["f-000008-1".into()],
        };
        let text = serde_json::to_string(&event).expect("serialise");
        assert_eq!(
            serde_json::from_str::<LedgerEvent>(&text).expect("parse"),
            event
        );
        // A fill's facts are fields of the event, as plans written before `FillFacts` hold them.
        let flat = serde_json::json!({
            "type": "fill", "local_id": "rs-000007-0", "side": "sell", "fill_id": "f-000009-0",
            "market_id": "mkt-1", "token_id": "tok-1-no", "outcome": "NO",
            "qty_micro": 7_575_758, "price_micro": 431_000, "order_qty_micro": 20_000_000,
            "fee_micro": 12_340, "provisional": true, "matched_micro": 7_575_758, "limit_px": 43,
            "earlier_fill_ids": ["f-000008-1"],
        });
        assert_eq!(serde_json::to_value(&event).expect("value"), flat);
        assert_eq!(
            serde_json::from_value::<LedgerEvent>(flat).expect("parse"),
            event
        );
        let LedgerEvent::Fill { fill, .. } = event else {
            unreachable!()
        };
        let settle = LedgerEvent::FillSettle {
            fill,
            confirmed: false,
        };
        let text = serde_json::to_string(&settle).expect("serialise");
        assert!(text.starts_with(r#"{"type":"fill_settle","local_id":"rs-000007-0","#));
        assert_eq!(
            serde_json::from_str::<LedgerEvent>(&text).expect("parse"),
            settle
        );
    }
}
