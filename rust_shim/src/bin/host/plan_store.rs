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
//!
//! The tables and their statements are `weatherman_inventory.host_tables`, run through the
//! store's `PersistenceLayer`: the same on a SQLite file and on a PostgreSQL database. This
//! module converts between its rows and the host's types.

use pyo3::prelude::*;
use pyo3::{intern, Py};
use serde::{Deserialize, Serialize};
use weatherman_inventory::shim::{InventoryManager, ShimError, StoreTarget};

use super::events::{shares_from_micro, LedgerEvent};

/// What reconciliation at `--resume` after `after_tick` changed in the venue's books.
#[derive(Debug, Clone)]
pub struct Reconciled {
    pub after_tick: u64,
    pub events: Vec<LedgerEvent>,
    pub cash_delta_micro: i64,
}

/// A failure of the host tables: the store's (as Python raised it) or a stored plan that is
/// not the JSON of steps.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TablesError(pub ShimError);

impl From<PyErr> for TablesError {
    fn from(err: PyErr) -> Self {
        TablesError(ShimError::from(err))
    }
}

impl From<serde_json::Error> for TablesError {
    fn from(err: serde_json::Error) -> Self {
        TablesError(ShimError::Contract(format!(
            "a plan in the host tables: {err}"
        )))
    }
}

/// The host tables' results.
pub type TablesResult<T> = Result<T, TablesError>;

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

/// The host tables of one database, through `weatherman_inventory.host_tables` (the store's
/// `PersistenceLayer`, so a SQLite file and a PostgreSQL database alike).
pub struct PlanStore {
    tables: Py<PyAny>,
}

impl Drop for PlanStore {
    /// Closes the connection now, as the ledger's store is closed, rather than whenever Python
    /// collects it.
    fn drop(&mut self) {
        Python::attach(|py| {
            let _ = self.tables.bind(py).call_method0(intern!(py, "close"));
        });
    }
}

impl PlanStore {
    /// Connects to the database `db` (a path or a `StoreTarget`). Creates no host table (see
    /// `create_tables`), so a run refused after this leaves none behind; opening the store
    /// creates or upgrades the ledger's schema, which the host's session needs anyway.
    pub fn open(db: impl Into<StoreTarget>) -> TablesResult<Self> {
        let db = db.into();
        Python::attach(|py| {
            let tables = py
                .import(intern!(py, "weatherman_inventory.host_tables"))?
                .getattr(intern!(py, "HostTables"))?
                .call1((db.connect_text().as_ref(),))?;
            Ok(PlanStore {
                tables: tables.unbind(),
            })
        })
    }

    /// Calls `HostTables.<name>(*args)` and extracts its answer.
    fn call<A, T>(&self, name: &str, args: A) -> TablesResult<T>
    where
        A: for<'py> pyo3::call::PyCallArgs<'py>,
        T: for<'py> pyo3::conversion::FromPyObjectOwned<'py>,
    {
        Python::attach(|py| {
            let answer = self.tables.bind(py).call_method1(name, args)?;
            answer
                .extract::<T>()
                .map_err(|err| TablesError::from(err.into()))
        })
    }

    /// Calls `HostTables.<name>(*args)`, which answers nothing.
    fn run<A>(&self, name: &str, args: A) -> TablesResult<()>
    where
        A: for<'py> pyo3::call::PyCallArgs<'py>,
    {
        Python::attach(|py| {
            self.tables.bind(py).call_method1(name, args)?;
            Ok(())
        })
    }

    /// Creates the host tables if missing; idempotent. Called only once the ledger's session
    /// exists, so the host writes nothing into a database the ledger refused.
    pub fn create_tables(&self) -> TablesResult<()> {
        self.run("create_tables", ())
    }

    /// The ledger's row of a session (`sessions` is the ledger's table), if it has one.
    pub fn ledger_session(&self, session_id: &str) -> TablesResult<Option<LedgerSession>> {
        let row: Option<(String, String)> = self.call("ledger_session", (session_id,))?;
        Ok(row.map(|(mode, strategy_id)| LedgerSession { mode, strategy_id }))
    }

