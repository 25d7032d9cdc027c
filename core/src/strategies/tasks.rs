//! Reasoning tasks with answers a program can check.
//!
//! - [`generate`]: hone's built-in set, made from a seed: multi-step arithmetic word problems,
//!   unit conversions, list puzzles and string puzzles, in rotation (so any prefix of the set
//!   mixes all four). Each answer is computed by the generator, not written by hand. Item `i`
//!   depends only on `(seed, i)`, so `--items 10` is a prefix of `--items 100`.
//! - [`load_gsm8k`]: a JSONL file in GSM8K's format, one `{"question", "answer"}` object per
//!   line, the answer ending with `#### N`.

use super::answer::{canonical_number, extract_number, extract_text, normalize_text};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How an answer is compared with the expected one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Checker {
    /// A whole number, compared exactly.
    Int,
    /// A number, equal within `tol × max(1, |expected|)`.
    Float { tol: f64 },
    /// A string, compared after [`normalize_text`] (case, quotes, surrounding punctuation).
    Text,
}

/// One question with its expected answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasoningTask {
    pub id: String,
    /// `arithmetic`, `units`, `list`, `string`, or `gsm8k` for loaded files.
    pub kind: String,
    pub question: String,
    /// The expected answer in canonical form.
    pub answer: String,
    pub checker: Checker,
}

impl ReasoningTask {
    /// Whether answers are numbers.
    pub fn numeric(&self) -> bool {
        !matches!(self.checker, Checker::Text)
    }

    /// The canonical final answer in a model's text, if one can be found.
    pub fn extract(&self, text: &str) -> Option<String> {
        if self.numeric() {
            extract_number(text).map(canonical_number)
        } else {
            extract_text(text)
        }
    }

    /// Whether a canonical answer is right.
    pub fn check(&self, answer: &str) -> bool {
        let num = |s: &str| s.trim().replace(',', "").parse::<f64>().ok();
        match self.checker {
            Checker::Int => matches!((num(answer), num(&self.answer)),
                (Some(a), Some(e)) if (a - e).abs() < 1e-9),
            Checker::Float { tol } => matches!((num(answer), num(&self.answer)),
                (Some(a), Some(e)) if (a - e).abs() <= tol * e.abs().max(1.0)),
            Checker::Text => normalize_text(answer) == normalize_text(&self.answer),
        }
    }

    /// [`check`](Self::check) for an optional answer (no answer is wrong).
    pub fn is_correct(&self, answer: Option<&str>) -> bool {
        answer.is_some_and(|a| self.check(a))
    }

    /// The answer as a JSON value for a verification program: a number for numeric tasks
    /// (an integer when whole), else a string.
    pub fn answer_value(&self, answer: &str) -> serde_json::Value {
        if self.numeric() {
            if let Ok(x) = answer.parse::<f64>() {
                if (x - x.round()).abs() < 1e-9 && x.abs() < 1e15 {
                    return serde_json::json!(x.round() as i64);
                }
                return serde_json::json!(x);
            }
        }
        serde_json::json!(answer)
    }

    /// A seed for this task's sampling: `base` mixed with a hash of the id (FNV-1a), so every
    /// strategy draws the same samples for the same task.
    pub fn seed(&self, base: u64) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.id.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        (h ^ base.wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 16
    }
}

/// SplitMix64: a tiny deterministic generator (no dependency, stable across versions).
struct Rng(u64);

impl Rng {
    fn new(seed: u64, item: u64) -> Self {
        let mut r = Rng(seed ^ item.wrapping_mul(0xd1b5_4a32_d192_ed03));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.next() as usize % xs.len()]
    }
    fn list(&mut self, len: usize, lo: i64, hi: i64) -> Vec<i64> {
        (0..len).map(|_| self.range(lo, hi)).collect()
    }
}

const NAMES: [&str; 10] = [
    "Tom", "Ana", "Ravi", "Mei", "Lucas", "Sara", "Omar", "Ines", "Kofi", "Yuki",
];
const ITEMS: [&str; 8] = [
    "apples", "pencils", "stickers", "marbles", "cookies", "stamps", "cards", "shells",
];
const WORDS: [&str; 24] = [
    "banana", "planet", "stone", "kettle", "mirror", "garden", "rocket", "pepper", "window",
    "basket", "candle", "silver", "summer", "button", "letter", "coffee", "parrot", "yellow",
    "bottle", "cherry", "dinner", "rabbit", "tomato", "puzzle",
];
const ORDINALS: [&str; 6] = ["first", "second", "third", "fourth", "fifth", "sixth"];

