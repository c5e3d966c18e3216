//! Reconciliation through the shim: the ledger compared with the venue's account, read from the
//! venue's own REST answers (`weatherman_inventory.venue.reconcile`).
//!
//! A [`VenueAccountJson`] holds the raw text of each answer: the collateral balance
//! (`GET /balance-allowance?asset_type=COLLATERAL`), the token balances (`{token id: answer}`),
//! the pages of open orders and of the trade history, and data-API position pages. It reads and
//! writes the directory layout of the `reconcile` command (`collateral.json`,
//! `conditional.json`, `orders*.json`, `trades*.json`, `positions*.json`, `identity.json`), so
//! an account a program saved can be checked by the operator's command as it is.
//!
//! At start-up, in order: the trade pages go through the venue feed first
//! ([`catch_up`], so a fill the stream missed is booked as a fill with its price and fee), then
//! [`InventoryManager::reconcile`] gives the typed [`Difference`], and
//! [`InventoryManager::adopt`] journals one correcting event per difference that is not pending,
//! each an anomaly. A page the adapter cannot read is refused with `ShimError::InvalidInput`
//! naming its path (`orders[0].data[1].price`) and nothing changes.

use std::path::Path;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::error::ShimError;
use super::interpreter;
use super::manager::InventoryManager;
use super::venue::{VenueAccount, VenueApplied, VenueFeed};

/// The venue's account as the raw JSON text of its REST answers. `None`/empty: not given (no
/// collateral, no cash compared; no orders pages, no orders compared).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VenueAccountJson {
    /// `GET /balance-allowance?asset_type=COLLATERAL`: `{"balance": "<base units>"}`.
    pub collateral: Option<String>,
    /// `{token id: GET /balance-allowance?asset_type=CONDITIONAL&token_id=<id>}`.
    pub conditional: Option<String>,
    /// Pages of `GET /data/orders`, in order (the last with `next_cursor` `"LTE="`).
    pub orders: Vec<String>,
    /// Pages of `GET /data/trades`, in order.
    pub trades: Vec<String>,
    /// Pages of the data API's `GET /positions` (advisory).
    pub positions: Vec<String>,
    /// `identity.json`: whose legs the trades are.
    pub identity: Option<VenueAccount>,
}

fn io_error(path: &Path, err: std::io::Error) -> ShimError {
    ShimError::InvalidInput {
        field: "account".into(),
        value: path.display().to_string(),
        reason: format!("cannot be read or written: {err}"),
    }
}

