//! The paper markets' resolution and the host's redemptions.
//!
//! Each market resolves once, at a tick drawn from the seed in the second half of the session
//! and before its exit: YES wins (`[1, 0]`), NO wins (`[0, 1]`), or the market is void (`[1, 1]`,
//! half a dollar a share); one market of every session is void. At that tick the ledger is told
//! (`on_market_resolved`), and the venue cancels what rests on the market, each cancel the
//! order's `CANCELLATION` frame with status `CANCELED_MARKET_RESOLVED`. From then on the engine
//! matches nothing there and the strategies' intents on it are refused.
//!
//! The host's settlement step redeems: at the start of each tick after a resolution, with no
//! redemption of the market on its way, the shares the snapshot says are redeemable are sent to
//! the chain (`on_redemption_submitted`); two or three ticks later the chain pays
//! `floor(shares * payout)` per token (`on_redemption_confirmed` with the amount paid), or the
//! transaction fails for a seeded share of them (`on_redemption_failed`), and the shares are
//! redeemed again the tick after. Shares of fills still `MATCHED` become redeemable when they
//! settle, and are redeemed then.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use weatherman_inventory::contract::Outcome;
use weatherman_inventory::shim::Snapshot;

use super::events::{Burn, LedgerEvent};
use super::market::PaperMarket;
use super::rng::{Rng, Stream};

/// Chance that a redemption fails on chain.
pub const REDEEM_FAIL_PERCENT: u64 = 20;
/// Sessions exiting before this tick have no resolution (no room before the exit).
const MIN_TICKS: u64 = 20;
const MICRO: u64 = 1_000_000;

/// When market `index` resolves, and to what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled {
    pub index: usize,
    pub tick: u64,
    /// The venue's payout numerators `[YES, NO]`.
    pub payouts: [u32; 2],
}

/// The session's resolutions, a pure function of the seed, the markets and the exit tick (fixed
/// when the session starts, so a `--resume --ticks N` keeps them).
pub fn schedule(seed: u64, markets: usize, exit_tick: u64) -> Vec<Scheduled> {
    if exit_tick < MIN_TICKS || markets == 0 {
        return Vec::new();
    }
    let mut rng = Rng::for_tick(seed, 0, Stream::Resolution);
    let first = exit_tick / 2;
    let last = exit_tick.saturating_sub(4).max(first);
    let void = (seed % markets as u64) as usize;
    (0..markets)
        .map(|index| {
            let tick = rng.range(first as i64, last as i64) as u64;
            let payouts = if index == void {
                [1, 1]
            } else if rng.percent(50) {
                [1, 0]
            } else {
                [0, 1]
            };
            Scheduled {
                index,
                tick,
                payouts,
            }
        })
        .collect()
}

/// The markets resolved at or before `tick`.
pub fn closed(schedule: &[Scheduled], market: &PaperMarket, tick: u64) -> BTreeSet<String> {
    schedule
        .iter()
        .filter(|s| s.tick <= tick)
        .map(|s| market.specs()[s.index].ids.market_id.clone())
        .collect()
}

/// What one share of `outcome` pays under `payouts`, micro-dollars.
pub fn payout_micro(payouts: [u32; 2], outcome: Outcome) -> u64 {
    let (yes, no) = (u64::from(payouts[0]), u64::from(payouts[1]));
    let won = if outcome == Outcome::Yes { yes } else { no };
    won * MICRO / (yes + no).max(1)
}

/// What the chain pays for `burns`: `floor(shares * payout)` per token.
pub fn paid_micro(burns: &[Burn]) -> u64 {
    burns
        .iter()
        .map(|b| (u128::from(b.qty_micro) * u128::from(b.payout_micro) / u128::from(MICRO)) as u64)
        .sum()
}

/// The redeemable shares of a resolved market in `snapshot`.
pub fn burns(snapshot: &Snapshot, market: &PaperMarket, scheduled: &Scheduled) -> Vec<Burn> {
    let ids = &market.specs()[scheduled.index].ids;
    let mut out = Vec::new();
    for (token_id, outcome) in [
        (&ids.yes_token_id, Outcome::Yes),
        (&ids.no_token_id, Outcome::No),
    ] {
        let Some(position) = snapshot.state.tokens.get(token_id.as_str()) else {
            continue;
        };
        let qty = position.redeemable_qty.unwrap_or_default() * Decimal::from(MICRO);
        let Ok(qty_micro) = u64::try_from(qty) else {
            continue;
        };
        if qty_micro > 0 {
            out.push(Burn {
                token_id: token_id.clone(),
                outcome,
                qty_micro,
                payout_micro: payout_micro(scheduled.payouts, outcome),
            });
        }
    }
    out
}

/// The steps of `tick`'s resolutions: the ledger told, then the venue's cancels of what rests
/// on the market (`cancels`: the engine's open orders there, as cancel events).
pub fn resolve_steps(
    schedule: &[Scheduled],
    market: &PaperMarket,
    tick: u64,
    cancels: impl Fn(&str) -> Vec<LedgerEvent>,
) -> Vec<LedgerEvent> {
    let mut steps = Vec::new();
    for s in schedule.iter().filter(|s| s.tick == tick) {
        let ids = &market.specs()[s.index].ids;
        steps.push(LedgerEvent::Resolve {
            market_id: ids.market_id.clone(),
            condition_id: ids.condition_id.clone(),
            payouts: s.payouts,
        });
        steps.extend(cancels(&ids.market_id));
    }
    steps
}

/// Whether the redemption sent at `sent_tick` of `condition_id` fails on chain.
pub fn redemption_fails(seed: u64, sent_tick: u64, condition_id: &str) -> bool {
    let salt = condition_id
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    Rng::for_tick(seed ^ salt, sent_tick, Stream::Resolution).percent(REDEEM_FAIL_PERCENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_market_resolves_once_before_the_exit_one_of_them_void() {
        for seed in 0..50 {
            let found = schedule(seed, 4, 270);
            assert_eq!(found.len(), 4);
            assert_eq!(found.iter().filter(|s| s.payouts == [1, 1]).count(), 1);
            assert!(
                found.iter().all(|s| (135..=266).contains(&s.tick)),
                "{found:?}"
            );
            assert_eq!(schedule(seed, 4, 270), found, "a function of the seed");
        }
        assert!(
            schedule(7, 3, 19).is_empty(),
            "no room before an early exit"
        );
    }

    #[test]
    fn the_chain_pays_floor_of_shares_times_payout() {
        assert_eq!(payout_micro([1, 1], Outcome::No), 500_000);
        assert_eq!(payout_micro([0, 1], Outcome::Yes), 0);
        let burn = |qty_micro, payout_micro| Burn {
            token_id: "t".into(),
            outcome: Outcome::Yes,
            qty_micro,
            payout_micro,
        };
        // 7.575759 shares at half a dollar: 3.7878795, floored to 3.787879.
        assert_eq!(paid_micro(&[burn(7_575_759, 500_000)]), 3_787_879);
        assert_eq!(
            paid_micro(&[burn(20_000_000, 1_000_000), burn(5_000_000, 0)]),
            20_000_000
        );
    }
}
