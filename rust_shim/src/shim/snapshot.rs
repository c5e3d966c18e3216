//! A snapshot as the host gets it: the contract struct and the exact JSON text Python wrote.
//!
//! Parsing the whole text every tick would cost more than the ledger's own work when one market
//! moved, so the cache keeps the last text, its parsed snapshot and where each token's entry
//! sits in it. A new text is compared with the last one entry by entry (byte comparisons, no
//! parsing): an unchanged entry keeps its `TokenPosition`; an entry that differs only inside its
//! `currentPrice` and `unrealizedPnl` numbers (a price tick) has just those two numbers read;
//! any other changed entry is parsed alone. This is conversion caching keyed by bytes: the
//! result is always what parsing the whole text with the contract types gives (a test holds it
//! to that), and any text the fast paths do not recognise falls back to the full parse.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::ShimError;
use crate::contract::{
    f64_in, AboveNeg1e9Below1e9, InventoryState, Min0Below1e9, Min0Max1, MintedPairBalance, Range,
    TokenPosition,
};

/// The ranges of `TokenPosition.currentPrice` and `.unrealizedPnl`, which the mark path reads
/// alone: the generated types declare the same (a test compares every path with the full parse).
type PriceRange = Min0Max1;
type PnlRange = AboveNeg1e9Below1e9;

/// The inventory at one instant, in both forms strategies consume.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The contract struct.
    pub state: InventoryState,
    /// The JSON text Python wrote (camelCase keys), handed to script strategies as it is.
    pub json: String,
}

/// `InventoryState` with each token left as raw text. Mirrors the contract's field list and
/// ranges (the generated deserialisers); when the two drift apart this fails to parse and the
/// full parse decides.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawInventory<'a> {
    #[serde(deserialize_with = "f64_in::<_, AboveNeg1e9Below1e9>")]
    total_usd: f64,
    #[serde(deserialize_with = "f64_in::<_, Min0Below1e9>")]
    in_flight_usd: f64,
    #[serde(deserialize_with = "f64_in::<_, Min0Below1e9>")]
    unsettled_usd: f64,
    #[serde(deserialize_with = "f64_in::<_, AboveNeg1e9Below1e9>")]
    accessible_usd: f64,
    #[serde(deserialize_with = "f64_in::<_, AboveNeg1e9Below1e9>")]
    adjustments_usd: f64,
    #[serde(borrow, deserialize_with = "raw_entries")]
    tokens: Vec<RawToken<'a>>,
    minted_pairs: BTreeMap<String, MintedPairBalance>,
    exit_triggered: bool,
}

/// One `tokens` entry: its key and its text.
struct RawToken<'a> {
    key: Cow<'a, str>,
    value: &'a RawValue,
}

/// An object key, borrowed from the text when it has no escapes (serde's own `Cow` always
/// copies).
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Reads a JSON object into its entries in order, without parsing the values.
fn raw_entries<'de, D>(deserializer: D) -> Result<Vec<RawToken<'de>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Entries;
    impl<'de> serde::de::Visitor<'de> for Entries {
        type Value = Vec<RawToken<'de>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of token positions")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some((Key(key), value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                out.push(RawToken { key, value });
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Entries)
}

/// Where one `tokens` entry sits in the last text: `"key":{...}` from `start` to `end`, the
/// value from `value_start`.
#[derive(Debug, Clone)]
struct Span {
    key: Box<str>,
    start: usize,
    value_start: usize,
    end: usize,
    /// Where the value's mark numbers sit, when its text has the usual layout.
    marks: Option<Marks>,
}

/// Where `"currentPrice":<n>,"unrealizedPnl":<n>` keeps its two numbers inside a token's text,
/// as byte offsets from the start of the value. A price tick changes only these bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Marks {
    price_at: usize,
    price_len: usize,
    pnl_at: usize,
    pnl_len: usize,
}

const PRICE_KEY: &str = ",\"currentPrice\":";
const PNL_KEY: &str = ",\"unrealizedPnl\":";

/// Length of the JSON number token at the start of `bytes` (0 if there is none). Every byte a
/// number can hold counts, so in valid JSON this is the whole token; whether it is a valid
/// number is left to serde_json.
fn number_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        .count()
}

