//! The shared contract vectors (`tests/vectors/*.json`) through the generated serde types: every
//! good vector parses and re-emits an equal JSON value, every bad one is refused. The same files
//! drive the pydantic and TypeScript checks, so the three languages agree on each.

use std::fs;
use std::path::PathBuf;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use weatherman_inventory::contract::{DecisionContext, InventoryState, Outcome, MAX_AMOUNT};

/// One vector file: `{good,bad}_{inventory,context}_<what>.json`.
struct Vector {
    name: String,
    good: bool,
    target: Target,
    text: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Inventory,
    Context,
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn vectors() -> Vec<Vector> {
    let mut paths: Vec<PathBuf> = fs::read_dir(vectors_dir())
        .expect("tests/vectors is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let mut parts = name.splitn(3, '_');
            let good = match parts.next() {
                Some("good") => true,
                Some("bad") => false,
                other => panic!("{name}: verdict {other:?} is neither good nor bad"),
            };
            let target = match parts.next() {
                Some("inventory") => Target::Inventory,
                Some("context") => Target::Context,
                other => panic!("{name}: target {other:?} is neither inventory nor context"),
            };
            let text = fs::read_to_string(&path).expect("vector is readable");
            Vector {
                name,
                good,
                target,
                text,
            }
        })
        .collect()
}

fn reemit<T: DeserializeOwned + Serialize>(text: &str) -> Result<Value, serde_json::Error> {
    let parsed: T = serde_json::from_str(text)?;
    serde_json::to_value(&parsed)
}

fn roundtrip(vector: &Vector) -> Result<Value, serde_json::Error> {
    match vector.target {
        Target::Inventory => reemit::<InventoryState>(&vector.text),
        Target::Context => reemit::<DecisionContext>(&vector.text),
    }
}

/// Equality of JSON values, numbers by value: `1000` and `1000.0` are the same JSON number,
/// although `serde_json::Value` keeps them apart.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(key, x)| ys.get(key).is_some_and(|y| json_eq(x, y)))
        }
        _ => a == b,
    }
}

#[test]
fn the_vector_set_has_both_kinds_for_both_targets() {
    let all = vectors();
    for good in [true, false] {
        for target in [Target::Inventory, Target::Context] {
            let count = all
                .iter()
                .filter(|v| v.good == good && v.target == target)
                .count();
            assert!(
                count >= 2,
                "only {count} vectors with good={good} {target:?}"
            );
        }
    }
}

#[test]
fn good_vectors_parse_and_reemit_equal_json() {
    for vector in vectors().iter().filter(|v| v.good) {
        let original: Value = serde_json::from_str(&vector.text).unwrap();
        let emitted = roundtrip(vector).unwrap_or_else(|err| panic!("{}: {err}", vector.name));
        assert!(
            json_eq(&original, &emitted),
            "{} re-emitted differently:\n{original}\n{emitted}",
            vector.name
        );
    }
}

#[test]
fn bad_vectors_are_refused() {
    for vector in vectors().iter().filter(|v| !v.good) {
        if let Ok(emitted) = roundtrip(vector) {
            panic!("{} was accepted and re-emitted as {emitted}", vector.name);
        }
    }
}

#[test]
fn json_eq_compares_numbers_by_value_only() {
    let int: Value = serde_json::from_str("[1000, true]").unwrap();
    let float: Value = serde_json::from_str("[1000.0, true]").unwrap();
    let other: Value = serde_json::from_str("[1000.5, true]").unwrap();
    let boolean: Value = serde_json::from_str("[1000, 1]").unwrap();
    assert!(json_eq(&int, &float));
    assert!(!json_eq(&int, &other));
    assert!(!json_eq(&int, &boolean));
}

#[test]
fn decimals_read_exactly_from_their_shortest_float_text() {
    let text = fs::read_to_string(vectors_dir().join("good_inventory_full.json")).unwrap();
    let state: InventoryState = serde_json::from_str(&text).unwrap();
    let held = &state.tokens["tok-yes-knyc-50"];
    assert_eq!(
        held.avg_entry_price,
        Decimal::from_str("0.6536538443940089").unwrap()
    );
    assert_eq!(held.outcome, Outcome::Yes);
    let flat = &state.tokens["tok-yes-kord-40"];
    assert_eq!(flat.qty, Decimal::ZERO);
    assert_eq!(flat.realized_pnl, Decimal::from_str("12.345678").unwrap());
    assert_eq!(
        state.tokens["tok-no-knyc-55"].realized_pnl,
        Decimal::from_str("-3.5").unwrap()
    );
}

