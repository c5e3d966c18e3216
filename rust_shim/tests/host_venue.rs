//! The host plays the venue: fills reported MATCHED settle CONFIRMED or FAILED a few ticks
//! later, dollar-sized takers fill resting orders in fractional shares, takers pay the fee. The
//! ledger it leaves equals an independent fold of its journal.

mod host_support;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use host_support::{run, scratch};

/// What the journal says, folded with this file's own arithmetic (integer micro-units).
#[derive(Debug, Default)]
struct Fold {
    cash: i64,
    unsettled_usd: i64,
    qty: BTreeMap<String, i64>,
    unsettled_qty: BTreeMap<String, i64>,
    failed: usize,
    /// Tokens of conditions a confirmed redemption paid for: their shares left at the payout.
    redeemed: std::collections::BTreeSet<String>,
}

struct FillRow {
    buy: bool,
    token: String,
    qty: i64,
    leg: i64,
    fee: i64,
    provisional: bool,
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("an integer: {v}"))
}

/// The ledger recomputed from the session's journal rows (duplicates skipped): cash is the
/// capital less every buy's cash leg and fee plus every sale's leg less its fee, for fills not
/// FAILED, less confirmed mints plus confirmed merges, plus what confirmed redemptions paid;
/// positions by token likewise.
fn fold_journal(db: &std::path::Path, session: &str) -> Fold {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut stmt = conn
        .prepare(
            "SELECT kind, payload FROM journal WHERE session_id = ?1 AND duplicate = 0 \
             ORDER BY seq",
        )
        .expect("prepare");
    let rows: Vec<(String, Value)> = stmt
        .query_map([session], |row| {
            let payload: Vec<u8> = row.get(1)?;
            Ok((
                row.get(0)?,
                serde_json::from_slice(&payload).expect("payload json"),
            ))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    // The last status of each fill.
    let mut status: HashMap<String, String> = HashMap::new();
    for (kind, p) in &rows {
        if kind == "fill_status" {
            status.insert(
                p[0].as_str().expect("id").into(),
                p[1].as_str().expect("status").into(),
            );
        }
    }
    let mut fold = Fold::default();
    let mut facts: Vec<(String, i64)> = Vec::new();
    for (kind, p) in &rows {
        let fill = match kind.as_str() {
            "session_opened" => {
                fold.cash = int(&p[0]);
                None
            }
            "buy_filled" => Some((
                p[1].as_str(),
                int(&p[4]),
                int(&p[5]),
                &p[7],
                int(&p[8]),
                &p[9],
                true,
            )),
            "sell_filled" => Some((
                p[1].as_str(),
                int(&p[2]),
                int(&p[3]),
                &p[5],
                int(&p[6]),
                &p[7],
                false,
            )),
            "redemption_confirmed" => {
                // The chain paid for the condition's shares: cond-<i> holds tok-<i>-yes/no.
                fold.cash += int(&p[1]);
                let cond = p[0].as_str().expect("condition");
                let i = cond.trim_start_matches("cond-");
                fold.redeemed.insert(format!("tok-{i}-yes"));
                fold.redeemed.insert(format!("tok-{i}-no"));
                None
            }
            "mint_confirmed" | "merge_confirmed" => {
                let pairs = int(&p[1]);
                let sign = if kind == "mint_confirmed" { 1 } else { -1 };
                fold.cash -= sign * pairs;
                for token in [&p[2], &p[3]] {
                    facts.push((token.as_str().expect("token").into(), sign * pairs));
                }
                None
            }
            _ => None,
        };
        let Some((token, qty, price, id, fee, booked, buy)) = fill else {
            continue;
        };
        let id = id.as_str().expect("fill id");
        let last = status.get(id).map(String::as_str).or(booked.as_str());
        if last == Some("FAILED") {
            fold.failed += 1;
            continue;
        }
        let row = FillRow {
            buy,
            token: token.expect("token").into(),
            qty,
            // The chain moves price * shares truncated to the micro-dollar.
            leg: qty * price / 1_000_000,
            fee,
            provisional: last != Some("CONFIRMED") && last.is_some(),
        };
        if row.buy {
            fold.cash -= row.leg + row.fee;
            if row.provisional {
                *fold.unsettled_qty.entry(row.token.clone()).or_default() += row.qty;
            }
            facts.push((row.token, row.qty));
        } else {
            fold.cash += row.leg - row.fee;
            if row.provisional {
                fold.unsettled_usd += row.leg - row.fee;
            }
            facts.push((row.token, -row.qty));
        }
    }
    for (token, delta) in facts {
        let held = fold.qty.entry(token).or_default();
        // A sale of more than is held takes what there is.
        *held = (*held + delta).max(0);
    }
    fold
}

fn micro(v: &Value) -> i64 {
    (v.as_f64().unwrap_or_else(|| panic!("a number: {v}")) * 1e6).round() as i64
}

#[test]
fn three_hundred_ticks_with_failed_and_fractional_fills_end_verified_and_equal_to_the_journal() {
    let dir = scratch("venue");
    let db = dir.join("venue.sqlite");
    let (report, out) = run(
        &db,
        &dir.join("report.json"),
        &["--ticks", "300", "--seed", "11", "--capital", "1000"],
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(report["lastTick"], 300);
    assert_eq!(
        report["verify"]["ok"], true,
        "{}",
        report["verify"]["output"]
    );
    assert_eq!(report["discrepancies"], 0, "{table}");
    let failed = report["fillsFailed"].as_u64().expect("failed");
    let confirmed = report["fillsConfirmed"].as_u64().expect("confirmed");
    assert!(failed >= 10 && confirmed > 5 * failed, "{table}");
    assert!(
        report["fractionalFills"].as_u64().expect("fractional") >= 10,
        "{table}"
    );
    assert!(
        report["feesMicro"].as_u64().expect("fees") > 1_000_000,
        "{table}"
    );
    assert!(table.contains("unsettled"), "{table}");
    assert!(
        table.contains("confirmed") && table.contains("failed"),
        "{table}"
    );

    let session = report["sessionId"].as_str().expect("session");
    let fold = fold_journal(&db, session);
    assert_eq!(fold.failed as u64, failed);
    let inventory = &report["finalInventory"];
    assert_eq!(micro(&inventory["totalUsd"]), fold.cash, "cash");
    assert_eq!(
        micro(&inventory["unsettledUsd"]),
        fold.unsettled_usd,
        "unsettled proceeds"
    );
    let tokens = inventory["tokens"].as_object().expect("tokens");
    for (token, qty) in &fold.qty {
        let held = tokens.get(token).map_or(0, |t| micro(&t["qty"]));
        if fold.redeemed.contains(token) {
            // Redeemed: what is left is at most what the facts hold (the journal's redemption
            // names the amount paid, not the shares; host_resolution.rs checks those).
            assert!(held <= *qty, "{token}: qty {held} > {qty}");
            continue;
        }
        assert_eq!(held, *qty, "{token}: qty");
        let unsettled = tokens.get(token).map_or(0, |t| micro(&t["unsettledQty"]));
        assert_eq!(
            unsettled,
            fold.unsettled_qty.get(token).copied().unwrap_or(0),
            "{token}"
        );
    }
    for (token, t) in tokens {
        assert!(
            fold.qty.contains_key(token) || micro(&t["qty"]) == 0,
            "{token}"
        );
    }
}
