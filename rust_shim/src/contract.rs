//! The inventory contract's serde types: `DecisionContext` and `InventoryState` with everything
//! they hold, the same shapes as the pydantic models and the TypeScript declarations.
//!
//! Generated from `python/weatherman_inventory/models.py` by
//! `make types (python -m weatherman_inventory.codegen write)`.
//! Do not edit: `make check-types` fails when this file and the models disagree.
//!
//! Wire rules: JSON keys are camelCase and unknown keys are refused; quantities (shares and
//! pairs), `avgEntryPrice` and `realizedPnl` are exact `Decimal`s travelling as JSON numbers
//! (never strings), quantities with at most 6 decimal places; every amount is refused at 10^9 in
//! magnitude and every number outside the range its field declares; counts are refused above
//! 2^53 - 1 (the largest integer a TypeScript `number` holds exactly); timestamps are RFC 3339
//! UTC strings ending in `Z`; an absent `inventory` is omitted, never `null`. Maps are
//! `BTreeMap`s so that a snapshot serialises the same bytes every time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest integer a JavaScript `number` holds exactly; quantities above it are refused.
pub const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// Deserialises a `u64` no larger than `MAX`.
fn at_most<'de, D: Deserializer<'de>, const MAX: u64>(deserializer: D) -> Result<u64, D::Error> {
    let value = u64::deserialize(deserializer)?;
    if value > MAX {
        return Err(D::Error::custom(format!(
            "integer {value} is above the largest allowed, {MAX}"
        )));
    }
    Ok(value)
}

/// Every amount and quantity stays strictly below this in magnitude (dollars, shares).
pub const MAX_AMOUNT: i64 = 1_000_000_000;

/// The range a number field accepts, as the models declare it: whole bounds, each excluded or
/// not, and for decimals the most decimal places (trailing zeros do not count).
pub(crate) trait Range {
    /// `(bound, excluded)` below, if bounded below.
    const LOW: Option<(i64, bool)>;
    /// `(bound, excluded)` above, if bounded above.
    const HIGH: Option<(i64, bool)>;
    /// The most decimal places a decimal may have, if limited.
    const PLACES: Option<u32>;
    /// The range as error messages state it.
    const TEXT: &'static str;
}

/// Whether `value` lies within `R`'s bounds, each bound converted by `number`.
fn within<R: Range, T: PartialOrd>(value: &T, number: impl Fn(i64) -> T) -> bool {
    let above = R::LOW.is_none_or(|(low, excluded)| {
        let low = number(low);
        if excluded {
            *value > low
        } else {
            *value >= low
        }
    });
    let below = R::HIGH.is_none_or(|(high, excluded)| {
        let high = number(high);
        if excluded {
            *value < high
        } else {
            *value <= high
        }
    });
    above && below
}

/// Deserialises an `f64` within `R`.
pub(crate) fn f64_in<'de, D: Deserializer<'de>, R: Range>(
    deserializer: D,
) -> Result<f64, D::Error> {
    let value = f64::deserialize(deserializer)?;
    if !within::<R, f64>(&value, |bound| bound as f64) {
        return Err(D::Error::custom(format!(
            "number {value} is out of range, {}",
            R::TEXT
        )));
    }
    Ok(value)
}

/// Deserialises a `Decimal` (a JSON number, as `decimal_number` reads it) within `R`.
pub(crate) fn decimal_in<'de, D: Deserializer<'de>, R: Range>(
    deserializer: D,
) -> Result<Decimal, D::Error> {
    let value = decimal_number::deserialize(deserializer)?;
    if let Some(places) = R::PLACES {
        if value.normalize().scale() > places {
            return Err(D::Error::custom(format!(
                "number {value} has more than {places} decimal places"
            )));
        }
    }
    if !within::<R, Decimal>(&value, Decimal::from) {
        return Err(D::Error::custom(format!(
            "number {value} is out of range, {}",
            R::TEXT
        )));
    }
    Ok(value)
}

/// Deserialises a field that may be absent but, when present, is never `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// Deserialises an optional decimal that may be absent but, when present, is a number in `R`.
fn present_decimal_in<'de, D: Deserializer<'de>, R: Range>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    decimal_in::<D, R>(deserializer).map(Some)
}

/// Serialises an optional decimal as a JSON number (`skip_serializing_if` omits `None`).
fn some_decimal_number<S: Serializer>(
    value: &Option<Decimal>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => decimal_number::serialize(value, serializer),
        None => serializer.serialize_none(),
    }
}

