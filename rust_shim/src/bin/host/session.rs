//! The tick loop: market facts, then marks, then the strategies; with resume.
//!
//! A tick is two phases. The market phase applies what the exchange and the chain report
//! (acknowledgements, fills, their settlements and cancels as the venue's user-channel frames
//! through the adapter; mint and merge settlements), triggers exit when its tick comes, and sends
//! the new marks. The decide phase takes one snapshot, compares it with the legacy tracker, builds the
//! `DecisionContext` and asks each strategy; their intents, after a risk check each, become
//! submissions. Each phase reaches the ledger as one batch (all its events journaled in one
//! transaction, or none); its plan, and the steps it sent with the journal's position before
//! it, are committed to the host tables before that (see `plan_store`), so `--resume` applies
//! an interrupted phase again from its start and ends exactly where an uninterrupted run ends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rust_decimal::Decimal;
use weatherman_inventory::contract::{DecisionContext, Trigger};
use weatherman_inventory::shim::{
    InventoryManager, SessionSpec, ShimError, Snapshot, StoreMode, StoreTarget, VenueActionKind,
    VenueApplied,
};

use super::engine::Engine;
use super::error::HostError;
use super::events::{LedgerEvent, Side};
use super::legacy::LegacyTracker;
use super::market::PaperMarket;
use super::plan_store::{Check, HostSession, Phase, PlanRecord, PlanStore, Step};
use super::reconcile::Reconciliation;
use super::resolution::{self, Scheduled};
use super::stop::Stop;
use super::strategies::{
    self, Intent, NodeStrategy, PythonStrategy, RustStrategy, SeenKeys, Strategy,
};
use super::venue::PaperVenue;

/// Counters of one run of the host (a resumed run counts from its resume).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub first_tick: u64,
    pub last_tick: u64,
    pub steps_sent: u64,
    pub fills: u64,
    /// Fills in fractional shares (hit by takers spending whole dollars).
    pub fractional_fills: u64,
    /// Fills the chain confirmed, and those that failed.
    pub fills_confirmed: u64,
    pub fills_failed: u64,
    /// Taker fees charged on this run's fills, micro-dollars.
    pub fees_micro: u64,
    pub refused: u64,
    pub invalid_intents: u64,
    pub discrepancies: u64,
    pub discrepancy_examples: Vec<String>,
    pub seen: SeenKeys,
    /// What the venue's frames did in the ledger.
    pub venue: VenueCounts,
    /// Reconciliation with the paper venue's account at `--resume`, when it had one.
    pub reconciliation: Option<Reconciliation>,
    /// Markets resolved, of them void; redemptions confirmed and failed, and what they paid.
    pub resolved: u64,
    pub resolved_void: u64,
    /// The venue's cancels of orders resting on a market when it resolved.
    pub resolution_cancels: u64,
    pub redemptions_confirmed: u64,
    pub redemptions_failed: u64,
    pub redeemed_micro: u64,
}

/// The paper venue's frames sent through the adapter, and its actions by kind.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VenueCounts {
    pub frames: u64,
    pub fills: u64,
    pub statuses: u64,
    pub cancels: u64,
    pub skips: u64,
    /// Order messages that disagreed with the ledger's order (0 when the two agree).
    pub checks: u64,
    /// Cancels held for a trade not yet booked.
    pub waits: u64,
}

impl VenueCounts {
    pub(super) fn add(&mut self, applied: &VenueApplied) {
        self.frames += 1;
        for action in &applied.actions {
            let counter = match action.kind {
                VenueActionKind::Fill => &mut self.fills,
                VenueActionKind::Status => &mut self.statuses,
                VenueActionKind::Cancel => &mut self.cancels,
                VenueActionKind::Skip => &mut self.skips,
                VenueActionKind::Check => &mut self.checks,
                VenueActionKind::Wait => &mut self.waits,
            };
            *counter += 1;
            if matches!(action.kind, VenueActionKind::Check | VenueActionKind::Wait) {
                log::warn!(
                    "venue: {} {}: {}",
                    action.kind.as_str(),
                    action.key,
                    action.detail
                );
            }
        }
    }
}

/// Where the host finds things.
pub struct Paths {
    pub project: PathBuf,
    /// The session's database: a SQLite file or a PostgreSQL URL.
    pub db: StoreTarget,
    /// Where the paper venue's account is kept across a stop (`reconcile::account_dir`): the
    /// SQLite file's path, or a path of the same role under the host's state directory.
    pub venue: PathBuf,
}

