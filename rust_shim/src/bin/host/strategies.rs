//! The three strategies and the intents they return.
//!
//! Each gets the same `DecisionContext` (the Rust struct, or the JSON text with the inventory
//! exactly as Python wrote it) and answers with intents. Strategies are pure functions of the
//! context: that is what lets a resumed session decide as the uninterrupted one would have.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use pyo3::prelude::*;
use pyo3::types::PyString;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use weatherman_inventory::contract::{DecisionContext, Outcome};
use weatherman_inventory::shim::ShimError;

use super::error::HostError;
use super::events::Side;

/// What a strategy asks for; the host checks it with the ledger before sending it.
/// The same shape as `strategies/intents.d.ts` and `strategies/host_intents.py`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Intent {
    /// A limit order of `qty` shares (a JSON number, at most 6 decimals); `limit_px` in cents,
    /// 1..99.
    #[serde(rename_all = "camelCase")]
    Order {
        side: Side,
        market_id: String,
        outcome: Outcome,
        #[serde(deserialize_with = "shares_number")]
        qty: Decimal,
        limit_px: u64,
    },
    /// Mint `amount_usd` dollars of YES+NO pairs.
    #[serde(rename_all = "camelCase")]
    Mint { market_id: String, amount_usd: u64 },
    /// Merge `pairs` minted pairs back into USDC.
    #[serde(rename_all = "camelCase")]
    Merge { market_id: String, pairs: u64 },
}

impl Intent {
    /// The market the intent trades in.
    pub fn market_id(&self) -> &str {
        match self {
            Intent::Order { market_id, .. }
            | Intent::Mint { market_id, .. }
            | Intent::Merge { market_id, .. } => market_id,
        }
    }
}

/// A JSON number of shares read by its shortest representation, as the text says it: `7.575758`
/// is exactly 7.575758 (a check for at most 6 decimals follows, where the intent is turned into
/// a step).
fn shares_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let value = f64::deserialize(d)?;
    if !value.is_finite() {
        return Err(serde::de::Error::custom(format!(
            "qty {value} is not a number"
        )));
    }
    value
        .to_string()
        .parse::<Decimal>()
        .map_err(|err| serde::de::Error::custom(format!("qty {value}: {err}")))
}

/// The keys a script strategy found in `ctx.inventory`, so the host can show (and the tests
/// check) that every key of the contract reached it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeenKeys {
    pub inventory: BTreeSet<String>,
    pub token: BTreeSet<String>,
    pub minted_pair: BTreeSet<String>,
}

impl SeenKeys {
    /// Adds what `other` saw.
    pub fn merge(&mut self, other: SeenKeys) {
        self.inventory.extend(other.inventory);
        self.token.extend(other.token);
        self.minted_pair.extend(other.minted_pair);
    }
}

/// A strategy's answer for one tick.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reply {
    pub intents: Vec<Intent>,
    #[serde(default)]
    pub seen: Option<SeenKeys>,
}

/// A strategy the host runs every tick.
pub trait Strategy {
    /// `rust`, `python` or `ts`: also the prefix of its orders' local ids.
    fn name(&self) -> &'static str;
    /// The intents for this tick.
    fn decide(&mut self, ctx: &DecisionContext, ctx_json: &str) -> Result<Reply, HostError>;
}

/// Which strategies a session runs, in the order they decide.
pub const ALL: [&str; 3] = ["rust", "python", "ts"];

/// Parses `rust|python|ts|all` (or a comma-separated list) into the names, in decision order.
pub fn parse_selection(text: &str) -> Result<Vec<&'static str>, HostError> {
    let mut chosen = BTreeSet::new();
    for part in text.split(',').map(str::trim) {
        match part {
            "all" => chosen.extend(ALL),
            name => match ALL.iter().find(|n| **n == name) {
                Some(n) => {
                    chosen.insert(*n);
                }
                None => {
                    return Err(HostError::Usage(format!(
                        "unknown strategy {name:?}: choose rust, python, ts or all"
                    )))
                }
            },
        }
    }
    Ok(ALL.into_iter().filter(|n| chosen.contains(n)).collect())
}

// -- Rust --------------------------------------------------------------------------------------

/// Trades the YES side: buys a cheap YES when flat, takes a two-cent profit or cuts a
/// five-cent loss, and leaves alone the tokens that back minted pairs.
pub struct RustStrategy;

