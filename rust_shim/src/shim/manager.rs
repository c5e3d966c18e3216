//! The Rust handle of the Python `InventoryManager`: the seed plan's method set, one to one.
//!
//! Each method converts its Rust arguments (`&str`; quantities and limits as a Python `int` when
//! whole, else a `decimal.Decimal` built from their exact string; `Decimal` money likewise;
//! `Outcome` and statuses as their wire strings), calls the ledger, and converts the answer.
//! Errors go through `From<PyErr> for ShimError`. The ledger's rules live in Python: a quantity
//! with 7 decimals or a negative one crosses as it is and comes back as `ShimError::InvalidInput`.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};
use pyo3::{intern, Py};
use rust_decimal::Decimal;

use super::error::ShimError;
use super::interpreter;
use super::snapshot::{Snapshot, SnapshotCache};
use super::target::StoreTarget;
use crate::contract::Outcome;

/// How the store syncs commits: `Live` waits for the disk on every commit, `Paper` does not
/// (a process crash still loses nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// `synchronous=NORMAL`.
    Paper,
    /// `synchronous=FULL`.
    Live,
}

impl StoreMode {
    fn as_str(self) -> &'static str {
        match self {
            StoreMode::Paper => "paper",
            StoreMode::Live => "live",
        }
    }
}

/// A quantity of shares (or of YES+NO pairs) as the ledger takes it: whole shares from any
/// integer (the seed's `u64` calls compile unchanged, literals included), or an exact `Decimal`
/// of shares. The ledger accepts at most 6 decimal places, 0 < x < 10^9 where a quantity must be
/// positive; anything else is refused there, naming the argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Shares(Decimal);

/// A limit or a mark in cents of a dollar per share, as the ledger takes it: whole cents from any
/// integer (1..100 for a limit, 0..100 for a mark), or an exact `Decimal` of cents with at most 4
/// decimal places, so that 0.001-dollar ticks (`65.5`) and 0.0001-dollar ticks (`65.55`) are
/// valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(Decimal);

macro_rules! exact_amount {
    ($name:ident) => {
        impl $name {
            /// The exact amount.
            pub fn value(self) -> Decimal {
                self.0
            }
        }

        impl From<Decimal> for $name {
            fn from(value: Decimal) -> Self {
                $name(value)
            }
        }

        impl From<$name> for Decimal {
            fn from(value: $name) -> Decimal {
                value.0
            }
        }

        exact_amount!(@ints $name: u64, u32, i64, i32);
    };
    (@ints $name:ident: $($int:ty),*) => {
        $(
            impl From<$int> for $name {
                fn from(value: $int) -> Self {
                    $name(Decimal::from(value))
                }
            }
        )*
    };
}

exact_amount!(Shares);
exact_amount!(Cents);

/// A fill's settlement status as the venue reports it. A fill booked without one is final.
/// `Matched`, `Mined` and `Retrying` are provisional; `Confirmed` and `Failed` are terminal, and
/// `Failed` (only through `on_fill_status`) restates the token as if the fill had never happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FillStatus {
    /// Matched by the exchange, not yet on chain.
    Matched,
    /// Mined on chain, not yet final.
    Mined,
    /// The chain transaction is being retried.
    Retrying,
    /// Final: the fill stands.
    Confirmed,
    /// Final: the fill never happened.
    Failed,
}

impl FillStatus {
    /// The wire name, as the Python API takes it (`"MATCHED"`).
    pub fn as_str(self) -> &'static str {
        match self {
            FillStatus::Matched => "MATCHED",
            FillStatus::Mined => "MINED",
            FillStatus::Retrying => "RETRYING",
            FillStatus::Confirmed => "CONFIRMED",
            FillStatus::Failed => "FAILED",
        }
    }
}

/// What a cash adjustment is: it gives the sign of the amount, except for a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CashAdjustmentKind {
    /// Cash paid into the account (amount >= 0).
    Deposit,
    /// Cash taken out of the account (amount >= 0, subtracted); beyond the ledger's cash it is
    /// applied and recorded as an anomaly.
    Withdrawal,
    /// A maker rebate paid by the venue (amount >= 0).
    Rebate,
    /// A reconciliation correction, signed.
    Correction,
}

impl CashAdjustmentKind {
    /// The wire name, as the Python API takes it (`"DEPOSIT"`).
    pub fn as_str(self) -> &'static str {
        match self {
            CashAdjustmentKind::Deposit => "DEPOSIT",
            CashAdjustmentKind::Withdrawal => "WITHDRAWAL",
            CashAdjustmentKind::Rebate => "REBATE",
            CashAdjustmentKind::Correction => "CORRECTION",
        }
    }
}