/// A running paper session.
pub struct Session {
    pub cfg: HostSession,
    pub market: PaperMarket,
    pub(super) engine: Engine,
    pub(super) legacy: LegacyTracker,
    pub ledger: InventoryManager,
    /// The paper venue's user channel into the ledger.
    pub(super) venue: PaperVenue,
    pub(super) plans: PlanStore,
    strategies: Vec<Box<dyn Strategy>>,
    pub stats: Stats,
    stop: Stop,
    /// Stop after this tick as a signal would (`--stop-after`).
    pub stop_after: Option<u64>,
    /// When each market resolves (`resolution`).
    resolutions: Vec<Scheduled>,
}

/// How a session starts.
pub enum Start {
    /// A new session with these settings (its id generated if not given).
    New {
        session_id: Option<String>,
        seed: u64,
        markets: usize,
        ticks: u64,
        strategies: String,
        capital_usd: u64,
    },
    /// An existing session the host started, from its database (the latest one if no id is
    /// given). The settings given on the command line must agree with the stored ones.
    Resume {
        session_id: Option<String>,
        ticks: Option<u64>,
        given: Given,
    },
}

/// The settings given explicitly with `--resume`: each must equal the session's own.
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub seed: Option<u64>,
    pub markets: Option<usize>,
    pub capital_usd: Option<u64>,
    pub strategies: Option<String>,
}

/// How many times a generated session id is tried again when another process took it.
const ID_ATTEMPTS: u32 = 20;

/// `demo-s<seed>-<UTC time>-<pid>`: two hosts starting on one database at the same second
/// are two processes, so their ids differ.
fn generated_id(seed: u64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let stamp = i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(
            || secs.to_string(),
            |t| t.format("%Y%m%dT%H%M%SZ").to_string(),
        );
    format!("demo-s{seed}-{stamp}-{}", std::process::id())
}

/// The ledger's strategy id of a session the host started (`weatherman-host:<strategies>`).
const HOST_STRATEGY_PREFIX: &str = "weatherman-host:";

fn load_strategies(names: &str, project: &Path) -> Result<Vec<Box<dyn Strategy>>, HostError> {
    let mut out: Vec<Box<dyn Strategy>> = Vec::new();
    for name in strategies::parse_selection(names)? {
        out.push(match name {
            "rust" => Box::new(RustStrategy),
            "python" => Box::new(PythonStrategy::load(
                &project.join("rust_shim").join("strategies"),
            )?),
            _ => Box::new(NodeStrategy::spawn(&strategies::build_ts(project)?)?),
        });
    }
    Ok(out)
}

/// Opens the ledger's session for `cfg`, registering its markets.
fn open_ledger(
    paths: &Paths,
    cfg: &HostSession,
    market: &PaperMarket,
) -> Result<InventoryManager, HostError> {
    let spec = SessionSpec {
        strategy_id: format!("{HOST_STRATEGY_PREFIX}{}", cfg.strategies),
        config_json: format!(
            r#"{{"seed":{},"markets":{},"ticks":{}}}"#,
            cfg.seed, cfg.markets, cfg.ticks
        ),
        markets: market.specs().iter().map(|s| s.ids.clone()).collect(),
    };
    Ok(InventoryManager::open(
        &paths.db,
        StoreMode::Paper,
        &cfg.session_id,
        Decimal::from(cfg.capital_usd),
        &spec,
    )?)
}

impl Session {
    /// Opens a new session or resumes one; on resume the engine and legacy tracker are rebuilt
    /// from the host tables and the interrupted phase is finished. A refused start writes
    /// nothing: the host's rows follow the ledger's session, never precede it.
    pub fn start(paths: &Paths, start: Start, stop: &Stop) -> Result<Self, HostError> {
        match start {
            Start::New {
                session_id,
                seed,
                markets,
                ticks,
                strategies,
                capital_usd,
            } => Self::start_new(
                paths,
                session_id,
                HostSession {
                    session_id: String::new(),
                    seed,
                    markets,
                    ticks,
                    exit_tick: ticks - ticks / 10,
                    strategies,
                    capital_usd,
                },
                stop,
            ),
            Start::Resume {
                session_id,
                ticks,
                given,
            } => Self::start_resume(paths, session_id, ticks, &given, stop),
        }
    }

