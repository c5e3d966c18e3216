//! A snapshot as the host gets it: the contract struct and the exact JSON text Python wrote.
//!
//! Parsing the whole text every tick would cost more than the ledger's own work when one market
//! moved, so the cache keeps each token's last JSON text with its parsed `TokenPosition` and
//! parses only the tokens whose text changed. This is conversion caching keyed by bytes: the
//! result is always what parsing the whole text with the contract types gives (a test holds it
//! to that), and any text the fast path does not recognise falls back to the full parse.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::ShimError;
use crate::contract::{InventoryState, MintedPairBalance, TokenPosition};

/// The inventory at one instant, in both forms strategies consume.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The contract struct.
    pub state: InventoryState,
    /// The JSON text Python wrote (camelCase keys), handed to script strategies as it is.
    pub json: String,
}

/// `InventoryState` with each token left as raw text. Mirrors the contract's field list; when
/// the two drift apart this fails to parse and the full parse decides.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawInventory<'a> {
    total_usd: f64,
    in_flight_usd: f64,
    accessible_usd: f64,
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
}

/// The last snapshot, each token's last text, and where each token sits in the last text.
#[derive(Default)]
pub(crate) struct SnapshotCache {
    last: Option<Arc<Snapshot>>,
    tokens: HashMap<String, (Box<str>, TokenPosition)>,
    /// Empty when the last text's layout is not known (the fast path is then off).
    spans: Vec<Span>,
}

