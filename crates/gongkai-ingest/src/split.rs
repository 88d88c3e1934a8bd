//! Splitting runs of digits that a text extraction printed without separators.
//!
//! `一、本年新收政府信息公开申请数量713000074` is the row 71|3|0|0|0|0|74: seven cells whose
//! digits ran together. Many splits are possible; the table's own arithmetic decides which one
//! is meant. [`candidates`] enumerates every split of the runs into exactly `k` numbers
//! (a number never starts with `0` unless it is `0`), and keeps those a caller-supplied rule
//! accepts (e.g. "the first six add up to the seventh"). When more than one survives, the
//! caller may narrow them further with column rules across rows; what still cannot be decided
//! stays unknown — gongkai never picks one of several readings.

/// A run of digits to split: the integer digits, an optional decimal tail (belongs to the
/// last number cut from the run) and an optional leading sign (belongs to the first).
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub digits: String,
    pub decimal: Option<String>,
    pub negative: bool,
}

impl Run {
    /// Parse a token's digit string such as `-12`, `220000325` or `13575394432.52`.
    pub fn parse(s: &str) -> Option<Run> {
        let (negative, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, dec) = match body.split_once('.') {
            Some((i, d)) => (i, Some(d.to_string())),
            None => (body, None),
        };
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if dec
            .as_ref()
            .is_some_and(|d| d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        Some(Run {
            digits: int.to_string(),
            decimal: dec,
            negative,
        })
    }
}

/// Upper bound on candidate vectors explored, so hostile input cannot explode the search.
pub const MAX_CANDIDATES: usize = 20_000;

/// Every way to split `runs` into exactly `k` numbers accepted by `accept`, at most
/// [`MAX_CANDIDATES`] explored. Returns `None` when the search was cut off.
pub fn candidates(
    runs: &[Run],
    k: usize,
    accept: &dyn Fn(&[f64]) -> bool,
) -> Option<Vec<Vec<f64>>> {
    let total_digits: usize = runs.iter().map(|r| r.digits.len()).sum();
    if runs.is_empty() || k < runs.len() || k > total_digits || total_digits > 400 {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(k);
    let mut explored = 0usize;
    let complete = dfs(runs, 0, 0, k, &mut current, &mut out, accept, &mut explored);
    complete.then_some(out)
}

#[allow(clippy::too_many_arguments)]
fn dfs(
    runs: &[Run],
    run_idx: usize,
    pos: usize,
    k: usize,
    current: &mut Vec<f64>,
    out: &mut Vec<Vec<f64>>,
    accept: &dyn Fn(&[f64]) -> bool,
    explored: &mut usize,
) -> bool {
    *explored += 1;
    if *explored > MAX_CANDIDATES * 20 || out.len() > MAX_CANDIDATES {
        return false;
    }
    if run_idx == runs.len() {
        if current.len() == k && accept(current) {
            out.push(current.clone());
        }
        return true;
    }
    let run = &runs[run_idx];
    let digits = run.digits.as_bytes();
    let remaining_runs = runs.len() - run_idx - 1;
    // Numbers still needed after this one must fit in what is left.
    let digits_after: usize = runs[run_idx + 1..].iter().map(|r| r.digits.len()).sum();
    let rest_here = digits.len() - pos;
    for len in 1..=rest_here {
        let piece = &digits[pos..pos + len];
        if piece.len() > 1 && piece[0] == b'0' {
            break;
        }
        let end_of_run = pos + len == digits.len();
        let needed_after = k.saturating_sub(current.len() + 1);
        let max_after = (digits.len() - pos - len) + digits_after;
        let min_after = remaining_runs + usize::from(!end_of_run);
        if needed_after < min_after || needed_after > max_after {
            continue;
        }
        // Digit by digit: this loop is the hot path of splitting run-together cells.
        let mut v = piece
            .iter()
            .fold(0.0f64, |acc, d| acc * 10.0 + f64::from(d - b'0'));
        if end_of_run {
            if let Some(frac) = &run.decimal {
                // Rare: parse the printed decimal exactly rather than adding floats.
                let text = format!("{}.{frac}", String::from_utf8_lossy(piece));
                v = text.parse().unwrap_or(v);
            }
        }
        if pos == 0 && run.negative {
            v = -v;
        }
        current.push(v);
        let ok = if end_of_run {
            dfs(runs, run_idx + 1, 0, k, current, out, accept, explored)
        } else {
            dfs(runs, run_idx, pos + len, k, current, out, accept, explored)
        };
        current.pop();
        if !ok {
            return false;
        }
    }
    true
}

/// Row rule of table 三: the first six cells add up to the seventh.
pub fn row_sum_holds(v: &[f64]) -> bool {
    v.len() == 7 && (v[..6].iter().sum::<f64>() - v[6]).abs() < 1e-6
}

/// Rule of table 四: in each group of five, the fifth is the sum of the first four.
pub fn review_groups_hold(v: &[f64]) -> bool {
    v.len() == 15
        && v.chunks(5)
            .all(|g| (g[..4].iter().sum::<f64>() - g[4]).abs() < 1e-6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(s: &[&str]) -> Vec<Run> {
        s.iter().map(|r| Run::parse(r).unwrap()).collect()
    }

    #[test]
    fn row_sum_decides_a_unique_split() {
        let c = candidates(&runs(&["713000074"]), 7, &row_sum_holds).unwrap();
        assert_eq!(c, vec![vec![71.0, 3.0, 0.0, 0.0, 0.0, 0.0, 74.0]]);
    }

    #[test]
    fn spaces_between_some_cells_are_respected() {
        let c = candidates(&runs(&["230", "000023"]), 7, &row_sum_holds).unwrap();
        assert_eq!(c, vec![vec![23.0, 0.0, 0.0, 0.0, 0.0, 0.0, 23.0]]);
    }

    #[test]
    fn ambiguous_rows_keep_every_reading() {
        let c = candidates(&runs(&["220000325"]), 7, &row_sum_holds).unwrap();
        assert!(c.len() >= 2, "{c:?}");
        assert!(c.contains(&vec![22.0, 0.0, 0.0, 0.0, 0.0, 3.0, 25.0]));
    }

    #[test]
    fn leading_zeros_are_not_numbers() {
        let c = candidates(&runs(&["07"]), 2, &|_| true).unwrap();
        assert_eq!(c, vec![vec![0.0, 7.0]]);
    }

    #[test]
    fn review_row_of_seventeen_digits() {
        let c = candidates(&runs(&["10203120001200000"]), 15, &review_groups_hold).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0][5], 12.0);
    }

    #[test]
    fn decimal_tail_goes_to_the_last_number() {
        let c = candidates(&runs(&["24252.311082"]), 1, &|_| true).unwrap();
        assert_eq!(c, vec![vec![24252.311082]]);
    }
}
