//! WebArena's evaluators, re-implemented rule for rule from `evaluation_harness/evaluators.py`
//! and `helper_functions.py` (web-arena-x/webarena, commit f62e0b99; Apache-2.0, see
//! envs/data/webarena/NOTICE.md):
//!
//! - `string_match`: the answer is cleaned (strip, one pair of quotes, lower-case; twice for the
//!   prediction), then `exact_match`, `must_include` (a substring; token membership when the
//!   list has one item of one character, after NLTK's Treebank tokenizer), `fuzzy_match`
//!   through an LLM judge (WebArena's prompt, on any `ChatModel`), and `"N/A"`: an exact `n/a`
//!   passes, anything else is judged against `string_note` (the score is replaced, not
//!   multiplied). `|OR|` is not honoured here, as in WebArena.
//! - `url_match`: "GOLD in PRED": the reference's `netloc + path` must be a substring of the
//!   prediction's, after `rstrip("/")` of each whole URL; every reference query key (merged
//!   over ` |OR| ` alternatives) must be present with one of its values.
//! - `program_html`: per target, go to `url` (`last`: stay), select the page's HTML or a JS
//!   locator's value (after `prep_actions`; the value as Python's `str()` prints it),
//!   HTML-unescape it, and require `exact_match` or every `must_include` item (` |OR| `
//!   alternatives inside an item).
//!
//! The evaluators multiply, in the task's order.

use super::task::{EvalSpec, WebTask};
use hone_core::llm::{ChatModel, ChatRequest, Message};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// WebArena's judge prompts (data file, with attribution).
const PROMPTS: &str = include_str!("../../data/webarena/judge_prompts.json");

/// How a task scored, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub score: f64,
    /// One line per evaluator: what it compared and what it gave.
    pub notes: Vec<String>,
}

/// `clean_answer`: strip, drop one pair of matching quotes, lower-case.
pub fn clean_answer(s: &str) -> String {
    let s = s.trim();
    let s =
        if (s.starts_with('\'') && s.ends_with('\'')) || (s.starts_with('"') && s.ends_with('"')) {
            let mut cs = s.chars();
            cs.next();
            cs.next_back();
            cs.as_str()
        } else {
            s
        };
    s.to_lowercase()
}

pub fn exact_match(reference: &str, pred: &str) -> bool {
    clean_answer(pred) == clean_answer(reference)
}

/// `must_include`; `tokenize` applies only to a one-character reference (WebArena's rule).
pub fn must_include(reference: &str, pred: &str, tokenize: bool) -> bool {
    let r = clean_answer(reference);
    let p = clean_answer(pred);
    if tokenize && r.chars().count() == 1 {
        word_tokenize(&p).contains(&r)
    } else {
        p.contains(&r)
    }
}

/// Word tokens as NLTK's `word_tokenize` (Treebank rules) splits them, for what WebArena's
/// one-character rule needs: quotes, brackets, `$`, `#` and `%` are their own tokens; `'s`,
/// `'re`, `n't`… split off; commas, colons and semicolons split off unless inside a number
/// (`2,000`, `2:30`); a final period splits off; hyphens, slashes and inner periods stay.
pub fn word_tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in s.split_whitespace() {
        let mut w = w;
        let mut tail: Vec<String> = Vec::new();
        // Leading punctuation.
        while let Some(c) = w.chars().next() {
            if "([{\"'`$#".contains(c) && w.len() > c.len_utf8() {
                out.push(if c == '"' { "``".into() } else { c.to_string() });
                w = &w[c.len_utf8()..];
            } else {
                break;
            }
        }
        // Trailing punctuation and clitics (collected in reverse).
        while let Some(c) = w.chars().last() {
            let lower = w.to_lowercase();
            if let Some(cl) = ["'s", "'m", "'d", "'ll", "'re", "'ve", "n't"]
                .iter()
                .find(|cl| lower.ends_with(**cl) && lower.len() > cl.len())
            {
                let cut = w.len() - cl.len();
                tail.push(w[cut..].to_string());
                w = &w[..cut];
                continue;
            }
            if ")]}\"'.,;:!?%".contains(c) && w.len() > c.len_utf8() {
                tail.push(if c == '"' { "''".into() } else { c.to_string() });
                w = &w[..w.len() - c.len_utf8()];
            } else {
                break;
            }
        }
        if !w.is_empty() {
            // Commas and colons between non-digits split (`a,b`), not inside numbers.
            let mut cur = String::new();
            let chars: Vec<char> = w.chars().collect();
            for (i, &c) in chars.iter().enumerate() {
                let digit_around = i > 0
                    && i + 1 < chars.len()
                    && chars[i - 1].is_ascii_digit()
                    && chars[i + 1].is_ascii_digit();
                if (c == ',' || c == ';') && !digit_around {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    out.push(c.to_string());
                } else {
                    cur.push(c);
                }
            }
            if !cur.is_empty() {
                out.push(cur);
            }
        }
        out.extend(tail.into_iter().rev());
    }
    out
}