/// Byte offset of `part` inside `whole` (`part` must borrow from `whole`).
fn offset(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

impl SnapshotCache {
    /// The snapshot for `text`: the previous one if the text is unchanged; else the previous
    /// one patched (in place when the caller no longer holds it) when only tokens' text changed;
    /// else a new one that reuses every token whose text is unchanged.
    pub(crate) fn update(&mut self, text: &str) -> Result<Arc<Snapshot>, ShimError> {
        if let Some(last) = &self.last {
            if last.json == text {
                return Ok(Arc::clone(last));
            }
        }
        if self.patch(text).is_some() {
            if let Some(last) = &self.last {
                return Ok(Arc::clone(last));
            }
        }
        let state = match self.parse_incremental(text) {
            Some(state) => state,
            None => {
                let state: InventoryState = serde_json::from_str(text)?;
                self.tokens = state
                    .tokens
                    .iter()
                    .map(|(key, position)| (key.clone(), (Box::from(""), position.clone())))
                    .collect();
                self.spans.clear();
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

    /// The fast path: when the bytes that differ from the last text lie inside the `tokens`
    /// entries, reparse only the entries they touch. The bytes before and after are the same
    /// as last time, so they parse to the same values.
    fn patch(&mut self, text: &str) -> Option<()> {
        let last = self.last.as_mut()?;
        let (first, final_span) = (self.spans.first()?, self.spans.last()?);
        let (old, new) = (last.json.as_bytes(), text.as_bytes());
        let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        let room = old.len().min(new.len()) - prefix;
        let suffix = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(room)
            .take_while(|(a, b)| a == b)
            .count();
        let old_end = old.len() - suffix;
        // Only changes inside the entries: the head, the separators and the tail are as before.
        if prefix < first.start || old_end > final_span.end {
            return None;
        }
        let a = self
            .spans
            .partition_point(|s| s.start <= prefix)
            .checked_sub(1)?;
        let b = self.spans.partition_point(|s| s.end < old_end);
        if b < a || b >= self.spans.len() || prefix > self.spans[a].end {
            return None;
        }
        if self.spans[b].start > old_end {
            return None;
        }
        let delta = new.len() as isize - old.len() as isize;
        let region_start = self.spans[a].start;
        let region_end = (self.spans[b].end as isize + delta) as usize;
        let region = text.get(region_start..region_end)?;
        let wrapped = format!("{{{region}}}");
        let mut de = serde_json::Deserializer::from_str(&wrapped);
        let entries = raw_entries(&mut de).ok()?;
        de.end().ok()?;
        if entries.len() != b - a + 1 {
            return None;
        }
        let mut changed = Vec::new();
        for (span, entry) in self.spans[a..=b].iter().zip(&entries) {
            if entry.key.as_ref() != &*span.key {
                return None;
            }
            let body = entry.value.get();
            if body != &last.json[span.value_start..span.end] {
                changed.push((
                    span.key.clone(),
                    serde_json::from_str::<TokenPosition>(body).ok()?,
                ));
            }
        }
        // Everything checked: now change the snapshot (a copy if the caller still holds it).
        let snapshot = Arc::make_mut(last);
        for (key, position) in changed {
            snapshot.state.tokens.insert(key.to_string(), position);
        }
        snapshot.json.clear();
        snapshot.json.push_str(text);
        let base = region_start - 1;
        for (span, entry) in self.spans[a..=b].iter_mut().zip(&entries) {
            let body = entry.value.get();
            span.value_start = base + offset(&wrapped, body);
            span.end = span.value_start + body.len();
            span.start = span.value_start - span.key.len() - 3;
            if let Some(cached) = self.tokens.get_mut(&*span.key) {
                cached.0 = Box::from(body);
                cached.1 = snapshot.state.tokens[&*span.key].clone();
            }
        }
        for span in &mut self.spans[b + 1..] {
            span.start = (span.start as isize + delta) as usize;
            span.value_start = (span.value_start as isize + delta) as usize;
            span.end = (span.end as isize + delta) as usize;
        }
        Some(())
    }

    fn parse_incremental(&mut self, text: &str) -> Option<InventoryState> {
        let raw: RawInventory<'_> = serde_json::from_str(text).ok()?;
        let mut tokens = BTreeMap::new();
        let mut spans = Vec::with_capacity(raw.tokens.len());
        for RawToken { key, value } in raw.tokens {
            let body = value.get();
            let value_start = offset(text, body);
            // The layout is known when the key was read in place and sits right before `:`.
            if let Cow::Borrowed(k) = &key {
                let start = offset(text, k).wrapping_sub(1);
                if start + k.len() + 3 == value_start && text.as_bytes()[value_start - 1] == b':' {
                    spans.push(Span {
                        key: Box::from(*k),
                        start,
                        value_start,
                        end: value_start + body.len(),
                    });
                }
            }
            let position = match self.tokens.get_mut(key.as_ref()) {
                Some((cached_text, cached)) if &**cached_text == body => cached.clone(),
                Some(entry) => {
                    let position: TokenPosition = serde_json::from_str(body).ok()?;
                    *entry = (Box::from(body), position.clone());
                    position
                }
                None => {
                    let position: TokenPosition = serde_json::from_str(body).ok()?;
                    self.tokens
                        .insert(key.to_string(), (Box::from(body), position.clone()));
                    position
                }
            };
            if tokens.insert(key.into_owned(), position).is_some() {
                // A repeated key: let the full parse decide what that means.
                return None;
            }
        }
        // Every entry's layout known, or the fast path stays off for this text.
        if spans.len() != tokens.len() {
            spans.clear();
        }
        self.spans = spans;
        Some(InventoryState {
            total_usd: raw.total_usd,
            in_flight_usd: raw.in_flight_usd,
            accessible_usd: raw.accessible_usd,
            tokens,
            minted_pairs: raw.minted_pairs,
            exit_triggered: raw.exit_triggered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(name: &str) -> String {
        let path = format!("{}/../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
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
            "bad_inventory_qty_above_max_safe.json",
            "bad_inventory_string_for_number.json",
            "bad_inventory_unknown_outcome.json",
        ] {
            let mut cache = SnapshotCache::default();
            match cache.update(&vector(name)) {
                Err(ShimError::Contract(_)) => {}
                other => panic!("{name}: expected a contract error, got {other:?}"),
            }
        }
    }

    /// Random edits of a snapshot, as Python would write them, through one cache: every answer
    /// equals the full parse, whichever path produced it.
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
        let mut cache = SnapshotCache::default();
        let mut held = None;
        for step in 0..400 {
            let keys: Vec<String> = state.tokens.keys().cloned().collect();
            let key = keys[next(keys.len() as u64) as usize].clone();
            match next(10) {
                0..=4 => {
                    let t = state.tokens.get_mut(&key).expect("token");
                    t.current_price = next(101) as f64 / 100.0;
                    t.unrealized_pnl = next(10_000) as f64 / 1000.0 - 5.0;
                }
                5 => state.tokens.get_mut(&key).expect("token").qty = next(1_000_000),
                6 => state.total_usd = next(100_000) as f64 / 7.0,
                7 => {
                    let mut t = template.clone();
                    t.token_id = format!("tok-new-{step}");
                    state.tokens.insert(t.token_id.clone(), t);
                }
                8 if keys.len() > 2 => {
                    state.tokens.remove(&key);
                }
                _ => {
                    // Two far-apart tokens at once.
                    for k in [&keys[0], &keys[keys.len() - 1]] {
                        state.tokens.get_mut(k).expect("token").current_price =
                            next(101) as f64 / 100.0;
                    }
                }
            }
            let text = serde_json::to_string(&state).expect("serialise");
            let got = cache.update(&text).expect("update");
            // serde_json reads some floats one ulp off their shortest form (no
            // `float_roundtrip`): the full parse of the same text is the reference.
            let full: InventoryState = serde_json::from_str(&text).expect("full parse");
            assert_eq!(got.state, full, "step {step}");
            assert_eq!(got.json, text, "step {step}");
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
