//! A small deterministic generator: the whole paper session follows from `--seed`.
//!
//! SplitMix64 is enough for a simulation and, unlike a crate's generator, its stream can never
//! change under a dependency upgrade, which would silently change what `--resume` replays.

/// SplitMix64 (Steele, Lea and Flood 2014).
#[derive(Debug, Clone)]
pub struct Rng(u64);

/// The independent random streams of one tick.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// The fair values of the markets.
    Market = 1,
    /// Book sizes and fill price improvement.
    Book = 2,
    /// Fills, cancels and mint/merge outcomes of the paper engine.
    Engine = 3,
    /// The weather.
    Weather = 4,
    /// When and how the markets resolve, and whether a redemption fails on chain.
    Resolution = 5,
}

impl Rng {
    /// A generator for `stream` at `tick` of the session seeded with `seed`: a pure function of
    /// the three, so any tick can be recomputed on resume.
    pub fn for_tick(seed: u64, tick: u64, stream: Stream) -> Self {
        let mut rng = Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B);
        let a = rng.next_u64();
        Rng(a ^ tick.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (stream as u64).rotate_left(32))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_pure_functions_of_seed_tick_and_stream() {
        let draw = |seed, tick, stream| Rng::for_tick(seed, tick, stream).next_u64();
        assert_eq!(draw(7, 3, Stream::Book), draw(7, 3, Stream::Book));
        assert_ne!(draw(7, 3, Stream::Book), draw(7, 4, Stream::Book));
        assert_ne!(draw(7, 3, Stream::Book), draw(8, 3, Stream::Book));
        assert_ne!(draw(7, 3, Stream::Book), draw(7, 3, Stream::Engine));
    }

    #[test]
    fn range_stays_in_bounds() {
        let mut rng = Rng::for_tick(1, 1, Stream::Market);
        let draws: Vec<i64> = (0..1000).map(|_| rng.range(-3, 3)).collect();
        assert!(draws.iter().all(|d| (-3..=3).contains(d)));
        assert!((-3..=3).all(|v| draws.contains(&v)));
    }
}