    fn start_new(
        paths: &Paths,
        session_id: Option<String>,
        mut cfg: HostSession,
        stop: &Stop,
    ) -> Result<Self, HostError> {
        strategies::parse_selection(&cfg.strategies)?;
        if session_id.as_deref().is_some_and(|id| id.trim().is_empty()) {
            return Err(HostError::Usage(
                "--session: a session id cannot be empty".into(),
            ));
        }
        let market = PaperMarket::new(cfg.seed, cfg.markets);
        let strategies = load_strategies(&cfg.strategies, &paths.project)?;
        if let Some(signal) = stop.requested() {
            return Err(HostError::Interrupted(signal));
        }
        if let Some(dir) = paths.db.path().and_then(Path::parent) {
            std::fs::create_dir_all(dir)
                .map_err(|err| HostError::Setup(format!("creating {}: {err}", dir.display())))?;
        }
        // Read before anything is written: the host rows already there, if any.
        let existing = match paths.db.path() {
            Some(file) if !file.exists() => None,
            _ => Some(PlanStore::open(&paths.db)?),
        };
        let host_has = |id: &str| -> Result<bool, HostError> {
            Ok(match &existing {
                Some(plans) => plans.load_session(id)?.is_some(),
                None => false,
            })
        };
        let db = &paths.db;
        let ledger = match session_id {
            Some(id) => {
                if host_has(&id)? {
                    return Err(HostError::Usage(format!(
                        "session {id:?} already exists in {db}: continue it with --resume \
                         --session {id}"
                    )));
                }
                cfg.session_id = id;
                match open_ledger(paths, &cfg, &market) {
                    Ok(ledger) => ledger,
                    Err(HostError::Shim(ShimError::Store { kind, message }))
                        if kind == "SessionExists" =>
                    {
                        return Err(HostError::Usage(format!(
                            "session {:?} already exists in {db}, started by another program \
                             (the host has no record of it): choose another --session \
                             ({message})",
                            cfg.session_id
                        )));
                    }
                    Err(HostError::Shim(ShimError::Store { kind, message }))
                        if kind == "SessionLocked" =>
                    {
                        return Err(HostError::Usage(format!(
                            "session {:?} is being written by another process: choose \
                             another --session ({message})",
                            cfg.session_id
                        )));
                    }
                    Err(err) => return Err(err),
                }
            }
            None => {
                let base = generated_id(cfg.seed);
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    cfg.session_id = if attempt == 1 {
                        base.clone()
                    } else {
                        format!("{base}-{attempt}")
                    };
                    if host_has(&cfg.session_id)? {
                        continue;
                    }
                    match open_ledger(paths, &cfg, &market) {
                        Err(HostError::Shim(ShimError::Store { kind, .. }))
                            if (kind == "SessionExists" || kind == "SessionLocked")
                                && attempt < ID_ATTEMPTS =>
                        {
                            continue
                        }
                        other => break other?,
                    }
                }
            }
        };
        drop(existing);
        // The ledger's session exists and is locked by this process: now the host's rows.
        let venue = PaperVenue::new(&ledger, &market)?;
        let resolutions = resolution::schedule(cfg.seed, cfg.markets, cfg.exit_tick);
        let plans = PlanStore::open(&paths.db)?;
        plans.create_tables()?;
        plans.insert_session(&cfg)?;
        Ok(Session {
            venue,
            legacy: LegacyTracker::new(cfg.capital_usd as f64),
            cfg,
            market,
            engine: Engine::default(),
            ledger,
            plans,
            strategies,
            stats: Stats {
                first_tick: 1,
                ..Stats::default()
            },
            stop: stop.clone(),
            stop_after: None,
            resolutions,
        })
    }

    fn start_resume(
        paths: &Paths,
        session_id: Option<String>,
        ticks: Option<u64>,
        given: &Given,
        stop: &Stop,
    ) -> Result<Self, HostError> {
        let db = &paths.db;
        let refuse = |why: String| HostError::Usage(format!("--resume: {why}"));
        if paths.db.path().is_some_and(|file| !file.is_file()) {
            return Err(refuse(format!("no database at {db}")));
        }
        let plans = PlanStore::open(&paths.db)?;
        let session_id = match session_id {
            Some(id) => id,
            None => plans
                .latest_session()?
                .ok_or_else(|| refuse(format!("no session started by this host in {db}")))?,
        };
        let mut cfg = plans.load_session(&session_id)?.ok_or_else(|| {
            refuse(format!(
                "{session_id:?} is not a session this host started (no row in host_sessions \
                 of {db}); the host resumes only its own sessions"
            ))
        })?;
        check_given(&cfg, given).map_err(refuse)?;
        match plans.ledger_session(&session_id)? {
            None => {
                return Err(refuse(format!(
                    "{session_id:?} has a host row but no ledger session in {db}: it never \
                     started (nothing to resume)"
                )))
            }
            Some(row) if !row.strategy_id.starts_with(HOST_STRATEGY_PREFIX) => {
                return Err(refuse(format!(
                    "{session_id:?} in {db} was started by another program (strategy_id \
                     {:?}, mode {}): the host resumes only its own sessions",
                    row.strategy_id, row.mode
                )))
            }
            Some(_) => {}
        }
        let history = plans.history(&session_id)?;
        let current = history.last().map_or(0, |p| p.tick);
        if let Some(ticks) = ticks {
            // Not before the tick reached, nor before the exit that closes the session's orders.
            let least = current.max(cfg.exit_tick);
            if ticks < least {
                let why = if current >= cfg.exit_tick {
                    format!("it has reached tick {current}")
                } else {
                    format!(
                        "it is at tick {current} and triggers exit at tick {}, which closes \
                         its orders",
                        cfg.exit_tick
                    )
                };
                return Err(refuse(format!(
                    "--ticks {ticks} would end session {session_id:?} early: {why}; give \
                     --ticks {least} or more, or leave it out to run to tick {}",
                    cfg.ticks
                )));
            }
        }
        let ledger = match InventoryManager::recover(&paths.db, StoreMode::Paper, &session_id) {
            Err(ShimError::Store { kind, message }) if kind == "SessionLocked" => {
                return Err(refuse(format!(
                    "session {session_id:?} is being written by another process (SessionLocked: \
                     {message}); stop that process first"
                )))
            }
            other => other?,
        };
        // Each step sent writes at most one journal event, so the host's history reaches at
        // most as many events past the last recorded position as it records steps sent from
        // there (or, before any step, the events the ledger journals when it opens a session).
        // A journal beyond that holds steps the host has no record of: replaying the history
        // would apply them twice.
        let journal = ledger.journal_seq()?;
        let sent: usize = history.iter().map(|p| p.sent.len()).sum();
        let opening = plans.journal_opening_events(&session_id)?;
        let reach = history
            .iter()
            .rev()
            .find_map(|p| p.sent.last().map(|&(_, last)| (p, last)))
            .map_or(opening, |(p, last)| {
                last + p.sent.iter().filter(|&&(_, seq)| seq == last).count() as u64
            });
        if journal > reach {
            return Err(refuse(format!(
                "the host's history of {session_id:?} is missing or shorter than its journal: \
                 host_steps records {sent} steps sent ({} plans in host_plans), reaching journal \
                 event {reach}, but the ledger's journal holds {journal} events; resuming would \
                 apply them again (the ledger itself is intact: read it with `python -m \
                 weatherman_inventory verify`)",
                history.len()
            )));
        }
        let strategies = load_strategies(&cfg.strategies, &paths.project)?;
        if let Some(signal) = stop.requested() {
            return Err(HostError::Interrupted(signal));
        }
        plans.create_tables()?;
        if let Some(ticks) = ticks {
            if ticks != cfg.ticks {
                plans.set_ticks(&session_id, ticks)?;
                cfg.ticks = ticks;
            }
        }
        let market = PaperMarket::new(cfg.seed, cfg.markets);
        // A new adapter on the recovered ledger: it maps venue order ids to the session's from
        // the journaled exchange ids, and reads what it applied from the ledger.
        let venue = PaperVenue::new(&ledger, &market)?;
        let resolutions = resolution::schedule(cfg.seed, cfg.markets, cfg.exit_tick);
        let mut session = Session {
            venue,
            legacy: LegacyTracker::new(cfg.capital_usd as f64),
            market,
            cfg,
            engine: Engine::default(),
            ledger,
            plans,
            strategies,
            stats: Stats::default(),
            stop: stop.clone(),
            stop_after: None,
            resolutions,
        };
        session.resume(history, journal)?;
        session.stats.reconciliation = session.reconcile_at_resume(&paths.venue)?;
        Ok(session)
    }

    /// Replays the host tables into the engine and the legacy tracker, then finishes the phase
    /// the previous run was in. Leaves `stats.first_tick` at the first tick still to run.
    fn resume(&mut self, history: Vec<PlanRecord>, journal: u64) -> Result<(), HostError> {
        let Some(last) = history.last() else {
            self.stats.first_tick = 1;
            return Ok(());
        };
        let (last_tick, last_phase) = (last.tick, last.phase);
        // A phase with a successor finished (the next plan is only written after it). In the
        // last phase a step sent reached the ledger iff the journal moved past its position:
        // all its steps or none (one batch, one position), or, in a database written step by
        // step, a first run of them. It goes on after the last step that reached the ledger.
        let mut resume_at = 0;
        let mut reconciled = self
            .plans
            .reconciled(&self.cfg.session_id)?
            .into_iter()
            .peekable();
        for (n, plan) in history.iter().enumerate() {
            self.market.advance_to(plan.tick);
            while let Some(r) = reconciled.next_if(|r| r.after_tick < plan.tick) {
                self.replay_reconciled(&r);
            }
            let is_last_plan = n + 1 == history.len();
            for &(idx, seq_before) in &plan.sent {
                if is_last_plan && journal <= seq_before {
                    break;
                }
                let event = &plan.steps[idx].event;
                self.engine.apply(event, &self.market, plan.tick);
                self.legacy.apply(event);
                if is_last_plan {
                    resume_at = idx + 1;
                }
            }
        }
        for r in reconciled {
            self.replay_reconciled(&r);
        }
        log::info!(
            "resuming {} at tick {last_tick} {last_phase:?} step {resume_at} (journal at {journal})",
            self.cfg.session_id
        );
        let steps = history.last().map(|p| p.steps.clone()).unwrap_or_default();
        self.stats.first_tick = last_tick;
        self.execute(last_tick, last_phase, &steps, resume_at)?;
        if last_phase == Phase::Market {
            self.decide(last_tick)?;
        }
        self.stats.last_tick = last_tick;
        self.stats.first_tick = last_tick + 1;
        Ok(())
    }

    /// Runs ticks until the session's last tick, calling `progress` after each. On SIGINT or
    /// SIGTERM stops after the tick in progress and returns the signal's name.
    pub fn run(
        &mut self,
        mut progress: impl FnMut(&mut Session, u64),
    ) -> Result<Option<&'static str>, HostError> {
        for tick in self.stats.first_tick..=self.cfg.ticks {
            if let Some(signal) = self.stop.requested() {
                return Ok(Some(signal));
            }
            if self.stop_after.is_some_and(|last| tick > last) {
                return Ok(Some("--stop-after"));
            }
            self.tick(tick)?;
            self.stats.last_tick = tick;
            progress(self, tick);
        }
        Ok(None)
    }

    fn tick(&mut self, tick: u64) -> Result<(), HostError> {
        self.market.advance_to(tick);
        let closed = resolution::closed(&self.resolutions, &self.market, tick);
        let mut events = self.redemption_steps(tick)?;
        let engine = &self.engine;
        events.extend(resolution::resolve_steps(
            &self.resolutions,
            &self.market,
            tick,
            |market_id| {
                engine
                    .open_orders()
                    .iter()
                    .filter(|o| o.market_id == market_id)
                    .map(|o| LedgerEvent::Cancel {
                        local_id: o.local_id.clone(),
                        side: o.side,
                        token_id: o.token_id.clone(),
                        remaining_qty_micro: o.qty.saturating_sub(o.filled),
                        limit_px: o.limit_px,
                        qty_micro: o.qty,
                        fill_ids: o.fill_ids.clone(),
                        resolved: true,
                    })
                    .collect()
            },
        ));
        events.extend(self.engine.match_tick(
            &self.market,
            self.cfg.seed,
            tick,
            &self.id_prefix(),
            &closed,
        ));
        let mut steps: Vec<Step> = events
            .into_iter()
            .map(|event| Step {
                source: "market".into(),
                check: None,
                event,
            })
            .collect();
        if tick == self.cfg.exit_tick {
            steps.push(Step {
                source: "market".into(),
                check: None,
                event: LedgerEvent::Exit,
            });
        }
        steps.push(Step {
            source: "market".into(),
            check: None,
            event: LedgerEvent::Marks {
                // A resolved market's tokens are marked at their payout by the ledger.
                prices: self
                    .market
                    .marks()
                    .into_iter()
                    .filter(|(token, _)| {
                        self.market.specs().iter().all(|s| {
                            !closed.contains(&s.ids.market_id)
                                || (&s.ids.yes_token_id != token && &s.ids.no_token_id != token)
                        })
                    })
                    .collect(),
            },
        });
        self.plans
            .save_plan(&self.cfg.session_id, tick, Phase::Market, &steps)?;
        self.execute(tick, Phase::Market, &steps, 0)?;
        self.decide(tick)
    }

    /// The host's settlement step at the start of `tick`: redemptions the chain settles now,
    /// and, for each market resolved before `tick` with none on its way, a redemption of what
    /// the snapshot says is redeemable (the ledger's state when these steps run).
    fn redemption_steps(&mut self, tick: u64) -> Result<Vec<LedgerEvent>, HostError> {
        let mut steps = Vec::new();
        for r in self
            .engine
            .redemptions()
            .iter()
            .filter(|r| r.settle_tick <= tick)
        {
            steps.push(LedgerEvent::RedeemSettle {
                market_id: r.market_id.clone(),
                condition_id: r.condition_id.clone(),
                burns: r.burns.clone(),
                paid_micro: resolution::paid_micro(&r.burns),
                confirmed: !resolution::redemption_fails(
                    self.cfg.seed,
                    r.sent_tick,
                    &r.condition_id,
                ),
            });
        }
        let due: Vec<Scheduled> = self
            .resolutions
            .iter()
            .filter(|s| {
                s.tick < tick
                    && self
                        .engine
                        .redemption(&self.market.specs()[s.index].ids.market_id)
                        .is_none()
            })
            .copied()
            .collect();
        if due.is_empty() {
            return Ok(steps);
        }
        let snapshot = self.ledger.snapshot()?;
        for s in due {
            let burns = resolution::burns(&snapshot, &self.market, &s);
            if !burns.is_empty() {
                let ids = &self.market.specs()[s.index].ids;
                steps.push(LedgerEvent::RedeemSubmit {
                    market_id: ids.market_id.clone(),
                    condition_id: ids.condition_id.clone(),
                    burns,
                });
            }
        }
        Ok(steps)
    }

    /// The decide phase of `tick`: snapshot, compare, strategies, submissions.
    fn decide(&mut self, tick: u64) -> Result<(), HostError> {
        let snapshot = self.ledger.snapshot()?;
        self.compare(&snapshot);
        let ctx = self.context(tick, &snapshot);
        let ctx_json = context_json(&ctx, &snapshot)?;
        let mut steps = Vec::new();
        let prefix = self.id_prefix();
        let closed = resolution::closed(&self.resolutions, &self.market, tick);
        for strategy in &mut self.strategies {
            let name = strategy.name();
            let reply = strategy.decide(&ctx, &ctx_json)?;
            if let Some(seen) = reply.seen {
                self.stats.seen.merge(seen);
            }
            for (n, intent) in reply.intents.into_iter().enumerate() {
                if closed.contains(intent.market_id()) {
                    // Its market resolved: no new trading there.
                    self.stats.refused += 1;
                    continue;
                }
                let local_id = format!("{prefix}{}-{tick:06}-{n}", short(name));
                match step_for(&self.market, name, &local_id, intent) {
                    Ok(step) => steps.push(step),
                    Err(why) => {
                        self.stats.invalid_intents += 1;
                        log::warn!("strategy {name}: intent refused: {why}");
                    }
                }
            }
        }
        self.plans
            .save_plan(&self.cfg.session_id, tick, Phase::Decide, &steps)?;
        self.execute(tick, Phase::Decide, &steps, 0)
    }

    /// Sends `steps[from..]` to the ledger as one batch, each after its risk check (which sees
    /// the steps before it), records the steps sent beside the journal's position before the
    /// batch commits, and once it has, mirrors each into the engine and the legacy tracker.
    fn execute(
        &mut self,
        tick: u64,
        phase: Phase,
        steps: &[Step],
        from: usize,
    ) -> Result<(), HostError> {
        let seq_before = self.ledger.journal_seq()?;
        let (plans, venue, session_id) = (&mut self.plans, &self.venue, &self.cfg.session_id);
        let mut refused = 0;
        let sent = self.ledger.batch(
            |ledger| -> Result<Vec<(usize, Option<VenueApplied>)>, HostError> {
                let mut sent = Vec::new();
                for (idx, step) in steps.iter().enumerate().skip(from) {
                    if let Some(check) = &step.check {
                        if !check.passes(ledger)? {
                            refused += 1;
                            log::debug!("{}: {check:?} refused {:?}", step.source, step.event);
                            continue;
                        }
                    }
                    sent.push((idx, step.event.apply(ledger, venue, tick)?));
                }
                let indices: Vec<usize> = sent.iter().map(|(idx, _)| *idx).collect();
                plans.log_steps(session_id, tick, phase, from, &indices, seq_before)?;
                Ok(sent)
            },
        )?;
        self.stats.refused += refused;
        for (idx, applied) in sent {
            let step = &steps[idx];
            if let Some(applied) = applied {
                self.stats.venue.add(&applied);
            }
            self.engine.apply(&step.event, &self.market, tick);
            self.legacy.apply(&step.event);
            self.stats.steps_sent += 1;
            match &step.event {
                LedgerEvent::Fill { fill, .. } => {
                    self.stats.fills += 1;
                    self.stats.fractional_fills += u64::from(fill.qty_micro % 1_000_000 != 0);
                    self.stats.fees_micro += fill.fee_micro;
                }
                LedgerEvent::FillSettle {
                    confirmed: true, ..
                } => self.stats.fills_confirmed += 1,
                LedgerEvent::FillSettle { .. } => self.stats.fills_failed += 1,
                LedgerEvent::Cancel { resolved: true, .. } => self.stats.resolution_cancels += 1,
                LedgerEvent::Resolve { payouts, .. } => {
                    self.stats.resolved += 1;
                    self.stats.resolved_void += u64::from(payouts[0] == payouts[1]);
                }
                LedgerEvent::RedeemSettle {
                    confirmed: true,
                    paid_micro,
                    ..
                } => {
                    self.stats.redemptions_confirmed += 1;
                    self.stats.redeemed_micro += paid_micro;
                }
                LedgerEvent::RedeemSettle { .. } => self.stats.redemptions_failed += 1,
                _ => {}
            }
        }
        Ok(())
    }

    /// Orders and fills are keyed across all sessions of a database: their ids start with the
    /// session's.
    fn id_prefix(&self) -> String {
        format!("{}/", self.cfg.session_id)
    }

    /// Compares the legacy tracker with the inventory and counts what disagrees.
    pub fn compare(&mut self, snapshot: &Snapshot) {
        let found = self.legacy.compare(&snapshot.state);
        self.stats.discrepancies += found.len() as u64;
        for line in found {
            if self.stats.discrepancy_examples.len() < 5 {
                self.stats.discrepancy_examples.push(line);
            }
        }
    }

    fn context(&self, tick: u64, snapshot: &Snapshot) -> DecisionContext {
        DecisionContext {
            trigger: if tick % 10 == 1 {
                Trigger::WeatherRefresh
            } else {
                Trigger::BookUpdate
            },
            tick_number: tick,
            timestamp: self.market.timestamp(),
            session_id: self.cfg.session_id.clone(),
            weather: self.market.weather(),
            markets: self.market.market_states(),
            positions: self.legacy.positions(),
            portfolio: self.legacy.portfolio(),
            inventory: Some(snapshot.state.clone()),
        }
    }

    /// Open orders on the paper exchange, mints or merges pending on the paper chain, and fills
    /// not yet settled there.
    pub fn in_flight(&self) -> (usize, usize, usize) {
        (
            self.engine.open_orders().len(),
            self.engine.pending_count(),
            self.engine.unsettled_fills(),
        )
    }

    /// Closes the store so `verify` and a later `--resume` can open it; `ended`: the session
    /// ran its last tick, and its writer leaves it `ended` (else `stopped`, to be resumed).
    pub fn finish(self, ended: bool) -> Result<(Stats, HostSession), HostError> {
        let Session {
            ledger,
            stats,
            cfg,
            strategies,
            ..
        } = self;
        drop(strategies);
        if ended {
            ledger.end()?;
        } else {
            ledger.close()?;
        }
        Ok((stats, cfg))
    }
}