/// An LLM judge for `fuzzy_match`: WebArena's prompts on any chat model (greedy).
pub struct Judge<'a> {
    pub model: &'a dyn ChatModel,
}

fn prompts() -> BTreeMap<String, String> {
    serde_json::from_str(PROMPTS).unwrap_or_default()
}

impl Judge<'_> {
    async fn ask(&self, user: String) -> anyhow::Result<String> {
        let p = prompts();
        let mut req = ChatRequest::new(vec![
            Message::system(p.get("system").cloned().unwrap_or_default()),
            Message::user(user),
        ]);
        req.sampling.temperature = 0.0;
        req.sampling.max_tokens = 768;
        Ok(self.model.chat(req).await?.text().to_lowercase())
    }

    /// `llm_fuzzy_match`: 1 when the reply says correct (and not incorrect or partially).
    pub async fn fuzzy(&self, pred: &str, reference: &str, question: &str) -> anyhow::Result<f64> {
        let t = prompts().get("fuzzy_match").cloned().unwrap_or_default();
        let r = self
            .ask(
                t.replace("{question}", question)
                    .replace("{reference}", reference)
                    .replace("{pred}", pred),
            )
            .await?;
        if r.contains("partially correct") || r.contains("incorrect") {
            Ok(0.0)
        } else if r.contains("correct") {
            Ok(1.0)
        } else {
            anyhow::bail!("the judge's reply names no verdict: {r:?}")
        }
    }

    /// `llm_ua_match`: 1 when the reported reason is "same" as the actual one.
    pub async fn unachievable(
        &self,
        pred: &str,
        reference: &str,
        question: &str,
    ) -> anyhow::Result<f64> {
        let t = prompts().get("ua_match").cloned().unwrap_or_default();
        let r = self
            .ask(
                t.replace("{question}", question)
                    .replace("{reference}", reference)
                    .replace("{pred}", pred),
            )
            .await?;
        if r.contains("different") {
            Ok(0.0)
        } else if r.contains("same") {
            Ok(1.0)
        } else {
            anyhow::bail!("the judge's reply names no verdict: {r:?}")
        }
    }
}

