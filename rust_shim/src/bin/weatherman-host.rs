//! `weatherman-host`: the reference host. A deterministic paper trading session (from `--seed`)
//! that calls the Python InventoryManager through the shim every tick and hands its snapshot to
//! strategies in Rust, Python and TypeScript, beside the legacy position tracking. `make demo`
//! runs it.

#[path = "host/mod.rs"]
mod host;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use sha2::{Digest, Sha256};
use weatherman_inventory::shim::{self, StoreTarget};

use host::error::HostError;
use host::report::{self, Report};
use host::session::{self, Given, Paths, Session, Start};
use host::stop::{Stop, EXIT_INTERRUPTED};

/// The project directory (the crate's parent): the default database, the strategies and the
/// TypeScript compiler are found from here.
const PROJECT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Defaults of a new session.
const DEFAULT_TICKS: u64 = 300;
const DEFAULT_SEED: u64 = 42;
const DEFAULT_MARKETS: u64 = 3;
const DEFAULT_CAPITAL: u64 = 1000;
const DEFAULT_STRATEGY: &str = "all";

/// The ranges of the numeric flags. Capital stays below the contract's bound of 10^9 dollars.
const TICKS: (u64, u64) = (1, 10_000_000);
const MARKETS: (u64, u64) = (1, 1000);
const CAPITAL: (u64, u64) = (1, 999_999_999);
const SEED: (u64, u64) = (0, u64::MAX);

/// Parses a whole number in `lo..=hi`; anything else (negative, too large, not a number) is
/// refused with the range.
fn in_range(text: &str, (lo, hi): (u64, u64)) -> Result<u64, String> {
    match text.trim().parse::<i128>() {
        Ok(n) if (i128::from(lo)..=i128::from(hi)).contains(&n) => Ok(n as u64),
        _ => Err(format!("expected a whole number from {lo} to {hi}")),
    }
}

fn ticks_arg(text: &str) -> Result<u64, String> {
    in_range(text, TICKS)
}

fn markets_arg(text: &str) -> Result<u64, String> {
    in_range(text, MARKETS)
}

fn capital_arg(text: &str) -> Result<u64, String> {
    in_range(text, CAPITAL)
}

fn seed_arg(text: &str) -> Result<u64, String> {
    in_range(text, SEED)
}

#[derive(Debug, Parser)]
#[command(
    name = "weatherman-host",
    about = "A paper trading session driving the Python InventoryManager through the Rust shim",
    after_help = "Ctrl-C or SIGTERM stops after the tick in progress (exit status 130) and prints \
                  the command that continues the session; a second signal exits at once. Resume \
                  a stopped or crashed session with --resume: the ledger recovers from its \
                  journal and the host from its plan tables, in the same database."
)]
struct Args {
    /// The session's last tick, 1..10000000 [default: 300; on --resume, the session's own].
    #[arg(long, value_parser = ticks_arg, allow_negative_numbers = true)]
    ticks: Option<u64>,
    /// Seed of the paper market and engine: the same seed gives the same session [default: 42].
    #[arg(long, value_parser = seed_arg, allow_negative_numbers = true)]
    seed: Option<u64>,
    /// The session's database: a SQLite file, or a PostgreSQL URL
    /// (postgresql://user@host:port/dbname?sslmode=verify-full; the schema is the URL's
    /// search_path option) without a password, which libpq reads from PGPASSWORD or a password
    /// file [default: <project>/var/weatherman-demo.sqlite].
    #[arg(long)]
    db: Option<OsString>,
    /// Where the host keeps its files for a PostgreSQL database (the paper venue's account at a
    /// stop); a SQLite database keeps them beside its file [default: <project>/var].
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Strategies to run: rust, python, ts, all, or a comma-separated list [default: all].
    #[arg(long)]
    strategy: Option<String>,
    /// The Python virtualenv to embed [default: $WEATHERMAN_VENV].
    #[arg(long)]
    venv: Option<PathBuf>,
    /// Continue a session this host started, from its database, instead of starting one.
    #[arg(long)]
    resume: bool,
    /// Session id [default: demo-s<seed>-<time>-<pid> for a new session, the latest one the
    /// host started for --resume].
    #[arg(long)]
    session: Option<String>,
    /// Number of binary markets, 1..1000 [default: 3].
    #[arg(long, value_parser = markets_arg, allow_negative_numbers = true)]
    markets: Option<u64>,
    /// Starting capital, whole dollars, 1..999999999 [default: 1000].
    #[arg(long, value_parser = capital_arg, allow_negative_numbers = true)]
    capital: Option<u64>,
    /// Write a JSON summary (counters, keys the TypeScript strategy saw, final inventory,
    /// verify) to this file (its directory must exist).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Stop after this tick as SIGINT would (exit status 130), writing the paper venue's
    /// account, so that a test can change the venue while the host is down.
    #[arg(long, hide = true, value_parser = ticks_arg)]
    stop_after: Option<u64>,
    /// Print only errors and the final summary: no progress line, no log below ERROR (unless
    /// RUST_LOG says otherwise).
    #[arg(long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let level = if args.quiet { "error" } else { "info" };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp(None)
        .init();
    let stop = match Stop::install() {
        Ok(stop) => stop,
        Err(err) => {
            eprintln!("weatherman-host: installing the signal handlers: {err}");
            return ExitCode::from(2);
        }
    };
    match run(args, &stop) {
        Ok(code) => code,
        Err(HostError::Interrupted(signal)) => {
            eprintln!("\nweatherman-host: {}", HostError::Interrupted(signal));
            ExitCode::from(EXIT_INTERRUPTED)
        }
        Err(err) => {
            eprintln!("\nweatherman-host: {err}");
            ExitCode::from(2)
        }
    }
}