/// The optional parts of a fill: the exchange's fill id (a repeat is recorded as an anomaly and
/// ignored), the fee, dollars, and the settlement status. `FillMeta::default()` is the seed's
/// fill: no id, no fee, final.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FillMeta {
    /// Unique id of the fill on the exchange; required for a status to follow it.
    pub fill_id: Option<String>,
    /// Fee charged on the fill, dollars.
    pub fee_usd: Decimal,
    /// `None`: the fill is final. Otherwise `Matched`, `Mined`, `Retrying` or `Confirmed`; later
    /// statuses arrive through `on_fill_status`.
    pub status: Option<FillStatus>,
}

/// One row of the fast-start cache (`load_positions`), as the seed's loader passes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedPosition {
    /// Token id on the exchange.
    pub token_id: String,
    /// Market the token belongs to.
    pub market_id: String,
    /// YES or NO.
    pub outcome: Outcome,
    /// Shares held (exact, as the snapshot's `qty`).
    pub qty: Decimal,
    /// Average entry price, dollars per share.
    pub avg_price: Decimal,
    /// Realised PnL, dollars.
    pub realized_pnl: Decimal,
}

/// What a new session records besides its capital: who trades it and which markets, so that
/// readers of the database know each token's market and outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSpec {
    /// The strategy (or set of strategies) trading the session.
    pub strategy_id: String,
    /// The host's configuration, JSON.
    pub config_json: String,
    /// The markets traded.
    pub markets: Vec<MarketIds>,
}

/// A binary market's ids: the market, its condition, its YES and NO tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketIds {
    /// Market id on the exchange.
    pub market_id: String,
    /// Condition id used to mint and merge pairs.
    pub condition_id: String,
    /// Token id of the YES outcome.
    pub yes_token_id: String,
    /// Token id of the NO outcome.
    pub no_token_id: String,
}

/// A contradicting fact the ledger applied and recorded (ledger rule 2), oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    /// What contradicted the ledger, e.g. `fill_unknown_order`.
    pub kind: String,
    /// The event as Python shows it.
    pub event: String,
    /// A message a trader can act on.
    pub message: String,
}

/// `Outcome` as the ledger's own `Outcome` member, looked up once per process: the event
/// builders take a member as it is, where the wire string needs a lookup and a call.
fn outcome_member<'py>(py: Python<'py>, outcome: Outcome) -> PyResult<Bound<'py, PyAny>> {
    static MEMBERS: PyOnceLock<[Py<PyAny>; 2]> = PyOnceLock::new();
    let [yes, no] = MEMBERS.get_or_try_init(py, || -> PyResult<[Py<PyAny>; 2]> {
        let class = py
            .import("weatherman_inventory.models")?
            .getattr("Outcome")?;
        Ok([
            class.getattr("YES")?.unbind(),
            class.getattr("NO")?.unbind(),
        ])
    })?;
    Ok(match outcome {
        Outcome::Yes => yes,
        Outcome::No => no,
    }
    .bind(py)
    .clone())
}

/// `decimal.Decimal`, looked up once per process.
fn decimal<'py>(py: Python<'py>, value: Decimal) -> PyResult<Bound<'py, PyAny>> {
    static DECIMAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let class = DECIMAL.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("decimal")?.getattr("Decimal")?.unbind())
    })?;
    class.bind(py).call1((value.to_string(),))
}

/// A quantity or a price in cents for the Python API: an `int` when whole (what the seed passed,
/// so whole amounts journal as before), else an exact `decimal.Decimal`.
fn amount<'py>(py: Python<'py>, value: Decimal) -> PyResult<Bound<'py, PyAny>> {
    // An integer's `Decimal` has no decimal places: no arithmetic to find it whole.
    let whole = if value.scale() == 0 {
        Some(value)
    } else if value.fract().is_zero() {
        Some(value.trunc())
    } else {
        None
    };
    if let Some(Ok(whole)) = whole.map(i64::try_from) {
        return Ok(whole.into_pyobject(py)?.into_any());
    }
    decimal(py, value)
}

/// The fill prices already handed to Python, as the `decimal.Decimal` objects they became: a
/// session fills at a few hundred distinct prices, and the same object again costs neither its
/// text nor its parse, and Python keeps its hash (the ledger converts each distinct price once,
/// keyed by value). Keyed by the exact representation (`0.5` and `0.50` stay apart), and
/// emptied when full.
#[derive(Default)]
struct Prices(HashMap<[u8; 16], Py<PyAny>>);

impl Prices {
    const KEPT: usize = 4096;