impl VenueAccountJson {
    /// Reads the files of `dir` (the `reconcile` command's layout), in name order.
    pub fn read_dir(dir: &Path) -> Result<Self, ShimError> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .map_err(|err| io_error(dir, err))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        let mut account = VenueAccountJson::default();
        for path in names {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path).map_err(|err| io_error(&path, err))?;
            if name.starts_with("collateral") {
                account.collateral = Some(text);
            } else if name.starts_with("conditional") {
                account.conditional = Some(text);
            } else if name.starts_with("orders") {
                account.orders.push(text);
            } else if name.starts_with("trades") {
                account.trades.push(text);
            } else if name.starts_with("positions") {
                account.positions.push(text);
            } else if name.starts_with("identity") {
                let value: serde_json::Value = serde_json::from_str(&text)?;
                let field = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
                match (field("api_key"), field("funder")) {
                    (Some(api_key), Some(funder)) => {
                        account.identity = Some(VenueAccount { api_key, funder })
                    }
                    _ => {
                        return Err(ShimError::InvalidInput {
                            field: path.display().to_string(),
                            value: text,
                            reason: r#"{"api_key": ..., "funder": ...} is required"#.into(),
                        })
                    }
                }
            } else {
                return Err(ShimError::InvalidInput {
                    field: "account".into(),
                    value: path.display().to_string(),
                    reason: "a file named for what it holds (collateral, conditional, orders, \
                             trades, positions, identity)"
                        .into(),
                });
            }
        }
        Ok(account)
    }

    /// Writes the account into `dir` (created if missing), one file per answer.
    pub fn write_dir(&self, dir: &Path) -> Result<(), ShimError> {
        std::fs::create_dir_all(dir).map_err(|err| io_error(dir, err))?;
        let mut files: Vec<(String, String)> = Vec::new();
        if let Some(text) = &self.collateral {
            files.push(("collateral.json".into(), text.clone()));
        }
        if let Some(text) = &self.conditional {
            files.push(("conditional.json".into(), text.clone()));
        }
        for (kind, pages) in [
            ("orders", &self.orders),
            ("trades", &self.trades),
            ("positions", &self.positions),
        ] {
            for (i, text) in pages.iter().enumerate() {
                let name = if pages.len() == 1 {
                    format!("{kind}.json")
                } else {
                    format!("{kind}-{i:04}.json")
                };
                files.push((name, text.clone()));
            }
        }
        if let Some(id) = &self.identity {
            let text = serde_json::json!({"api_key": id.api_key, "funder": id.funder});
            files.push(("identity.json".into(), format!("{text:#}\n")));
        }
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|err| io_error(&path, err))?;
        }
        Ok(())
    }

    /// The account of a paper venue that reported every fact to `ledger`: what the ledger holds
    /// on chain, its open orders under their venue ids, an empty trade history
    /// (`weatherman_inventory.venue.paper`). `conditions` maps market ids to condition ids;
    /// `limits` gives orders' prices (local id, micro-USDC) the ledger may not hold (a sell
    /// submitted without a limit).
    pub fn of_paper_ledger(
        ledger: &InventoryManager,
        identity: &VenueAccount,
        conditions: &[(String, String)],
        limits: &[(String, u64)],
    ) -> Result<Self, ShimError> {
        interpreter::require_started()?;
        Python::attach(|py| {
            let paper = py.import(intern!(py, "weatherman_inventory.venue.paper"))?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("api_key", &identity.api_key)?;
            kwargs.set_item("funder", &identity.funder)?;
            let map = PyDict::new(py);
            for (market, condition) in conditions {
                map.set_item(market, condition)?;
            }
            kwargs.set_item("conditions", map)?;
            let prices = PyDict::new(py);
            for (local_id, micro) in limits {
                prices.set_item(local_id, micro)?;
            }
            kwargs.set_item("limits", prices)?;
            let files = paper
                .getattr(intern!(py, "paper_account"))?
                .call((ledger.manager.bind(py),), Some(&kwargs))?;
            let get = |name: &str| -> PyResult<String> { files.get_item(name)?.extract() };
            Ok(VenueAccountJson {
                collateral: Some(get("collateral.json")?),
                conditional: Some(get("conditional.json")?),
                orders: vec![get("orders.json")?],
                trades: vec![get("trades.json")?],
                positions: Vec::new(),
                identity: Some(identity.clone()),
            })
        })
    }

    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("collateral", &self.collateral)?;
        kwargs.set_item("conditional", &self.conditional)?;
        kwargs.set_item("orders", PyList::new(py, &self.orders)?)?;
        kwargs.set_item("trades", PyList::new(py, &self.trades)?)?;
        kwargs.set_item("positions", PyList::new(py, &self.positions)?)?;
        py.import(intern!(py, "weatherman_inventory.venue.paper"))?
            .getattr(intern!(py, "account_from_pages"))?
            .call((), Some(&kwargs))
    }
}

/// A token whose on-chain amount in the ledger differs from the venue's balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenDifference {
    pub token_id: String,
    pub ledger_micro: i64,
    pub venue_micro: i64,
    /// Provisional fills explain it: not adopted.
    pub pending: bool,
}

/// An order open on one side only (`missing`: in the ledger; `unknown`: at the venue), or open
/// on both with other terms (`mismatch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDifference {
    pub kind: String,
    pub local_id: Option<String>,
    pub venue_order_id: Option<String>,
    pub ledger_left_micro: Option<i64>,
    pub venue_left_micro: Option<i64>,
    pub detail: String,
}

/// The ledger's on-chain cash against the venue's collateral balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashDifference {
    pub ledger_micro: i64,
    pub venue_micro: i64,
    pub pending: bool,
}

/// What the ledger and the venue's account disagree on; empty when they agree.
#[derive(Debug)]
pub struct Difference {
    pub tokens: Vec<TokenDifference>,
    pub orders: Vec<OrderDifference>,
    pub cash: Option<CashDifference>,
    /// Tokens with no balance answer from the venue.
    pub unverified: Vec<String>,
    /// The difference as the `reconcile` command prints it.
    pub table: String,
    /// The Python `Difference`, for `adopt`.
    found: Py<PyAny>,
}

impl Difference {
    /// Whether the ledger agrees with the venue.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
            && self.orders.is_empty()
            && self.cash.is_none()
            && self.unverified.is_empty()
    }
}

