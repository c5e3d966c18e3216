//! The paper market: a few binary markets whose books move every tick, and the weather.
//!
//! Everything is a pure function of the seed and the tick: `PaperMarket::new(seed, n)` advanced
//! to tick `t` shows the same books whether the session ran straight through or was resumed.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use weatherman_inventory::contract::{MarketState, Outcome, WeatherState};
use weatherman_inventory::shim::MarketIds;

use super::rng::{Rng, Stream};

/// The ids and question of one market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketSpec {
    /// The market, its condition and its two tokens.
    pub ids: MarketIds,
    /// The question it settles.
    pub question: String,
}

impl MarketSpec {
    /// The token id of `outcome`.
    pub fn token(&self, outcome: Outcome) -> &str {
        match outcome {
            Outcome::Yes => &self.ids.yes_token_id,
            Outcome::No => &self.ids.no_token_id,
        }
    }
}

/// Top of book of one market: prices in cents (1..99), sizes in contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Book {
    pub yes_bid: u64,
    pub yes_ask: u64,
    pub yes_bid_size: u64,
    pub yes_ask_size: u64,
    pub no_bid_size: u64,
    pub no_ask_size: u64,
}

impl Book {
    /// Best bid of `outcome`, cents. The NO book mirrors the YES book: a NO bid at `100 - ask`.
    pub fn bid(&self, outcome: Outcome) -> u64 {
        match outcome {
            Outcome::Yes => self.yes_bid,
            Outcome::No => 100 - self.yes_ask,
        }
    }

    /// Best ask of `outcome`, cents.
    pub fn ask(&self, outcome: Outcome) -> u64 {
        match outcome {
            Outcome::Yes => self.yes_ask,
            Outcome::No => 100 - self.yes_bid,
        }
    }

    /// Contracts offered at the best bid of `outcome` this tick.
    pub fn bid_size(&self, outcome: Outcome) -> u64 {
        match outcome {
            Outcome::Yes => self.yes_bid_size,
            Outcome::No => self.no_bid_size,
        }
    }

    /// Contracts offered at the best ask of `outcome` this tick.
    pub fn ask_size(&self, outcome: Outcome) -> u64 {
        match outcome {
            Outcome::Yes => self.yes_ask_size,
            Outcome::No => self.no_ask_size,
        }
    }

    /// The mark of `outcome`: the mid, rounded down to a cent.
    pub fn mid(&self, outcome: Outcome) -> u64 {
        (self.bid(outcome) + self.ask(outcome)) / 2
    }
}

/// The markets, their books and the weather at the current tick.
#[derive(Debug, Clone)]
pub struct PaperMarket {
    seed: u64,
    tick: u64,
    specs: Vec<MarketSpec>,
    /// Fair YES value of each market, tenths of a cent (50..950).
    fair: Vec<i64>,
    books: Vec<Book>,
    /// Observed temperature, tenths of a degree Fahrenheit.
    temperature: i64,
}

/// The instant of tick 0; tick `t` is `t` minutes later.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .expect("a valid instant")
}

impl PaperMarket {
    /// `count` markets at tick 0.
    pub fn new(seed: u64, count: usize) -> Self {
        let mut rng = Rng::for_tick(seed, 0, Stream::Market);
        let specs = (0..count)
            .map(|i| MarketSpec {
                // As on the venue, a market is named by its condition id: the ledger finds a
                // resolved condition's tokens by their positions' market id.
                ids: MarketIds {
                    market_id: format!("cond-{i}"),
                    condition_id: format!("cond-{i}"),
                    yes_token_id: format!("tok-{i}-yes"),
                    no_token_id: format!("tok-{i}-no"),
                },
                question: format!("Will the high at KNYC reach {}F?", 78 + 2 * i),
            })
            .collect();
        let fair = (0..count).map(|_| rng.range(300, 700)).collect();
        let mut market = PaperMarket {
            seed,
            tick: 0,
            specs,
            fair,
            books: vec![Book::default(); count],
            temperature: 640,
        };
        market.quote();
        market
    }

