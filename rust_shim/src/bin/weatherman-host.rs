//! `weatherman-host`: the reference host. A deterministic paper trading session (from `--seed`)
//! that calls the Python InventoryManager through the shim every tick and hands its snapshot to
//! strategies in Rust, Python and TypeScript, beside the legacy position tracking. `make demo`
//! runs it.

#[path = "host/mod.rs"]
mod host;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use weatherman_inventory::shim;

use host::error::HostError;
use host::report::{self, Report};
use host::session::{self, Paths, Session, Start};

/// The project directory (the crate's parent): the default database, the strategies and the
/// TypeScript compiler are found from here.
const PROJECT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Ticks of a new session unless `--ticks` says otherwise.
const DEFAULT_TICKS: u64 = 300;

#[derive(Debug, Parser)]
#[command(
    name = "weatherman-host",
    about = "A paper trading session driving the Python InventoryManager through the Rust shim",
    after_help = "Resume a session after a crash (or Ctrl-C) with --resume: the ledger recovers \
                  from its journal and the host from its plan tables, in the same database."
)]
struct Args {
    /// The session's last tick [default: 300; on --resume, the session's own].
    #[arg(long)]
    ticks: Option<u64>,
    /// Seed of the paper market and engine: the same seed gives the same session.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// SQLite database of the session [default: <project>/var/weatherman-demo.sqlite].
    #[arg(long)]
    db: Option<PathBuf>,
    /// Strategies to run: rust, python, ts, all, or a comma-separated list.
    #[arg(long, default_value = "all")]
    strategy: String,
    /// The Python virtualenv to embed [default: $WEATHERMAN_VENV].
    #[arg(long)]
    venv: Option<PathBuf>,
    /// Continue a session from its database instead of starting a new one.
    #[arg(long)]
    resume: bool,
    /// Session id [default: demo-s<seed>-<n> for a new session, the latest one for --resume].
    #[arg(long)]
    session: Option<String>,
    /// Number of binary markets.
    #[arg(long, default_value_t = 3)]
    markets: usize,
    /// Starting capital, whole dollars.
    #[arg(long, default_value_t = 1000)]
    capital: u64,
    /// Write a JSON summary (counters, keys the TypeScript strategy saw, final inventory,
    /// verify) to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// No progress line.
    #[arg(long)]
    quiet: bool,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        .init();
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("\nweatherman-host: {err}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<ExitCode, HostError> {
    let project = PathBuf::from(PROJECT_DIR);
    let project = project.canonicalize().unwrap_or(project);
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| project.join("var").join("weatherman-demo.sqlite"));
    if args.markets == 0 {
        return Err(HostError::Usage("--markets must be at least 1".into()));
    }
    let env = shim::start(args.venv.as_deref())?;
    log::info!(
        "Python {} from {} (site-packages {})",
        env.version,
        env.venv.display(),
        env.site_packages.display()
    );
    let paths = Paths {
        project: project.clone(),
        db: db.clone(),
    };
    let start = if args.resume {
        Start::Resume {
            session_id: args.session.clone(),
            ticks: args.ticks,
        }
    } else {
        Start::New {
            session_id: args.session.clone(),
            seed: args.seed,
            markets: args.markets,
            ticks: args.ticks.unwrap_or(DEFAULT_TICKS),
            strategies: args.strategy.clone(),
            capital_usd: args.capital,
        }
    };
    let mut session = Session::start(&paths, start)?;
    let total = session.cfg.ticks;
    let tty = std::io::stderr().is_terminal();
    let every = if tty { 1 } else { (total / 10).max(1) };
    session.run(|s, tick| {
        if args.quiet || (tick % every != 0 && tick != total) {
            return;
        }
        let Ok(snapshot) = s.ledger.snapshot() else {
            return;
        };
        let (orders, pending) = s.in_flight();
        let line = format!(
            "tick {tick:>5}/{total}  cash ${:>11.2}  in flight ${:>9.2}  accessible ${:>11.2}  \
             open orders {orders:>2}  chain {pending}  fills {:>5}  discrepancies {}",
            snapshot.state.total_usd,
            snapshot.state.in_flight_usd,
            snapshot.state.accessible_usd,
            s.stats.fills,
            s.stats.discrepancies
        );
        let mut err = std::io::stderr().lock();
        let _ = if tty {
            write!(err, "\r{line}")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    })?;
    if tty && !args.quiet {
        eprintln!();
    }
    let snapshot = session.ledger.snapshot()?;
    session.compare(&snapshot);
    let anomalies = session.ledger.anomalies()?;
    let order = session::token_order(&session.market);
    let (stats, cfg) = session.finish()?;
    let verify = report::verify(&env.venv, &db, &cfg.session_id);
    print!(
        "{}",
        report::render(&cfg, &db, &stats, &snapshot, &anomalies, &order, &verify)
    );
    if let Some(path) = &args.report {
        let inventory = serde_json::value::RawValue::from_string(snapshot.json.clone())
            .map_err(|err| HostError::Setup(format!("final inventory: {err}")))?;
        let report = Report {
            session_id: &cfg.session_id,
            db: db.display().to_string(),
            first_tick: stats.first_tick,
            last_tick: stats.last_tick,
            ticks: cfg.ticks,
            steps_sent: stats.steps_sent,
            fills: stats.fills,
            refused: stats.refused,
            invalid_intents: stats.invalid_intents,
            discrepancies: stats.discrepancies,
            anomalies: anomalies
                .iter()
                .map(|a| format!("{}: {}", a.kind, a.message))
                .collect(),
            seen: &stats.seen,
            final_inventory: &inventory,
            verify: &verify,
        };
        let text = serde_json::to_string_pretty(&report)
            .map_err(|err| HostError::Setup(format!("report: {err}")))?;
        std::fs::write(path, text)
            .map_err(|err| HostError::Setup(format!("writing {}: {err}", path.display())))?;
    }
    Ok(if verify.ok && stats.discrepancies == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
