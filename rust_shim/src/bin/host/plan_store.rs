//! The host's own tables, in the session's database: what the host needs to resume exactly.
//!
//! Each tick runs in two phases (the market's facts, then the strategies' orders), and each
//! phase reaches the ledger as one batch: its events are all in the journal or none are.
//! Before a phase applies anything its plan, the list of steps, is committed; before the
//! phase's batch commits, the steps that passed their risk checks are committed beside the
//! ledger's journal position at the phase's start (`seq_before`). After a crash the ledger
//! recovers itself from its journal; the host replays its plans into the paper engine and the
//! legacy tracker, and applies an interrupted phase (the journal not past its `seq_before`)
//! again from its start, against the same ledger state, so it takes the same steps. Steps
//! whose risk check refused them leave no row.
//!
//! A database written when each step was its own transaction holds each step's own position;
//! the same rule (a step of the last phase reached the ledger iff the journal moved past its
//! position) resumes it from the first step that did not.

use std::path::Path;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};
use weatherman_inventory::shim::{InventoryManager, ShimError};

use super::events::{shares_from_micro, LedgerEvent};

/// What reconciliation at `--resume` after `after_tick` changed in the venue's books.
#[derive(Debug, Clone)]
pub struct Reconciled {
    pub after_tick: u64,
    pub events: Vec<LedgerEvent>,
    pub cash_delta_micro: i64,
}

const DDL: &str = "
CREATE TABLE IF NOT EXISTS host_sessions (
    session_id   TEXT PRIMARY KEY,
    seed         INTEGER NOT NULL,
    markets      INTEGER NOT NULL CHECK(markets > 0),
    ticks        INTEGER NOT NULL CHECK(ticks >= 0),
    exit_tick    INTEGER NOT NULL,
    strategies   TEXT NOT NULL,
    capital_usd  INTEGER NOT NULL CHECK(capital_usd >= 0)
);
CREATE TABLE IF NOT EXISTS host_plans (
    session_id  TEXT NOT NULL REFERENCES host_sessions(session_id),
    tick        INTEGER NOT NULL,
    phase       INTEGER NOT NULL CHECK(phase IN (0, 1)),
    steps       TEXT NOT NULL,
    PRIMARY KEY (session_id, tick, phase)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS host_steps (
    session_id  TEXT NOT NULL,
    tick        INTEGER NOT NULL,
    phase       INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    seq_before  INTEGER NOT NULL,
    PRIMARY KEY (session_id, tick, phase, idx)
) WITHOUT ROWID;
";

/// The two phases of a tick, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Fills, cancels, settlements, marks.
    Market = 0,
    /// The strategies' submissions.
    Decide = 1,
}

impl Phase {
    fn from_i64(value: i64) -> Self {
        if value == 0 {
            Phase::Market
        } else {
            Phase::Decide
        }
    }
}

/// The risk check a strategy's step passes before it is sent: `can_buy`, `can_sell`, `can_mint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Check {
    /// `qty_micro` in micro-shares.
    Buy {
        qty_micro: u64,
        limit_px: u64,
    },
    Sell {
        token_id: String,
        qty_micro: u64,
    },
    Mint {
        amount_usd: u64,
    },
}

impl Check {
    /// Asks the ledger.
    pub fn passes(&self, ledger: &InventoryManager) -> Result<bool, ShimError> {
        match self {
            Check::Buy {
                qty_micro,
                limit_px,
            } => ledger.can_buy(shares_from_micro(*qty_micro), *limit_px),
            Check::Sell {
                token_id,
                qty_micro,
            } => ledger.can_sell(token_id, shares_from_micro(*qty_micro)),
            Check::Mint { amount_usd } => ledger.can_mint(rust_decimal::Decimal::from(*amount_usd)),
        }
    }
}

/// One step of a plan: an optional risk check, then one ledger call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Which strategy asked for it (`market` for the exchange's and chain's facts).
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    pub event: LedgerEvent,
}

/// What a session was started with; resume uses it rather than the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSession {
    pub session_id: String,
    pub seed: u64,
    pub markets: usize,
    pub ticks: u64,
    pub exit_tick: u64,
    pub strategies: String,
    pub capital_usd: u64,
}

/// The ledger's own record of a session: who started it, in which mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerSession {
    pub mode: String,
    pub strategy_id: String,
}

/// A committed plan and the steps that reached the ledger (index, journal position before).
#[derive(Debug, Clone)]
pub struct PlanRecord {
    pub tick: u64,
    pub phase: Phase,
    pub steps: Vec<Step>,
    pub sent: Vec<(usize, u64)>,
}