impl Strategy for RustStrategy {
    fn name(&self) -> &'static str {
        "rust"
    }

    fn decide(&mut self, ctx: &DecisionContext, _ctx_json: &str) -> Result<Reply, HostError> {
        let Some(inventory) = &ctx.inventory else {
            return Ok(Reply::default());
        };
        let mut intents = Vec::new();
        for (index, market) in ctx.markets.iter().enumerate() {
            let held = inventory.tokens.get(&market.yes_token_id);
            // Tokens backing minted pairs stay for the merge.
            let paired = inventory
                .minted_pairs
                .get(&market.condition_id)
                .map_or(Decimal::ZERO, |p| p.available + p.reserved);
            match held {
                Some(p) if p.accessible_qty > paired => {
                    let avg = f64::try_from(p.avg_entry_price).unwrap_or(0.0);
                    let bid = market.yes_bid_px as f64 / 100.0;
                    if bid >= avg + 0.02 || bid <= avg - 0.05 {
                        intents.push(Intent::Order {
                            side: Side::Sell,
                            market_id: market.market_id.clone(),
                            outcome: Outcome::Yes,
                            // Settled shares only: accessibleQty leaves out unsettledQty.
                            qty: p.accessible_qty - paired,
                            limit_px: market.yes_bid_px.max(1),
                        });
                    }
                }
                Some(p) if p.qty > Decimal::ZERO || p.in_flight_qty > Decimal::ZERO => {}
                _ => {
                    let turn = ctx.tick_number % 3 == (index % 3) as u64;
                    if turn && inventory.accessible_usd > 250.0 && market.yes_ask_px <= 60 {
                        intents.push(Intent::Order {
                            side: Side::Buy,
                            market_id: market.market_id.clone(),
                            outcome: Outcome::Yes,
                            qty: Decimal::from(20),
                            limit_px: market.yes_ask_px,
                        });
                    }
                }
            }
        }
        Ok(Reply {
            intents,
            seen: None,
        })
    }
}

// -- Python ------------------------------------------------------------------------------------

/// `strategies/host_strategy.py`, in-process: it validates the context JSON with the pydantic
/// `DecisionContext` and reads `ctx.inventory`.
pub struct PythonStrategy {
    decide: Py<PyAny>,
}

impl PythonStrategy {
    /// Imports the module from `dir` (prepended to `sys.path`).
    pub fn load(dir: &Path) -> Result<Self, HostError> {
        Python::attach(|py| -> Result<Self, ShimError> {
            let sys_path = py.import("sys")?.getattr("path")?;
            let dir = dir.to_string_lossy().into_owned();
            if !sys_path.contains(&dir)? {
                sys_path.call_method1("insert", (0, dir))?;
            }
            let decide = py.import("host_strategy")?.getattr("decide")?.unbind();
            Ok(PythonStrategy { decide })
        })
        .map_err(|err| HostError::strategy("python", err))
    }
}

impl Strategy for PythonStrategy {
    fn name(&self) -> &'static str {
        "python"
    }

    fn decide(&mut self, _ctx: &DecisionContext, ctx_json: &str) -> Result<Reply, HostError> {
        let text = Python::attach(|py| -> Result<String, ShimError> {
            let answer = self.decide.bind(py).call1((ctx_json,))?;
            let answer = answer.cast_into::<PyString>().map_err(PyErr::from)?;
            Ok(answer.to_str()?.to_owned())
        })
        .map_err(|err| HostError::strategy("python", err))?;
        serde_json::from_str(&text).map_err(|err| HostError::strategy("python", err))
    }
}

// -- TypeScript ----------------------------------------------------------------------------------

/// `strategies/strategy.ts` compiled to JavaScript and run by Node as a long-lived child: one
/// context per line in, one reply per line out.
pub struct NodeStrategy {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    line: String,
}

impl NodeStrategy {
    /// Starts `node <script>` in a process group of its own: a terminal's Ctrl-C reaches only
    /// the host, which finishes its tick and then ends Node itself.
    pub fn spawn(script: &Path) -> Result<Self, HostError> {
        let mut child = Command::new("node")
            .arg(script)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|err| {
                HostError::Setup(format!("cannot start node (Node 20 on PATH): {err}"))
            })?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Ok(NodeStrategy {
            child,
            stdin,
            stdout,
            line: String::new(),
        })
    }
}

impl Strategy for NodeStrategy {
    fn name(&self) -> &'static str {
        "ts"
    }

    fn decide(&mut self, _ctx: &DecisionContext, ctx_json: &str) -> Result<Reply, HostError> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| HostError::strategy("ts", "stdin closed"))?;
        stdin
            .write_all(ctx_json.as_bytes())
            .and_then(|()| stdin.write_all(b"\n"))
            .and_then(|()| stdin.flush())
            .map_err(|err| HostError::strategy("ts", format!("writing the context: {err}")))?;
        self.line.clear();
        let read = self
            .stdout
            .read_line(&mut self.line)
            .map_err(|err| HostError::strategy("ts", format!("reading the reply: {err}")))?;
        if read == 0 {
            let status = match self.child.wait() {
                Ok(status) => status.to_string(),
                Err(err) => format!("status unknown: {err}"),
            };
            return Err(HostError::strategy(
                "ts",
                format!("node exited ({status}; see its stderr above)"),
            ));
        }
        serde_json::from_str(&self.line).map_err(|err| {
            HostError::strategy("ts", format!("{err} in reply {:?}", self.line.trim_end()))
        })
    }
}

