//! Reconciliation at `--resume`: the paper venue's account changes while the host is down (a
//! trade the stream missed, an order the venue dropped, cash that arrived), and the resumed
//! host finds each, books the missed fill from the trade history as a fill, adopts the rest,
//! and reconciles again to nothing; `verify` is OK.

mod host_support;

use std::path::Path;

use rust_decimal::Decimal;
use serde_json::{json, Value};

use host_support::{host, journal, outcome, scratch, writer_state};

const SESSION: &str = "rec-1";
/// The paper account's API key and funder (as the host's venue spells them).
const API_KEY: &str = "9b2e7c4a-1f3d-4e6b-8a5c-0d9e8f7a6b5c";
const FUNDER: &str = "0x5aF1c0dE2b3C4d5E6f708192A3b4C5d6E7f80912";
const MISSED_TRADE: &str = "8a1f3c52-6d7e-4b19-9c20-4e5d6f7a8b90";
/// The cash that arrived while the host was down, micro-USDC.
const ARRIVED: i64 = 1_234_567;

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

fn write(path: &Path, value: &Value) {
    std::fs::write(path, value.to_string()).expect("write");
}

fn micro(text: &str) -> i64 {
    let d: Decimal = text.parse().expect("decimal");
    i64::try_from(d * Decimal::from(1_000_000)).expect("micro")
}

fn balance(value: &Value) -> i64 {
    value["balance"]
        .as_str()
        .expect("balance")
        .parse()
        .expect("int")
}

/// What the test did to the venue's books: the order a trade filled (its venue id, the shares,
/// the price) and the order dropped.
struct Changes {
    filled: String,
    shares: i64,
    price: i64,
    dropped: String,
}

/// While the host is down: another account's taker sells into our newest resting buy (3 shares,
/// or what it has left), the venue drops another open order, and `ARRIVED` reaches the cash.
fn change_the_venue(dir: &Path) -> Changes {
    let mut orders = read(&dir.join("orders.json"));
    let data = orders["data"].as_array_mut().expect("orders");
    assert!(data.len() >= 2, "two open orders at the stop: {data:?}");
    let buy = data
        .iter()
        .position(|o| o["side"] == "BUY")
        .expect("a resting buy");
    let dropped = data
        .iter()
        .position(|o| o["side"] == "SELL")
        .unwrap_or(usize::from(buy == 0));
    let left = micro(data[buy]["original_size"].as_str().unwrap())
        - micro(data[buy]["size_matched"].as_str().unwrap());
    let shares = left.min(3_000_000);
    let price = micro(data[buy]["price"].as_str().unwrap());
    let order = data[buy].clone();
    let matched = micro(order["size_matched"].as_str().unwrap()) + shares;
    data[buy]["size_matched"] = json!(Decimal::new(matched, 6).normalize().to_string());
    let dropped_id = data[dropped]["id"].as_str().unwrap().to_owned();
    data.remove(dropped);
    write(&dir.join("orders.json"), &orders);

    let token = order["asset_id"].as_str().unwrap();
    let mut tokens = read(&dir.join("conditional.json"));
    let held = tokens.get(token).map_or(0, balance);
    tokens[token] = json!({"balance": (held + shares).to_string()});
    write(&dir.join("conditional.json"), &tokens);
    let cash = balance(&read(&dir.join("collateral.json")));
    let paid = shares * price / 1_000_000;
    write(
        &dir.join("collateral.json"),
        &json!({"balance": (cash - paid + ARRIVED).to_string()}),
    );
    let shares_text = Decimal::new(shares, 6).normalize().to_string();
    let trade = json!({
        "asset_id": token, "bucket_index": 0, "fee_rate_bps": "0", "id": MISSED_TRADE,
        "last_update": "1780317700", "maker_address": "0x3D4e5F60718293a4B5c6D7e8F90a1B2c3D4e5F60",
        "maker_orders": [{
            "asset_id": token, "fee_rate_bps": "", "maker_address": FUNDER,
            "matched_amount": shares_text, "order_id": order["id"], "outcome": order["outcome"],
            "owner": API_KEY, "price": order["price"],
        }],
        "market": order["market"], "match_time": "1780317690", "outcome": order["outcome"],
        "owner": "0c7d2b1e-33aa-4f5e-8d90-1a2b3c4d5e6f", "price": order["price"],
        "side": "SELL", "size": shares_text, "status": "CONFIRMED",
        "taker_order_id": "0xd00d000000000000000000000000000000000000000000000000000000000009",
        "trader_side": "MAKER",
        "transaction_hash": "0x6c0ffee0000000000000000000000000000000000000000000000000000000cc",
    });
    write(
        &dir.join("trades.json"),
        &json!({"data": [trade], "next_cursor": "LTE="}),
    );
    Changes {
        filled: order["id"].as_str().unwrap().to_owned(),
        shares,
        price,
        dropped: dropped_id,
    }
}