/// The host tables of one database.
pub struct PlanStore {
    conn: Connection,
}

fn json_err(err: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(err))
}

impl PlanStore {
    /// Connects to the database at `path`, which must exist; writes nothing (see
    /// `create_tables`), so a run refused after this leaves the file as it was.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(PlanStore { conn })
    }

    /// Creates the host tables if missing; idempotent. Called only once the ledger's session
    /// exists, so the host writes nothing into a database the ledger refused.
    pub fn create_tables(&self) -> rusqlite::Result<()> {
        // WAL like the ledger's store (the setting is the database's); NORMAL: a process crash
        // loses no commit, and the plan rows are re-derivable from the seed anyway.
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.execute_batch(DDL)
    }

    /// Whether the database has table `name`.
    fn has_table(&self, name: &str) -> rusqlite::Result<bool> {
        self.conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                params![name],
                |_| Ok(()),
            )
            .optional()
            .map(|row| row.is_some())
    }

    /// The ledger's row of a session (`sessions` is the ledger's table), if it has one.
    pub fn ledger_session(&self, session_id: &str) -> rusqlite::Result<Option<LedgerSession>> {
        if !self.has_table("sessions")? {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT mode, strategy_id FROM sessions WHERE id = ?1",
                params![session_id],
                |row| {
                    Ok(LedgerSession {
                        mode: row.get(0)?,
                        strategy_id: row.get(1)?,
                    })
                },
            )
            .optional()
    }

    /// Records a new session.
    pub fn insert_session(&self, s: &HostSession) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO host_sessions (session_id, seed, markets, ticks, exit_tick, strategies, \
             capital_usd) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                s.session_id,
                s.seed as i64,
                s.markets as i64,
                s.ticks as i64,
                s.exit_tick as i64,
                s.strategies,
                s.capital_usd as i64
            ],
        )?;
        Ok(())
    }

    /// Changes the last tick of a resumed session.
    pub fn set_ticks(&self, session_id: &str, ticks: u64) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE host_sessions SET ticks = ?2 WHERE session_id = ?1",
            params![session_id, ticks as i64],
        )?;
        Ok(())
    }

    /// How many journal events the ledger writes when it opens a session: 1 (its
    /// `session_opened` row) for a journal that starts with one, 0 for an older journal.
    pub fn journal_opening_events(&self, session_id: &str) -> rusqlite::Result<u64> {
        let first: Option<String> = self
            .conn
            .query_row(
                "SELECT kind FROM journal WHERE session_id = ?1 AND seq = 1",
                params![session_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(u64::from(first.as_deref() == Some("session_opened")))
    }

    /// A session, if the host started it.
    pub fn load_session(&self, session_id: &str) -> rusqlite::Result<Option<HostSession>> {
        if !self.has_table("host_sessions")? {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT session_id, seed, markets, ticks, exit_tick, strategies, capital_usd \
                 FROM host_sessions WHERE session_id = ?1",
                params![session_id],
                |row| {
                    Ok(HostSession {
                        session_id: row.get(0)?,
                        seed: row.get::<_, i64>(1)? as u64,
                        markets: row.get::<_, i64>(2)? as usize,
                        ticks: row.get::<_, i64>(3)? as u64,
                        exit_tick: row.get::<_, i64>(4)? as u64,
                        strategies: row.get(5)?,
                        capital_usd: row.get::<_, i64>(6)? as u64,
                    })
                },
            )
            .optional()
    }

    /// The session the host started last.
    pub fn latest_session(&self) -> rusqlite::Result<Option<String>> {
        if !self.has_table("host_sessions")? {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT session_id FROM host_sessions ORDER BY rowid DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
    }

    /// Commits a phase's plan before any of it is applied.
    pub fn save_plan(
        &self,
        session_id: &str,
        tick: u64,
        phase: Phase,
        steps: &[Step],
    ) -> rusqlite::Result<()> {
        let text = serde_json::to_string(steps).map_err(json_err)?;
        self.conn.execute(
            "INSERT INTO host_plans (session_id, tick, phase, steps) VALUES (?1, ?2, ?3, ?4)",
            params![session_id, tick as i64, phase as i64, text],
        )?;
        Ok(())
    }

    /// Commits, in one transaction, that the steps `sent` of a phase (by index, each at or
    /// after `from`) reach the ledger in a batch that starts with its journal holding
    /// `seq_before` events, replacing what an interrupted run recorded from `from` on.
    #[allow(clippy::too_many_arguments)]
    pub fn log_steps(
        &mut self,
        session_id: &str,
        tick: u64,
        phase: Phase,
        from: usize,
        sent: &[usize],
        seq_before: u64,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM host_steps WHERE session_id = ?1 AND tick = ?2 AND phase = ?3 \
             AND idx >= ?4",
            params![session_id, tick as i64, phase as i64, from as i64],
        )?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO host_steps (session_id, tick, phase, idx, seq_before) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for &idx in sent {
                insert.execute(params![
                    session_id,
                    tick as i64,
                    phase as i64,
                    idx as i64,
                    seq_before as i64
                ])?;
            }
        }
        tx.commit()
    }

    /// Records what reconciliation at `--resume` after `after_tick` changed: the venue's facts
    /// (missed fills, dropped orders) and the cash adopted, for the engine and the legacy
    /// tracker to replay on a later resume. The table is made on first use.
    pub fn save_reconciled(
        &self,
        session_id: &str,
        after_tick: u64,
        events: &[LedgerEvent],
        cash_delta_micro: i64,
    ) -> rusqlite::Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS host_reconciled (
                session_id  TEXT NOT NULL,
                after_tick  INTEGER NOT NULL,
                events      TEXT NOT NULL,
                cash_delta  INTEGER NOT NULL,
                PRIMARY KEY (session_id, after_tick)
            ) WITHOUT ROWID;",
        )?;
        let text = serde_json::to_string(events).map_err(json_err)?;
        self.conn.execute(
            "INSERT OR REPLACE INTO host_reconciled (session_id, after_tick, events, cash_delta) \
             VALUES (?1, ?2, ?3, ?4)",
            params![session_id, after_tick as i64, text, cash_delta_micro],
        )?;
        Ok(())
    }

    /// What reconciliation changed, by the tick it followed, in order (none without the table).
    pub fn reconciled(&self, session_id: &str) -> rusqlite::Result<Vec<Reconciled>> {
        if !self.has_table("host_reconciled")? {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare(
            "SELECT after_tick, events, cash_delta FROM host_reconciled WHERE session_id = ?1 \
             ORDER BY after_tick",
        )?;
        let rows = stmt.query_map(params![session_id], |row| {
            let text: String = row.get(1)?;
            Ok(Reconciled {
                after_tick: row.get::<_, i64>(0)? as u64,
                events: serde_json::from_str(&text).map_err(|err| {
                    rusqlite::Error::FromSqlConversionFailure(
                        1,
                        rusqlite::types::Type::Text,
                        Box::new(err),
                    )
                })?,
                cash_delta_micro: row.get(2)?,
            })
        })?;
        rows.collect()
    }

    /// Every plan of the session in order, with the steps that were sent.
    /// Empty when the host tables are missing.
    pub fn history(&self, session_id: &str) -> rusqlite::Result<Vec<PlanRecord>> {
        let mut plans = Vec::new();
        if !self.has_table("host_plans")? || !self.has_table("host_steps")? {
            return Ok(plans);
        }
        let mut stmt = self.conn.prepare(
            "SELECT tick, phase, steps FROM host_plans WHERE session_id = ?1 ORDER BY tick, phase",
        )?;
        let rows = stmt.query_map(params![session_id], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (tick, phase, text) = row?;
            let steps: Vec<Step> = serde_json::from_str(&text).map_err(|err| {
                rusqlite::Error::FromSqlConversionFailure(
                    2,
                    rusqlite::types::Type::Text,
                    Box::new(err),
                )
            })?;
            plans.push(PlanRecord {
                tick: tick as u64,
                phase: Phase::from_i64(phase),
                steps,
                sent: Vec::new(),
            });
        }
        let mut stmt = self.conn.prepare(
            "SELECT tick, phase, idx, seq_before FROM host_steps WHERE session_id = ?1 \
             ORDER BY tick, phase, idx",
        )?;
        let rows = stmt.query_map(params![session_id], |row| {
            Ok((
                row.get::<_, i64>(0)? as u64,
                Phase::from_i64(row.get(1)?),
                row.get::<_, i64>(2)? as usize,
                row.get::<_, i64>(3)? as u64,
            ))
        })?;
        let mut index = 0;
        for row in rows {
            let (tick, phase, idx, seq) = row?;
            while index < plans.len() && (plans[index].tick, plans[index].phase) < (tick, phase) {
                index += 1;
            }
            if let Some(plan) = plans.get_mut(index) {
                if (plan.tick, plan.phase) == (tick, phase) {
                    plan.sent.push((idx, seq));
                }
            }
        }
        Ok(plans)
    }
}