/// `string_match` for a final answer. `fuzzy_match` needs a judge.
pub async fn string_match(
    task: &WebTask,
    answer: &str,
    judge: Option<&Judge<'_>>,
) -> anyhow::Result<Scored> {
    let pred = clean_answer(answer);
    let mut score = 1.0;
    let mut notes = Vec::new();
    let Some(refs) = &task.eval.reference_answers else {
        anyhow::bail!("string_match without reference_answers");
    };
    for (k, v) in refs {
        match (k.as_str(), v) {
            ("exact_match", Value::String(r)) => {
                let ok = exact_match(r, &pred);
                notes.push(format!("exact_match {r:?}: {}", u8::from(ok)));
                score *= f64::from(u8::from(ok));
            }
            ("must_include", Value::Array(items)) => {
                let tokenize = items.len() == 1;
                for it in items {
                    let r = it.as_str().unwrap_or_default();
                    let ok = must_include(r, &pred, tokenize);
                    notes.push(format!("must_include {r:?}: {}", u8::from(ok)));
                    score *= f64::from(u8::from(ok));
                }
            }
            ("fuzzy_match", Value::String(s)) if s == "N/A" => {
                score *= f64::from(u8::from(exact_match("N/A", &pred)));
                if score != 1.0 {
                    let judge = judge.ok_or_else(|| {
                        anyhow::anyhow!("this task's fuzzy_match needs an LLM judge (a model)")
                    })?;
                    let reason = task.eval.string_note.clone().unwrap_or_default();
                    score = judge.unachievable(&pred, &reason, &task.intent).await?;
                }
                notes.push(format!("fuzzy_match N/A: {score}"));
            }
            ("fuzzy_match", Value::Array(items)) => {
                let judge = judge.ok_or_else(|| {
                    anyhow::anyhow!("this task's fuzzy_match needs an LLM judge (a model)")
                })?;
                for it in items {
                    let r = it.as_str().unwrap_or_default();
                    let s = judge.fuzzy(&pred, r, &task.intent).await?;
                    notes.push(format!("fuzzy_match {r:?}: {s}"));
                    score *= s;
                }
            }
            // Unknown keys are ignored, as WebArena's `match` has no default case.
            _ => {}
        }
    }
    Ok(Scored { score, notes })
}

/// Splits a URL as Python's `urlparse` does: (netloc + path without `;params`, query).
fn split_url(url: &str) -> (String, String) {
    let mut rest = url;
    let mut scheme = "";
    if let Some(i) = rest.find(':') {
        let s = &rest[..i];
        if !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            scheme = s;
            rest = &rest[i + 1..];
        }
    }
    let frag_cut = rest.find('#').unwrap_or(rest.len());
    let rest = &rest[..frag_cut];
    let (before_q, query) = match rest.find('?') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let (netloc, path) = match before_q.strip_prefix("//") {
        Some(r) => match r.find('/') {
            Some(i) => (&r[..i], &r[i..]),
            None => (r, ""),
        },
        None => ("", before_q),
    };
    // `;params` of the last path segment (http schemes use params).
    let path = if matches!(scheme, "http" | "https" | "") {
        let last = path.rfind('/').map_or(0, |i| i + 1);
        match path[last..].find(';') {
            Some(j) => &path[..last + j],
            None => path,
        }
    } else {
        path
    };
    (format!("{netloc}{path}"), query.to_string())
}

/// `parse_qs`: key → values, blank values dropped.
fn parse_qs(query: &str) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if !v.is_empty() {
            m.entry(k.into_owned()).or_default().push(v.into_owned());
        }
    }
    m
}

/// `url_match` ("GOLD in PRED").
pub fn url_match(pred_url: &str, reference_url: &str, note: Option<&str>) -> anyhow::Result<f64> {
    if let Some(n) = note {
        anyhow::ensure!(n == "GOLD in PRED", "unknown url_note {n:?}");
    }
    let clean = |u: &str| u.trim_end_matches('/').to_string();
    let pred = clean(pred_url);
    let (pred_base, pred_query) = split_url(&pred);
    let pred_q = parse_qs(&pred_query);
    let mut bases = Vec::new();
    let mut ref_q: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in reference_url.split(" |OR| ") {
        let (b, q) = split_url(&clean(r));
        bases.push(b);
        for (k, vs) in parse_qs(&q) {
            ref_q.entry(k).or_default().extend(vs);
        }
    }
    let base = bases.iter().any(|b| pred_base.contains(b.as_str()));
    let query = ref_q.iter().all(|(k, vs)| {
        pred_q
            .get(k)
            .is_some_and(|pv| vs.iter().any(|v| pv.contains(v)))
    });
    Ok(f64::from(u8::from(base && query)))
}

/// WebArena's pure helper `reddit_get_post_url(url)`: a post URL without its comment path.
pub fn reddit_get_post_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => return url.to_string(),
    };
    let (netloc, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let tok: Vec<&str> = path.split('/').collect();
    if tok.len() < 4 || tok[1] != "f" {
        return url.to_string();
    }
    format!("{scheme}://{netloc}/f/{}/{}/", tok[2], tok[3])
}