/// A word of a shell command, quoted when it needs to be.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@+,%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The command that continues `session_id`: this binary with `--resume`, the database (a URL
/// without a password: the host refuses one with), the state directory of a PostgreSQL
/// database, the session and the virtualenv, all spelled out.
fn resume_command(venv: &Path, db: &StoreTarget, state_dir: &Path, session_id: &str) -> String {
    let program = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.canonicalize().ok())
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| PathBuf::from("weatherman-host"));
    let mut words = vec![
        program.display().to_string(),
        "--resume".into(),
        "--db".into(),
    ];
    match db {
        StoreTarget::Sqlite(path) => {
            let path = path.canonicalize().unwrap_or_else(|_| path.clone());
            words.push(path.display().to_string());
        }
        StoreTarget::Postgres(_) => {
            let dir = state_dir
                .canonicalize()
                .unwrap_or_else(|_| state_dir.to_path_buf());
            words.extend([
                db.to_string(),
                "--state-dir".into(),
                dir.display().to_string(),
            ]);
        }
    }
    words.extend([
        "--session".into(),
        session_id.to_owned(),
        "--venv".into(),
        venv.display().to_string(),
    ]);
    words
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the paper venue's account of a session is kept (`reconcile::account_dir` adds
/// `.venue/<session>`): beside a SQLite file; for a PostgreSQL database, under the state
/// directory, named for the URL (its characters a file name allows, and a digest of the whole
/// when it is long), so that hosts on different databases or schemas keep apart.
fn venue_base(db: &StoreTarget, state_dir: &Path) -> PathBuf {
    let url = match db {
        StoreTarget::Sqlite(path) => return path.clone(),
        StoreTarget::Postgres(_) => db.to_string(),
    };
    let safe: String = url
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = if safe.len() <= 96 {
        safe
    } else {
        let digest = Sha256::digest(url.as_bytes());
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}-{hex}", &safe[..80])
    };
    state_dir.join(name)
}

