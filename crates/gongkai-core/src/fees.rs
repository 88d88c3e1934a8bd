//! 信息处理费 under 《政府信息公开信息处理费管理办法》 (国办函〔2020〕109号).
//!
//! The fee is charged only when the volume or frequency of requests clearly exceeds a
//! reasonable range (条例 Art. 42). Two progressive (超额累进) bases exist; an agency picks one per
//! request and never applies both to the same request (办法 Art. 3):
//!
//! * **按件** (per request; applies to every kind of decision): counted per applicant per
//!   calendar month. Requests 1–10 of the month are free; the 11th–30th cost 100元 each; from
//!   the 31st on, every further band of 10 requests raises the rate by 100元 (31st–40th: 200元,
//!   41st–50th: 300元, …). The fee of one request is the rate of its band, so [`per_request`]
//!   takes the request's ordinal `k` among the applicant's requests of that month.
//! * **按量** (per page, for delivery on paper, by e-mail or as copied electronic data), for one
//!   request: pages 1–30 free, 31–100 at 10元/页, 101–200 at 20元/页, 201 and above at 40元/页,
//!   each rate applying only to the pages within its band ([`per_page`]).
//!
//! The page count is whatever the agency counted for the request (for electronic delivery, the
//! page count of the information); this module does not convert data volumes into pages,
//! because neither the spec nor the national text read for it gives a conversion.
//!
//! Payment (as implemented in [`crate::lifecycle`]): the applicant pays within 20 working days
//! from the day after receiving the fee notice; non-payment in time means the request is no
//! longer processed (table 三 row （六）2, `other_fee_unpaid`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount in whole 元 (the 109号 rates are integers).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Yuan(pub u64);

impl Yuan {
    pub const ZERO: Yuan = Yuan(0);

    /// The amount in 万元, as table 二 and narrative figures are written.
    pub fn to_wan(self) -> f64 {
        self.0 as f64 / 10_000.0
    }

    pub fn saturating_add(self, other: Yuan) -> Yuan {
        Yuan(self.0.saturating_add(other.0))
    }
}

impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}元", self.0)
    }
}

impl std::iter::Sum for Yuan {
    fn sum<I: Iterator<Item = Yuan>>(iter: I) -> Yuan {
        iter.fold(Yuan::ZERO, Yuan::saturating_add)
    }
}

/// Which basis a fee is computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeeBasis {
    /// 按件: the request is the `nth_in_month`-th (1-based) request of the same applicant in
    /// the calendar month of its receipt.
    PerRequest { nth_in_month: u32 },
    /// 按量: the information provided for the request runs to `pages` pages.
    PerPage { pages: u32 },
}

impl FeeBasis {
    pub fn label_zh(&self) -> &'static str {
        match self {
            FeeBasis::PerRequest { .. } => "按件计收",
            FeeBasis::PerPage { .. } => "按量计收",
        }
    }
}

/// One band of a progressive computation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeBand {
    /// First and last unit (request ordinal or page) of the band that applies.
    pub from: u32,
    pub to: u32,
    /// 元 per unit.
    pub rate: u64,
    pub units: u32,
    pub subtotal: Yuan,
}

/// A computed fee with its working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeCalculation {
    pub basis: FeeBasis,
    pub amount: Yuan,
    /// The bands that contributed (including free ones).
    pub bands: Vec<FeeBand>,
}

impl FeeCalculation {
    /// The working in Chinese, e.g. `按量计收，共250页：1—30页免费；31—100页70页×10元＝700元；…；合计4700元。`
    pub fn explain_zh(&self) -> String {
        match self.basis {
            FeeBasis::PerRequest { nth_in_month } => {
                let rate = self.bands.first().map(|b| b.rate).unwrap_or(0);
                let band = per_request_band(nth_in_month);
                if rate == 0 {
                    format!("按件计收：本申请为同一申请人本自然月内第{nth_in_month}件，累计10件以下（含10件）不收费。")
                } else {
                    format!(
                        "按件计收：本申请为同一申请人本自然月内第{nth_in_month}件，属于第{}—{}件档，收费标准{rate}元/件，应缴{}。",
                        band.0, band.1, self.amount
                    )
                }
            }
            FeeBasis::PerPage { pages } => {
                let parts: Vec<String> = self
                    .bands
                    .iter()
                    .map(|b| {
                        if b.rate == 0 {
                            format!("{}—{}页免费", b.from, b.to)
                        } else {
                            format!(
                                "{}—{}页{}页×{}元＝{}",
                                b.from, b.to, b.units, b.rate, b.subtotal
                            )
                        }
                    })
                    .collect();
                if parts.is_empty() {
                    return "按量计收：共0页，不收费。".to_string();
                }
                format!(
                    "按量计收，共{pages}页：{}；合计{}。",
                    parts.join("；"),
                    self.amount
                )
            }
        }
    }
}

/// The band (first, last ordinal) the `k`-th request of a month falls in.
fn per_request_band(k: u32) -> (u32, u32) {
    match k {
        0..=10 => (1, 10),
        11..=30 => (11, 30),
        _ => {
            let b = (k - 31) / 10;
            let first = 31 + b * 10;
            (first, first.saturating_add(9))
        }
    }
}

/// 按件 rate (元) of the `k`-th request (1-based) of one applicant in one calendar month.
pub fn per_request_rate(k: u32) -> u64 {
    match k {
        0..=10 => 0,
        11..=30 => 100,
        _ => 200 + 100 * ((k as u64 - 31) / 10),
    }
}