/// A number exactly as a contract `f64` field of range `R` reads it: serde_json,
/// `float_roundtrip`, and the field's range.
fn parse_f64<R: Range>(text: &str) -> Option<f64> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = f64_in::<_, R>(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

impl Marks {
    /// The layout of `body`, the text of a `TokenPosition` the full parse accepted. In valid
    /// JSON, `,"` starts a key (a `"` inside a string is escaped), so the first match is the
    /// field itself.
    fn of(body: &str) -> Option<Marks> {
        let bytes = body.as_bytes();
        let price_at = body.find(PRICE_KEY)? + PRICE_KEY.len();
        let price_len = number_len(&bytes[price_at..]);
        let pnl_key_at = price_at + price_len;
        if price_len == 0 || !body[pnl_key_at..].starts_with(PNL_KEY) {
            return None;
        }
        let pnl_at = pnl_key_at + PNL_KEY.len();
        let pnl_len = number_len(&bytes[pnl_at..]);
        (pnl_len > 0).then_some(Marks {
            price_at,
            price_len,
            pnl_at,
            pnl_len,
        })
    }

    /// When `new` (the text from where the value starts) repeats `old` except inside the two
    /// numbers: the two numbers, their new layout and the new value's length. The caller has
    /// checked that `new` starts with `old[..price_at]`.
    fn reread(self, old: &str, new: &str) -> Option<(f64, f64, Marks, usize)> {
        let (ob, nb) = (old.as_bytes(), new.as_bytes());
        let price_len = number_len(&nb[self.price_at..]);
        let between = &ob[self.price_at + self.price_len..self.pnl_at];
        let between_at = self.price_at + price_len;
        if nb.get(between_at..between_at + between.len())? != between {
            return None;
        }
        let pnl_at = between_at + between.len();
        let pnl_len = number_len(&nb[pnl_at..]);
        let rest = &ob[self.pnl_at + self.pnl_len..];
        let rest_at = pnl_at + pnl_len;
        if nb.get(rest_at..rest_at + rest.len())? != rest {
            return None;
        }
        let price = parse_f64::<PriceRange>(&new[self.price_at..between_at])?;
        let pnl = parse_f64::<PnlRange>(&new[pnl_at..rest_at])?;
        let marks = Marks {
            price_at: self.price_at,
            price_len,
            pnl_at,
            pnl_len,
        };
        Some((price, pnl, marks, rest_at + rest.len()))
    }
}

/// What a patch does to one changed token.
enum Edit {
    /// Only its mark numbers changed.
    Marks { price: f64, pnl: f64 },
    /// Anything else: the value parsed anew (boxed, so that a tick's list of changes stays
    /// small).
    Whole(Box<TokenPosition>),
}

/// One changed token: its span's index, the edit, its value's new length and layout.
struct Change {
    index: usize,
    edit: Edit,
    len: usize,
    marks: Option<Marks>,
}

/// The last snapshot and where each token sits in its text.
#[derive(Default)]
pub(crate) struct SnapshotCache {
    last: Option<Arc<Snapshot>>,
    /// Every entry of the last text whose key was read in place, in text order.
    spans: Vec<Span>,
    /// Whether `spans` covers every entry, so that the last text's layout is known and a new
    /// text can be compared with it entry by entry.
    complete: bool,
    /// How often each path answered, so that tests can show each one is exercised.
    #[cfg(test)]
    paths: Paths,
}

/// Answers per path (tests only).
#[cfg(test)]
#[derive(Debug, Default, Clone, Copy)]
struct Paths {
    same: usize,
    patched: usize,
    marks: usize,
    whole: usize,
    incremental: usize,
    full: usize,
}

/// Byte offset of `part` inside `whole` (`part` must borrow from `whole`).
fn offset(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// Length of the common prefix of `a` and `b`, compared 16 bytes at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let wide = a
        .as_chunks::<16>()
        .0
        .iter()
        .zip(b.as_chunks::<16>().0)
        .take_while(|(x, y)| x == y)
        .count()
        * 16;
    wide + a[wide..]
        .iter()
        .zip(&b[wide..])
        .take_while(|(x, y)| x == y)
        .count()
}

/// `at` moved by `delta` bytes.
fn shift(at: usize, delta: isize) -> usize {
    at.wrapping_add_signed(delta)
}

impl SnapshotCache {
    /// The snapshot for `text`: the previous one if the text is unchanged; else the previous
    /// one patched (in place when the caller no longer holds it) when only tokens' text changed;
    /// else a new one that reuses every token whose text is unchanged.
    pub(crate) fn update(&mut self, text: &str) -> Result<Arc<Snapshot>, ShimError> {
        if let Some(last) = &self.last {
            if last.json == text {
                #[cfg(test)]
                {
                    self.paths.same += 1;
                }
                return Ok(Arc::clone(last));
            }
        }
        if self.patch(text).is_some() {
            if let Some(last) = &self.last {
                #[cfg(test)]
                {
                    self.paths.patched += 1;
                }
                return Ok(Arc::clone(last));
            }
        }
        let state = match self.parse_incremental(text) {
            Some(state) => {
                #[cfg(test)]
                {
                    self.paths.incremental += 1;
                }
                state
            }
            None => {
                let state: InventoryState = serde_json::from_str(text)?;
                #[cfg(test)]
                {
                    self.paths.full += 1;
                }
                self.spans.clear();
                self.complete = false;
                state
            }
        };
        let snapshot = Arc::new(Snapshot {
            state,
            json: text.to_owned(),
        });
        self.last = Some(Arc::clone(&snapshot));
        Ok(snapshot)
    }

    /// The fast path: when the new text repeats the last one except inside `tokens` values,
    /// update only the values that changed, each from its mark numbers alone when nothing else
    /// in it changed. The bytes compared equal parse to the same values as last time.
    fn patch(&mut self, text: &str) -> Option<()> {
        if !self.complete {
            return None;
        }
        let last = self.last.as_mut()?;
        let old_text = last.json.as_str();
        let (old, new) = (old_text.as_bytes(), text.as_bytes());
        let first = self.spans.first()?;
        // The head (cash, `"tokens":{`) as before.
        if new.get(..first.start)? != &old[..first.start] {
            return None;
        }
        let mut changes = Vec::new();
        let mut delta = 0isize;
        for (index, span) in self.spans.iter().enumerate() {
            // The entry with what follows it: the separator, or for the last one the tail.
            let until = self
                .spans
                .get(index + 1)
                .map_or(old.len(), |next| next.start);
            let at = shift(span.start, delta);
            let entry = &old[span.start..until];
            let same = common_prefix(entry, new.get(at..)?);
            if same == entry.len() {
                continue;
            }
            // Offsets from the entry's start: where the value and its price number begin.
            let value_rel = span.value_start - span.start;
            if same < value_rel {
                // The key changed: a token came or went.
                return None;
            }
            let value_at = at + value_rel;
            let old_value = &old_text[span.value_start..span.end];
            let new_from = text.get(value_at..)?;
            let marks = span
                .marks
                .filter(|m| same >= value_rel + m.price_at)
                .and_then(|m| m.reread(old_value, new_from));
            let change = match marks {
                Some((price, pnl, marks, len)) => Change {
                    index,
                    edit: Edit::Marks { price, pnl },
                    len,
                    marks: Some(marks),
                },
                None => {
                    let mut de = serde_json::Deserializer::from_str(new_from);
                    let value = <&RawValue>::deserialize(&mut de).ok()?.get();
                    // Leading whitespace would move the value: leave that to the full paths.
                    if offset(new_from, value) != 0 {
                        return None;
                    }
                    Change {
                        index,
                        edit: Edit::Whole(Box::new(serde_json::from_str(value).ok()?)),
                        len: value.len(),
                        marks: Marks::of(value),
                    }
                }
            };
            let after = &old[span.end..until];
            let after_at = value_at + change.len;
            if new.get(after_at..after_at + after.len())? != after {
                return None;
            }
            delta += change.len as isize - old_value.len() as isize;
            changes.push(change);
        }
        if shift(old.len(), delta) != new.len() {
            return None;
        }
        // Everything checked: now change the snapshot (a copy if the caller still holds it).
        let snapshot = Arc::make_mut(last);
        let tokens = &mut snapshot.state.tokens;
        let mut consistent = true;
        let mut delta = 0isize;
        let mut changes = changes.into_iter().peekable();
        for (index, span) in self.spans.iter_mut().enumerate() {
            let old_len = span.end - span.value_start;
            span.start = shift(span.start, delta);
            span.value_start = shift(span.value_start, delta);
            span.end = span.value_start + old_len;
            let Some(change) = changes.next_if(|change| change.index == index) else {
                continue;
            };
            span.end = span.value_start + change.len;
            span.marks = change.marks;
            delta += change.len as isize - old_len as isize;
            match (tokens.get_mut(&*span.key), change.edit) {
                (Some(position), Edit::Marks { price, pnl }) => {
                    position.current_price = price;
                    position.unrealized_pnl = pnl;
                    #[cfg(test)]
                    {
                        self.paths.marks += 1;
                    }
                }
                (Some(position), Edit::Whole(whole)) => {
                    *position = *whole;
                    #[cfg(test)]
                    {
                        self.paths.whole += 1;
                    }
                }
                // Spans and tokens are built from the same entries, so this cannot happen; if
                // it did, the cache starts over rather than guess.
                (None, _) => consistent = false,
            }
        }
        if !consistent {
            self.last = None;
            self.spans.clear();
            self.complete = false;
            return None;
        }
        snapshot.json.clear();
        snapshot.json.push_str(text);
        Some(())
    }

    /// Parse the text's frame and every token whose text differs from last time; reuse the
    /// rest. Records where each entry sits for the next `patch`.
    fn parse_incremental(&mut self, text: &str) -> Option<InventoryState> {
        let raw: RawInventory<'_> = serde_json::from_str(text).ok()?;
        let last = self.last.as_deref();
        // Last time's value text and position per key.
        let previous: HashMap<&str, (&str, &TokenPosition)> = match last {
            Some(last) => self
                .spans
                .iter()
                .filter_map(|s| {
                    let position = last.state.tokens.get(&*s.key)?;
                    Some((&*s.key, (&last.json[s.value_start..s.end], position)))
                })
                .collect(),
            None => HashMap::new(),
        };
        let mut tokens = BTreeMap::new();
        let mut spans = Vec::with_capacity(raw.tokens.len());
        for RawToken { key, value } in raw.tokens {
            let body = value.get();
            let value_start = offset(text, body);
            let position = match previous.get(key.as_ref()) {
                Some((last_body, position)) if *last_body == body => (*position).clone(),
                _ => serde_json::from_str::<TokenPosition>(body).ok()?,
            };
            // The layout is known when the key was read in place and sits right before `:`.
            if let Cow::Borrowed(k) = &key {
                let start = offset(text, k).wrapping_sub(1);
                if start + k.len() + 3 == value_start && text.as_bytes()[value_start - 1] == b':' {
                    spans.push(Span {
                        key: Box::from(*k),
                        start,
                        value_start,
                        end: value_start + body.len(),
                        marks: Marks::of(body),
                    });
                }
            }
            if tokens.insert(key.into_owned(), position).is_some() {
                // A repeated key: let the full parse decide what that means.
                return None;
            }
        }
        drop(previous);
        self.complete = !spans.is_empty() && spans.len() == tokens.len();
        self.spans = spans;
        Some(InventoryState {
            total_usd: raw.total_usd,
            in_flight_usd: raw.in_flight_usd,
            unsettled_usd: raw.unsettled_usd,
            accessible_usd: raw.accessible_usd,
            adjustments_usd: raw.adjustments_usd,
            tokens,
            minted_pairs: raw.minted_pairs,
            exit_triggered: raw.exit_triggered,
        })
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn vector(name: &str) -> String {
        let path = format!("{}/../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
    }

    /// A JSON number read as the contract's Decimal: whatever path the reader takes, the value
    /// is the one of the shortest text that reads back as the same f64 (as Python's repr).
    #[test]
    fn decimal_numbers_read_as_their_shortest_text() {
        use std::str::FromStr;

        let read = |text: &str| {
            let mut de = serde_json::Deserializer::from_str(text);
            crate::contract::decimal_number::deserialize(&mut de).expect("a number")
        };
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let value = match i % 4 {
                // Share quantities and money: at most 6 decimals, below 10^9.
                0 => (x % 1_000_000_000_000_000) as f64 / 1e6,
                1 => -((x % 1_000_000_000) as f64) / 1e6,
                // More decimals (an average price), and large or tiny magnitudes.
                2 => (x % 1_000_000_000_000_000) as f64 / 1e9,
                _ => f64::from_bits(x >> 2) % 1e12,
            };
            if !value.is_finite() {
                continue;
            }
            let text = serde_json::to_string(&value).expect("json");
            let want = Decimal::from_str(&value.to_string()).ok();
            if let Some(want) = want {
                let got = read(&text);
                assert_eq!(got, want, "{text}");
                assert_eq!(got.to_string(), want.to_string(), "{text}");
            }
        }
    }

    #[test]
    fn incremental_parse_equals_full_parse_on_every_good_vector() {
        for name in [
            "good_inventory_empty.json",
            "good_inventory_full.json",
            "good_inventory_minted_pairs.json",
        ] {
            let text = vector(name);
            let full: InventoryState = serde_json::from_str(&text).expect(name);
            let mut cache = SnapshotCache::default();
            assert_eq!(cache.update(&text).expect(name).state, full, "{name}");
            // Same text again: the very same snapshot.
            let first = cache.last.clone().expect("cached");
            assert!(Arc::ptr_eq(&first, &cache.update(&text).expect(name)));
        }
    }

    #[test]
    fn a_changed_token_is_reparsed_and_the_rest_reused() {
        let text = vector("good_inventory_full.json");
        let full: InventoryState = serde_json::from_str(&text).expect("full");
        let (key, position) = full.tokens.iter().next().expect("a token");
        let mut changed = full.clone();
        let moved = changed.tokens.get_mut(key).expect("token");
        moved.current_price = if position.current_price == 0.5 {
            0.25
        } else {
            0.5
        };
        let changed_text = serde_json::to_string(&changed).expect("serialise");

        let mut cache = SnapshotCache::default();
        cache
            .update(&serde_json::to_string(&full).expect("serialise"))
            .expect("first");
        let second = cache.update(&changed_text).expect("second");
        assert_eq!(second.state, changed);
        assert_eq!(second.json, changed_text);
    }

    #[test]
    fn a_bad_vector_is_refused_like_the_full_parse() {
        for name in [
            "bad_inventory_extra_key.json",
            "bad_inventory_missing_key.json",
            "bad_inventory_negative_unsettled_usd.json",
            "bad_inventory_qty_at_bound.json",
            "bad_inventory_qty_as_string.json",
            "bad_inventory_qty_seven_decimals.json",
            "bad_inventory_string_for_number.json",
            "bad_inventory_total_usd_at_bound.json",
            "bad_inventory_unknown_outcome.json",
            "bad_inventory_without_unsettled_fields.json",
        ] {
            let mut cache = SnapshotCache::default();
            match cache.update(&vector(name)) {
                Err(ShimError::Contract(_)) => {}
                other => panic!("{name}: expected a contract error, got {other:?}"),
            }
        }
    }

    /// Mark spellings at the edges of what a number can be: signs and zeros, exponents as Python
    /// and serde write them, long and non-shortest mantissas, subnormals, integers past 2^53;
    /// then texts the contract refuses (not JSON numbers, out of range) and whitespace, which
    /// valid JSON allows around a number and the mark path leaves to the whole parse.
    const EDGE_NUMBERS: &[&str] = &[
        "0.0",
        "-0.0",
        "0",
        "-0",
        "1e-07",
        "1e-7",
        "-1e-07",
        "1E+2",
        "2.5e-05",
        "0.30000000000000004",
        "-12345.678901234567",
        "12345678901234567890123456789.123456789",
        "0.1000000000000000055511151231257827021181583404541015625",
        "5e-324",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "9007199254740993",
        "1e22",
        "-0.000001",
        "1",
        "1.0000000000000002",
        "0.99999999999999999999",
        "-1e-300",
        "1e9",
        "-1e9",
        "999999999.99",
        "-999999999.99",
        "01",
        "1.",
        "+1",
        ".5",
        "1e",
        "-",
        "1e400",
        "NaN",
        " 0.25",
        "0.75 ",
    ];

    /// A mark's text: an edge case, or a random finite f64 (in 0..1 for a `price`, as a mark
    /// is) written shortest, with an exponent, or with 25 decimals (not the shortest, so
    /// float_roundtrip has to round it).
    fn spelling(next: &mut impl FnMut(u64) -> u64, price: bool) -> String {
        if next(3) == 0 {
            return EDGE_NUMBERS[next(EDGE_NUMBERS.len() as u64) as usize].to_owned();
        }
        let value = if price {
            next(1 << 53) as f64 / (1u64 << 53) as f64
        } else {
            loop {
                let bits = (next(1 << 32) << 32) | next(1 << 32);
                let value = f64::from_bits(bits);
                if value.is_finite() {
                    break value;
                }
            }
        };
        match next(3) {
            0 => format!("{value}"),
            1 => format!("{value:e}"),
            _ => format!("{value:.25}"),
        }
    }

    /// `text` with token `id`'s two mark numbers written as `price` and `pnl`.
    fn respell(text: &str, id: &str, price: &str, pnl: &str) -> String {
        let entry = text.find(&format!("\"tokenId\":\"{id}\"")).expect("entry");
        let price_at = entry + text[entry..].find(PRICE_KEY).expect("price") + PRICE_KEY.len();
        let price_end = price_at + number_len(&text.as_bytes()[price_at..]);
        assert!(text[price_end..].starts_with(PNL_KEY));
        let pnl_at = price_end + PNL_KEY.len();
        let pnl_end = pnl_at + number_len(&text.as_bytes()[pnl_at..]);
        format!(
            "{}{price}{PNL_KEY}{pnl}{}",
            &text[..price_at],
            &text[pnl_end..]
        )
    }

    /// Random edits of a snapshot, as Python would write them, through one cache: every answer
    /// equals the full parse, whichever path produced it, and a text the full parse refuses is
    /// refused. Marks are often written in edge spellings, so the mark path meets negative
    /// numbers, zeros, exponents, long mantissas and refusable numbers.
    #[test]
    fn every_path_agrees_with_the_full_parse_over_random_edits() {
        let text = vector("good_inventory_full.json");
        let mut state: InventoryState = serde_json::from_str(&text).expect("full");
        let template = state.tokens.values().next().expect("a token").clone();
        for n in 0..6 {
            let mut extra = template.clone();
            extra.token_id = format!("tok-extra-{n}");
            state.tokens.insert(extra.token_id.clone(), extra);
        }
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |bound: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % bound
        };
        // Tokens whose marks are written in a spelling of their own: (price, pnl) texts.
        let mut spelled: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut cache = SnapshotCache::default();
        let mut held = None;
        let mut refused = 0;
        for step in 0..1500 {
            let keys: Vec<String> = state.tokens.keys().cloned().collect();
            let key = keys[next(keys.len() as u64) as usize].clone();
            match next(12) {
                0..=2 => {
                    let t = state.tokens.get_mut(&key).expect("token");
                    t.current_price = next(101) as f64 / 100.0;
                    t.unrealized_pnl = next(10_000) as f64 / 1000.0 - 5.0;
                    spelled.remove(&key);
                }
                3..=5 => {
                    // A price tick in an edge spelling; sometimes on several tokens at once.
                    for _ in 0..=next(3) {
                        let k = &keys[next(keys.len() as u64) as usize];
                        let marks = (spelling(&mut next, true), spelling(&mut next, false));
                        spelled.insert(k.clone(), marks);
                    }
                }
                6 => {
                    // Fractional shares: any micro-share amount below 10^6 shares.
                    let t = state.tokens.get_mut(&key).expect("token");
                    t.qty = Decimal::new(next(1_000_000_000_000) as i64, 6);
                    t.unsettled_qty = Decimal::new(next(1_000_000) as i64, 6);
                }
                7 => {
                    state.total_usd = next(100_000) as f64 / 7.0;
                    state.unsettled_usd = next(100_000) as f64 / 100.0;
                    state.adjustments_usd = next(100_000) as f64 / 100.0 - 500.0;
                }
                8 => {
                    let mut t = template.clone();
                    t.token_id = format!("tok-new-{step}");
                    state.tokens.insert(t.token_id.clone(), t);
                }
                9 if keys.len() > 2 => {
                    state.tokens.remove(&key);
                    spelled.remove(&key);
                }
                10 => {
                    // A fill: the marks and the quantity of one token at once.
                    let t = state.tokens.get_mut(&key).expect("token");
                    t.qty = Decimal::from(next(1_000_000));
                    t.current_price = next(101) as f64 / 100.0;
                    spelled.remove(&key);
                }
                _ => {
                    // Two far-apart tokens at once.
                    for k in [&keys[0], &keys[keys.len() - 1]] {
                        state.tokens.get_mut(k).expect("token").current_price =
                            next(101) as f64 / 100.0;
                        spelled.remove(k);
                    }
                }
            }
            let mut text = serde_json::to_string(&state).expect("serialise");
            for (id, (price, pnl)) in &spelled {
                text = respell(&text, id, price, pnl);
            }
            let full = serde_json::from_str::<InventoryState>(&text);
            let got = cache.update(&text);
            let got = match (got, full) {
                (Ok(got), Ok(full)) => {
                    // Bit for bit: -0.0 and 0.0 compare equal as f64.
                    for (id, token) in &full.tokens {
                        let ours = &got.state.tokens[id];
                        assert_eq!(
                            (ours.current_price.to_bits(), ours.unrealized_pnl.to_bits()),
                            (
                                token.current_price.to_bits(),
                                token.unrealized_pnl.to_bits()
                            ),
                            "step {step}, {id}"
                        );
                    }
                    assert_eq!(got.state, full, "step {step}");
                    assert_eq!(got.json, text, "step {step}");
                    got
                }
                (Err(ShimError::Contract(_)), Err(_)) => {
                    // Refused like the full parse; drop the refusable spellings and go on.
                    refused += 1;
                    spelled.retain(|_, (price, pnl)| {
                        parse_f64::<PriceRange>(price.trim()).is_some()
                            && parse_f64::<PnlRange>(pnl.trim()).is_some()
                    });
                    continue;
                }
                (got, full) => panic!(
                    "step {step}: the cache gave {:?}, the full parse {:?}, for {text}",
                    got.map(|_| "a snapshot"),
                    full.map(|_| "a state")
                ),
            };
            // Sometimes keep the snapshot, as a host between ticks would: the next patch then
            // copies instead of changing what the holder sees.
            if next(4) == 0 {
                held = Some((Arc::clone(&got), got.state.clone()));
            }
            if let Some((snapshot, seen)) = &held {
                assert_eq!(
                    &snapshot.state, seen,
                    "a held snapshot changed at step {step}"
                );
            }
        }
        // Every path answered, the mark path most of all.
        let paths = cache.paths;
        assert!(paths.marks >= 500, "{paths:?}");
        assert!(paths.whole >= 50, "{paths:?}");
        assert!(paths.patched >= 500, "{paths:?}");
        assert!(paths.incremental >= 50, "{paths:?}");
        assert!(refused >= 20, "{refused} refused, {paths:?}");
    }

    /// The mark path reads two numbers alone: it must refuse what the contract's ranges refuse
    /// (a price above $1, a PnL at 10^9), as the full parse does, not patch them in.
    #[test]
    fn a_mark_out_of_its_range_is_refused_by_the_mark_path_too() {
        let text = serde_json::to_string(
            &serde_json::from_str::<InventoryState>(&vector("good_inventory_full.json"))
                .expect("full"),
        )
        .expect("json");
        for (price, pnl) in [("1.5", "0.0"), ("0.5", "1000000000.0"), ("-0.01", "0.0")] {
            let mut cache = SnapshotCache::default();
            cache.update(&text).expect("first");
            let moved = respell(&text, "tok-yes-knyc-50", price, pnl);
            assert!(serde_json::from_str::<InventoryState>(&moved).is_err());
            match cache.update(&moved) {
                Err(ShimError::Contract(message)) => {
                    assert!(message.contains("out of range"), "{message}")
                }
                other => panic!("{price}, {pnl}: expected a contract error, got {other:?}"),
            }
            assert_eq!(cache.paths.marks, 0);
        }
    }

    #[test]
    fn a_price_tick_patches_the_unshared_snapshot_in_place() {
        let text = vector("good_inventory_full.json");
        let mut state: InventoryState = serde_json::from_str(&text).expect("full");
        let mut cache = SnapshotCache::default();
        let first = cache
            .update(&serde_json::to_string(&state).expect("json"))
            .expect("first");
        let address = Arc::as_ptr(&first);
        drop(first);
        let key = state.tokens.keys().next().expect("token").clone();
        state.tokens.get_mut(&key).expect("token").current_price = 0.123;
        let second = cache
            .update(&serde_json::to_string(&state).expect("json"))
            .expect("second");
        assert_eq!(Arc::as_ptr(&second), address);
        assert_eq!(second.state, state);
    }
}