/// A JS value as Python's `str()` prints what Playwright returns for it.
pub fn py_str(v: &Value) -> String {
    fn repr(v: &Value) -> String {
        match v {
            Value::String(s) => {
                if s.contains('\'') && !s.contains('"') {
                    format!("\"{s}\"")
                } else {
                    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
                }
            }
            other => py_str(other),
        }
    }
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 1e16 {
                    format!("{}", f as i64)
                } else {
                    format!("{f}")
                }
            }
        },
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(repr).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{}: {}", repr(&Value::String(k.clone())), repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What `program_html` needs from a browser page.
#[async_trait::async_trait]
pub trait HtmlProbe: Send + Sync {
    /// The current URL.
    async fn current_url(&self) -> anyhow::Result<String>;
    /// Navigates and waits for the load.
    async fn open(&self, url: &str) -> anyhow::Result<()>;
    /// The page's serialized HTML.
    async fn html(&self) -> anyhow::Result<String>;
    /// Evaluates `() => {expr}`'s body as an expression; a thrown error is `Err`.
    async fn evaluate(&self, expression: &str) -> anyhow::Result<Value>;
}

/// `program_html` over a page.
pub async fn program_html(spec: &EvalSpec, page: &dyn HtmlProbe) -> anyhow::Result<Scored> {
    let mut score = 1.0;
    let mut notes = Vec::new();
    for t in &spec.program_html {
        let mut url = t.url.clone();
        if let Some(call) = url.strip_prefix("func:") {
            let last = page.current_url().await?;
            let call = call.replace("__last_url__", &last);
            url = eval_url_func(&call)?;
        }
        if url != "last" {
            page.open(&url).await?;
        }
        let loc = t.locator.trim();
        let selected = if loc.is_empty() {
            page.html().await?
        } else if loc.starts_with("document.") || loc.starts_with("[...document.") {
            for p in &t.prep_actions {
                if page.evaluate(&format!("(() => {{{p}}})()")).await.is_err() {
                    break;
                }
            }
            match page.evaluate(&format!("(() => {loc})()")).await {
                Ok(v) => py_str(&v),
                Err(_) => String::new(),
            }
        } else if loc.starts_with("func:") {
            anyhow::bail!("program_html locator {loc:?} needs a WebArena helper hone lacks");
        } else {
            anyhow::bail!("unknown locator {loc:?}");
        };
        let selected = html_escape::decode_html_entities(&selected).into_owned();
        let rc = &t.required_contents;
        if let Some(Value::String(r)) = rc.get("exact_match") {
            let ok = exact_match(r, &selected);
            notes.push(format!("{url} {loc:?} exact_match {r:?}: {}", u8::from(ok)));
            score *= f64::from(u8::from(ok));
        } else if let Some(Value::Array(items)) = rc.get("must_include") {
            for it in items {
                let item = it.as_str().unwrap_or_default();
                let ok = item
                    .split(" |OR| ")
                    .any(|alt| must_include(alt, &selected, false));
                notes.push(format!(
                    "{url} {loc:?} must_include {item:?}: {}",
                    u8::from(ok)
                ));
                score *= f64::from(u8::from(ok));
            }
        } else {
            anyhow::bail!("program_html target without exact_match or must_include");
        }
    }
    Ok(Scored { score, notes })
}

/// The `func:` URL helpers hone implements.
fn eval_url_func(call: &str) -> anyhow::Result<String> {
    let call = call.trim();
    if let Some(arg) = call
        .strip_prefix("reddit_get_post_url(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let arg = arg.trim().trim_matches(|c| c == '\'' || c == '"');
        return Ok(reddit_get_post_url(arg));
    }
    anyhow::bail!("program_html url `func:{call}` needs a WebArena helper hone lacks")
}

