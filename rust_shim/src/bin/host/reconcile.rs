//! The paper venue's account across a stop, and reconciliation at `--resume`.
//!
//! When the host stops (its last tick, a signal, `--stop-after`), the paper venue writes its
//! account as the venue's REST APIs answer it, in the `reconcile` command's layout, into
//! `<db>.venue/<session>/`: the collateral balance, the token balances, the open orders, an
//! empty trade history, and the account's identity. The paper venue reported every fact to the
//! ledger through the user channel, so these are the ledger's on-chain amounts then
//! (`VenueAccountJson::of_paper_ledger`).
//!
//! Whatever changes those books while the host is down (a trade the stream never delivered, an
//! order the venue dropped, a cash movement) is found at `--resume`, as a live session finds
//! it against the venue: the trade history is fed through the venue feed first, so a missed
//! fill is booked as a fill with its price and fee; then the ledger is reconciled with the
//! account, the difference printed (the `reconcile` command's table) and adopted (one
//! journaled correcting event each, an anomaly), and reconciled again, which must find nothing.
//! The engine and the legacy tracker follow: a missed fill of a resting order as a fill, a
//! dropped order as a cancel, adopted cash as cash; recorded in `host_reconciled` so that a
//! later `--resume` replays them in their place. The account is then removed: it described the venue at that stop, and a later crash leaves
//! none behind to be mistaken for the venue's books at the crash.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde_json::Value;
use weatherman_inventory::contract::Outcome;
use weatherman_inventory::shim::{catch_up, Difference, VenueAccountJson, VenueActionKind};

use super::engine::OpenOrder;
use super::error::HostError;
use super::events::{FillFacts, LedgerEvent, Side};
use super::plan_store::Reconciled;
use super::session::Session;
use super::venue;

/// What reconciliation at `--resume` found and did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciliation {
    /// Where the venue's account was read from.
    pub account: String,
    /// Fills booked from the trade history (fill ids): what the stream missed.
    pub booked: Vec<String>,
    /// The difference found, as the `reconcile` command prints it.
    pub found: String,
    /// How many differences were found (tokens, orders, cash, unverified).
    pub differences: usize,
    /// The kinds of the correcting events journaled, in order.
    pub adopted: Vec<String>,
    /// The difference after adopting, as printed.
    pub after: String,
    /// Whether the ledger agrees with the venue after adopting.
    pub agreed: bool,
}

impl Reconciliation {
    /// The lines the host prints at `--resume`.
    pub fn render(&self) -> String {
        let mut out = format!(
            "reconciliation with the paper venue's account ({})\ntrade history: {} missed \
             fills booked\n",
            self.account,
            self.booked.len()
        );
        for fill in &self.booked {
            out.push_str(&format!("  {fill}\n"));
        }
        out.push_str(&self.found);
        out.push('\n');
        if self.differences > 0 {
            out.push_str(&format!(
                "adopted {} corrections, each an anomaly: {}\nafter adopting: {}\n",
                self.adopted.len(),
                if self.adopted.is_empty() {
                    "nothing".to_owned()
                } else {
                    self.adopted.join(", ")
                },
                self.after
            ));
        }
        out
    }
}

/// The paper venue's account directory of `session_id` beside the database `db`.
pub fn account_dir(db: &Path, session_id: &str) -> PathBuf {
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "weatherman".into());
    let safe: String = session_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    db.with_file_name(format!("{name}.venue")).join(safe)
}

/// Micro-units of the venue's decimal text ("0.57", "3").
fn micro_of(value: &Value) -> Option<u64> {
    let d: Decimal = value.as_str()?.parse().ok()?;
    u64::try_from(d * Decimal::from(1_000_000u32)).ok()
}

/// Our maker leg `order_id` of trade `trade_id` in the trade pages: (shares, price, status).
fn maker_leg(
    account: &VenueAccountJson,
    trade_id: &str,
    order_id: &str,
) -> Option<(u64, u64, bool, String)> {
    for page in &account.trades {
        let page: Value = serde_json::from_str(page).ok()?;
        for trade in page["data"].as_array()? {
            if trade["id"].as_str() != Some(trade_id) {
                continue;
            }
            let confirmed = trade["status"].as_str() == Some("CONFIRMED");
            for leg in trade["maker_orders"].as_array()? {
                if leg["order_id"]
                    .as_str()
                    .is_some_and(|id| id.eq_ignore_ascii_case(order_id))
                {
                    return Some((
                        micro_of(&leg["matched_amount"])?,
                        micro_of(&leg["price"])?,
                        confirmed,
                        leg["asset_id"].as_str()?.to_owned(),
                    ));
                }
            }
        }
    }
    None
}