/// One correcting event `adopt` journaled: its kind (`"order_dropped"`) and the event as Python
/// spells it (for a log line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    pub kind: String,
    pub text: String,
}

/// Feeds every trade page of `account` through `feed`, in order: what the stream missed is
/// booked as fills, what the ledger has changes nothing.
pub fn catch_up(
    feed: &VenueFeed,
    ledger: &mut InventoryManager,
    account: &VenueAccountJson,
) -> Result<Vec<VenueApplied>, ShimError> {
    account
        .trades
        .iter()
        .map(|page| feed.on_trade_page(ledger, page))
        .collect()
}

fn opt_i64(value: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    value.extract()
}

impl InventoryManager {
    /// The ledger's disagreement with the venue's `account`; changes nothing. Feed the trade
    /// history first ([`catch_up`]).
    pub fn reconcile(&self, account: &VenueAccountJson) -> Result<Difference, ShimError> {
        self.reconcile_acknowledging(account, &[])
    }

    /// [`Self::reconcile`], less the ledger's orders in `acknowledging` (local ids) that have
    /// no venue id yet: the venue accepted them and its answer is on its way, so they are not
    /// missing (a paper venue that acknowledges a tick after the submission).
    pub fn reconcile_acknowledging(
        &self,
        account: &VenueAccountJson,
        acknowledging: &[String],
    ) -> Result<Difference, ShimError> {
        interpreter::require_started()?;
        Python::attach(|py| {
            let venue = account.to_python(py)?;
            let module = py.import(intern!(py, "weatherman_inventory.venue.paper"))?;
            let found = module
                .getattr(intern!(py, "reconcile_acknowledging"))?
                .call1((
                    self.manager.bind(py),
                    venue,
                    PyList::new(py, acknowledging)?,
                ))?;
            let mut tokens = Vec::new();
            for t in found.getattr("tokens")?.try_iter()? {
                let t = t?;
                tokens.push(TokenDifference {
                    token_id: t.getattr("token_id")?.extract()?,
                    ledger_micro: t.getattr("ledger_micro")?.extract()?,
                    venue_micro: t.getattr("venue_micro")?.extract()?,
                    pending: t.getattr("pending")?.extract()?,
                });
            }
            let mut orders = Vec::new();
            for o in found.getattr("orders")?.try_iter()? {
                let o = o?;
                orders.push(OrderDifference {
                    kind: o.getattr("kind")?.extract()?,
                    local_id: o.getattr("local_id")?.extract()?,
                    venue_order_id: o.getattr("venue_order_id")?.extract()?,
                    ledger_left_micro: opt_i64(&o.getattr("ledger_left_micro")?)?,
                    venue_left_micro: opt_i64(&o.getattr("venue_left_micro")?)?,
                    detail: o.getattr("detail")?.extract()?,
                });
            }
            let cash = found.getattr("cash")?;
            let cash = if cash.is_none() {
                None
            } else {
                Some(CashDifference {
                    ledger_micro: cash.getattr("ledger_micro")?.extract()?,
                    venue_micro: cash.getattr("venue_micro")?.extract()?,
                    pending: cash.getattr("pending")?.extract()?,
                })
            };
            let table: String = py
                .import(intern!(py, "weatherman_inventory.venue.paper"))?
                .getattr(intern!(py, "difference_table"))?
                .call1((&found,))?
                .extract()?;
            Ok(Difference {
                tokens,
                orders,
                cash,
                unverified: found.getattr("unverified")?.extract()?,
                table,
                found: found.unbind(),
            })
        })
    }

    /// Adopts the venue's truth for `difference` (this ledger's, just found): one correcting
    /// event per difference that is neither pending, a mismatch nor unverified, each journaled
    /// and recorded as an anomaly with both values. Returns the events applied.
    pub fn adopt(&mut self, difference: &Difference) -> Result<Vec<Adopted>, ShimError> {
        interpreter::require_started()?;
        Python::attach(|py| {
            let module = py.import(intern!(py, "weatherman_inventory.venue.reconcile"))?;
            let events = module
                .getattr(intern!(py, "adopt"))?
                .call1((self.manager.bind(py), difference.found.bind(py)))?;
            let mut out = Vec::new();
            for event in events.try_iter()? {
                let event = event?;
                out.push(Adopted {
                    kind: event.getattr(intern!(py, "kind"))?.extract()?,
                    text: event.repr()?.extract()?,
                });
            }
            Ok(out)
        })
    }
}
