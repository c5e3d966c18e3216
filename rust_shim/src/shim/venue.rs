//! The venue's own words in: the user channel's raw frames (and the REST trade pages) forwarded
//! as they are to the Python `PolymarketAdapter`, which turns our legs into the ledger's calls.
//!
//! A [`VenueFeed`] owns one adapter bound to one [`InventoryManager`] and configured with the
//! account's identity ([`VenueAccount`]: the API key's owner id and the funder address, which
//! say which legs of a trade are ours). The session hands it each frame's text unchanged:
//! `feed.on_message(&mut ledger, text)`. A frame the adapter cannot read is refused as a whole
//! with `ShimError::InvalidInput`, whose `field` is the path of the offending value in the text
//! (`[1].maker_orders[0].matched_amount`) and `value` the value's `repr()`; nothing changes. The
//! adapter keeps no state the ledger does not (what it applied is read back from the ledger's
//! fills and orders), so a feed made for a recovered ledger carries on where the last one left.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::error::ShimError;
use super::interpreter;
use super::manager::InventoryManager;

/// Whose legs are ours: the API key's owner id and the funder address (compared
/// case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueAccount {
    /// The API key's owner id (`owner` of our orders and legs).
    pub api_key: String,
    /// The funder address (`maker_address` of our orders and legs).
    pub funder: String,
}

/// What one action of the adapter was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VenueActionKind {
    /// One of our legs booked as a fill.
    Fill,
    /// A booked fill moved to a new settlement status.
    Status,
    /// An order closed: what it still reserved released.
    Cancel,
    /// Nothing to do: already applied, stale, or not ours.
    Skip,
    /// A venue fact that disagrees with the ledger's order (side, token, size or price).
    Check,
    /// A cancel held until the trade it reports is booked.
    Wait,
}

impl VenueActionKind {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "fill" => VenueActionKind::Fill,
            "status" => VenueActionKind::Status,
            "cancel" => VenueActionKind::Cancel,
            "skip" => VenueActionKind::Skip,
            "check" => VenueActionKind::Check,
            "wait" => VenueActionKind::Wait,
            _ => return None,
        })
    }

    /// The adapter's name of the kind (`"fill"`).
    pub fn as_str(self) -> &'static str {
        match self {
            VenueActionKind::Fill => "fill",
            VenueActionKind::Status => "status",
            VenueActionKind::Cancel => "cancel",
            VenueActionKind::Skip => "skip",
            VenueActionKind::Check => "check",
            VenueActionKind::Wait => "wait",
        }
    }
}

/// One thing the adapter did or decided, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueAction {
    pub kind: VenueActionKind,
    /// The fill id (`"{trade id}/{our order id}"`) or the order's local id.
    pub key: String,
    /// What happened, for a log line.
    pub detail: String,
}

/// What one frame or page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VenueApplied {
    pub actions: Vec<VenueAction>,
    /// For a trade page: the cursor of the next page (`""` or `"LTE="`: that was the last).
    pub next_cursor: Option<String>,
}

impl VenueApplied {
    /// How many actions were of `kind`.
    pub fn count(&self, kind: VenueActionKind) -> usize {
        self.actions.iter().filter(|a| a.kind == kind).count()
    }
}

/// A Python `PolymarketAdapter` bound to one ledger.
pub struct VenueFeed {
    adapter: Py<PyAny>,
    /// The Python ledger the adapter calls: a frame is only applied through this very handle.
    ledger: Py<PyAny>,
}

impl std::fmt::Debug for VenueFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VenueFeed").finish_non_exhaustive()
    }
}

impl VenueFeed {
    /// An adapter for `ledger` and `account`. An empty API key or funder is refused with
    /// `ShimError::InvalidInput` naming it.
    pub fn new(ledger: &InventoryManager, account: &VenueAccount) -> Result<Self, ShimError> {
        interpreter::require_started()?;
        Python::attach(|py| {
            let class = py
                .import(intern!(py, "weatherman_inventory.venue"))?
                .getattr(intern!(py, "PolymarketAdapter"))?;
            let kwargs = PyDict::new(py);
            kwargs.set_item(intern!(py, "api_key"), &account.api_key)?;
            kwargs.set_item(intern!(py, "funder"), &account.funder)?;
            let adapter = class.call((ledger.manager.bind(py),), Some(&kwargs))?;
            Ok(VenueFeed {
                adapter: adapter.unbind(),
                ledger: ledger.manager.clone_ref(py),
            })
        })
    }

    /// Applies one user-channel frame (a `trade` or `order` event, or a JSON array of them),
    /// exactly as the venue sent it. `ledger` must be the handle the feed was made for.
    pub fn on_message(
        &self,
        ledger: &mut InventoryManager,
        text: &str,
    ) -> Result<VenueApplied, ShimError> {
        self.call(ledger, "on_user_messages", text)
    }

    /// Applies one page of `GET /data/trades` (`{data, next_cursor}`) like trade messages:
    /// what the stream missed is booked as fills, what was applied already changes nothing.
    pub fn on_trade_page(
        &self,
        ledger: &mut InventoryManager,
        text: &str,
    ) -> Result<VenueApplied, ShimError> {
        self.call(ledger, "on_trade_page", text)
    }

    fn call(
        &self,
        ledger: &mut InventoryManager,
        method: &str,
        text: &str,
    ) -> Result<VenueApplied, ShimError> {
        Python::attach(|py| {
            if !self.ledger.bind(py).is(ledger.manager.bind(py)) {
                return Err(ShimError::InvalidInput {
                    field: "ledger".into(),
                    value: format!("{ledger:?}"),
                    reason: "the ledger this venue feed was made for is required".into(),
                });
            }
            let applied = self.adapter.bind(py).call_method1(method, (text,))?;
            let mut out = VenueApplied::default();
            for action in applied.getattr(intern!(py, "actions"))?.try_iter()? {
                let action = action?;
                let kind: String = action.getattr(intern!(py, "kind"))?.extract()?;
                let kind = VenueActionKind::parse(&kind).ok_or_else(|| {
                    ShimError::Contract(format!("venue adapter action of unknown kind {kind:?}"))
                })?;
                out.actions.push(VenueAction {
                    kind,
                    key: action.getattr(intern!(py, "key"))?.extract()?,
                    detail: action.getattr(intern!(py, "detail"))?.extract()?,
                });
            }
            out.next_cursor = applied
                .getattr(intern!(py, "next_cursor"))?
                .extract::<Option<String>>()?;
            Ok(out)
        })
    }
}