fn cancel_of(order: &OpenOrder) -> LedgerEvent {
    LedgerEvent::Cancel {
        local_id: order.local_id.clone(),
        side: order.side,
        token_id: order.token_id.clone(),
        remaining_qty_micro: order.qty.saturating_sub(order.filled),
        limit_px: order.limit_px,
        qty_micro: order.qty,
        fill_ids: order.fill_ids.clone(),
        resolved: false,
    }
}

fn io(what: &str, path: &Path, err: std::io::Error) -> HostError {
    HostError::Setup(format!("{what} {}: {err}", path.display()))
}

impl Session {
    /// Writes the paper venue's account at a stop; returns its directory.
    pub fn save_venue_account(&self, db: &Path) -> Result<PathBuf, HostError> {
        let dir = account_dir(db, &self.cfg.session_id);
        let conditions: Vec<(String, String)> = self
            .market
            .specs()
            .iter()
            .map(|s| (s.ids.market_id.clone(), s.ids.condition_id.clone()))
            .collect();
        let limits: Vec<(String, u64)> = self
            .engine
            .open_orders()
            .iter()
            .map(|o| (o.local_id.clone(), o.limit_px * 10_000))
            .collect();
        let account = VenueAccountJson::of_paper_ledger(
            &self.ledger,
            &venue::account(),
            &conditions,
            &limits,
        )?;
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| io("replacing", &dir, e))?;
        }
        account.write_dir(&dir)?;
        Ok(dir)
    }

    /// Reconciles the resumed ledger with the account the paper venue wrote at the last stop,
    /// if there is one (see the module's doc), and removes it.
    pub fn reconcile_at_resume(&mut self, db: &Path) -> Result<Option<Reconciliation>, HostError> {
        let dir = account_dir(db, &self.cfg.session_id);
        if !dir.is_dir() {
            return Ok(None);
        }
        let account = VenueAccountJson::read_dir(&dir)?;
        let mut booked = Vec::new();
        for applied in catch_up(self.venue.feed(), &mut self.ledger, &account)? {
            self.stats.venue.add(&applied);
            booked.extend(
                applied
                    .actions
                    .iter()
                    .filter(|a| a.kind == VenueActionKind::Fill)
                    .map(|a| a.key.clone()),
            );
        }
        let acknowledging: Vec<String> = self
            .engine
            .open_orders()
            .iter()
            .filter(|o| !o.acknowledged)
            .map(|o| o.local_id.clone())
            .collect();
        let found = self
            .ledger
            .reconcile_acknowledging(&account, &acknowledging)?;
        let (events, cash_delta) = self.followed(&account, &booked, &found);
        let differences = found.tokens.len()
            + found.orders.len()
            + usize::from(found.cash.is_some())
            + found.unverified.len();
        let adopted = if found.is_empty() {
            Vec::new()
        } else {
            self.ledger.adopt(&found)?
        };
        for event in &adopted {
            log::info!("reconciliation adopted {}", event.text);
        }
        let after = self
            .ledger
            .reconcile_acknowledging(&account, &acknowledging)?;
        let after_tick = self.stats.last_tick;
        if !events.is_empty() || cash_delta != 0 {
            self.plans
                .save_reconciled(&self.cfg.session_id, after_tick, &events, cash_delta)?;
            self.replay_reconciled(&Reconciled {
                after_tick,
                events,
                cash_delta_micro: cash_delta,
            });
        }
        std::fs::remove_dir_all(&dir).map_err(|e| io("removing", &dir, e))?;
        Ok(Some(Reconciliation {
            account: dir.display().to_string(),
            booked,
            found: found.table.clone(),
            differences,
            adopted: adopted.into_iter().map(|a| a.kind).collect(),
            after: after.table.clone(),
            agreed: after.is_empty(),
        }))
    }

    /// What the engine and the legacy tracker take from reconciliation: each missed fill of a
    /// resting order as a fill (a taker's missed fill, whose fee the trade page does not give
    /// per leg, is left to the ledger alone, with a warning), each order the venue dropped as
    /// a cancel, and the cash adopted.
    fn followed(
        &self,
        account: &VenueAccountJson,
        booked: &[String],
        found: &Difference,
    ) -> (Vec<LedgerEvent>, i64) {
        let orders = self.engine.open_orders();
        let by_venue_id = |venue_id: &str| {
            orders
                .iter()
                .find(|o| venue::venue_order_id(&o.local_id).eq_ignore_ascii_case(venue_id))
        };
        let mut events = Vec::new();
        let mut filled: Vec<(String, u64)> = Vec::new();
        for key in booked {
            let (trade_id, venue_id) = key.split_once('/').unwrap_or((key, ""));
            let Some((qty, price, confirmed, token_id)) = maker_leg(account, trade_id, venue_id)
            else {
                log::warn!(
                    "reconciliation: fill {key} is not a maker leg of a resting order: the \
                     legacy position map does not follow it"
                );
                continue;
            };
            // The paper exchange's order, or (closed there, open in the ledger) the tracker's.
            let terms = match by_venue_id(venue_id) {
                Some(o) => Some((
                    o.local_id.clone(),
                    o.side,
                    o.qty,
                    o.filled,
                    o.limit_px,
                    o.fill_ids.clone(),
                )),
                None => self
                    .legacy
                    .buy_order_by(|local| {
                        venue::venue_order_id(local).eq_ignore_ascii_case(venue_id)
                    })
                    .map(|(local, size, done, limit)| {
                        (local, Side::Buy, size, done, limit / 10_000, Vec::new())
                    }),
            };
            let spec = self
                .market
                .specs()
                .iter()
                .find(|s| s.ids.yes_token_id == token_id || s.ids.no_token_id == token_id);
            let (Some((local_id, side, size, done, limit_px, fill_ids)), Some(spec)) =
                (terms, spec)
            else {
                log::warn!(
                    "reconciliation: fill {key} is not of an order the host placed: the legacy \
                     position map does not follow it"
                );
                continue;
            };
            let outcome = if spec.ids.yes_token_id == token_id {
                Outcome::Yes
            } else {
                Outcome::No
            };
            let before = filled
                .iter()
                .filter(|(id, _)| id == &local_id)
                .map(|(_, q)| q)
                .sum::<u64>();
            filled.push((local_id.clone(), qty));
            events.push(LedgerEvent::Fill {
                fill: FillFacts {
                    local_id,
                    side,
                    fill_id: key.clone(),
                    market_id: spec.ids.market_id.clone(),
                    token_id,
                    outcome,
                    qty_micro: qty,
                    price_micro: price,
                    fee_micro: 0,
                },
                order_qty_micro: size,
                provisional: !confirmed,
                matched_micro: done + before + qty,
                limit_px,
                earlier_fill_ids: fill_ids,
            });
        }
        for o in &found.orders {
            if o.kind != "missing" {
                continue;
            }
            if let Some(order) = o
                .local_id
                .as_deref()
                .and_then(|id| orders.iter().find(|e| e.local_id == id))
            {
                events.push(cancel_of(order));
            }
        }
        for t in &found.tokens {
            if !t.pending {
                log::warn!(
                    "reconciliation: token {} adopted at the venue's {} micro-shares: the legacy \
                     position map does not follow",
                    t.token_id,
                    t.venue_micro
                );
            }
        }
        let cash = found
            .cash
            .as_ref()
            .filter(|c| !c.pending)
            .map_or(0, |c| c.venue_micro - c.ledger_micro);
        (events, cash)
    }

    /// Applies what reconciliation changed to the engine and the legacy tracker.
    pub(super) fn replay_reconciled(&mut self, r: &Reconciled) {
        for event in &r.events {
            self.engine.apply(event, &self.market, r.after_tick);
            self.legacy.apply(event);
        }
        self.legacy.adjust_cash(r.cash_delta_micro);
    }
}
