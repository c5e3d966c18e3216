//! What the host shows at the end: the inventory table, the counters, and `verify`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde::Serialize;
use weatherman_inventory::shim::{Anomaly, Snapshot, StoreTarget};

use super::plan_store::HostSession;
use super::reconcile::Reconciliation;
use super::session::{Stats, VenueCounts};
use super::strategies::SeenKeys;

/// The result of `python -m weatherman_inventory verify`.
#[derive(Debug, Clone, Serialize)]
pub struct Verify {
    pub ok: bool,
    pub output: String,
}

/// Runs the package's verify command on the session, as an operator would. A PostgreSQL URL is
/// passed as given: the host refuses one holding a password, which libpq reads from
/// `PGPASSWORD` or a password file, inherited by the command.
pub fn verify(venv: &Path, db: &StoreTarget, session_id: &str) -> Verify {
    let python = venv.join("bin").join("python");
    let mut command = Command::new(&python);
    command.args(["-m", "weatherman_inventory", "verify", "--db"]);
    match db {
        StoreTarget::Sqlite(path) => command.arg(path),
        StoreTarget::Postgres(_) => command.arg(db.to_string()),
    };
    match command.args(["--session", session_id]).output() {
        Ok(out) => {
            let ok = out.status.success();
            let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
            // The report is on stdout; stderr carries the replay's log, shown only on failure.
            if !ok {
                output.push_str(&String::from_utf8_lossy(&out.stderr));
            }
            Verify {
                ok,
                output: output.trim_end().to_owned(),
            }
        }
        Err(err) => Verify {
            ok: false,
            output: format!("cannot run {}: {err}", python.display()),
        },
    }
}

/// The machine-readable summary `--report` writes (the end-to-end tests read it).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report<'a> {
    pub session_id: &'a str,
    pub db: String,
    pub first_tick: u64,
    pub last_tick: u64,
    pub ticks: u64,
    pub steps_sent: u64,
    pub fills: u64,
    pub fractional_fills: u64,
    pub fills_confirmed: u64,
    pub fills_failed: u64,
    pub fees_micro: u64,
    pub refused: u64,
    pub invalid_intents: u64,
    pub discrepancies: u64,
    /// The paper venue's frames and what the adapter did with them.
    pub venue: &'a VenueCounts,
    /// Markets resolved (of them void), redemptions confirmed and failed, what they paid.
    pub resolved: u64,
    pub resolved_void: u64,
    pub resolution_cancels: u64,
    pub redemptions_confirmed: u64,
    pub redemptions_failed: u64,
    pub redeemed_micro: u64,
    /// Reconciliation with the paper venue's account at `--resume` (null: none was kept).
    pub reconciliation: Option<&'a Reconciliation>,
    pub anomalies: Vec<String>,
    pub seen: &'a SeenKeys,
    pub final_inventory: &'a serde_json::value::RawValue,
    pub verify: &'a Verify,
}

fn money(value: f64) -> String {
    format!("{value:>14.6}")
}

