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

/// MinHash signature length and LSH banding: 16 bands of 4 values. Two texts with Jaccard
/// similarity s share a band with probability 1 − (1 − s⁴)¹⁶: 0.9998 at s = 0.8, 0.07 at
/// s = 0.3, so candidates are nearly all the real duplicates and few others.
const BANDS: usize = 16;
const ROWS: usize = 4;

fn minhash(sh: &Shingles) -> [u64; BANDS * ROWS] {
    let mut sig = [u64::MAX; BANDS * ROWS];
    for &x in &sh.0 {
        for (i, slot) in sig.iter_mut().enumerate() {
            // A cheap family of hash functions: xor with a per-row constant, then a multiply.
            let h = (x ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1)))
                .wrapping_mul(0xBF58_476D_1CE4_E5B9)
                .rotate_left(31);
            if h < *slot {
                *slot = h;
            }
        }
    }
    sig
}

/// A member of a near-duplicate cluster and its similarity to the cluster's first member.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterMember {
    pub index: usize,
    pub similarity: f64,
}

/// Texts whose narratives are copies of each other.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub members: Vec<ClusterMember>,
}

/// Group `texts` into clusters of near-duplicates (Jaccard ≥ `threshold` to a member already in
/// the cluster). Candidates come from MinHash/LSH buckets; every candidate pair is confirmed
/// with the exact Jaccard index, so a cluster never contains a text below the threshold
/// against the member that admitted it. Texts with fewer than 20 shingles are ignored.
pub fn near_duplicate_clusters(texts: &[String], threshold: f64) -> Vec<Cluster> {
    let sketches: Vec<Shingles> = texts.iter().map(|t| Shingles::of(t)).collect();
    let n = texts.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut buckets: std::collections::HashMap<(usize, [u64; ROWS]), Vec<usize>> =
        std::collections::HashMap::new();
    for (i, sh) in sketches.iter().enumerate() {
        if sh.len() < 20 {
            continue;
        }
        let sig = minhash(sh);
        for b in 0..BANDS {
            let mut key = [0u64; ROWS];
            key.copy_from_slice(&sig[b * ROWS..(b + 1) * ROWS]);
            buckets.entry((b, key)).or_default().push(i);
        }
    }
    let mut keys: Vec<&(usize, [u64; ROWS])> = buckets.keys().collect();
    keys.sort();
    for key in keys {
        let members = &buckets[key];
        // Compare each member with the bucket's members already confirmed as distinct
        // clusters (usually one): linear in the bucket for copies of one text.
        let mut heads: Vec<usize> = Vec::new();
        for &m in members {
            let mut joined = false;
            for &h in &heads {
                let (rm, rh) = (find(&mut parent, m), find(&mut parent, h));
                if rm == rh {
                    joined = true;
                    break;
                }
                if sketches[m].jaccard(&sketches[h]) >= threshold {
                    parent[rm] = rh;
                    joined = true;
                    break;
                }
            }
            if !joined && heads.len() < 8 {
                heads.push(m);
            }
        }
    }
    let mut clusters: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..n {
        let r = find(&mut parent, i);
        clusters.entry(r).or_default().push(i);
    }
    clusters
        .into_values()
        .filter(|m| m.len() > 1)
        .map(|mut m| {
            m.sort_unstable();
            let first = m[0];
            Cluster {
                members: m
                    .iter()
                    .map(|&i| ClusterMember {
                        index: i,
                        similarity: if i == first {
                            sketches[i].jaccard(&sketches[m[1]])
                        } else {
                            sketches[i].jaccard(&sketches[first])
                        },
                    })
                    .collect(),
            }
        })
        .collect()
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
    fn clusters_find_copies_among_many_texts() {
        let base = "中心成立了政务公开领导小组，由主任任组长，负责日常工作的组织协调，规范信息发布审核流程，做好依申请公开答复工作。";
        let other = "下一步将加强平台建设，拓展公开渠道，提高政策解读的质量和效果，回应社会关切，推进重点领域信息公开，接受群众监督。";
        let mut texts: Vec<String> = (0..50).map(|i| format!("{other}{i}")).collect();
        texts[3] = format!("{base}2023年");
        texts[40] = format!("{base}2024年");
        texts[41] = "完全不同的一段文字，讲述机构改革之后档案移交和人员培训的情况。".repeat(3);
        let clusters = near_duplicate_clusters(&texts, 0.8);
        // The 48 copies of `other` form one cluster; the two `base` texts another.
        let sizes: Vec<usize> = clusters.iter().map(|c| c.members.len()).collect();
        assert!(sizes.contains(&2) && sizes.contains(&47), "{sizes:?}");
        let pair = clusters.iter().find(|c| c.members.len() == 2).unwrap();
        assert_eq!(
            pair.members.iter().map(|m| m.index).collect::<Vec<_>>(),
            [3, 40]
        );
    }

    #[test]
    fn unrelated_texts_score_low() {
        let a = "中心成立了政务公开领导小组，由主任任组长，负责日常工作的组织协调。";
        let b = "下一步将加强平台建设，拓展公开渠道，提高政策解读的质量和效果。";
        assert!(similarity(a, b) < 0.1);
    }
}