    /// Moves the market forward to `tick` (never back).
    pub fn advance_to(&mut self, tick: u64) {
        while self.tick < tick {
            self.tick += 1;
            let mut rng = Rng::for_tick(self.seed, self.tick, Stream::Market);
            for fair in &mut self.fair {
                *fair = (*fair + rng.range(-25, 25)).clamp(50, 950);
            }
            let mut weather = Rng::for_tick(self.seed, self.tick, Stream::Weather);
            self.temperature = (self.temperature + weather.range(-3, 4)).clamp(400, 1050);
            self.quote();
        }
    }

    fn quote(&mut self) {
        let mut rng = Rng::for_tick(self.seed, self.tick, Stream::Book);
        for (book, fair) in self.books.iter_mut().zip(&self.fair) {
            let cents = (fair / 10) as u64;
            let below = rng.range(0, 2) as u64;
            let above = rng.range(1, 2) as u64;
            *book = Book {
                yes_bid: cents.saturating_sub(below).clamp(1, 97),
                yes_ask: (cents + above).clamp(3, 99),
                yes_bid_size: rng.range(5, 80) as u64,
                yes_ask_size: rng.range(5, 80) as u64,
                no_bid_size: rng.range(5, 80) as u64,
                no_ask_size: rng.range(5, 80) as u64,
            };
            if book.yes_ask <= book.yes_bid {
                book.yes_ask = book.yes_bid + 1;
            }
        }
    }

    /// The markets.
    pub fn specs(&self) -> &[MarketSpec] {
        &self.specs
    }

    /// The book of market `index`.
    pub fn book(&self, index: usize) -> &Book {
        &self.books[index]
    }

    /// The index of the market with this id.
    pub fn index_of(&self, market_id: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.ids.market_id == market_id)
    }

    /// Every token's mark, cents: what `update_prices` gets.
    pub fn marks(&self) -> HashMap<String, u64> {
        let mut marks = HashMap::with_capacity(2 * self.specs.len());
        for (spec, book) in self.specs.iter().zip(&self.books) {
            for outcome in [Outcome::Yes, Outcome::No] {
                marks.insert(spec.token(outcome).to_owned(), book.mid(outcome));
            }
        }
        marks
    }

    /// The time of the current tick.
    pub fn timestamp(&self) -> DateTime<Utc> {
        epoch() + Duration::minutes(self.tick as i64)
    }

    /// The markets as strategies see them.
    pub fn market_states(&self) -> Vec<MarketState> {
        self.specs
            .iter()
            .zip(&self.books)
            .map(|(spec, book)| MarketState {
                market_id: spec.ids.market_id.clone(),
                condition_id: spec.ids.condition_id.clone(),
                question: spec.question.clone(),
                yes_token_id: spec.ids.yes_token_id.clone(),
                no_token_id: spec.ids.no_token_id.clone(),
                yes_bid_px: book.bid(Outcome::Yes),
                yes_ask_px: book.ask(Outcome::Yes),
                no_bid_px: book.bid(Outcome::No),
                no_ask_px: book.ask(Outcome::No),
            })
            .collect()
    }

    /// The weather as strategies see it.
    pub fn weather(&self) -> WeatherState {
        WeatherState {
            station_id: "KNYC".to_owned(),
            observed_at: self.timestamp(),
            temperature_f: self.temperature as f64 / 10.0,
            forecast_high_f: 80.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_are_the_same_however_the_market_got_to_a_tick() {
        let mut straight = PaperMarket::new(42, 3);
        straight.advance_to(50);
        let mut stepped = PaperMarket::new(42, 3);
        for tick in 1..=50 {
            stepped.advance_to(tick);
        }
        assert_eq!(straight.books, stepped.books);
        assert_eq!(straight.marks(), stepped.marks());
    }

    #[test]
    fn books_are_well_formed_and_the_no_side_mirrors_the_yes_side() {
        let mut market = PaperMarket::new(7, 4);
        for tick in 1..=300 {
            market.advance_to(tick);
            for index in 0..4 {
                let book = market.book(index);
                for outcome in [Outcome::Yes, Outcome::No] {
                    assert!(1 <= book.bid(outcome) && book.bid(outcome) < book.ask(outcome));
                    assert!(book.ask(outcome) <= 99);
                }
                assert_eq!(book.bid(Outcome::No), 100 - book.ask(Outcome::Yes));
            }
        }
    }
}
