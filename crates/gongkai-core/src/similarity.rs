//! Text similarity for 内容雷同 (near-duplicate narrative) detection.
//!
//! Similarity of two texts is the **Jaccard index of their sets of character 5-grams**, taken
//! over the narrative with whitespace, ASCII digits and punctuation removed (so that two
//! reports that differ only in their figures and years still count as copies). 5-grams of
//! Chinese characters are specific enough that unrelated reports on the same topic score
//! below 0.3, while a report copied from last year's with new figures scores above 0.9. The
//! n-grams are hashed to `u64` so a set is cheap to build and compare.

use crate::model::Report;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// Shingle length in characters.
pub const SHINGLE: usize = 5;

/// The narrative sections of a report joined in section order.
pub fn narrative_text(report: &Report) -> String {
    report
        .narrative
        .values()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Characters kept for comparison: CJK and letters; digits, space and punctuation dropped.
pub fn comparable_chars(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| crate::normalize::is_cjk(*c) || c.is_alphabetic())
        .collect()
}

/// The hashed character 5-gram set of a text.
#[derive(Debug, Clone, Default)]
pub struct Shingles(HashSet<u64>);

impl Shingles {
    pub fn of(text: &str) -> Shingles {
        let chars = comparable_chars(text);
        let mut set = HashSet::with_capacity(chars.len());
        for w in chars.windows(SHINGLE) {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            set.insert(h.finish());
        }
        Shingles(set)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// |A ∩ B| / |A ∪ B|, 0 for two empty sets.
    pub fn jaccard(&self, other: &Shingles) -> f64 {
        let inter = self.0.intersection(&other.0).count();
        let union = self.0.len() + other.0.len() - inter;
        if union == 0 {
            0.0
        } else {
            inter as f64 / union as f64
        }
    }
}

/// Similarity ratio of two texts in `[0, 1]` (see module docs).
pub fn similarity(a: &str, b: &str) -> f64 {
    Shingles::of(a).jaccard(&Shingles::of(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_are_fully_similar_and_figures_do_not_matter() {
        let a = "我局认真贯彻落实条例，全年主动公开政府信息120条，依申请公开3件。";
        let b = "我局认真贯彻落实条例，全年主动公开政府信息98条，依申请公开7件。";
        assert!((similarity(a, b) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn unrelated_texts_score_low() {
        let a = "中心成立了政务公开领导小组，由主任任组长，负责日常工作的组织协调。";
        let b = "下一步将加强平台建设，拓展公开渠道，提高政策解读的质量和效果。";
        assert!(similarity(a, b) < 0.1);
    }
}