fn int(id: String, kind: &str, question: String, answer: i64) -> ReasoningTask {
    ReasoningTask {
        id,
        kind: kind.into(),
        question,
        answer: answer.to_string(),
        checker: Checker::Int,
    }
}

fn arithmetic(r: &mut Rng, id: String) -> ReasoningTask {
    let name = *r.pick(&NAMES);
    let item = *r.pick(&ITEMS);
    match r.range(0, 5) {
        0 => {
            let (a, b, c) = (r.range(5, 30), r.range(2, 6), r.range(3, 9));
            let d = r.range(1, a);
            let q = format!(
                "{name} has {a} {item}. {name} buys {b} packs of {c} {item} each and gives {d} \
                 {item} to a friend. How many {item} does {name} have now?"
            );
            int(id, "arithmetic", q, a + b * c - d)
        }
        1 => {
            let (n, p) = (r.range(2, 8), r.range(2, 9));
            let bill = if n * p < 50 { 50 } else { 100 };
            let q = format!(
                "A notebook costs {p} dollars. {name} buys {n} notebooks and pays with a \
                 {bill}-dollar bill. How many dollars of change does {name} get?"
            );
            int(id, "arithmetic", q, bill - n * p)
        }
        2 => {
            let (a, b, c) = (r.range(5, 25), r.range(3, 9), r.range(1, 20));
            let q = format!(
                "{name} reads {a} pages a day for {b} days, then {c} more pages on the next day. \
                 How many pages does {name} read in total?"
            );
            int(id, "arithmetic", q, a * b + c)
        }
        3 => {
            let (rows, per) = (r.range(3, 12), r.range(4, 12));
            let taken = r.range(1, rows * per - 1);
            let q = format!(
                "A hall has {rows} rows of {per} chairs. {taken} chairs are taken. How many \
                 chairs are free?"
            );
            int(id, "arithmetic", q, rows * per - taken)
        }
        4 => {
            let (wage, hours, weeks) = (r.range(8, 20), r.range(3, 10), r.range(2, 5));
            let q = format!(
                "{name} earns {wage} dollars per hour and works {hours} hours each week. How \
                 many dollars does {name} earn in {weeks} weeks?"
            );
            int(id, "arithmetic", q, wage * hours * weeks)
        }
        _ => {
            let (boxes, per, eaten) = (r.range(2, 6), r.range(6, 12), r.range(2, 9));
            let friends = *r.pick(&[2, 3, 4]);
            let total = boxes * per - eaten;
            // Make the share whole: adjust what was eaten.
            let eaten = eaten + total % friends;
            let q = format!(
                "{name} has {boxes} boxes with {per} {item} in each. {eaten} {item} are lost, \
                 and the rest are shared equally among {friends} friends. How many {item} does \
                 each friend get?"
            );
            int(id, "arithmetic", q, (boxes * per - eaten) / friends)
        }
    }
}

fn units(r: &mut Rng, id: String) -> ReasoningTask {
    match r.range(0, 6) {
        0 => {
            let (h, m) = (r.range(1, 9), r.range(1, 59));
            let q = format!("How many minutes are there in {h} hours and {m} minutes?");
            int(id, "units", q, h * 60 + m)
        }
        1 => {
            let m = r.range(2, 40);
            let q = format!("A rope is {m} meters long. How many centimeters long is it?");
            int(id, "units", q, m * 100)
        }
        2 => {
            let half = r.range(3, 19);
            let kg = half as f64 / 2.0;
            let q = format!("How many grams are there in {kg} kilograms?");
            int(id, "units", q, half * 500)
        }
        3 => {
            let m = r.range(2, 30);
            let q = format!("How many seconds are there in {m} minutes?");
            int(id, "units", q, m * 60)
        }
        4 => {
            let meters = r.range(11, 99) * 100;
            let q = format!("Convert {meters} meters to kilometers.");
            ReasoningTask {
                id,
                kind: "units".into(),
                question: q,
                answer: canonical_number(meters as f64 / 1000.0),
                checker: Checker::Float { tol: 1e-6 },
            }
        }
        5 => {
            let f = r.range(2, 15);
            let q = format!("How many inches are there in {f} feet?");
            int(id, "units", q, f * 12)
        }
        _ => {
            let (v, t) = (r.range(2, 9) * 10, r.range(2, 5));
            let q = format!(
                "A car drives at {v} kilometers per hour for {t} hours. How many meters does it \
                 drive?"
            );
            int(id, "units", q, v * t * 1000)
        }
    }
}