fn short(name: &str) -> &'static str {
    match name {
        "rust" => "rs",
        "python" => "py",
        _ => "ts",
    }
}

/// The context as JSON with the inventory spliced in as the exact text Python wrote: the rest
/// is serialised by serde, the inventory is never serialised again.
fn context_json(ctx: &DecisionContext, snapshot: &Arc<Snapshot>) -> Result<String, HostError> {
    let without = DecisionContext {
        inventory: None,
        ..ctx.clone()
    };
    let mut text = serde_json::to_string(&without)
        .map_err(|err| HostError::Setup(format!("serialising the context: {err}")))?;
    debug_assert!(text.ends_with('}'));
    text.pop();
    text.reserve(snapshot.json.len() + 16);
    text.push_str(",\"inventory\":");
    text.push_str(&snapshot.json);
    text.push('}');
    Ok(text)
}

/// Exact shares as micro-shares: `None` below zero, with more than 6 decimals, or from 10^9.
fn micro_shares(qty: Decimal) -> Option<u64> {
    let micro = qty * Decimal::from(1_000_000u32);
    if qty.is_sign_negative() || !micro.fract().is_zero() || qty >= Decimal::from(1_000_000_000u32)
    {
        return None;
    }
    u64::try_from(micro).ok()
}

/// Turns an intent into a checked step, or says why it is malformed.
fn step_for(
    market: &PaperMarket,
    source: &str,
    local_id: &str,
    intent: Intent,
) -> Result<Step, String> {
    let spec_of = |market_id: &str| {
        market
            .index_of(market_id)
            .map(|i| market.specs()[i].clone())
            .ok_or_else(|| format!("unknown market {market_id:?}"))
    };
    let (check, event) = match intent {
        Intent::Order {
            side,
            market_id,
            outcome,
            qty,
            limit_px,
        } => {
            let spec = spec_of(&market_id)?;
            let qty_micro = micro_shares(qty)
                .filter(|&q| q > 0 && (1..=99).contains(&limit_px))
                .ok_or_else(|| format!("order qty {qty} at {limit_px} cents"))?;
            let token_id = spec.token(outcome).to_owned();
            let check = match side {
                Side::Buy => Check::Buy {
                    qty_micro,
                    limit_px,
                },
                Side::Sell => Check::Sell {
                    token_id: token_id.clone(),
                    qty_micro,
                },
            };
            let event = LedgerEvent::Submit {
                local_id: local_id.to_owned(),
                side,
                market_id,
                token_id,
                outcome,
                qty_micro,
                limit_px,
            };
            (Some(check), event)
        }
        Intent::Mint {
            market_id,
            amount_usd,
        } => {
            let spec = spec_of(&market_id)?;
            if amount_usd == 0 {
                return Err("mint of $0".into());
            }
            (
                Some(Check::Mint { amount_usd }),
                LedgerEvent::MintSubmit {
                    market_id,
                    condition_id: spec.ids.condition_id,
                    amount_usd,
                },
            )
        }
        Intent::Merge { market_id, pairs } => {
            let spec = spec_of(&market_id)?;
            if pairs == 0 {
                return Err("merge of 0 pairs".into());
            }
            (
                None,
                LedgerEvent::MergeSubmit {
                    market_id,
                    condition_id: spec.ids.condition_id,
                    pair_count: pairs,
                },
            )
        }
    };
    Ok(Step {
        source: source.to_owned(),
        check,
        event,
    })
}

