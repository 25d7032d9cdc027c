//! Answer extraction: find the final answer in a model's free-form text, and put it in a
//! canonical form that votes and checks compare.
//!
//! Numbers, in order of preference:
//! 1. after the last `####` (GSM8K's answer marker);
//! 2. after the last "answer is", "answer:", "answer =" or `\boxed{` (case-insensitive), the first
//!    number on the rest of that line;
//! 3. the last number anywhere in the text.
//!
//! Text answers: the rest of the line after the last `####` or answer marker, else the last
//! non-empty line; a quoted span in that line wins over the line itself. Then lower-cased and
//! stripped of surrounding quotes, spaces and punctuation.
//!
//! A text with nothing that looks like an answer yields `None`; callers record that as a
//! failure (never a panic).

/// Markers that introduce a final answer, matched case-insensitively.
const MARKERS: [&str; 5] = [
    "answer is",
    "answer:",
    "answer =",
    "\\boxed{",
    "answer would be",
];

/// The canonical form of a number: an integer without a fractional part when it is whole,
/// else Rust's shortest round-trip representation.
pub fn canonical_number(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 && x.abs() < 1e15 {
        let r = x.round() as i64;
        format!("{r}")
    } else {
        format!("{x}")
    }
}

/// Every number in `s`, with its byte offset. Accepts `-` signs, thousands separators
/// (`1,234`, only when each group has exactly three digits) and decimals (`3.5`; a trailing `.`
/// ends a sentence and is not part of the number).
pub fn numbers(s: &str) -> Vec<(usize, f64)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let neg = start > 0
            && b[start - 1] == b'-'
            && (start < 2 || !b[start - 2].is_ascii_alphanumeric());
        let mut digits = String::new();
        while i < b.len() && b[i].is_ascii_digit() {
            digits.push(b[i] as char);
            i += 1;
        }
        // Thousands groups: ",ddd" not followed by another digit.
        while i < b.len()
            && b[i] == b','
            && b.get(i + 1..i + 4)
                .is_some_and(|g| g.iter().all(u8::is_ascii_digit))
            && !b.get(i + 4).is_some_and(u8::is_ascii_digit)
        {
            digits.push_str(&s[i + 1..i + 4]);
            i += 4;
        }
        if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            digits.push('.');
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                digits.push(b[i] as char);
                i += 1;
            }
        }
        if let Ok(v) = digits.parse::<f64>() {
            let off = if neg { start - 1 } else { start };
            out.push((off, if neg { -v } else { v }));
        }
    }
    out
}

/// Byte offset just past the last answer marker in `text`, if any (case-insensitive).
fn after_last_marker(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let hash = lower.rfind("####").map(|p| (p, p + 4));
    let marker = MARKERS
        .iter()
        .filter_map(|m| lower.rfind(m).map(|p| (p, p + m.len())))
        .max_by_key(|&(p, _)| p);
    // `####` is an explicit format; it wins over prose markers wherever it is.
    hash.or(marker).map(|(_, end)| end)
}

/// The final number in `text` (see the module docs for the order of preference).
pub fn extract_number(text: &str) -> Option<f64> {
    if let Some(end) = after_last_marker(text) {
        let rest = &text[end..];
        let line = rest
            .trim_start()
            .split('\n')
            .next()
            .unwrap_or_default()
            .to_string();
        if let Some(&(_, v)) = numbers(&line).first() {
            return Some(v);
        }
    }
    numbers(text).last().map(|&(_, v)| v)
}

/// The last span between matching quotes (`'…'`, `"…"`, or backticks) in `line`.
fn last_quoted(line: &str) -> Option<&str> {
    let mut best: Option<(usize, &str)> = None;
    for q in ['"', '\'', '`', '“', '‘'] {
        let close = match q {
            '“' => '”',
            '‘' => '’',
            c => c,
        };
        let mut search = 0;
        while let Some(open) = line[search..].find(q).map(|p| p + search) {
            let from = open + q.len_utf8();
            // An apostrophe inside a word ("Tom's") does not open a quote.
            if q == '\'' && open > 0 && line[..open].ends_with(|c: char| c.is_alphanumeric()) {
                search = from;
                continue;
            }
            let Some(end) = line[from..].find(close).map(|p| p + from) else {
                break;
            };
            let inner = &line[from..end];
            if !inner.trim().is_empty() && best.is_none_or(|(p, _)| open > p) {
                best = Some((open, inner));
            }
            search = end + close.len_utf8();
        }
    }
    best.map(|(_, s)| s)
}

/// Lower-cases and strips surrounding whitespace, quotes and punctuation.
pub fn normalize_text(s: &str) -> String {
    s.trim()
        .trim_matches(|c: char| {
            c.is_whitespace() || "\"'`“”‘’.,;:!?*()[]{}".contains(c) || c == '\\'
        })
        .to_lowercase()
}

/// The final text answer in `text`, normalised (see the module docs).
pub fn extract_text(text: &str) -> Option<String> {
    let line = match after_last_marker(text) {
        Some(end) => text[end..]
            .trim_start()
            .split('\n')
            .next()
            .unwrap_or_default(),
        None => text.lines().rev().find(|l| !l.trim().is_empty())?,
    };
    let picked = last_quoted(line).unwrap_or(line);
    let norm = normalize_text(picked);
    (!norm.is_empty()).then_some(norm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_signs_separators_and_decimals() {
        let got: Vec<f64> = numbers("a -3, then 1,234 and 3.5. Also 1,2,3 and x-2")
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(got, vec![-3.0, 1234.0, 3.5, 1.0, 2.0, 3.0, 2.0]);
    }

    #[test]
    fn number_preference_order() {
        assert_eq!(extract_number("so 4 + 5 = 9\n#### 9"), Some(9.0));
        assert_eq!(
            extract_number("#### 12\nThe answer is 7 apples."),
            Some(12.0),
            "#### wins"
        );
        assert_eq!(
            extract_number("The answer is 20. Check: 20 - 5 = 15"),
            Some(20.0)
        );
        assert_eq!(extract_number("Answer: $1,250.50 in total"), Some(1250.5));
        assert_eq!(extract_number("We get 3 then 4 then 41."), Some(41.0));
        assert_eq!(extract_number("\\boxed{42}"), Some(42.0));
        assert_eq!(extract_number("no digits here"), None);
        assert_eq!(extract_number(""), None);
        // The marker with no number on its line falls back to the last number.
        assert_eq!(extract_number("3 + 4 = 7\nThe answer is seven"), Some(7.0));
    }

    #[test]
    fn canonical_numbers() {
        assert_eq!(canonical_number(20.0), "20");
        assert_eq!(canonical_number(-3.0), "-3");
        assert_eq!(canonical_number(3.5), "3.5");
        assert_eq!(canonical_number(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn text_answers() {
        assert_eq!(
            extract_text("Reversed: e-n-o-t-s.\nThe answer is 'enots'."),
            Some("enots".into())
        );
        assert_eq!(extract_text("The answer is: Apple."), Some("apple".into()));
        assert_eq!(
            extract_text("thinking...\n\n\"kayak\"\n"),
            Some("kayak".into())
        );
        assert_eq!(extract_text("Tom's final word\nBLUE"), Some("blue".into()));
        assert_eq!(extract_text("   \n  "), None);
        assert_eq!(extract_text("The answer is ...\n"), None);
        assert_eq!(extract_text("#### pots"), Some("pots".into()));
    }

    #[test]
    fn apostrophes_do_not_open_quotes() {
        assert_eq!(
            extract_text("The answer is Tom's word 'dog'"),
            Some("dog".into())
        );
    }
}