fn show_list(xs: &[i64]) -> String {
    let items: Vec<String> = xs.iter().map(i64::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn list(r: &mut Rng, id: String) -> ReasoningTask {
    let len = r.range(4, 7) as usize;
    let xs = r.list(len, 1, 40);
    let l = show_list(&xs);
    let max = *xs.iter().max().unwrap_or(&0);
    let min = *xs.iter().min().unwrap_or(&0);
    match r.range(0, 4) {
        0 => int(
            id,
            "list",
            format!("What is the sum of the numbers in the list {l}?"),
            xs.iter().sum(),
        ),
        1 => int(
            id,
            "list",
            format!("What is the largest number in the list {l}?"),
            max,
        ),
        2 => int(
            id,
            "list",
            format!("How many even numbers are there in the list {l}?"),
            xs.iter().filter(|x| *x % 2 == 0).count() as i64,
        ),
        3 => int(
            id,
            "list",
            format!("What is the largest number minus the smallest number in the list {l}?"),
            max - min,
        ),
        _ => {
            let mut sorted = xs.clone();
            sorted.sort_unstable();
            int(
                id,
                "list",
                format!("Sort the list {l} from smallest to largest. What is the second number?"),
                sorted[1],
            )
        }
    }
}

fn text(id: String, question: String, answer: String) -> ReasoningTask {
    ReasoningTask {
        id,
        kind: "string".into(),
        question,
        answer,
        checker: Checker::Text,
    }
}

fn string(r: &mut Rng, id: String) -> ReasoningTask {
    let w = *r.pick(&WORDS);
    match r.range(0, 4) {
        0 => {
            let letters: Vec<char> = w.chars().collect();
            let c = *r.pick(&letters);
            let q = format!("How many times does the letter '{c}' appear in the word '{w}'?");
            int(
                id,
                "string",
                q,
                w.chars().filter(|&x| x == c).count() as i64,
            )
        }
        1 => text(
            id,
            format!("Write the word '{w}' backwards."),
            w.chars().rev().collect(),
        ),
        2 => {
            let k = r.range(0, (ORDINALS.len() - 1) as i64) as usize;
            let q = format!("What is the {} letter of the word '{w}'?", ORDINALS[k]);
            text(
                id,
                q,
                w.chars().nth(k).map(String::from).unwrap_or_default(),
            )
        }
        3 => int(
            id,
            "string",
            format!("How many letters are there in the word '{w}'?"),
            w.chars().count() as i64,
        ),
        _ => {
            let ws: Vec<&str> = (0..3).map(|_| *r.pick(&WORDS)).collect();
            let q = format!(
                "Join the first letters of the words '{}', '{}' and '{}' into one string.",
                ws[0], ws[1], ws[2]
            );
            let a: String = ws.iter().filter_map(|w| w.chars().next()).collect();
            text(id, q, a)
        }
    }
}

/// The built-in task set: `count` items made from `seed`, the four kinds in rotation.
pub fn generate(seed: u64, count: usize) -> Vec<ReasoningTask> {
    (0..count)
        .map(|i| {
            let mut r = Rng::new(seed, i as u64);
            let kind = ["arithmetic", "units", "list", "string"][i % 4];
            let id = format!("{kind}-{i:03}");
            match i % 4 {
                0 => arithmetic(&mut r, id),
                1 => units(&mut r, id),
                2 => list(&mut r, id),
                _ => string(&mut r, id),
            }
        })
        .collect()
}

/// Parses the number after the last `####` of a GSM8K answer.
pub fn gsm8k_final(answer: &str) -> Option<String> {
    let (_, tail) = answer.rsplit_once("####")?;
    let cleaned: String = tail
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '$' | ' '))
        .collect();
    cleaned.parse::<f64>().ok().map(canonical_number)
}