/// `Decimal`s that travel as JSON numbers and only as numbers: rust_decimal's own
/// `serde::float` also reads strings, which the contract refuses. Serialising is rust_decimal's.
pub(crate) mod decimal_number {
    use std::fmt;
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::de::{Error, Unexpected, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        rust_decimal::serde::float::serialize(value, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_f64(NumberVisitor)
    }

    struct NumberVisitor;

    impl Visitor<'_> for NumberVisitor {
        type Value = Decimal;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("a JSON number")
        }

        fn visit_u64<E: Error>(self, value: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(value))
        }

        fn visit_i64<E: Error>(self, value: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(value))
        }

        fn visit_f64<E: Error>(self, value: f64) -> Result<Decimal, E> {
            // Below 10^9 two numbers of at most 6 decimals lie further apart than an f64's
            // rounding interval, so when the nearest micro-unit reads back as this f64 it is the
            // shortest text's value: every share quantity and most money takes this path, with
            // no text in between.
            if value.abs() < 1e9 {
                let micros = (value * 1e6).round();
                if micros / 1e6 == value {
                    return Ok(Decimal::new(micros as i64, 6).normalize());
                }
            }
            // Display is the shortest text that reads back as the same f64, like Python's repr,
            // so 0.65 becomes exactly 0.65 in both languages.
            Decimal::from_str(&value.to_string())
                .map_err(|_| E::invalid_value(Unexpected::Float(value), &self))
        }
    }
}

/// RFC 3339 UTC timestamps in the one form the three languages share: `Z`, and 0, 3 or 6
/// fractional digits (chrono's `SecondsFormat::AutoSi` for microsecond instants).
mod utc_timestamp {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        if !is_canonical(&text) {
            return Err(D::Error::custom(format!(
                "timestamp {text:?} is not YYYY-MM-DDTHH:MM:SS[.fff[fff]]Z"
            )));
        }
        DateTime::parse_from_rfc3339(&text)
            .map(|instant| instant.with_timezone(&Utc))
            .map_err(|err| D::Error::custom(format!("timestamp {text:?}: {err}")))
    }

    fn is_canonical(text: &str) -> bool {
        let bytes = text.as_bytes();
        if !matches!(bytes.len(), 20 | 24 | 27) || bytes.last() != Some(&b'Z') {
            return false;
        }
        let shape = b"dddd-dd-ddTdd:dd:dd";
        let fraction = &bytes[shape.len()..bytes.len() - 1];
        shape.iter().zip(bytes).all(|(want, got)| match want {
            b'd' => got.is_ascii_digit(),
            _ => want == got,
        }) && (fraction.is_empty()
            || (fraction[0] == b'.' && fraction[1..].iter().all(u8::is_ascii_digit)))
    }
}

/// The range `0 <= x < 1000000000, at most 6 decimal places`.
#[derive(Debug)]
pub(crate) struct Min0Below1e9Places6;

impl Range for Min0Below1e9Places6 {
    const LOW: Option<(i64, bool)> = Some((0, false));
    const HIGH: Option<(i64, bool)> = Some((1000000000, true));
    const PLACES: Option<u32> = Some(6);
    const TEXT: &'static str = "0 <= x < 1000000000, at most 6 decimal places";
}

/// The range `0 <= x < 1000000000`.
#[derive(Debug)]
pub(crate) struct Min0Below1e9;

impl Range for Min0Below1e9 {
    const LOW: Option<(i64, bool)> = Some((0, false));
    const HIGH: Option<(i64, bool)> = Some((1000000000, true));
    const PLACES: Option<u32> = None;
    const TEXT: &'static str = "0 <= x < 1000000000";
}

/// The range `0 <= x <= 1`.
#[derive(Debug)]
pub(crate) struct Min0Max1;

impl Range for Min0Max1 {
    const LOW: Option<(i64, bool)> = Some((0, false));
    const HIGH: Option<(i64, bool)> = Some((1, false));
    const PLACES: Option<u32> = None;
    const TEXT: &'static str = "0 <= x <= 1";
}

/// The range `-1000000000 < x < 1000000000`.
#[derive(Debug)]
pub(crate) struct AboveNeg1e9Below1e9;

impl Range for AboveNeg1e9Below1e9 {
    const LOW: Option<(i64, bool)> = Some((-1000000000, true));
    const HIGH: Option<(i64, bool)> = Some((1000000000, true));
    const PLACES: Option<u32> = None;
    const TEXT: &'static str = "-1000000000 < x < 1000000000";
}

/// The range `0 <= x <= 1, at most 6 decimal places`.
#[derive(Debug)]
pub(crate) struct Min0Max1Places6;

