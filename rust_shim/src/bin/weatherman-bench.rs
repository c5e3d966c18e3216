//! `weatherman-bench`: what a tick costs the Rust session in the inventory, through the FFI.
//!
//! Per tick: `update_prices` then `snapshot` (the JSON text Python wrote and the Rust contract
//! struct), for 5, 50 and 200 tokens, with every price changed or two changed, against a native
//! Rust implementation of the seed plan's snapshot (its `InternalPosition` map, `update_prices`,
//! `snapshot()` building the contract struct, then serde) measured in the same run. Then one
//! `on_fill_buy` through the shim. Medians of repeated batches; `make bench` runs it.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use weatherman_inventory::contract::{InventoryState, MintedPairBalance, Outcome, TokenPosition};
use weatherman_inventory::shim::{self, InventoryManager};

/// Batches per measurement; the median batch is reported.
const BATCHES: usize = 21;

// -- The seed plan's snapshot, natively (Task 8), for comparison only ---------------------------

#[derive(Debug, Clone)]
struct InternalPosition {
    token_id: String,
    market_id: String,
    outcome: Outcome,
    qty: Decimal,
    in_flight_qty: Decimal,
    avg_entry_price: Decimal,
    total_cost: Decimal,
    current_price: Decimal,
    realized_pnl: Decimal,
}

struct SeedInventory {
    total_usd: Decimal,
    in_flight_usd: Decimal,
    positions: HashMap<String, InternalPosition>,
    minted_pairs: HashMap<String, MintedPairBalance>,
    exit_triggered: bool,
}

impl SeedInventory {
    fn update_prices(&mut self, prices: &HashMap<String, u64>) {
        for (token_id, pos) in &mut self.positions {
            if let Some(&cents) = prices.get(token_id) {
                pos.current_price = Decimal::from(cents) / Decimal::from(100u64);
            }
        }
    }

    /// The seed's `snapshot()`: clone every position into the contract struct.
    fn snapshot(&self) -> InventoryState {
        let tokens = self
            .positions
            .iter()
            .map(|(id, p)| {
                let unrealized = if p.qty > Decimal::ZERO {
                    (p.current_price - p.avg_entry_price) * p.qty
                } else {
                    Decimal::ZERO
                };
                (
                    id.clone(),
                    TokenPosition {
                        token_id: p.token_id.clone(),
                        market_id: p.market_id.clone(),
                        outcome: p.outcome,
                        qty: p.qty,
                        in_flight_qty: p.in_flight_qty,
                        unsettled_qty: Decimal::ZERO,
                        accessible_qty: (p.qty - p.in_flight_qty).max(Decimal::ZERO),
                        avg_entry_price: p.avg_entry_price,
                        total_cost: p.total_cost.to_f64().unwrap_or(0.0),
                        current_price: p.current_price.to_f64().unwrap_or(0.0),
                        unrealized_pnl: unrealized.to_f64().unwrap_or(0.0),
                        realized_pnl: p.realized_pnl,
                        payout: None,
                        redeemable_qty: None,
                    },
                )
            })
            .collect();
        InventoryState {
            total_usd: self.total_usd.to_f64().unwrap_or(0.0),
            in_flight_usd: self.in_flight_usd.to_f64().unwrap_or(0.0),
            unsettled_usd: 0.0,
            accessible_usd: (self.total_usd - self.in_flight_usd)
                .to_f64()
                .unwrap_or(0.0),
            adjustments_usd: 0.0,
            tokens,
            minted_pairs: self
                .minted_pairs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            exit_triggered: self.exit_triggered,
        }
    }
}

// -- The book both sides hold ------------------------------------------------------------------

fn token_ids(count: usize) -> Vec<(String, String, Outcome)> {
    (0..count)
        .map(|i| {
            let outcome = if i % 2 == 0 {
                Outcome::Yes
            } else {
                Outcome::No
            };
            let side = if i % 2 == 0 { "yes" } else { "no" };
            (
                format!("tok-{}-{side}", i / 2),
                format!("mkt-{}", i / 2),
                outcome,
            )
        })
        .collect()
}

/// Two price maps a tick alternates between: every token differs (`changed = count`) or only
/// the first `changed` do; every map holds every token, as the session's marks do.
fn price_maps(count: usize, changed: usize) -> [HashMap<String, u64>; 2] {
    let ids = token_ids(count);
    let map = |bump: u64| {
        ids.iter()
            .enumerate()
            .map(|(i, (id, _, _))| {
                let base = 30 + (i as u64 % 40);
                (id.clone(), if i < changed { base + bump } else { base })
            })
            .collect()
    };
    [map(0), map(1)]
}

fn shim_ledger(count: usize) -> InventoryManager {
    let mut ledger = InventoryManager::new(Decimal::from(1_000_000)).expect("ledger");
    for (i, (token, market, outcome)) in token_ids(count).into_iter().enumerate() {
        let local_id = format!("o{i}");
        let price = Decimal::new(300 + i as i64, 3);
        ledger
            .on_order_submitted_buy(&local_id, &market, &token, outcome, 100, 99)
            .expect("submit");
        ledger
            .on_fill_buy(&local_id, &token, &market, outcome, 100, price, 100)
            .expect("fill");
    }
    ledger
}