/// Loads a JSONL file of `{"question": …, "answer": "… #### N"}` objects (GSM8K's format).
/// Blank lines are skipped; a line that does not parse, or whose answer has no `#### N`, is an
/// error naming the line.
pub fn load_gsm8k(path: &Path) -> anyhow::Result<Vec<ReasoningTask>> {
    #[derive(Deserialize)]
    struct Row {
        question: String,
        answer: String,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: Row = serde_json::from_str(line).with_context(|| {
            format!(
                "{} line {}: not a question/answer object",
                path.display(),
                i + 1
            )
        })?;
        let answer = gsm8k_final(&row.answer).with_context(|| {
            format!(
                "{} line {}: the answer does not end with `#### N`",
                path.display(),
                i + 1
            )
        })?;
        let checker = if answer.contains('.') {
            Checker::Float { tol: 1e-6 }
        } else {
            Checker::Int
        };
        out.push(ReasoningTask {
            id: format!("gsm8k-{:04}", i + 1),
            kind: "gsm8k".into(),
            question: row.question,
            answer,
            checker,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_prefix_stable() {
        let a = generate(7, 40);
        let b = generate(7, 12);
        assert_eq!(&a[..12], &b[..]);
        assert_ne!(generate(8, 4), generate(7, 4));
        let kinds: Vec<&str> = a[..4].iter().map(|t| t.kind.as_str()).collect();
        assert_eq!(kinds, ["arithmetic", "units", "list", "string"]);
        let mut ids: Vec<&str> = a.iter().map(|t| t.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 40);
    }

    #[test]
    fn every_generated_answer_checks_against_itself() {
        for t in generate(1, 400) {
            assert!(t.check(&t.answer), "{t:?}");
            assert!(!t.question.is_empty());
            if t.numeric() {
                let x: f64 = t.answer.parse().expect("numeric answer");
                assert!(x >= 0.0, "{t:?}");
                assert!(!t.check(&canonical_number(x + 1.0)), "{t:?}");
            }
            // The canonical answer survives a trip through a model-style sentence.
            let said = format!("Some steps.\nThe answer is {}.", t.answer);
            assert_eq!(
                t.extract(&said).as_deref(),
                Some(t.answer.as_str()),
                "{t:?}"
            );
        }
    }

    #[test]
    fn checkers() {
        let mut t = generate(3, 1).remove(0);
        t.checker = Checker::Int;
        t.answer = "20".into();
        assert!(t.check("20") && t.check("20.0") && !t.check("21") && !t.check("x"));
        t.checker = Checker::Float { tol: 1e-3 };
        t.answer = "3.5".into();
        assert!(t.check("3.5001") && !t.check("3.6"));
        t.checker = Checker::Text;
        t.answer = "enots".into();
        assert!(t.check("'Enots'.") && !t.check("stone"));
        assert!(!t.is_correct(None));
    }

    #[test]
    fn known_items() {
        // Pinned so that a change to the generator is a visible change to the benchmark.
        let t = generate(0, 4);
        let got: Vec<(&str, &str, &str)> = t
            .iter()
            .map(|x| (x.id.as_str(), x.question.as_str(), x.answer.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "arithmetic-000",
                    "Tom earns 12 dollars per hour and works 5 hours each week. How many dollars \
                     does Tom earn in 3 weeks?",
                    "180"
                ),
                (
                    "units-001",
                    "How many grams are there in 5 kilograms?",
                    "5000"
                ),
                (
                    "list-002",
                    "What is the sum of the numbers in the list [34, 37, 34, 33]?",
                    "138"
                ),
                (
                    "string-003",
                    "How many letters are there in the word 'basket'?",
                    "6"
                ),
            ]
        );
    }

    #[test]
    fn gsm8k_loader() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.jsonl");
        std::fs::write(
            &p,
            "{\"question\":\"Q1?\",\"answer\":\"2+2=4\\n#### 4\"}\n\n\
             {\"question\":\"Q2?\",\"answer\":\"so\\n#### 1,250\"}\n\
             {\"question\":\"Q3?\",\"answer\":\"#### 2.5\"}\n",
        )
        .unwrap();
        let t = load_gsm8k(&p).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].answer, "4");
        assert_eq!(t[1].answer, "1250");
        assert_eq!(t[1].id, "gsm8k-0003");
        assert_eq!(t[2].checker, Checker::Float { tol: 1e-6 });
        assert!(t[1].check("1250"));

        std::fs::write(&p, "{\"question\":\"Q\",\"answer\":\"no marker\"}\n").unwrap();
        let e = load_gsm8k(&p).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        std::fs::write(&p, "not json\n").unwrap();
        assert!(load_gsm8k(&p).is_err());
    }
}