impl Drop for NodeStrategy {
    fn drop(&mut self) {
        // Closing stdin ends the script's read loop; kill in case it is stuck.
        drop(self.stdin.take());
        if matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(std::time::Duration::from_millis(20));
            if matches!(self.child.try_wait(), Ok(None)) {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

/// The TypeScript sources of the strategy and what `tsc` checks them against.
fn ts_inputs(project: &Path) -> Vec<PathBuf> {
    let dir = project.join("rust_shim").join("strategies");
    vec![
        dir.join("strategy.ts"),
        dir.join("intents.d.ts"),
        dir.join("tsconfig.json"),
        project.join("strategies_types").join("inventory.d.ts"),
    ]
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Compiles the TypeScript strategy with `tsc --strict` when its JavaScript under `target/` is
/// missing or older than a source, and returns the script's path. Compiles into a private
/// directory and renames the result into place, so concurrent hosts never run half a file.
pub fn build_ts(project: &Path) -> Result<PathBuf, HostError> {
    let out_dir = project.join("target").join("ts-strategy");
    let script = out_dir.join("strategy.js");
    let inputs = ts_inputs(project);
    let newest = inputs.iter().filter_map(|p| modified(p)).max();
    if let (Some(built), Some(newest)) = (modified(&script), newest) {
        if built >= newest {
            return Ok(script);
        }
    }
    let tsc = project
        .join("strategies_types")
        .join("node_modules")
        .join("typescript")
        .join("bin")
        .join("tsc");
    if !tsc.exists() {
        return Err(HostError::Setup(format!(
            "TypeScript is not installed ({} is missing): run `make setup`",
            tsc.display()
        )));
    }
    let scratch = out_dir.join(format!("build-{}", std::process::id()));
    // Its own process group too: Ctrl-C during the build stops the host after it, not `tsc`.
    let output = Command::new("node")
        .process_group(0)
        .arg(&tsc)
        .arg("-p")
        .arg(
            project
                .join("rust_shim")
                .join("strategies")
                .join("tsconfig.json"),
        )
        .arg("--outDir")
        .arg(&scratch)
        .output()
        .map_err(|err| HostError::Setup(format!("cannot run node {}: {err}", tsc.display())))?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(HostError::Setup(format!(
            "tsc rejected the TypeScript strategy:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    std::fs::rename(scratch.join("strategy.js"), &script)
        .map_err(|err| HostError::Setup(format!("installing {}: {err}", script.display())))?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_read_the_shared_json_shape_and_refuse_unknown_keys() {
        let reply: Reply = serde_json::from_str(
            r#"{"intents":[
                {"kind":"order","side":"buy","marketId":"mkt-0","outcome":"NO","qty":5,"limitPx":41},
                {"kind":"mint","marketId":"mkt-1","amountUsd":30},
                {"kind":"merge","marketId":"mkt-1","pairs":10}],
               "seen":{"inventory":["tokens"],"token":[],"mintedPair":[]}}"#,
        )
        .expect("parse");
        assert_eq!(reply.intents.len(), 3);
        assert_eq!(
            reply.intents[0],
            Intent::Order {
                side: Side::Buy,
                market_id: "mkt-0".into(),
                outcome: Outcome::No,
                qty: Decimal::from(5),
                limit_px: 41
            }
        );
        assert!(serde_json::from_str::<Intent>(
            r#"{"kind":"mint","marketId":"mkt-1","amountUsd":30,"extra":1}"#
        )
        .is_err());
    }

    #[test]
    fn a_fractional_quantity_is_read_exactly_as_its_text() {
        let intent: Intent = serde_json::from_str(
            r#"{"kind":"order","side":"sell","marketId":"mkt-0","outcome":"YES","qty":7.575758,"limitPx":66}"#,
        )
        .expect("parse");
        let Intent::Order { qty, .. } = intent else {
            panic!("an order")
        };
        assert_eq!(qty.to_string(), "7.575758");
        assert!(serde_json::from_str::<Intent>(
            r#"{"kind":"order","side":"sell","marketId":"mkt-0","outcome":"YES","qty":"7","limitPx":66}"#
        )
        .is_err());
    }

    #[test]
    fn the_selection_keeps_the_decision_order() {
        assert_eq!(parse_selection("all").expect("all"), ALL.to_vec());
        assert_eq!(parse_selection("ts,rust").expect("two"), vec!["rust", "ts"]);
        assert!(parse_selection("java").is_err());
    }
}