fn seed_ledger(count: usize) -> SeedInventory {
    let positions = token_ids(count)
        .into_iter()
        .enumerate()
        .map(|(i, (token, market, outcome))| {
            let price = Decimal::new(300 + i as i64, 3);
            (
                token.clone(),
                InternalPosition {
                    token_id: token,
                    market_id: market,
                    outcome,
                    qty: Decimal::from(100),
                    in_flight_qty: Decimal::ZERO,
                    avg_entry_price: price,
                    total_cost: price * Decimal::from(100),
                    current_price: price,
                    realized_pnl: Decimal::ZERO,
                },
            )
        })
        .collect();
    SeedInventory {
        total_usd: Decimal::from(1_000_000),
        in_flight_usd: Decimal::ZERO,
        positions,
        minted_pairs: HashMap::new(),
        exit_triggered: false,
    }
}

/// Median nanoseconds per call of `tick` over `BATCHES` batches of `per_batch` calls.
fn median_ns(per_batch: usize, mut tick: impl FnMut(usize)) -> f64 {
    for i in 0..per_batch {
        tick(i);
    }
    let mut samples: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for i in 0..per_batch {
                tick(i);
            }
            start.elapsed().as_nanos() as f64 / per_batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[BATCHES / 2]
}

struct Row {
    tokens: usize,
    case: &'static str,
    shim_us: f64,
    native_us: f64,
}

fn measure(count: usize, changed: usize, case: &'static str) -> Row {
    let maps = price_maps(count, changed);
    let per_batch = (4_000 / count).clamp(20, 400);

    let mut ledger = shim_ledger(count);
    let shim_ns = median_ns(per_batch, |i| {
        ledger.update_prices(&maps[i % 2]).expect("prices");
        let snapshot = ledger.snapshot().expect("snapshot");
        black_box((&snapshot.state, &snapshot.json));
    });
    // The shim's answer is the native one's, in substance.
    let shim_state = ledger.snapshot().expect("snapshot").state.clone();

    let mut seed = seed_ledger(count);
    let native_ns = median_ns(per_batch, |i| {
        seed.update_prices(&maps[i % 2]);
        let state = seed.snapshot();
        let json = serde_json::to_string(&state).expect("json");
        black_box((&state, &json));
    });
    let native_state = seed.snapshot();
    assert_eq!(shim_state.tokens.len(), native_state.tokens.len());
    for (id, token) in &native_state.tokens {
        let ours = &shim_state.tokens[id];
        assert_eq!(
            (ours.qty, ours.avg_entry_price),
            (token.qty, token.avg_entry_price)
        );
        assert!(
            (ours.current_price - token.current_price).abs() < 1e-12,
            "{id}"
        );
    }
    Row {
        tokens: count,
        case,
        shim_us: shim_ns / 1000.0,
        native_us: native_ns / 1000.0,
    }
}

fn fill_us() -> f64 {
    // An order no benchmark fills up, within the ledger's bounds (below 10^9 of anything).
    const ORDER: u64 = 100_000_000;
    let mut ledger = InventoryManager::new(Decimal::from(100_000_000)).expect("ledger");
    ledger
        .on_order_submitted_buy("big", "mkt-0", "tok-0-yes", Outcome::Yes, ORDER, 60)
        .expect("submit");
    let price = Decimal::new(595, 3);
    median_ns(2_000, |_| {
        ledger
            .on_fill_buy("big", "tok-0-yes", "mkt-0", Outcome::Yes, 1, price, ORDER)
            .expect("fill");
    }) / 1000.0
}

fn main() {
    let venv = std::env::var_os(shim::VENV_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv")));
    if let Err(err) = shim::start(Some(&venv)) {
        eprintln!("weatherman-bench: {err}");
        std::process::exit(2);
    }
    let mut rows = Vec::new();
    for (changed_all, case) in [(true, "all changed"), (false, "two changed")] {
        for count in [5, 50, 200] {
            rows.push(measure(count, if changed_all { count } else { 2 }, case));
        }
    }
    println!("time per tick in the inventory: update_prices + snapshot (JSON text and struct)");
    println!("median of {BATCHES} batches, microseconds; native = the seed's snapshot in Rust\n");
    println!("| tokens | prices      | shim (µs) | native (µs) | shim / native |");
    println!("|-------:|-------------|----------:|------------:|--------------:|");
    for r in &rows {
        println!(
            "| {:>6} | {:<11} | {:>9.1} | {:>11.1} | {:>13.2} |",
            r.tokens,
            r.case,
            r.shim_us,
            r.native_us,
            r.shim_us / r.native_us
        );
    }
    let fill = fill_us();
    println!("\none on_fill_buy through the shim (in memory): {fill:.2} µs");

    let at = |tokens, case| {
        rows.iter()
            .find(|r| r.tokens == tokens && r.case == case)
            .map(|r| r.shim_us / r.native_us)
            .unwrap_or(f64::NAN)
    };
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let all50 = at(50, "all changed");
    let two50 = at(50, "two changed");
    println!("\naims:");
    println!(
        "  50 tokens, all changed: within 2x of native   {all50:.2}x  {}",
        verdict(all50 <= 2.0)
    );
    println!(
        "  50 tokens, two changed: no slower than native {two50:.2}x  {}",
        verdict(two50 <= 1.0)
    );
    println!(
        "  on_fill_buy <= 5 µs                           {fill:.2} µs  {}",
        verdict(fill <= 5.0)
    );
}