/// 按件 fee of the `nth_in_month`-th request of an applicant's month.
pub fn per_request(nth_in_month: u32) -> FeeCalculation {
    let rate = per_request_rate(nth_in_month);
    let (from, to) = per_request_band(nth_in_month);
    FeeCalculation {
        basis: FeeBasis::PerRequest { nth_in_month },
        amount: Yuan(rate),
        bands: vec![FeeBand {
            from,
            to,
            rate,
            units: 1,
            subtotal: Yuan(rate),
        }],
    }
}

/// Total 按件 fee of an applicant's `count` requests in one calendar month (sum of the rates of
/// requests 1..=count), saturating at `u64::MAX`.
pub fn per_request_month_total(count: u32) -> Yuan {
    let n = count as u128;
    if n <= 10 {
        return Yuan(0);
    }
    let mut total: u128 = 100 * (n.min(30) - 10);
    if n > 30 {
        let beyond = n - 30;
        let full = beyond / 10;
        let rest = beyond % 10;
        // Bands b = 1..=full of 10 requests at 100 + 100·b each, then `rest` at the next rate.
        total += 1000 * full + 1000 * full * (full + 1) / 2;
        total += rest * (100 + 100 * (full + 1));
    }
    Yuan(u64::try_from(total).unwrap_or(u64::MAX))
}

const PAGE_BANDS: [(u32, u32, u64); 4] = [
    (1, 30, 0),
    (31, 100, 10),
    (101, 200, 20),
    (201, u32::MAX, 40),
];

/// 按量 fee of one request of `pages` pages.
pub fn per_page(pages: u32) -> FeeCalculation {
    let mut bands = Vec::new();
    let mut amount = 0u64;
    for (from, to, rate) in PAGE_BANDS {
        if pages < from {
            break;
        }
        let last = pages.min(to);
        let units = last - from + 1;
        let subtotal = rate * units as u64;
        amount += subtotal;
        bands.push(FeeBand {
            from,
            to: last,
            rate,
            units,
            subtotal: Yuan(subtotal),
        });
    }
    FeeCalculation {
        basis: FeeBasis::PerPage { pages },
        amount: Yuan(amount),
        bands,
    }
}

/// The fee for a basis.
pub fn compute(basis: FeeBasis) -> FeeCalculation {
    match basis {
        FeeBasis::PerRequest { nth_in_month } => per_request(nth_in_month),
        FeeBasis::PerPage { pages } => per_page(pages),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_request_rates_by_band() {
        // 1–10 free; 11–30: 100; 31–40: 200; 41–50: 300; 51–60: 400.
        for (k, rate) in [
            (1, 0),
            (10, 0),
            (11, 100),
            (30, 100),
            (31, 200),
            (40, 200),
            (41, 300),
            (50, 300),
            (51, 400),
            (60, 400),
            (61, 500),
        ] {
            assert_eq!(per_request_rate(k), rate, "k = {k}");
            assert_eq!(per_request(k).amount, Yuan(rate));
        }
        assert!(per_request(35)
            .explain_zh()
            .contains("第31—40件档，收费标准200元/件"));
        assert!(per_request(3).explain_zh().contains("不收费"));
    }

    #[test]
    fn per_request_month_totals_match_the_sum_of_rates() {
        for count in 0..200u32 {
            let sum: u64 = (1..=count).map(per_request_rate).sum();
            assert_eq!(per_request_month_total(count), Yuan(sum), "count {count}");
        }
        // 35 requests: 20 × 100 + 5 × 200 = 3000.
        assert_eq!(per_request_month_total(35), Yuan(3000));
        // No overflow panic on absurd input.
        assert!(per_request_month_total(u32::MAX).0 > 0);
        assert!(per_request_rate(u32::MAX) > 0);
    }

    #[test]
    fn per_page_progressive() {
        assert_eq!(per_page(0).amount, Yuan(0));
        assert_eq!(per_page(30).amount, Yuan(0));
        assert_eq!(per_page(31).amount, Yuan(10));
        // 100 pages: 70 × 10 = 700.
        assert_eq!(per_page(100).amount, Yuan(700));
        // 101 pages: 700 + 20.
        assert_eq!(per_page(101).amount, Yuan(720));
        // 200 pages: 700 + 100 × 20 = 2700.
        assert_eq!(per_page(200).amount, Yuan(2700));
        // 250 pages: 700 + 2000 + 50 × 40 = 4700.
        let fee = per_page(250);
        assert_eq!(fee.amount, Yuan(4700));
        assert_eq!(fee.bands.len(), 4);
        let zh = fee.explain_zh();
        assert_eq!(
            zh,
            "按量计收，共250页：1—30页免费；31—100页70页×10元＝700元；101—200页100页×20元＝2000元；201—250页50页×40元＝2000元；合计4700元。"
        );
        // u32::MAX pages does not overflow.
        assert!(per_page(u32::MAX).amount.0 > 0);
    }

    #[test]
    fn serde_shapes() {
        let v = serde_json::to_value(compute(FeeBasis::PerPage { pages: 40 })).unwrap();
        assert_eq!(v["basis"]["kind"], "per_page");
        assert_eq!(v["amount"], 100);
        assert_eq!(Yuan(12_345).to_wan(), 1.2345);
        assert_eq!(Yuan(5).to_string(), "5元");
    }
}
