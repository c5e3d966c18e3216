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
            while let Some((key, value)) = map.next_entry::<Cow<'de, str>, &'de RawValue>()? {
                out.push(RawToken { key, value });
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Entries)
}

/// The last snapshot and each token's last text.
#[derive(Default)]
pub(crate) struct SnapshotCache {
    last: Option<Arc<Snapshot>>,
    tokens: HashMap<String, (Box<str>, TokenPosition)>,
}

impl SnapshotCache {
    /// The snapshot for `text`: the previous one if the text is unchanged, else a new one that
    /// reuses every token whose text is unchanged.
    pub(crate) fn update(&mut self, text: &str) -> Result<Arc<Snapshot>, ShimError> {
        if let Some(last) = &self.last {
            if last.json == text {
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

    fn parse_incremental(&mut self, text: &str) -> Option<InventoryState> {
        let raw: RawInventory<'_> = serde_json::from_str(text).ok()?;
        let mut tokens = BTreeMap::new();
        for RawToken { key, value } in raw.tokens {
            let body = value.get();
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
}