impl Range for Min0Max1Places6 {
    const LOW: Option<(i64, bool)> = Some((0, false));
    const HIGH: Option<(i64, bool)> = Some((1, false));
    const PLACES: Option<u32> = Some(6);
    const TEXT: &'static str = "0 <= x <= 1, at most 6 decimal places";
}

/// Which side of a binary market a token pays out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    #[serde(rename = "YES")]
    Yes,
    #[serde(rename = "NO")]
    No,
}

/// What woke the strategies up this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Trigger {
    #[serde(rename = "WeatherRefresh")]
    WeatherRefresh,
    #[serde(rename = "BookUpdate")]
    BookUpdate,
}

/// Position state for a single token (YES or NO in a specific market).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenPosition {
    /// Token id on the exchange.
    pub token_id: String,
    /// Market the token belongs to.
    pub market_id: String,
    /// YES or NO.
    pub outcome: Outcome,
    /// Shares held, settled or not (exact, at most 6 decimals).
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub qty: Decimal,
    /// Shares reserved by open sell orders.
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub in_flight_qty: Decimal,
    /// Shares of provisional buys (not yet CONFIRMED on chain) included in qty: not sellable.
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub unsettled_qty: Decimal,
    /// Shares free to sell: max(qty - unsettledQty - inFlightQty, 0).
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub accessible_qty: Decimal,
    /// Volume-weighted average entry price, dollars per share (0 when flat).
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9>"
    )]
    pub avg_entry_price: Decimal,
    /// Cost basis of the shares held, dollars (0 when flat).
    #[serde(deserialize_with = "f64_in::<_, Min0Below1e9>")]
    pub total_cost: f64,
    /// Last mark, dollars per share (the entry price until the first price update).
    #[serde(deserialize_with = "f64_in::<_, Min0Max1>")]
    pub current_price: f64,
    /// (currentPrice - avgEntryPrice) * qty, dollars.
    #[serde(deserialize_with = "f64_in::<_, AboveNeg1e9Below1e9>")]
    pub unrealized_pnl: f64,
    /// PnL realised by sales, merges and redemptions, net of fees, dollars.
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, AboveNeg1e9Below1e9>"
    )]
    pub realized_pnl: Decimal,
    /// What one share redeems for once the token's market resolved, dollars (1 or 0, 0.5 when
    /// void); absent while the market is unresolved. Also the token's currentPrice from then on.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "some_decimal_number",
        deserialize_with = "present_decimal_in::<_, Min0Max1Places6>"
    )]
    pub payout: Option<Decimal>,
    /// Shares a redemption can burn now: held on chain (no fill of them still MATCHED or RETRYING)
    /// and not reserved by a pending redemption; absent while the market is unresolved. The
    /// position is redeemable when this is above 0.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "some_decimal_number",
        deserialize_with = "present_decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub redeemable_qty: Option<Decimal>,
}

/// Minted YES+NO pair balance for a single condition (market), in pairs (1 pair = 1 YES share + 1
/// NO share, minted for $1), exact to 6 decimals like shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MintedPairBalance {
    /// Condition id of the market the pairs were minted in.
    pub condition_id: String,
    /// Pairs free to merge or sell.
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub available: Decimal,
    /// Pairs reserved by pending merges.
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub reserved: Decimal,
    /// Pairs minted over the session.
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub total_minted: Decimal,
    /// Minted pairs given up because one of their tokens was sold.
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub total_sold: Decimal,
    /// Minted pairs merged back into USDC.
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub total_merged: Decimal,
}

/// Complete capital and position state for a session, passed to every strategy every tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InventoryState {
    /// Total USDC owned by this session, dollars, unsettled sale proceeds included. Negative only
    /// when a withdrawal took more than the ledger held (recorded as an anomaly).
    #[serde(deserialize_with = "f64_in::<_, AboveNeg1e9Below1e9>")]
    pub total_usd: f64,
    /// USDC committed to open buy orders and pending mints, dollars.
    #[serde(deserialize_with = "f64_in::<_, Min0Below1e9>")]
    pub in_flight_usd: f64,
    /// Proceeds of provisional sales (not yet CONFIRMED on chain) included in totalUsd, dollars:
    /// not yet spendable.
    #[serde(deserialize_with = "f64_in::<_, Min0Below1e9>")]
    pub unsettled_usd: f64,
    /// Spendable USDC: totalUsd - inFlightUsd - unsettledUsd, dollars.
    #[serde(deserialize_with = "f64_in::<_, AboveNeg1e9Below1e9>")]
    pub accessible_usd: f64,
    /// Signed sum of the session's cash adjustments (deposits and rebates add, withdrawals
    /// subtract, corrections either), dollars: the ledger's invariant counts it beside the initial
    /// capital.
    #[serde(deserialize_with = "f64_in::<_, AboveNeg1e9Below1e9>")]
    pub adjustments_usd: f64,
    /// Per-token position state, keyed by tokenId.
    pub tokens: BTreeMap<String, TokenPosition>,
    /// Minted YES+NO pairs, keyed by conditionId; empty if the session never minted or merged.
    pub minted_pairs: BTreeMap<String, MintedPairBalance>,
    /// Whether exit has been triggered: buys and mints are refused from then on.
    pub exit_triggered: bool,
}