    fn get<'py>(&mut self, py: Python<'py>, price: Decimal) -> PyResult<Bound<'py, PyAny>> {
        let key = price.serialize();
        if let Some(object) = self.0.get(&key) {
            return Ok(object.bind(py).clone());
        }
        let object = decimal(py, price)?;
        if self.0.len() >= Self::KEPT {
            self.0.clear();
        }
        self.0.insert(key, object.clone().unbind());
        Ok(object)
    }
}

fn manager_class(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import(intern!(py, "weatherman_inventory.manager"))?
        .getattr(intern!(py, "InventoryManager"))
}

fn open_store<'py>(
    py: Python<'py>,
    db: &StoreTarget,
    mode: StoreMode,
) -> PyResult<Bound<'py, PyAny>> {
    let class = py
        .import(intern!(py, "weatherman_inventory.store"))?
        .getattr(intern!(py, "PersistenceLayer"))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("mode", mode.as_str())?;
    class.call((db.connect_text().as_ref(),), Some(&kwargs))
}

/// A Python `InventoryManager`, optionally bound to a store (SQLite or PostgreSQL).
pub struct InventoryManager {
    /// The Python object; the venue feed (`super::venue`) binds its adapter to it.
    pub(super) manager: Py<PyAny>,
    store: Option<Py<PyAny>>,
    session_id: Option<String>,
    cache: SnapshotCache,
    /// The token ids of the last `update_prices`, in token order, each with its interned Python
    /// string: the same ids cross every tick.
    token_order: Vec<(String, Py<PyString>)>,
    prices: Prices,
}

impl std::fmt::Debug for InventoryManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InventoryManager")
            .field("session_id", &self.session_id)
            .field("bound_to_store", &self.store.is_some())
            .finish()
    }
}

impl InventoryManager {
    fn wrap(manager: Py<PyAny>, store: Option<Py<PyAny>>, session_id: Option<String>) -> Self {
        InventoryManager {
            manager,
            store,
            session_id,
            cache: SnapshotCache::default(),
            token_order: Vec::new(),
            prices: Prices::default(),
        }
    }

    /// A fresh in-memory ledger with `initial_capital_usd` dollars (no store).
    pub fn new(initial_capital_usd: Decimal) -> Result<Self, ShimError> {
        interpreter::require_started()?;
        Python::attach(|py| {
            let manager = manager_class(py)?.call1((decimal(py, initial_capital_usd)?,))?;
            Ok(Self::wrap(manager.unbind(), None, None))
        })
    }

    /// A new session journaled to `db`: a SQLite file (created if missing; a `&Path` will do)
    /// or a PostgreSQL database (`StoreTarget::Postgres`); fails with
    /// `ShimError::Store { kind: "SessionExists", .. }` if the session is already there.
    pub fn open(
        db: impl Into<StoreTarget>,
        mode: StoreMode,
        session_id: &str,
        initial_capital_usd: Decimal,
        spec: &SessionSpec,
    ) -> Result<Self, ShimError> {
        interpreter::require_started()?;
        let db = db.into();
        Python::attach(|py| {
            let store = open_store(py, &db, mode)?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("strategy_id", &spec.strategy_id)?;
            kwargs.set_item("config_json", &spec.config_json)?;
            let markets: Vec<(&str, &str, &str, &str)> = spec
                .markets
                .iter()
                .map(|m| {
                    (
                        m.market_id.as_str(),
                        m.condition_id.as_str(),
                        m.yes_token_id.as_str(),
                        m.no_token_id.as_str(),
                    )
                })
                .collect();
            kwargs.set_item("markets", markets)?;
            let manager = manager_class(py)?
                .call_method(
                    intern!(py, "open"),
                    (&store, session_id, decimal(py, initial_capital_usd)?),
                    Some(&kwargs),
                )
                .inspect_err(|_| {
                    let _ = store.call_method0(intern!(py, "close"));
                })?;
            Ok(Self::wrap(
                manager.unbind(),
                Some(store.unbind()),
                Some(session_id.to_owned()),
            ))
        })
    }

    /// The session rebuilt from its journal in `db` (a path or a `StoreTarget`), exactly as
    /// after its last committed event.
    pub fn recover(
        db: impl Into<StoreTarget>,
        mode: StoreMode,
        session_id: &str,
    ) -> Result<Self, ShimError> {
        interpreter::require_started()?;
        let db = db.into();
        Python::attach(|py| {
            let store = open_store(py, &db, mode)?;
            let manager = manager_class(py)?
                .call_method1(intern!(py, "recover"), (&store, session_id))
                .inspect_err(|_| {
                    let _ = store.call_method0(intern!(py, "close"));
                })?;
            Ok(Self::wrap(
                manager.unbind(),
                Some(store.unbind()),
                Some(session_id.to_owned()),
            ))
        })
    }