    /// Records a new session.
    pub fn insert_session(&self, s: &HostSession) -> TablesResult<()> {
        // Integers as the signed 64-bit values the tables have always held (a seed above
        // i64::MAX keeps its bits).
        self.run(
            "insert_session",
            (
                s.session_id.as_str(),
                s.seed as i64,
                s.markets as i64,
                s.ticks as i64,
                s.exit_tick as i64,
                s.strategies.as_str(),
                s.capital_usd as i64,
            ),
        )
    }

    /// Changes the last tick of a resumed session.
    pub fn set_ticks(&self, session_id: &str, ticks: u64) -> TablesResult<()> {
        self.run("set_ticks", (session_id, ticks as i64))
    }

    /// How many journal events the ledger writes when it opens a session: 1 (its
    /// `session_opened` row) for a journal that starts with one, 0 for an older journal.
    pub fn journal_opening_events(&self, session_id: &str) -> TablesResult<u64> {
        self.call("journal_opening_events", (session_id,))
    }

    /// A session, if the host started it.
    pub fn load_session(&self, session_id: &str) -> TablesResult<Option<HostSession>> {
        type Row = (String, i64, i64, i64, i64, String, i64);
        let row: Option<Row> = self.call("load_session", (session_id,))?;
        Ok(row.map(
            |(session_id, seed, markets, ticks, exit_tick, strategies, capital_usd)| HostSession {
                session_id,
                seed: seed as u64,
                markets: markets as usize,
                ticks: ticks as u64,
                exit_tick: exit_tick as u64,
                strategies,
                capital_usd: capital_usd as u64,
            },
        ))
    }

    /// The session the host started last.
    pub fn latest_session(&self) -> TablesResult<Option<String>> {
        self.call("latest_session", ())
    }

    /// Commits a phase's plan before any of it is applied.
    pub fn save_plan(
        &self,
        session_id: &str,
        tick: u64,
        phase: Phase,
        steps: &[Step],
    ) -> TablesResult<()> {
        let text = serde_json::to_string(steps)?;
        self.run(
            "save_plan",
            (session_id, tick as i64, phase as i64, text.as_str()),
        )
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
    ) -> TablesResult<()> {
        let sent: Vec<i64> = sent.iter().map(|&idx| idx as i64).collect();
        self.run(
            "log_steps",
            (
                session_id,
                tick as i64,
                phase as i64,
                from as i64,
                sent,
                seq_before as i64,
            ),
        )
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
    ) -> TablesResult<()> {
        let text = serde_json::to_string(events)?;
        self.run(
            "save_reconciled",
            (
                session_id,
                after_tick as i64,
                text.as_str(),
                cash_delta_micro,
            ),
        )
    }

    /// What reconciliation changed, by the tick it followed, in order (none without the table).
    pub fn reconciled(&self, session_id: &str) -> TablesResult<Vec<Reconciled>> {
        let rows: Vec<(i64, String, i64)> = self.call("reconciled", (session_id,))?;
        rows.into_iter()
            .map(|(after_tick, text, cash_delta_micro)| {
                Ok(Reconciled {
                    after_tick: after_tick as u64,
                    events: serde_json::from_str(&text)?,
                    cash_delta_micro,
                })
            })
            .collect()
    }

    /// Every plan of the session in order, with the steps that were sent.
    /// Empty when the host tables are missing.
    pub fn history(&self, session_id: &str) -> TablesResult<Vec<PlanRecord>> {
        let rows: Vec<(i64, i64, String)> = self.call("plans", (session_id,))?;
        let mut plans = Vec::with_capacity(rows.len());
        for (tick, phase, text) in rows {
            let steps: Vec<Step> = serde_json::from_str(&text)?;
            plans.push(PlanRecord {
                tick: tick as u64,
                phase: Phase::from_i64(phase),
                steps,
                sent: Vec::new(),
            });
        }
        let rows: Vec<(i64, i64, i64, i64)> = self.call("steps_sent", (session_id,))?;
        let mut index = 0;
        for (tick, phase, idx, seq) in rows {
            let (tick, phase, idx, seq) = (
                tick as u64,
                Phase::from_i64(phase),
                idx as usize,
                seq as u64,
            );
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
