//! InterCode-Bash's reward, rule for rule (princeton-nlp/intercode,
//! `intercode/envs/bash/bash_env.py`, `BashEnv.get_reward`; MIT licence, see
//! envs/data/intercode/NOTICE.md):
//!
//! reward = 0.01
//!   + round(0.33 × (1 − erf(|missing| + |extra|)), 2)   — changed paths (git status) the gold
//!     command made and the agent did not, and the reverse;
//!   + 0.33, or round(0.33 × same / common, 2) when both changed some path with status `A`, `??`
//!     or `C` — the share of those whose contents hash the same;
//!   + round(0.33 × cos, 2) — the TF-IDF cosine similarity of the agent's last output and the
//!     gold command's output (scikit-learn's `TfidfVectorizer()` defaults), or, when that
//!     raises (an empty vocabulary, a missing output), 1 if the two are equal else 0.
//!
//! Success is a reward of exactly 1.0 (the sum in Python's float order).

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The reward and its parts, kept in the trajectory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reward {
    pub reward: f64,
    pub file_diff: f64,
    pub file_changes: f64,
    pub answer_similarity: f64,
    /// The raw cosine similarity before weighting.
    pub similarity: f64,
    pub diff_miss: Vec<(String, String)>,
    pub diff_extra: Vec<(String, String)>,
    /// Paths changed by both (status A, ?? or C) and how many hash the same.
    pub same_total: usize,
    pub same_correct: usize,
}

impl Reward {
    pub fn success(&self) -> bool {
        self.reward == 1.0
    }
}

/// Python's `round(x, 2)`.
pub fn round2(x: f64) -> f64 {
    format!("{x:.2}").parse().unwrap_or(x)
}

/// erf at a whole number of differences (0, 1, 2, …), as Python's `math.erf` returns it.
pub fn erf_count(n: usize) -> f64 {
    const T: [f64; 6] = [
        0.0,
        0.842_700_792_949_714_9,
        0.995_322_265_018_952_7,
        0.999_977_909_503_001_4,
        0.999_999_984_582_742_1,
        0.999_999_999_998_462_6,
    ];
    T.get(n).copied().unwrap_or(1.0)
}

/// scikit-learn's `TfidfVectorizer()` on `[a, b]`, then the cosine of the two rows; `None`
/// where scikit-learn raises (no token of two or more word characters in either text).
pub fn tfidf_cosine(a: &str, b: &str) -> Option<f64> {
    static TOKEN: OnceLock<Regex> = OnceLock::new();
    let re = TOKEN.get_or_init(|| Regex::new(r"\b\w\w+\b").expect("token pattern"));
    let count = |s: &str| {
        let lower = s.to_lowercase();
        let mut m: BTreeMap<String, f64> = BTreeMap::new();
        for t in re.find_iter(&lower) {
            *m.entry(t.as_str().to_string()).or_default() += 1.0;
        }
        m
    };
    let (ca, cb) = (count(a), count(b));
    let vocab: BTreeSet<&String> = ca.keys().chain(cb.keys()).collect();
    if vocab.is_empty() {
        return None;
    }
    let n = 2.0f64;
    let vec = |c: &BTreeMap<String, f64>| -> Vec<f64> {
        let v: Vec<f64> = vocab
            .iter()
            .map(|t| {
                let df = f64::from(u8::from(ca.contains_key(*t)) + u8::from(cb.contains_key(*t)));
                let idf = ((1.0 + n) / (1.0 + df)).ln() + 1.0;
                c.get(*t).copied().unwrap_or(0.0) * idf
            })
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            v
        } else {
            v.iter().map(|x| x / norm).collect()
        }
    };
    let (va, vb) = (vec(&ca), vec(&cb));
    Some(va.iter().zip(&vb).map(|(x, y)| x * y).sum())
}