/// The weather observation and forecast the session trades on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeatherState {
    /// Weather station identifier (ICAO), e.g. KNYC.
    pub station_id: String,
    /// Time of the observation, RFC 3339 UTC.
    #[serde(with = "utc_timestamp")]
    pub observed_at: DateTime<Utc>,
    /// Observed temperature, degrees Fahrenheit.
    pub temperature_f: f64,
    /// Forecast daily high, degrees Fahrenheit.
    pub forecast_high_f: f64,
}

/// Top of book for one binary market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarketState {
    /// Market id on the exchange.
    pub market_id: String,
    /// Condition id used to mint and merge YES+NO pairs.
    pub condition_id: String,
    /// The market's question, for logs.
    pub question: String,
    /// Token id of the YES outcome.
    pub yes_token_id: String,
    /// Token id of the NO outcome.
    pub no_token_id: String,
    /// Best YES bid, cents of a dollar (0..100; 0 when the side is empty).
    #[serde(deserialize_with = "at_most::<_, 100>")]
    pub yes_bid_px: u64,
    /// Best YES ask, cents of a dollar (0..100; 100 when the side is empty).
    #[serde(deserialize_with = "at_most::<_, 100>")]
    pub yes_ask_px: u64,
    /// Best NO bid, cents of a dollar.
    #[serde(deserialize_with = "at_most::<_, 100>")]
    pub no_bid_px: u64,
    /// Best NO ask, cents of a dollar.
    #[serde(deserialize_with = "at_most::<_, 100>")]
    pub no_ask_px: u64,
}

/// A position as the legacy position map tracks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PositionState {
    /// Market the token belongs to.
    pub market_id: String,
    /// Token id on the exchange.
    pub token_id: String,
    /// YES or NO.
    pub outcome: Outcome,
    /// Shares held (exact, at most 6 decimals).
    #[serde(
        serialize_with = "decimal_number::serialize",
        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"
    )]
    pub qty: Decimal,
    /// Average entry price, dollars per share.
    #[serde(deserialize_with = "f64_in::<_, Min0Below1e9>")]
    pub avg_price: f64,
}

/// The legacy portfolio summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortfolioState {
    /// Capital the session started with, dollars.
    #[serde(deserialize_with = "f64_in::<_, Min0Below1e9>")]
    pub initial_capital_usd: f64,
    /// Capital not committed to positions or open orders, dollars.
    #[serde(deserialize_with = "f64_in::<_, AboveNeg1e9Below1e9>")]
    pub available_capital_usd: f64,
    /// Cost of open positions, dollars.
    #[serde(deserialize_with = "f64_in::<_, Min0Below1e9>")]
    pub total_exposure_usd: f64,
    /// Realised PnL over the session, dollars.
    #[serde(deserialize_with = "f64_in::<_, AboveNeg1e9Below1e9>")]
    pub realized_pnl_usd: f64,
}

/// Everything a strategy sees on one tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionContext {
    /// What woke the strategies up.
    pub trigger: Trigger,
    /// Tick counter, from 1.
    #[serde(deserialize_with = "at_most::<_, MAX_SAFE_INTEGER>")]
    pub tick_number: u64,
    /// Time of the tick, RFC 3339 UTC.
    #[serde(with = "utc_timestamp")]
    pub timestamp: DateTime<Utc>,
    /// Session identifier.
    pub session_id: String,
    /// Latest weather state.
    pub weather: WeatherState,
    /// Every market the session trades.
    pub markets: Vec<MarketState>,
    /// Positions from the legacy position map.
    pub positions: Vec<PositionState>,
    /// Legacy portfolio summary.
    pub portfolio: PortfolioState,
    /// Inventory state; present when the InventoryManager is active, absent (not null) otherwise.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub inventory: Option<InventoryState>,
}