/// Quantities are exact 6-decimal shares: read exactly from the JSON number, whole numbers
/// included, and written back as the same JSON number (never a string).
#[test]
fn share_quantities_read_exactly_and_reemit_as_the_same_numbers() {
    let text = fs::read_to_string(vectors_dir().join("good_inventory_full.json")).unwrap();
    let state: InventoryState = serde_json::from_str(&text).unwrap();
    let dec = |text: &str| Decimal::from_str(text).unwrap();
    let held = &state.tokens["tok-yes-knyc-50"];
    assert_eq!(
        (
            held.qty,
            held.in_flight_qty,
            held.unsettled_qty,
            held.accessible_qty
        ),
        (dec("157.575758"), dec("20"), dec("7.575758"), dec("130"))
    );
    let top = &state.tokens["tok-no-knyc-55"];
    assert_eq!(top.qty, dec("999999999.999999"));
    assert!(top.qty < Decimal::from(MAX_AMOUNT));
    assert_eq!((state.unsettled_usd, state.adjustments_usd), (12.5, -50.25));
    let emitted = serde_json::to_string(&state).unwrap();
    assert!(emitted.contains("\"qty\":157.575758,"), "{emitted}");
    assert!(emitted.contains("\"qty\":999999999.999999,"), "{emitted}");
    assert!(emitted.contains("\"unsettledQty\":7.575758,"), "{emitted}");
}

/// The bounds the contract adds for shares and money, each refused with the rule it breaks.
#[test]
fn share_and_money_bounds_are_refused_naming_the_rule() {
    for (name, fragment) in [
        (
            "bad_inventory_qty_seven_decimals",
            "number 157.5757575 has more than 6 decimal places",
        ),
        (
            "bad_inventory_qty_at_bound",
            "number 1000000000 is out of range, 0 <= x < 1000000000",
        ),
        (
            "bad_inventory_negative_unsettled_usd",
            "number -0.5 is out of range, 0 <= x < 1000000000",
        ),
        (
            "bad_inventory_total_usd_at_bound",
            "number 1000000000 is out of range, -1000000000 < x < 1000000000",
        ),
        ("bad_inventory_qty_as_string", "invalid type: string"),
        (
            "bad_inventory_without_unsettled_fields",
            "missing field `unsettledQty`",
        ),
        (
            "bad_context_position_qty_seven_decimals",
            "number 100.0000001 has more than 6 decimal places",
        ),
    ] {
        let vector = vectors()
            .into_iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("{name} is missing"));
        let err = roundtrip(&vector).expect_err(name).to_string();
        assert!(err.contains(fragment), "{name}: {err}");
    }
}

#[test]
fn absent_inventory_is_omitted_not_null() {
    let text = fs::read_to_string(vectors_dir().join("good_context_with_inventory.json")).unwrap();
    let mut ctx: DecisionContext = serde_json::from_str(&text).unwrap();
    assert!(ctx.inventory.is_some());
    ctx.inventory = None;
    let emitted = serde_json::to_value(&ctx).unwrap();
    let keys: Vec<&str> = emitted
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(!keys.contains(&"inventory"), "{keys:?}");
    assert!(keys.contains(&"portfolio"), "{keys:?}");
}

#[test]
fn timestamps_reemit_in_the_shared_spelling() {
    let text = fs::read_to_string(vectors_dir().join("good_context_with_inventory.json")).unwrap();
    let ctx: DecisionContext = serde_json::from_str(&text).unwrap();
    assert_eq!(ctx.timestamp.timestamp_subsec_millis(), 250);
    let emitted = serde_json::to_value(&ctx).unwrap();
    assert_eq!(emitted["timestamp"], "2026-03-08T14:05:00.250Z");
    assert_eq!(emitted["weather"]["observedAt"], "2026-03-08T14:00:00Z");
}

/// Every float a snapshot carries must read back as the very f64 Python wrote: the default
/// serde_json parser can be one unit in the last place off, `float_roundtrip` is exact.
#[test]
fn floats_read_back_bit_for_bit_from_their_shortest_text() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut mismatches = Vec::new();
    for i in 0..200_000u32 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // Half money-like values (micro-USDC up to $10^7), half arbitrary finite doubles such as
        // an average price or an unrealised PnL can be.
        let value = if i % 2 == 0 {
            ((state >> 11) % 10_000_000_000_000) as f64 / 1_000_000.0
        } else {
            let v = f64::from_bits(state);
            if !v.is_finite() {
                continue;
            }
            v
        };
        let text = serde_json::to_string(&value).unwrap();
        let back: f64 = serde_json::from_str(&text).unwrap();
        if back.to_bits() != value.to_bits() {
            mismatches.push(text);
        }
    }
    assert!(
        mismatches.is_empty(),
        "misread: {:?}",
        &mismatches[..mismatches.len().min(5)]
    );
}