fn run(args: Args, stop: &Stop) -> Result<ExitCode, HostError> {
    let project = PathBuf::from(PROJECT_DIR);
    let project = project.canonicalize().unwrap_or(project);
    let db = args.db.as_ref().map_or_else(
        || StoreTarget::Sqlite(project.join("var").join("weatherman-demo.sqlite")),
        StoreTarget::parse,
    );
    if db.has_password() {
        return Err(HostError::Usage(format!(
            "--db {db}: the URL holds a password, which the host would pass on the command \
             line of `verify` and print in the command that resumes the session; leave it out \
             and give it to libpq through PGPASSWORD or a password file (~/.pgpass, or the file \
             PGPASSFILE names)"
        )));
    }
    let state_dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| project.join("var"));
    // Checked before anything runs: a report that cannot be written fails now, not at the end.
    if let Some(path) = &args.report {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(HostError::Usage(format!(
                "--report {}: no directory {}",
                path.display(),
                dir.display()
            )));
        }
        if path.is_dir() {
            return Err(HostError::Usage(format!(
                "--report {}: is a directory",
                path.display()
            )));
        }
    }
    if let Some(names) = &args.strategy {
        host::strategies::parse_selection(names)?;
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
        venue: venue_base(&db, &state_dir),
        db: db.clone(),
    };
    let start = if args.resume {
        Start::Resume {
            session_id: args.session.clone(),
            ticks: args.ticks,
            given: Given {
                seed: args.seed,
                markets: args.markets.map(|m| m as usize),
                capital_usd: args.capital,
                strategies: args.strategy.clone(),
            },
        }
    } else {
        Start::New {
            session_id: args.session.clone(),
            seed: args.seed.unwrap_or(DEFAULT_SEED),
            markets: args.markets.unwrap_or(DEFAULT_MARKETS) as usize,
            ticks: args.ticks.unwrap_or(DEFAULT_TICKS),
            strategies: args
                .strategy
                .clone()
                .unwrap_or_else(|| DEFAULT_STRATEGY.into()),
            capital_usd: args.capital.unwrap_or(DEFAULT_CAPITAL),
        }
    };
    let mut session = Session::start(&paths, start, stop)?;
    session.stop_after = args.stop_after;
    if let Some(reconciliation) = &session.stats.reconciliation {
        print!("{}", reconciliation.render());
    }
    let total = session.cfg.ticks;
    let tty = std::io::stderr().is_terminal();
    let every = if tty { 1 } else { (total / 10).max(1) };
    let interrupted = session.run(|s, tick| {
        if args.quiet || (tick % every != 0 && tick != total) {
            return;
        }
        let Ok(snapshot) = s.ledger.snapshot() else {
            return;
        };
        let (orders, pending, settling) = s.in_flight();
        let line = format!(
            "tick {tick:>5}/{total}  cash ${:>11.2}  in flight ${:>9.2}  unsettled ${:>8.2}  \
             accessible ${:>11.2}  open orders {orders:>2}  chain {pending}  settling \
             {settling:>2}  fills {:>5}  discrepancies {}",
            snapshot.state.total_usd,
            snapshot.state.in_flight_usd,
            snapshot.state.unsettled_usd,
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
    if let Some(signal) = interrupted {
        let journal = session.ledger.journal_seq()?;
        let last = session.stats.last_tick;
        let account = session.save_venue_account(&paths.venue)?;
        let (_, cfg) = session.finish(false)?;
        let at = if last == 0 {
            "before its first tick".to_owned()
        } else {
            format!("after tick {last} of {}", cfg.ticks)
        };
        eprintln!(
            "weatherman-host: {signal}: session {} stopped {at}; its journal holds {journal} \
             events, every one committed; the paper venue's account is in {}. Continue it \
             with:\n  {}",
            cfg.session_id,
            account.display(),
            resume_command(&env.venv, &db, &state_dir, &cfg.session_id)
        );
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    let snapshot = session.ledger.snapshot()?;
    session.compare(&snapshot);
    let anomalies = session.ledger.anomalies()?;
    let order = session::token_order(&session.market);
    session.save_venue_account(&paths.venue)?;
    let (stats, cfg) = session.finish(true)?;
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
            db: db.to_string(),
            first_tick: stats.first_tick,
            last_tick: stats.last_tick,
            ticks: cfg.ticks,
            steps_sent: stats.steps_sent,
            fills: stats.fills,
            fractional_fills: stats.fractional_fills,
            fills_confirmed: stats.fills_confirmed,
            fills_failed: stats.fills_failed,
            fees_micro: stats.fees_micro,
            refused: stats.refused,
            invalid_intents: stats.invalid_intents,
            discrepancies: stats.discrepancies,
            venue: &stats.venue,
            resolved: stats.resolved,
            resolved_void: stats.resolved_void,
            resolution_cancels: stats.resolution_cancels,
            redemptions_confirmed: stats.redemptions_confirmed,
            redemptions_failed: stats.redemptions_failed,
            redeemed_micro: stats.redeemed_micro,
            reconciliation: stats.reconciliation.as_ref(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venue_accounts_of_different_schemas_keep_apart_and_a_sqlite_file_keeps_its_own() {
        let state = Path::new("/state");
        let base = "postgresql://wm@/trading?host=/run/pg";
        let a = venue_base(
            &StoreTarget::parse(format!("{base}&options=-csearch_path%3Da")),
            state,
        );
        let b = venue_base(
            &StoreTarget::parse(format!("{base}&options=-csearch_path%3Db")),
            state,
        );
        assert_ne!(a, b);
        assert_eq!(
            a,
            Path::new("/state/postgresql___wm__trading_host__run_pg_options_-csearch_path_3Da")
        );
        let file = PathBuf::from("/data/s.sqlite");
        assert_eq!(venue_base(&StoreTarget::Sqlite(file.clone()), state), file);
        // A long URL: a prefix and a digest of the whole, so two of them that share the prefix
        // still differ.
        let long = format!("{base}&application_name={}", "x".repeat(200));
        let one = venue_base(&StoreTarget::parse(format!("{long}1")), state);
        let two = venue_base(&StoreTarget::parse(format!("{long}2")), state);
        assert_ne!(one, two);
        let name = one.file_name().and_then(|n| n.to_str()).expect("name");
        assert_eq!(name.len(), 80 + 1 + 16, "{name}");
    }
}
