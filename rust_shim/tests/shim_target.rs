//! `StoreTarget`: the shim opens a session by path or by PostgreSQL URL, and a URL's password
//! appears in no error.

use std::path::PathBuf;

use rust_decimal::Decimal;
use weatherman_inventory::shim::{
    InventoryManager, SessionSpec, ShimError, StoreMode, StoreTarget,
};

mod shim_support;
use shim_support::start;

fn spec() -> SessionSpec {
    SessionSpec {
        strategy_id: "shim-test".into(),
        config_json: "{}".into(),
        markets: Vec::new(),
    }
}

#[test]
fn a_path_and_a_target_open_the_same_sqlite_session() {
    start();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("shim_target");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("t-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let target = StoreTarget::parse(&path);
    assert_eq!(target, StoreTarget::Sqlite(path.clone()));
    let ledger = InventoryManager::open(&target, StoreMode::Paper, "s", Decimal::from(12), &spec())
        .expect("open");
    ledger.close().expect("close");
    let mut again = InventoryManager::recover(&path, StoreMode::Paper, "s").expect("recover");
    assert_eq!(again.snapshot().expect("snapshot").state.total_usd, 12.0);
    again.close().expect("close");
}

#[test]
fn a_postgresql_url_that_cannot_connect_fails_without_showing_its_password() {
    start();
    for url in [
        "postgresql://ann:hunter2@/weatherman?host=/nonexistent-socket-dir&connect_timeout=2",
        "postgresql://ann@/weatherman?host=/nonexistent-socket-dir&password=hunter2",
    ] {
        let target = StoreTarget::parse(url);
        assert!(target.is_postgres() && target.has_password());
        let err =
            InventoryManager::recover(&target, StoreMode::Paper, "s").expect_err("no server there");
        let ShimError::Store { kind, message } = &err else {
            panic!("not a store error: {err:?}");
        };
        assert_eq!(kind, "StoreError", "{message}");
        assert!(message.contains("nonexistent-socket-dir"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        assert!(!format!("{target} {target:?}").contains("hunter2"));
    }
}