    /// The session id, when bound to a store.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The current state: the contract struct and the exact JSON text Python wrote.
    ///
    /// Shared, because most ticks change little: when Python's text is the same as last time
    /// the previous snapshot is handed out again, and only the tokens whose text changed are
    /// parsed anew.
    pub fn snapshot(&mut self) -> Result<Arc<Snapshot>, ShimError> {
        Python::attach(|py| {
            let text = self
                .manager
                .bind(py)
                .call_method0(intern!(py, "snapshot_json"))?;
            let text = text.cast_into::<PyString>().map_err(PyErr::from)?;
            self.cache.update(text.to_str()?)
        })
    }

    /// Marks every held token present in `prices` (token id -> cents, 0..100: whole `u64`s as
    /// the seed passes them, or exact `Decimal`s for ticks finer than a cent).
    pub fn update_prices<P: Copy + Into<Cents>>(
        &mut self,
        prices: &HashMap<String, P>,
    ) -> Result<(), ShimError> {
        // In token order, not the HashMap's: the journal row of the price event then depends
        // only on the prices, so two identical sessions write identical journals. A tick's map
        // usually holds the same tokens as the last one: then the last order serves again.
        let same_tokens = (self.token_order.len() == prices.len())
            .then(|| {
                self.token_order
                    .iter()
                    .map(|(token_id, _)| prices.get(token_id.as_str()).copied())
                    .collect::<Option<Vec<P>>>()
            })
            .flatten();
        Python::attach(|py| {
            let values = match same_tokens {
                Some(values) => values,
                None => {
                    let mut sorted: Vec<(&String, &P)> = prices.iter().collect();
                    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
                    self.token_order = sorted
                        .iter()
                        .map(|(id, _)| ((*id).clone(), PyString::intern(py, id).unbind()))
                        .collect();
                    sorted.into_iter().map(|(_, cents)| *cents).collect()
                }
            };
            let dict = PyDict::new(py);
            for ((_, key), cents) in self.token_order.iter().zip(values) {
                dict.set_item(key.bind(py), amount(py, cents.into().value())?)?;
            }
            self.manager
                .bind(py)
                .call_method1(intern!(py, "update_prices"), (dict,))?;
            Ok(())
        })
    }

    /// Refuses new buys and mints from now on; sells, cancels and merges go on.
    pub fn trigger_exit(&mut self) -> Result<(), ShimError> {
        self.call0("trigger_exit")
    }

    /// Whether a buy of `qty` shares at `limit_px` cents can be funded now.
    pub fn can_buy(
        &self,
        qty: impl Into<Shares>,
        limit_px: impl Into<Cents>,
    ) -> Result<bool, ShimError> {
        let (qty, limit_px) = (qty.into().value(), limit_px.into().value());
        Python::attach(|py| {
            Ok(self
                .manager
                .bind(py)
                .call_method1(
                    intern!(py, "can_buy"),
                    (amount(py, qty)?, amount(py, limit_px)?),
                )?
                .is_truthy()?)
        })
    }

    /// Whether `qty` shares of `token_id` are free to sell now: settled shares only, those of
    /// provisional buys are not.
    pub fn can_sell(&self, token_id: &str, qty: impl Into<Shares>) -> Result<bool, ShimError> {
        let qty = qty.into().value();
        Python::attach(|py| {
            Ok(self
                .manager
                .bind(py)
                .call_method1(intern!(py, "can_sell"), (token_id, amount(py, qty)?))?
                .is_truthy()?)
        })
    }

    /// Whether a mint of `amount_usd` dollars can be funded now.
    pub fn can_mint(&self, amount_usd: Decimal) -> Result<bool, ShimError> {
        Python::attach(|py| {
            Ok(self
                .manager
                .bind(py)
                .call_method1(intern!(py, "can_mint"), (decimal(py, amount_usd)?,))?
                .is_truthy()?)
        })
    }

