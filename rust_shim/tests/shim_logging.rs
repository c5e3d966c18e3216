//! Python's `logging` reaches Rust's `log`: an anomaly warning arrives with its fields.

use std::path::PathBuf;
use std::sync::Mutex;

use rust_decimal::Decimal;
use weatherman_inventory::contract::Outcome;
use weatherman_inventory::shim::{self, InventoryManager};

struct Capture(Mutex<Vec<(log::Level, String, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().expect("lock").push((
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

#[test]
fn an_anomaly_warning_reaches_the_rust_log_with_its_fields() {
    // The Rust logger comes first: the bridge sets Python's level from `log::max_level()`.
    log::set_logger(&CAPTURE).expect("logger");
    log::set_max_level(log::LevelFilter::Info);
    let venv = shim::resolve_venv(None)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv")));
    shim::start(Some(&venv)).expect("start");

    let mut mgr = InventoryManager::new(Decimal::from(100)).expect("new");
    mgr.on_fill_buy(
        "ghost",
        "tok-1",
        "mkt-1",
        Outcome::Yes,
        5,
        "0.4".parse().expect("dec"),
        5,
    )
    .expect("a fill for an unknown order is a fact");

    let records = CAPTURE.0.lock().expect("lock").clone();
    let warnings: Vec<_> = records
        .iter()
        .filter(|(level, target, _)| {
            *level == log::Level::Warn && target.starts_with("weatherman_inventory")
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{records:?}");
    let message = &warnings[0].2;
    assert!(message.contains("unknown_order"), "{message}");
    for field in [
        "kind='unknown_order'",
        "local_id='ghost'",
        "token_id='tok-1'",
        "fill_qty_micro=5000000",
    ] {
        assert!(message.contains(field), "{field} missing from {message}");
    }
    let anomalies = mgr.anomalies().expect("anomalies");
    assert_eq!(anomalies.len(), 1);
    assert_eq!(anomalies[0].kind, "unknown_order");
}
