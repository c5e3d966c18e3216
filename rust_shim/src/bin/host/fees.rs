//! The venue's taker fee, as the paper engine charges it: `shares * rate * (p * (1 - p)) **
//! exponent`, floored to 0.00001 dollar, paid by the taker on both sides; makers pay nothing.
//! The same schedule as `weatherman_inventory.venue.fees.FeeSchedule`, in integer arithmetic.

/// Micro-units per unit (shares, dollars).
const MICRO: u128 = 1_000_000;
/// Fees are floored to 0.00001 dollar: 10 micro-dollars.
pub const FEE_STEP_MICRO: u64 = 10;

/// One market's taker fee: the rate in millionths (0.05 is 50_000) and the exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSchedule {
    pub rate_ppm: u64,
    pub exponent: u32,
}

/// The schedule of the venue's weather markets (rate 0.05, exponent 1).
pub const WEATHER_FEES: FeeSchedule = FeeSchedule {
    rate_ppm: 50_000,
    exponent: 1,
};

impl FeeSchedule {
    /// The fee, in micro-dollars, of a taker fill of `shares_micro` micro-shares at
    /// `price_micro` micro-dollars per share (0..=1_000_000): exact, then floored to a multiple
    /// of 10 micro-dollars. `None` if the exact value does not fit the arithmetic (exponents
    /// above 1 with very large fills), or the price is above a dollar.
    pub fn taker_fee_micro(&self, shares_micro: u64, price_micro: u64) -> Option<u64> {
        let p = u128::from(price_micro);
        if p > MICRO {
            return None;
        }
        // fee dollars = shares/10^6 * rate/10^6 * (p (10^6 - p) / 10^12)^e; in 10^-5 dollar steps.
        let variance = p * (MICRO - p);
        let mut numerator = u128::from(shares_micro).checked_mul(u128::from(self.rate_ppm))?;
        // In steps of 10^-5 dollar: 10^12 / 10^5.
        let mut denominator = MICRO * MICRO / 100_000;
        for _ in 0..self.exponent {
            numerator = numerator.checked_mul(variance)?;
            denominator = denominator.checked_mul(MICRO * MICRO)?;
        }
        u64::try_from(numerator / denominator)
            .ok()?
            .checked_mul(FEE_STEP_MICRO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values `FeeSchedule.taker_fee_micro` of the Python package gives for the same fills.
    #[test]
    fn taker_fees_equal_the_python_schedule() {
        let rate_007 = FeeSchedule {
            rate_ppm: 70_000,
            exponent: 1,
        };
        assert_eq!(rate_007.taker_fee_micro(1_219_511, 820_000), Some(12_590));
        assert_eq!(
            WEATHER_FEES.taker_fee_micro(7_575_758, 660_000),
            Some(85_000)
        );
        assert_eq!(
            WEATHER_FEES.taker_fee_micro(25_000_000, 130_000),
            Some(141_370)
        );
    }

    #[test]
    fn no_fee_at_the_price_bounds_or_for_no_shares_and_a_price_above_a_dollar_is_refused() {
        assert_eq!(WEATHER_FEES.taker_fee_micro(10_000_000, 0), Some(0));
        assert_eq!(WEATHER_FEES.taker_fee_micro(10_000_000, 1_000_000), Some(0));
        assert_eq!(WEATHER_FEES.taker_fee_micro(0, 500_000), Some(0));
        assert_eq!(WEATHER_FEES.taker_fee_micro(1, 1_000_001), None);
    }

    #[test]
    fn the_fee_is_floored_to_a_hundred_thousandth_of_a_dollar() {
        // 1 share at 0.5: 0.05 * 0.25 = 0.0125 exactly; 0.999999 shares: 0.01249998... -> 0.01249.
        assert_eq!(
            WEATHER_FEES.taker_fee_micro(1_000_000, 500_000),
            Some(12_500)
        );
        assert_eq!(WEATHER_FEES.taker_fee_micro(999_999, 500_000), Some(12_490));
        let squared = FeeSchedule {
            rate_ppm: 50_000,
            exponent: 2,
        };
        // 100 shares at 0.5, exponent 2: 100 * 0.05 * 0.0625 = 0.3125.
        assert_eq!(squared.taker_fee_micro(100_000_000, 500_000), Some(312_500));
    }
}