/// Scores a finished episode: its answer (the `stop` argument, or WebArena's early-stop text),
/// and, for `url_match` and `program_html`, the page it ended on.
pub async fn evaluate(
    task: &WebTask,
    answer: &str,
    page: Option<&dyn HtmlProbe>,
    judge: Option<&Judge<'_>>,
) -> anyhow::Result<Scored> {
    if let Some(why) = task.unsupported() {
        anyhow::bail!("unsupported task {}: {why}", task.id());
    }
    let mut score = 1.0;
    let mut notes = Vec::new();
    for t in &task.eval.eval_types {
        let s = match t.as_str() {
            "string_match" => string_match(task, answer, judge).await?,
            "url_match" => {
                let p = page.ok_or_else(|| anyhow::anyhow!("url_match needs the final page"))?;
                let url = p.current_url().await?;
                let r = task.eval.reference_url.clone().unwrap_or_default();
                let s = url_match(&url, &r, task.eval.url_note.as_deref())?;
                Scored {
                    score: s,
                    notes: vec![format!("url_match {r:?} in {url:?}: {s}")],
                }
            }
            "program_html" => {
                let p = page.ok_or_else(|| anyhow::anyhow!("program_html needs a browser page"))?;
                program_html(&task.eval, p).await?
            }
            other => anyhow::bail!("eval_type {other} is not supported"),
        };
        score *= s.score;
        notes.extend(s.notes);
    }
    Ok(Scored { score, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_and_match_as_webarena() {
        assert_eq!(clean_answer("  'Yes' "), "yes");
        assert_eq!(clean_answer("\"'a'\""), "'a'");
        assert_eq!(clean_answer("'"), "");
        assert!(exact_match(
            "Quest Lumaflex™ Band",
            " quest lumaflex™ band "
        ));
        assert!(must_include("Blue", "it is blue-ish", false));
        // One-character references are matched as tokens.
        for (pred, hit) in [
            ("there are 2.", true),
            ("$2", true),
            ("(2)", true),
            ("20%", false),
            ("2's", true),
            ("#2", true),
            ("2,000", false),
            ("2-3", false),
            ("2/3", false),
            ("0.5", false),
            ("2:30pm", false),
            ("\"2\"", true),
            ("12", false),
        ] {
            assert_eq!(must_include("2", pred, true), hit, "{pred}");
        }
        assert!(
            must_include("2", "12", false),
            "without tokenize it is a substring"
        );
    }

    #[test]
    fn url_match_is_gold_in_pred() {
        let m = |p: &str, r: &str| url_match(p, r, None).unwrap();
        assert_eq!(m("http://h:1/f/books/", "http://h:1/f/books"), 1.0);
        assert_eq!(
            m("http://h:1/x/f/books/new", "http://h:1/f/books"),
            0.0,
            "netloc+path substring"
        );
        assert_eq!(
            m("http://h:1/f/books/new", "http://h:1/f/books"),
            1.0,
            "a longer pred path passes"
        );
        assert_eq!(m("http://h:1/s?q=a&p=2", "http://h:1/s?q=a"), 1.0);
        assert_eq!(m("http://h:1/s?q=b", "http://h:1/s?q=a"), 0.0);
        assert_eq!(m("http://h:1/s", "http://h:1/s?q=a"), 0.0);
        assert_eq!(m("http://h:1/b", "http://h:1/a |OR| http://h:1/b"), 1.0);
        assert_eq!(m("http://h:1/s?q=a+b", "http://h:1/s?q=a%20b"), 1.0);
        assert_eq!(m("http://h:1/s?q=", "http://h:1/s"), 1.0);
        assert_eq!(
            m("https://h:1/a;p", "http://h:1/a"),
            1.0,
            "scheme and ;params dropped"
        );
        assert!(url_match("x", "y", Some("other")).is_err());
    }

    #[test]
    fn helpers_and_python_str() {
        assert_eq!(
            reddit_get_post_url("http://h:9/f/books/59421/the-title/comment/3"),
            "http://h:9/f/books/59421/"
        );
        assert_eq!(
            reddit_get_post_url("http://h:9/forums"),
            "http://h:9/forums"
        );
        assert_eq!(py_str(&Value::Null), "None");
        assert_eq!(py_str(&serde_json::json!(true)), "True");
        assert_eq!(py_str(&serde_json::json!(3.0)), "3");
        assert_eq!(py_str(&serde_json::json!(["a", 1])), "['a', 1]");
    }
}