#[test]
fn venue_changed_while_the_host_was_down_is_reconciled_at_resume() {
    let dir = scratch("reconcile");
    let db = dir.join("session.sqlite");
    let args = ["--ticks", "100", "--strategy", "rust", "--session", SESSION];
    let (code, _, stderr) = outcome(host(&db, &args).args(["--stop-after", "30"]));
    assert_eq!(code, Some(130), "{stderr}");
    // Stopped before its last tick: its writer left it stopped, to be resumed.
    assert_eq!(writer_state(&db, SESSION), "stopped");
    let account = dir.join("session.sqlite.venue").join(SESSION);
    assert!(
        stderr.contains(&format!(
            "the paper venue's account is in {}",
            account.display()
        )),
        "{stderr}"
    );
    let changes = change_the_venue(&account);

    let report = dir.join("report.json");
    let (code, stdout, stderr) = outcome(
        host(&db, &["--resume", "--session", SESSION])
            .arg("--report")
            .arg(&report),
    );
    let fill_id = format!("{MISSED_TRADE}/{}", changes.filled);
    assert!(
        stdout.contains(&format!(
            "trade history: 1 missed fills booked\n  {fill_id}\n"
        )),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("order missing"), "{stdout}");
    assert!(stdout.contains("2 differences, 0 pending"), "{stdout}");
    assert!(
        stdout.contains(
            "adopted 2 corrections, each an anomaly: order_dropped, cash_reconciled\nafter \
             adopting: the ledger agrees with the venue"
        ),
        "{stdout}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    let r = &report["reconciliation"];
    assert_eq!(r["booked"], json!([fill_id]));
    assert_eq!(r["differences"], 2);
    assert_eq!(r["adopted"], json!(["order_dropped", "cash_reconciled"]));
    assert_eq!(r["agreed"], true);
    assert_eq!(
        report["verify"]["ok"], true,
        "{}",
        report["verify"]["output"]
    );
    assert_eq!(report["lastTick"], 100);
    assert!(code == Some(0), "exit {code:?}:\n{stdout}\n{stderr}");
    assert_eq!(report["discrepancies"], 0, "{stdout}");

    // In the journal: the missed fill booked as a fill at its price, with no fee (a maker's);
    // the order dropped with the venue's id; the cash that arrived, exactly.
    let rows = journal(&db, SESSION);
    let payload = |kind: &str| -> Vec<Value> {
        rows.iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, p)| serde_json::from_slice(p).expect("payload"))
            .collect()
    };
    let fill = payload("buy_filled")
        .into_iter()
        .find(|p| p.to_string().contains(&fill_id))
        .expect("the missed fill in the journal");
    assert!(
        fill.to_string().contains(&changes.shares.to_string()),
        "{fill}"
    );
    assert!(
        fill.to_string().contains(&changes.price.to_string()),
        "{fill}"
    );
    let dropped = payload("order_dropped");
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0][1], json!(changes.dropped));
    let cash = payload("cash_reconciled");
    assert_eq!(cash.len(), 1);
    assert_eq!(
        cash[0][1].as_i64().unwrap() - cash[0][0].as_i64().unwrap(),
        ARRIVED
    );
    // Consumed: a later resume does not reconcile against the books of that stop.
    assert!(
        account.is_dir(),
        "the finished run wrote the venue's account again"
    );
    // The resumed run reached the last tick: the session is ended.
    assert_eq!(writer_state(&db, SESSION), "ended");
}