/// The end-of-session table.
pub fn render(
    cfg: &HostSession,
    db: &StoreTarget,
    stats: &Stats,
    snapshot: &Snapshot,
    anomalies: &[Anomaly],
    token_order: &std::collections::BTreeMap<String, usize>,
    verify: &Verify,
) -> String {
    let s = &snapshot.state;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nsession {}  (seed {}, {} markets, strategies {})  db {}",
        cfg.session_id, cfg.seed, cfg.markets, cfg.strategies, db
    );
    let _ = writeln!(
        out,
        "ticks {}..{} this run of {}; {} ledger calls, {} fills, {} intents refused by risk \
         checks, {} malformed",
        stats.first_tick.min(stats.last_tick.max(1)),
        stats.last_tick,
        cfg.ticks,
        stats.steps_sent,
        stats.fills,
        stats.refused,
        stats.invalid_intents
    );
    let _ = writeln!(
        out,
        "fills on chain: {} confirmed, {} failed; {} in fractional shares; taker fees ${:.5}",
        stats.fills_confirmed,
        stats.fills_failed,
        stats.fractional_fills,
        stats.fees_micro as f64 / 1e6
    );
    let v = &stats.venue;
    let _ = writeln!(
        out,
        "venue frames: {} through the adapter: {} fills, {} status changes, {} cancels, {} \
         skipped, {} orders disagreeing, {} cancels waiting",
        v.frames, v.fills, v.statuses, v.cancels, v.skips, v.checks, v.waits
    );
    let _ = writeln!(
        out,
        "markets resolved: {} ({} void); redemptions: {} confirmed, {} failed, ${:.6} paid",
        stats.resolved,
        stats.resolved_void,
        stats.redemptions_confirmed,
        stats.redemptions_failed,
        stats.redeemed_micro as f64 / 1e6
    );
    if let Some(r) = &stats.reconciliation {
        let _ = writeln!(
            out,
            "reconciled at --resume: {} missed fills booked from the trade history, {} \
             differences, {} adopted; {}",
            r.booked.len(),
            r.differences,
            r.adopted.len(),
            if r.agreed {
                "the ledger agrees with the venue"
            } else {
                "the ledger still DISAGREES with the venue"
            }
        );
    }
    let _ = writeln!(out, "\n  cash (total)  ${}", money(s.total_usd));
    let _ = writeln!(
        out,
        "    settled     ${}",
        money(s.total_usd - s.unsettled_usd)
    );
    let _ = writeln!(out, "    unsettled   ${}", money(s.unsettled_usd));
    let _ = writeln!(out, "  in flight     ${}", money(s.in_flight_usd));
    let _ = writeln!(out, "  accessible    ${}", money(s.accessible_usd));
    let _ = writeln!(out, "  adjustments   ${}", money(s.adjustments_usd));
    let _ = writeln!(
        out,
        "  exit          {}",
        if s.exit_triggered { "triggered" } else { "no" }
    );
    let _ = writeln!(
        out,
        "\n  {:<11} {:>17} {:>17} {:>17} {:>10} {:>8} {:>13} {:>13}",
        "token", "qty", "unsettled", "in fl.", "avg $", "price $", "realised $", "unrealised $"
    );
    let mut tokens: Vec<_> = s.tokens.values().collect();
    tokens.sort_by_key(|t| token_order.get(&t.token_id).copied().unwrap_or(usize::MAX));
    for t in tokens {
        let _ = writeln!(
            out,
            "  {:<11} {:>17} {:>17} {:>17} {:>10.6} {:>8.3} {:>13.6} {:>13.6}",
            t.token_id,
            t.qty,
            t.unsettled_qty,
            t.in_flight_qty,
            t.avg_entry_price,
            t.current_price,
            t.realized_pnl,
            t.unrealized_pnl
        );
    }
    if !s.minted_pairs.is_empty() {
        let _ = writeln!(
            out,
            "\n  {:<11} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "condition", "available", "reserved", "minted", "sold", "merged"
        );
        for p in s.minted_pairs.values() {
            let _ = writeln!(
                out,
                "  {:<11} {:>9} {:>9} {:>9} {:>9} {:>9}",
                p.condition_id,
                p.available,
                p.reserved,
                p.total_minted,
                p.total_sold,
                p.total_merged
            );
        }
    }
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for a in anomalies {
        *kinds.entry(a.kind.as_str()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} x{n}")).collect();
    let _ = writeln!(
        out,
        "\n  anomalies      {}{}",
        anomalies.len(),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        }
    );
    let _ = writeln!(
        out,
        "  discrepancies  {} between the legacy position map and the inventory",
        stats.discrepancies
    );
    for line in &stats.discrepancy_examples {
        let _ = writeln!(out, "                 {line}");
    }
    let _ = writeln!(
        out,
        "\nverify: {}\n{}",
        if verify.ok { "OK" } else { "FAILED" },
        verify
            .output
            .lines()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    out
}