    /// A buy order was submitted: reserves `qty * limit_px / 100` dollars (rounded up to the
    /// micro-dollar) under `local_id`.
    pub fn on_order_submitted_buy(
        &mut self,
        local_id: &str,
        market_id: &str,
        token_id: &str,
        outcome: Outcome,
        qty: impl Into<Shares>,
        limit_px: impl Into<Cents>,
    ) -> Result<(), ShimError> {
        let (qty, limit_px) = (qty.into().value(), limit_px.into().value());
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_order_submitted_buy"),
                (
                    local_id,
                    market_id,
                    token_id,
                    outcome_member(py, outcome)?,
                    amount(py, qty)?,
                    amount(py, limit_px)?,
                ),
            )?;
            Ok(())
        })
    }

    /// A sell order was submitted: reserves `qty` shares of `token_id`.
    pub fn on_order_submitted_sell(
        &mut self,
        local_id: &str,
        token_id: &str,
        qty: impl Into<Shares>,
    ) -> Result<(), ShimError> {
        let qty = qty.into().value();
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_order_submitted_sell"),
                (local_id, token_id, amount(py, qty)?),
            )?;
            Ok(())
        })
    }

    /// A final buy fill of `fill_qty` shares at `fill_price` dollars (the seed's signature).
    #[allow(clippy::too_many_arguments)]
    pub fn on_fill_buy(
        &mut self,
        local_id: &str,
        token_id: &str,
        market_id: &str,
        outcome: Outcome,
        fill_qty: impl Into<Shares>,
        fill_price: Decimal,
        order_qty: impl Into<Shares>,
    ) -> Result<(), ShimError> {
        self.on_fill_buy_with(
            local_id,
            token_id,
            market_id,
            outcome,
            fill_qty,
            fill_price,
            order_qty,
            &FillMeta::default(),
        )
    }

    /// `on_fill_buy` with the fill id, fee and settlement status: a provisional buy (`meta.status`
    /// `Matched`, `Mined`, `Retrying`) debits cash and credits the position at once, but its
    /// shares are not sellable until `Confirmed`.
    #[allow(clippy::too_many_arguments)]
    pub fn on_fill_buy_with(
        &mut self,
        local_id: &str,
        token_id: &str,
        market_id: &str,
        outcome: Outcome,
        fill_qty: impl Into<Shares>,
        fill_price: Decimal,
        order_qty: impl Into<Shares>,
        meta: &FillMeta,
    ) -> Result<(), ShimError> {
        let (fill_qty, order_qty) = (fill_qty.into().value(), order_qty.into().value());
        Python::attach(|py| {
            let kwargs = fill_kwargs(py, meta)?;
            self.manager.bind(py).call_method(
                intern!(py, "on_fill_buy"),
                (
                    local_id,
                    token_id,
                    market_id,
                    outcome_member(py, outcome)?,
                    amount(py, fill_qty)?,
                    self.prices.get(py, fill_price)?,
                    amount(py, order_qty)?,
                ),
                kwargs.as_ref(),
            )?;
            Ok(())
        })
    }

    /// A final sell fill of `fill_qty` shares at `fill_price` dollars (the seed's signature).
    pub fn on_fill_sell(
        &mut self,
        local_id: &str,
        token_id: &str,
        fill_qty: impl Into<Shares>,
        fill_price: Decimal,
        order_qty: impl Into<Shares>,
    ) -> Result<(), ShimError> {
        self.on_fill_sell_with(
            local_id,
            token_id,
            fill_qty,
            fill_price,
            order_qty,
            &FillMeta::default(),
        )
    }

    /// `on_fill_sell` with the fill id, fee and settlement status: a provisional sale removes the
    /// shares at once, and its proceeds count in `totalUsd` but not in `accessibleUsd` until
    /// `Confirmed`.
    pub fn on_fill_sell_with(
        &mut self,
        local_id: &str,
        token_id: &str,
        fill_qty: impl Into<Shares>,
        fill_price: Decimal,
        order_qty: impl Into<Shares>,
        meta: &FillMeta,
    ) -> Result<(), ShimError> {
        let (fill_qty, order_qty) = (fill_qty.into().value(), order_qty.into().value());
        Python::attach(|py| {
            let kwargs = fill_kwargs(py, meta)?;
            self.manager.bind(py).call_method(
                intern!(py, "on_fill_sell"),
                (
                    local_id,
                    token_id,
                    amount(py, fill_qty)?,
                    self.prices.get(py, fill_price)?,
                    amount(py, order_qty)?,
                ),
                kwargs.as_ref(),
            )?;
            Ok(())
        })
    }

    /// The venue moved the fill `fill_id` (booked with that id) to `status`. `Failed` restates
    /// its token exactly as if the fill had never happened and refunds its fee; an unknown fill
    /// id, a repeated status or a move out of a terminal status is recorded as an anomaly.
    pub fn on_fill_status(&mut self, fill_id: &str, status: FillStatus) -> Result<(), ShimError> {
        Python::attach(|py| {
            self.manager
                .bind(py)
                .call_method1(intern!(py, "on_fill_status"), (fill_id, status.as_str()))?;
            Ok(())
        })
    }

    /// Cash in or out without a token, journaled with its `reason`: `amount_usd` dollars, >= 0
    /// for a deposit, withdrawal or rebate (the kind gives the sign), signed for a correction.
    pub fn on_cash_adjustment(
        &mut self,
        kind: CashAdjustmentKind,
        amount_usd: Decimal,
        reason: &str,
    ) -> Result<(), ShimError> {
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_cash_adjustment"),
                (kind.as_str(), decimal(py, amount_usd)?, reason),
            )?;
            Ok(())
        })
    }

    /// The market of `condition_id` resolved: `payouts` are the venue's numerators `[YES, NO]`,
    /// `[1, 0]`, `[0, 1]` or `[1, 1]` (void: half a dollar a share), any other is refused. Its
    /// tokens are marked at their payout, its open orders cancelled, new trading on it refused.
    pub fn on_market_resolved(
        &mut self,
        condition_id: &str,
        payouts: [u32; 2],
    ) -> Result<(), ShimError> {
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_market_resolved"),
                (condition_id, payouts.to_vec()),
            )?;
            Ok(())
        })
    }

    /// A redemption of the resolved condition was sent: reserves its redeemable shares.
    pub fn on_redemption_submitted(&mut self, condition_id: &str) -> Result<(), ShimError> {
        Python::attach(|py| {
            self.manager
                .bind(py)
                .call_method1(intern!(py, "on_redemption_submitted"), (condition_id,))?;
            Ok(())
        })
    }

    /// A redemption was mined, paying `paid_usd` dollars (the observed balance change): the
    /// reserved shares leave at their payout; an amount other than shares * payout is applied
    /// and recorded as an anomaly.
    pub fn on_redemption_confirmed(
        &mut self,
        condition_id: &str,
        paid_usd: Decimal,
    ) -> Result<(), ShimError> {
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_redemption_confirmed"),
                (condition_id, decimal(py, paid_usd)?),
            )?;
            Ok(())
        })
    }

    /// A redemption failed on chain: its reserved shares are redeemable again.
    pub fn on_redemption_failed(&mut self, condition_id: &str) -> Result<(), ShimError> {
        Python::attach(|py| {
            self.manager
                .bind(py)
                .call_method1(intern!(py, "on_redemption_failed"), (condition_id,))?;
            Ok(())
        })
    }

    /// Whether a buy in `market_id` of `qty` shares at `limit_px` cents can be funded now:
    /// false once the market resolved.
    pub fn can_buy_in(
        &self,
        market_id: &str,
        qty: impl Into<Shares>,
        limit_px: impl Into<Cents>,
    ) -> Result<bool, ShimError> {
        let (qty, limit_px) = (qty.into().value(), limit_px.into().value());
        Python::attach(|py| {
            let kwargs = PyDict::new(py);
            kwargs.set_item(intern!(py, "market_id"), market_id)?;
            Ok(self
                .manager
                .bind(py)
                .call_method(
                    intern!(py, "can_buy"),
                    (amount(py, qty)?, amount(py, limit_px)?),
                    Some(&kwargs),
                )?
                .is_truthy()?)
        })
    }

    /// Whether a mint of `amount_usd` dollars in `condition_id` can be funded now: false once
    /// the market resolved.
    pub fn can_mint_in(&self, condition_id: &str, amount_usd: Decimal) -> Result<bool, ShimError> {
        Python::attach(|py| {
            let kwargs = PyDict::new(py);
            kwargs.set_item(intern!(py, "condition_id"), condition_id)?;
            Ok(self
                .manager
                .bind(py)
                .call_method(
                    intern!(py, "can_mint"),
                    (decimal(py, amount_usd)?,),
                    Some(&kwargs),
                )?
                .is_truthy()?)
        })
    }

    /// A buy order was cancelled or rejected: releases what it has left reserved.
    pub fn on_order_cancelled_buy(
        &mut self,
        local_id: &str,
        remaining_qty: impl Into<Shares>,
        limit_px: impl Into<Cents>,
    ) -> Result<(), ShimError> {
        let (remaining_qty, limit_px) = (remaining_qty.into().value(), limit_px.into().value());
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_order_cancelled_buy"),
                (local_id, amount(py, remaining_qty)?, amount(py, limit_px)?),
            )?;
            Ok(())
        })
    }

    /// A sell order was cancelled or rejected: releases its reserved shares.
    pub fn on_order_cancelled_sell(
        &mut self,
        local_id: &str,
        token_id: &str,
        remaining_qty: impl Into<Shares>,
    ) -> Result<(), ShimError> {
        let remaining_qty = remaining_qty.into().value();
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_order_cancelled_sell"),
                (local_id, token_id, amount(py, remaining_qty)?),
            )?;
            Ok(())
        })
    }

    /// A mint of `amount_usd` dollars of pairs was submitted: reserves the amount.
    pub fn on_mint_submitted(
        &mut self,
        condition_id: &str,
        amount_usd: Decimal,
    ) -> Result<(), ShimError> {
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_mint_submitted"),
                (condition_id, decimal(py, amount_usd)?),
            )?;
            Ok(())
        })
    }

    /// A mint of `pair_count` pairs confirmed on chain.
    pub fn on_mint_confirmed(
        &mut self,
        condition_id: &str,
        pair_count: impl Into<Shares>,
        yes_token_id: &str,
        no_token_id: &str,
        market_id: &str,
    ) -> Result<(), ShimError> {
        let pair_count = pair_count.into().value();
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_mint_confirmed"),
                (
                    condition_id,
                    amount(py, pair_count)?,
                    yes_token_id,
                    no_token_id,
                    market_id,
                ),
            )?;
            Ok(())
        })
    }

    /// A mint failed: releases its reservation.
    pub fn on_mint_failed(
        &mut self,
        condition_id: &str,
        amount_usd: Decimal,
    ) -> Result<(), ShimError> {
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_mint_failed"),
                (condition_id, decimal(py, amount_usd)?),
            )?;
            Ok(())
        })
    }

    /// A merge of `pair_count` pairs was submitted: reserves the pairs.
    pub fn on_merge_submitted(
        &mut self,
        condition_id: &str,
        pair_count: impl Into<Shares>,
    ) -> Result<(), ShimError> {
        let pair_count = pair_count.into().value();
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_merge_submitted"),
                (condition_id, amount(py, pair_count)?),
            )?;
            Ok(())
        })
    }

    /// A merge of `pair_count` pairs confirmed on chain: $1 a pair back in cash.
    pub fn on_merge_confirmed(
        &mut self,
        condition_id: &str,
        pair_count: impl Into<Shares>,
        yes_token_id: &str,
        no_token_id: &str,
    ) -> Result<(), ShimError> {
        let pair_count = pair_count.into().value();
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_merge_confirmed"),
                (
                    condition_id,
                    amount(py, pair_count)?,
                    yes_token_id,
                    no_token_id,
                ),
            )?;
            Ok(())
        })
    }

    /// A merge failed: returns the reserved pairs.
    pub fn on_merge_failed(
        &mut self,
        condition_id: &str,
        pair_count: impl Into<Shares>,
    ) -> Result<(), ShimError> {
        let pair_count = pair_count.into().value();
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_merge_failed"),
                (condition_id, amount(py, pair_count)?),
            )?;
            Ok(())
        })
    }

    /// The venue's id of an order, once the session learns it: journaled, so recovery and
    /// `verify` know it from the journal (a second, different id is recorded as an anomaly).
    pub fn on_exchange_order_id(
        &mut self,
        local_id: &str,
        exchange_order_id: &str,
    ) -> Result<(), ShimError> {
        Python::attach(|py| {
            self.manager.bind(py).call_method1(
                intern!(py, "on_exchange_order_id"),
                (local_id, exchange_order_id),
            )?;
            Ok(())
        })
    }

    /// Seeds positions from the fast-start cache (the seed's `load_positions`).
    pub fn load_positions(&mut self, rows: &[LoadedPosition]) -> Result<(), ShimError> {
        Python::attach(|py| {
            let mut items = Vec::with_capacity(rows.len());
            for row in rows {
                items.push((
                    row.token_id.as_str(),
                    row.market_id.as_str(),
                    outcome_member(py, row.outcome)?,
                    amount(py, row.qty)?,
                    decimal(py, row.avg_price)?,
                    decimal(py, row.realized_pnl)?,
                ));
            }
            self.manager
                .bind(py)
                .call_method1(intern!(py, "load_positions"), (items,))?;
            Ok(())
        })
    }

    /// The anomalies recorded so far, oldest first.
    pub fn anomalies(&self) -> Result<Vec<Anomaly>, ShimError> {
        Python::attach(|py| {
            let list = self
                .manager
                .bind(py)
                .call_method0(intern!(py, "anomalies"))?;
            let mut out = Vec::new();
            for item in list.try_iter()? {
                let item = item?;
                let kind = item.getattr("kind")?;
                // `AnomalyKind` is a str enum: its value is the wire name.
                let kind = match kind.getattr("value") {
                    Ok(value) => value.str()?.to_string(),
                    Err(_) => kind.str()?.to_string(),
                };
                out.push(Anomaly {
                    kind,
                    event: item.getattr("event")?.repr()?.to_string(),
                    message: item.getattr("message")?.str()?.to_string(),
                });
            }
            Ok(out)
        })
    }

    /// The number of events the store has journaled for this session (0 without a store).
    pub fn journal_seq(&self) -> Result<u64, ShimError> {
        let (Some(store), Some(session_id)) = (&self.store, &self.session_id) else {
            return Ok(0);
        };
        Python::attach(|py| {
            Ok(store
                .bind(py)
                .call_method1(intern!(py, "last_seq"), (session_id.as_str(),))?
                .extract()?)
        })
    }

    /// Closes the store (releasing the session's writer lock); the handle is spent.
    pub fn close(self) -> Result<(), ShimError> {
        if let Some(store) = &self.store {
            Python::attach(|py| -> Result<(), ShimError> {
                store.bind(py).call_method0(intern!(py, "close"))?;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Group commit: runs `f` inside Python's `manager.batch()`. Every event `f` applies is
    /// checked and applied at once (what `f` reads next sees it); when `f` returns `Ok` they are
    /// all journaled in one store transaction. An `Err` from `f`, a panic in it, or a failed
    /// commit restores the ledger exactly as it was before the call and writes nothing; the
    /// error is returned (`f`'s own, or the store's as a `ShimError` converted into `E`). A
    /// `batch` inside `f` joins this one.
    pub fn batch<T, E>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, E>) -> Result<T, E>
    where
        E: From<ShimError> + std::fmt::Display,
    {
        let context = Python::attach(|py| -> PyResult<Py<PyAny>> {
            let context = self.manager.bind(py).call_method0(intern!(py, "batch"))?;
            context.call_method0(intern!(py, "__enter__"))?;
            Ok(context.unbind())
        })
        .map_err(|err| E::from(err.into()))?;
        let mut open = OpenBatch(Some(context));
        match f(self) {
            Ok(value) => {
                open.exit(None).map_err(E::from)?;
                Ok(value)
            }
            Err(err) => {
                // The closure's error is the one that matters; restoring raises nothing more
                // unless Python itself is failing, and then the closure's error still stands.
                let _ = open.exit(Some(&err.to_string()));
                Err(err)
            }
        }
    }

    /// Closes the store as `close` does, recording first that the session is over: its writer
    /// leaves it `ended` rather than `stopped` (`fleet` shows which). The handle is spent.
    pub fn end(self) -> Result<(), ShimError> {
        if self.store.is_some() {
            Python::attach(|py| -> Result<(), ShimError> {
                let kwargs = PyDict::new(py);
                kwargs.set_item("ended", true)?;
                self.manager
                    .bind(py)
                    .call_method(intern!(py, "close"), (), Some(&kwargs))?;
                Ok(())
            })?;
        }
        self.close()
    }

    fn call0(&mut self, name: &str) -> Result<(), ShimError> {
        Python::attach(|py| {
            self.manager.bind(py).call_method0(name)?;
            Ok(())
        })
    }
}

/// A Python `batch()` context entered and not yet left: left with an exception (restoring the
/// ledger) if dropped while still open, e.g. when the closure panics.
struct OpenBatch(Option<Py<PyAny>>);

impl OpenBatch {
    /// Leave the context: commit (`failure` None) or restore with an exception carrying
    /// `failure` (Python's context manager re-raises it, and returns False once it has).
    fn exit(&mut self, failure: Option<&str>) -> Result<(), ShimError> {
        let Some(context) = self.0.take() else {
            return Ok(());
        };
        Python::attach(|py| -> Result<(), ShimError> {
            let context = context.bind(py);
            match failure {
                None => {
                    context
                        .call_method1(intern!(py, "__exit__"), (py.None(), py.None(), py.None()))?;
                }
                Some(message) => {
                    let exc = pyo3::exceptions::PyRuntimeError::new_err(format!(
                        "the batch's closure failed: {message}"
                    ));
                    let value = exc.value(py);
                    context.call_method1(
                        intern!(py, "__exit__"),
                        (value.get_type(), value, py.None()),
                    )?;
                }
            }
            Ok(())
        })
    }
}

impl Drop for OpenBatch {
    fn drop(&mut self) {
        let _ = self.exit(Some("the batch was left by a panic"));
    }
}

/// The keywords of a fill call: only those that differ from the defaults, so a default
/// `FillMeta` makes the seed's call.
fn fill_kwargs<'py>(py: Python<'py>, meta: &FillMeta) -> PyResult<Option<Bound<'py, PyDict>>> {
    if meta.fill_id.is_none() && meta.fee_usd.is_zero() && meta.status.is_none() {
        return Ok(None);
    }
    let kwargs = PyDict::new(py);
    if let Some(fill_id) = &meta.fill_id {
        kwargs.set_item(intern!(py, "fill_id"), fill_id)?;
    }
    if !meta.fee_usd.is_zero() {
        kwargs.set_item(intern!(py, "fee_usd"), decimal(py, meta.fee_usd)?)?;
    }
    if let Some(status) = meta.status {
        kwargs.set_item(intern!(py, "status"), status.as_str())?;
    }
    Ok(Some(kwargs))
}
