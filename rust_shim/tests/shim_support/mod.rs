//! What the shim's tests share: the interpreter, a fresh database file, a one-market session.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use weatherman_inventory::shim::{self, MarketIds, SessionSpec};

/// Starts the embedded interpreter on the project's virtualenv.
pub fn start() {
    let venv = shim::resolve_venv(None)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv")));
    shim::start(Some(&venv)).expect("interpreter start");
}

pub fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

/// A fresh database file for the test `name` of the test file `suite`.
pub fn db(suite: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(suite);
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join(format!("{name}-{}.sqlite", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

/// A session of the strategy `strategy_id` on one market and its two tokens.
pub fn spec(strategy_id: &str, market: [&str; 4]) -> SessionSpec {
    let [market_id, condition_id, yes_token_id, no_token_id] = market;
    SessionSpec {
        strategy_id: strategy_id.into(),
        config_json: "{}".into(),
        markets: vec![MarketIds {
            market_id: market_id.into(),
            condition_id: condition_id.into(),
            yes_token_id: yes_token_id.into(),
            no_token_id: no_token_id.into(),
        }],
    }
}