/// Token id -> (market, outcome) for the summary table, in market order.
pub fn token_order(market: &PaperMarket) -> BTreeMap<String, usize> {
    let mut order = BTreeMap::new();
    for (i, spec) in market.specs().iter().enumerate() {
        order.insert(spec.ids.yes_token_id.clone(), 2 * i);
        order.insert(spec.ids.no_token_id.clone(), 2 * i + 1);
    }
    order
}

/// Refuses settings given with `--resume` that differ from the session's own.
fn check_given(cfg: &HostSession, given: &Given) -> Result<(), String> {
    let mut wrong = Vec::new();
    if let Some(seed) = given.seed.filter(|&s| s != cfg.seed) {
        wrong.push(format!("--seed {seed} (the session's is {})", cfg.seed));
    }
    if let Some(markets) = given.markets.filter(|&m| m != cfg.markets) {
        wrong.push(format!(
            "--markets {markets} (the session's is {})",
            cfg.markets
        ));
    }
    if let Some(capital) = given.capital_usd.filter(|&c| c != cfg.capital_usd) {
        wrong.push(format!(
            "--capital {capital} (the session's is {})",
            cfg.capital_usd
        ));
    }
    if let Some(names) = &given.strategies {
        let same = match (
            strategies::parse_selection(names),
            strategies::parse_selection(&cfg.strategies),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same {
            wrong.push(format!(
                "--strategy {names} (the session's is {})",
                cfg.strategies
            ));
        }
    }
    if wrong.is_empty() {
        return Ok(());
    }
    Err(format!(
        "session {:?} was started with other settings: {}; a resumed session keeps its own \
         (leave these flags out)",
        cfg.session_id,
        wrong.join(", ")
    ))
}
