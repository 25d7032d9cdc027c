//! Python and JavaScript both work: arithmetic, JSON in and out, the standard library, and
//! exceptions reported with their traceback.

mod common;

use hone_sandbox::{Language, RunOptions, RunStatus};
use serde_json::json;

fn run_ok(lang: Language, code: &str, opts: RunOptions) -> hone_sandbox::RunOutcome {
    let out = common::sandbox().run(lang, code, opts).expect("host error");
    assert!(
        out.is_success(),
        "{lang} program failed: {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        out.stdout,
        out.stderr
    );
    out
}

#[test]
fn python_arithmetic() {
    let out = run_ok(
        Language::Python,
        "print(2**100, 7/2, 7//2, -7%3)",
        RunOptions::new(),
    );
    assert_eq!(out.stdout, "1267650600228229401496703205376 3.5 3 2\n");
    assert_eq!(out.exit_code, Some(0));
}

#[test]
fn javascript_arithmetic() {
    let out = run_ok(
        Language::JavaScript,
        "console.log(2**10, 7/2, Math.floor(7/2), 2n**64n)",
        RunOptions::new(),
    );
    assert_eq!(out.stdout, "1024 3.5 3 18446744073709551616\n");
}

#[test]
fn python_json_round_trip() {
    let input = json!({"name": "ünïcode ✓", "xs": [1, 2.5, null, true], "nested": {"k": "v"}});
    let out = run_ok(
        Language::Python,
        "result = dict(INPUT, count=len(INPUT['xs']))",
        RunOptions::new().input(input.clone()),
    );
    let mut expected = input;
    expected["count"] = json!(4);
    assert_eq!(out.result, Some(expected));
}

#[test]
fn javascript_json_round_trip() {
    let input = json!({"name": "ünïcode ✓", "xs": [1, 2.5, null, true]});
    let out = run_ok(
        Language::JavaScript,
        "const result = {...INPUT, count: INPUT.xs.length};",
        RunOptions::new().input(input.clone()),
    );
    let mut expected = input;
    expected["count"] = json!(4);
    assert_eq!(out.result, Some(expected));
}

#[test]
fn entry_functions_return_results() {
    let py = run_ok(
        Language::Python,
        "def main(a, b=1):\n    return {'sum': a + b}",
        RunOptions::new()
            .input(json!({"a": 40, "b": 2}))
            .call("main"),
    );
    assert_eq!(py.result, Some(json!({"sum": 42})));
    let js = run_ok(
        Language::JavaScript,
        "function main(a, b) { return {sum: a + b}; }",
        RunOptions::new().input(json!([40, 2])).call("main"),
    );
    assert_eq!(js.result, Some(json!({"sum": 42})));
}

#[test]
fn python_stdlib() {
    let code = r#"
import json, re, math, itertools, collections, dataclasses, functools, statistics, datetime, random

@dataclasses.dataclass
class P:
    x: int
    y: int

counts = collections.Counter("mississippi")
result = {
    "json": json.loads(json.dumps({"a": [1, 2]})),
    "re": re.findall(r"\d+", "a1b22c333"),
    "math": round(math.sqrt(2) * math.pi, 6),
    "perms": len(list(itertools.permutations(range(4)))),
    "counter": counts.most_common(1)[0],
    "dataclass": dataclasses.asdict(P(1, 2)),
    "reduce": functools.reduce(lambda a, b: a * b, range(1, 6)),
    "mean": statistics.mean([1, 2, 3, 4]),
    "date": datetime.date(2024, 2, 29).isoformat(),
    "deque": list(collections.deque([1, 2, 3], maxlen=2)),
}
print("ok")
"#;
    let out = run_ok(Language::Python, code, RunOptions::new());
    assert_eq!(
        out.result,
        Some(json!({
            "json": {"a": [1, 2]},
            "re": ["1", "22", "333"],
            "math": 4.442883,
            "perms": 24,
            "counter": ["i", 4],
            "dataclass": {"x": 1, "y": 2},
            "reduce": 120,
            "mean": 2.5,
            "date": "2024-02-29",
            "deque": [2, 3],
        }))
    );
}

#[test]
fn javascript_builtins() {
    let code = r#"
const m = new Map([["a", 1], ["b", 2]]);
const result = {
  json: JSON.parse(JSON.stringify({a: [1, 2]})),
  re: "a1b22c333".match(/\d+/g),
  math: Math.round(Math.sqrt(2) * Math.PI * 1e6) / 1e6,
  map: [...m.keys()],
  sorted: [3, 1, 2].sort((a, b) => a - b),
  date: new Date(Date.UTC(2024, 1, 29)).toISOString().slice(0, 10),
};
"#;
    let out = run_ok(Language::JavaScript, code, RunOptions::new());
    assert_eq!(
        out.result,
        Some(json!({
            "json": {"a": [1, 2]}, "re": ["1", "22", "333"], "math": 4.442883,
            "map": ["a", "b"], "sorted": [1, 2, 3], "date": "2024-02-29",
        }))
    );
}

#[test]
fn python_exceptions_have_tracebacks() {
    let code = "def inner(x):\n    return 1 / x\n\ndef outer():\n    return inner(0)\n\nprint('before')\nouter()\n";
    let out = common::sandbox()
        .run(Language::Python, code, RunOptions::new())
        .unwrap();
    assert_eq!(out.status, RunStatus::Failed { exit_code: 1 });
    assert_eq!(out.stdout, "before\n");
    assert!(
        out.stderr.contains("Traceback (most recent call last):"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("File \"<program>\", line 5, in outer"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("return 1 / x"), "{}", out.stderr);
    assert!(
        out.stderr.contains("ZeroDivisionError: division by zero"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("_hone"),
        "prelude frames leak: {}",
        out.stderr
    );

    let out = common::sandbox()
        .run(Language::Python, "x = (1,\n", RunOptions::new())
        .unwrap();
    assert_eq!(out.status, RunStatus::Failed { exit_code: 1 });
    assert!(out.stderr.contains("SyntaxError"), "{}", out.stderr);
}

#[test]
fn javascript_exceptions_have_stacks() {
    let code = "function inner(x) { throw new RangeError('bad ' + x); }\nfunction outer() { inner(7); }\nconsole.log('before');\nouter();\n";
    let out = common::sandbox()
        .run(Language::JavaScript, code, RunOptions::new())
        .unwrap();
    assert_eq!(out.status, RunStatus::Failed { exit_code: 1 });
    assert_eq!(out.stdout, "before\n");
    assert!(out.stderr.contains("RangeError: bad 7"), "{}", out.stderr);
    assert!(out.stderr.contains("at inner"), "{}", out.stderr);
    assert!(out.stderr.contains("at outer"), "{}", out.stderr);

    let out = common::sandbox()
        .run(Language::JavaScript, "let x = (1,", RunOptions::new())
        .unwrap();
    assert_eq!(out.status, RunStatus::Failed { exit_code: 1 });
    assert!(out.stderr.contains("SyntaxError"), "{}", out.stderr);
}

#[test]
fn unserialisable_result_is_an_error() {
    let out = common::sandbox()
        .run(Language::Python, "result = object()", RunOptions::new())
        .unwrap();
    assert_eq!(out.status, RunStatus::Failed { exit_code: 1 });
    assert!(
        out.stderr.contains("not JSON-serialisable"),
        "{}",
        out.stderr
    );
}