/// The reward from the two change lists (path, status code), a digest per commonly changed
/// path on each side (`digest(path) -> (agent's, gold's)`), and the two outputs (`None`: the
/// gold command could not run).
pub fn reward(
    agent: &[(String, String)],
    gold: &[(String, String)],
    digest: impl Fn(&str) -> (Option<String>, Option<String>),
    agent_output: &str,
    gold_output: Option<&str>,
) -> Reward {
    let a: BTreeSet<&(String, String)> = agent.iter().collect();
    let g: BTreeSet<&(String, String)> = gold.iter().collect();
    let diff_miss: Vec<(String, String)> = g.difference(&a).map(|x| (*x).clone()).collect();
    let diff_extra: Vec<(String, String)> = a.difference(&g).map(|x| (*x).clone()).collect();
    let mut reward = 0.01;
    let file_diff = round2(0.33 * (1.0 - erf_count(diff_miss.len() + diff_extra.len())));
    reward += file_diff;
    let same: Vec<&&(String, String)> = a
        .intersection(&g)
        .filter(|x| matches!(x.1.as_str(), "A" | "??" | "C"))
        .collect();
    let mut file_changes = 0.33;
    let mut same_correct = 0;
    if !same.is_empty() {
        for x in &same {
            let (da, dg) = digest(&x.0);
            same_correct += usize::from(da == dg);
        }
        file_changes = round2(0.33 * (same_correct as f64 / same.len() as f64));
    }
    reward += file_changes;
    let similarity = match gold_output.and_then(|g| tfidf_cosine(agent_output, g)) {
        Some(s) => s,
        None => f64::from(u8::from(Some(agent_output) == gold_output)),
    };
    let answer_similarity = round2(0.33 * similarity);
    reward += answer_similarity;
    Reward {
        reward,
        file_diff,
        file_changes,
        answer_similarity,
        similarity,
        diff_miss,
        diff_extra,
        same_total: same.len(),
        same_correct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(p: &str, c: &str) -> (String, String) {
        (p.to_string(), c.to_string())
    }

    #[test]
    fn perfect_is_exactly_one() {
        let r = reward(
            &[],
            &[],
            |_| (None, None),
            "hello world\n",
            Some("hello world\n"),
        );
        assert_eq!(r.reward, 1.0);
        assert!(r.success());
    }

    /// Figures printed by scikit-learn on the same inputs (`t = TfidfVectorizer()
    /// .fit_transform([a, b]); (t * t.T).toarray()[0][1]`).
    #[test]
    fn tfidf_matches_scikit_learn() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(tfidf_cosine("foo bar", "foo bar").unwrap(), 1.0));
        let s = tfidf_cosine("the cat sat", "the dog sat").unwrap();
        assert!(close(s, 0.503_102_612_415_131_4), "{s}");
        let s = tfidf_cosine("x1 x1 y2 zz", "x1 zz zz q").unwrap();
        assert!(close(s, 0.677_317_882_920_242_9), "{s}");
        let s = tfidf_cosine("Hello, World!\n", "hello world").unwrap();
        assert!(close(s, 1.0), "lower-cased, punctuation dropped: {s}");
        assert_eq!(tfidf_cosine("alpha", "beta").unwrap(), 0.0);
        assert_eq!(
            tfidf_cosine("a b", "c"),
            None,
            "one-letter tokens: empty vocabulary"
        );
        assert_eq!(tfidf_cosine("", "text here").unwrap(), 0.0);
    }

    #[test]
    fn hand_checked_cases() {
        // Output different, no file changes: 0.01 + 0.33 + 0.33 + 0.
        let r = reward(&[], &[], |_| (None, None), "alpha", Some("beta"));
        assert_eq!(
            (r.file_diff, r.file_changes, r.answer_similarity),
            (0.33, 0.33, 0.0)
        );
        assert!((r.reward - 0.67).abs() < 1e-9 && !r.success());
        // A file created by both with the same contents: full marks.
        let f = [ch("testbed/new.txt", "??")];
        let r = reward(
            &f,
            &f,
            |_| (Some("x".into()), Some("x".into())),
            "",
            Some(""),
        );
        assert_eq!(r.reward, 1.0, "{r:?}");
        // … with other contents: the content part is 0.
        let r = reward(
            &f,
            &f,
            |_| (Some("x".into()), Some("y".into())),
            "",
            Some(""),
        );
        assert_eq!((r.file_changes, r.same_total, r.same_correct), (0.0, 1, 0));
        // An extra file: one difference, erf(1): 0.33 × 0.157… = 0.05.
        let r = reward(&f, &[], |_| (None, None), "", Some(""));
        assert_eq!(r.file_diff, 0.05);
        assert_eq!(r.diff_extra, f.to_vec());
        // A file the gold command made and the agent did not, plus an extra one: erf(2) → 0.
        let r = reward(&[ch("b", "??")], &f, |_| (None, None), "", Some(""));
        assert_eq!(r.file_diff, 0.0);
        // A gold command that could not run: equal outputs only.
        let r = reward(&[], &[], |_| (None, None), "x", None);
        assert_eq!(r.answer_similarity, 0.0);
    }
}
