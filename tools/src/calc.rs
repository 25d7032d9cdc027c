//! `calculator`: evaluates arithmetic so the model does not have to.
//!
//! Numbers (`1`, `2.5`, `1e3`), `+ - * / % ^` (`^` is power, left-associative as in evalexpr,
//! which evaluates it), parentheses, unary minus, constants `pi` and `e`, and the functions
//! `sqrt abs floor ceil round ln log10 exp sin cos tan min max`. Division by zero and other
//! non-finite results are errors, not `inf`.

use async_trait::async_trait;
use hone_core::{ToolOutput, TypedTool};

/// Arguments of [`Calculator`].
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct CalcArgs {
    /// An arithmetic expression, e.g. "(3 + 4) * 2 ^ 3".
    pub expression: String,
}

/// The calculator tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calculator;

#[async_trait]
impl TypedTool for Calculator {
    const NAME: &'static str = "calculator";
    const DESCRIPTION: &'static str = "Evaluates an arithmetic expression and returns the number.";
    type Args = CalcArgs;
    async fn run(&self, a: CalcArgs) -> anyhow::Result<ToolOutput> {
        Ok(match evaluate(&a.expression) {
            Ok(v) => ToolOutput::ok(format_number(v)).with_data(serde_json::json!(v)),
            Err(e) => ToolOutput::error(e),
        })
    }
}

/// Prints integers without a fractional part.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Longest expression accepted, in bytes, and deepest parenthesis nesting: evalexpr evaluates
/// its tree recursively, so both bound the recursion whatever the input.
const MAX_LEN: usize = 2000;
const MAX_DEPTH: usize = 64;

/// Evaluates `expr` with [evalexpr](https://docs.rs/evalexpr), a maintained expression crate.
/// hone adds only what evalexpr does not do for a calculator: every number is a float (so
/// `10 / 4` is 2.5, not evalexpr's integer 2), the usual function names without evalexpr's
/// `math::` prefix, `pi` and `e`, no variables or assignments, bounds on size and nesting, and a
/// finite result. `^` is evalexpr's power operator and, as there, left-associative.
pub fn evaluate(expr: &str) -> Result<f64, String> {
    use evalexpr::{eval_with_context, Value};
    if expr.len() > MAX_LEN {
        return Err(format!(
            "the expression is {} bytes; at most {MAX_LEN}",
            expr.len()
        ));
    }
    let mut depth = 0usize;
    for c in expr.chars() {
        match c {
            '(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!(
                        "expression nested too deeply (more than {MAX_DEPTH} parentheses)"
                    ));
                }
            }
            ')' => depth = depth.saturating_sub(1),
            '"' => return Err("strings are not numbers".into()),
            _ => {}
        }
    }
    if expr.trim().is_empty() {
        return Err("the expression ends too early (it is empty)".into());
    }
    let v = eval_with_context(&floats(expr), context()).map_err(|e| explain(&e))?;
    let x = match v {
        Value::Float(x) => x,
        Value::Int(i) => i as f64,
        other => return Err(format!("the expression is not a number ({other})")),
    };
    if !x.is_finite() {
        return Err(format!(
            "the result is not a finite number ({x}; a division by zero?)"
        ));
    }
    Ok(x)
}

/// Writes every integer literal as a float literal (`10` → `10.0`).
fn floats(expr: &str) -> String {
    let b = expr.as_bytes();
    let mut out = String::with_capacity(expr.len() + 8);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let after_word =
            i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'.');
        if c.is_ascii_digit() && !after_word {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push_str(&expr[start..i]);
            let next = b.get(i).copied();
            if !matches!(next, Some(b'.' | b'e' | b'E')) {
                out.push_str(".0");
            }
            continue;
        }
        out.push(c as char);
        i += 1;
    }
    out
}

/// The calculator's names: functions of one number, `min`/`max` of several, `pi`, `e`.
fn context() -> &'static evalexpr::HashMapContext {
    use evalexpr::{ContextWithMutableFunctions, ContextWithMutableVariables, Function, Value};
    static CTX: std::sync::OnceLock<evalexpr::HashMapContext> = std::sync::OnceLock::new();
    CTX.get_or_init(|| {
        let mut c = evalexpr::HashMapContext::new();
        let _ = c.set_value("pi".into(), Value::Float(std::f64::consts::PI));
        let _ = c.set_value("e".into(), Value::Float(std::f64::consts::E));
        type Unary = fn(f64) -> f64;
        let one: [(&str, Unary); 11] = [
            ("sqrt", f64::sqrt),
            ("abs", f64::abs),
            ("floor", f64::floor),
            ("ceil", f64::ceil),
            ("round", f64::round),
            ("ln", f64::ln),
            ("log10", f64::log10),
            ("exp", f64::exp),
            ("sin", f64::sin),
            ("cos", f64::cos),
            ("tan", f64::tan),
        ];
        for (name, f) in one {
            let _ = c.set_function(
                name.into(),
                Function::new(move |a: &Value| Ok(Value::Float(f(a.as_number()?)))),
            );
        }
        for (name, pick) in [("min", f64::min as fn(f64, f64) -> f64), ("max", f64::max)] {
            let _ = c.set_function(
                name.into(),
                Function::new(move |a: &Value| {
                    let xs: Vec<f64> = match a {
                        Value::Tuple(t) => {
                            t.iter().map(|v| v.as_number()).collect::<Result<_, _>>()?
                        }
                        v => vec![v.as_number()?],
                    };
                    let first = xs.first().copied().unwrap_or(f64::NAN);
                    Ok(Value::Float(xs.into_iter().fold(first, pick)))
                }),
            );
        }
        c
    })
}

/// evalexpr's error, in the calculator's words.
fn explain(e: &evalexpr::EvalexprError) -> String {
    use evalexpr::EvalexprError as E;
    match e {
        E::FunctionIdentifierNotFound(f) => format!("unknown function `{f}`"),
        E::VariableIdentifierNotFound(v) => format!("unknown name `{v}`"),
        E::ContextNotMutable => "assignments are not allowed".into(),
        E::WrongOperatorArgumentAmount { .. } => {
            "the expression ends too early (an operator lacks an operand)".into()
        }
        E::UnmatchedLBrace => "missing `)`".into(),
        E::UnmatchedRBrace => "unexpected `)`".into(),
        E::AppendedToLeafNode => "unexpected value (two numbers without an operator?)".into(),
        other => format!("cannot evaluate it: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_and_precedence() {
        assert_eq!(evaluate("1 + 2 * 3").unwrap(), 7.0);
        assert_eq!(evaluate("(1 + 2) * 3").unwrap(), 9.0);
        assert_eq!(evaluate("2 ^ 3 ^ 2").unwrap(), 64.0, "left-associative");
        assert_eq!(evaluate("2 ^ (3 ^ 2)").unwrap(), 512.0);
        assert_eq!(evaluate("-2 ^ 2").unwrap(), -4.0);
        assert_eq!(evaluate("7 % 4 + 1e2").unwrap(), 103.0);
        assert_eq!(evaluate("max(1, sqrt(16), 3) + min(2, 5)").unwrap(), 6.0);
        assert!((evaluate("cos(pi)").unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(format_number(evaluate("10 / 4").unwrap()), "2.5");
        assert_eq!(format_number(42.0), "42");
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(evaluate("1 / 0").unwrap_err().contains("division by zero"));
        assert!(evaluate("2 +").unwrap_err().contains("ends too early"));
        assert!(evaluate("(1 + 2").unwrap_err().contains("missing `)`"));
        assert!(evaluate("foo(1)").unwrap_err().contains("unknown function"));
        assert!(evaluate("1 2").unwrap_err().contains("unexpected"));
        assert!(evaluate("10 ^ 400").unwrap_err().contains("finite"));
        assert!(evaluate("x = 3").unwrap_err().contains("assignments"));
        assert!(evaluate("\"a\" + 1").unwrap_err().contains("strings"));
        assert!(evaluate("").unwrap_err().contains("empty"));
        assert!(evaluate(&"(".repeat(10_000))
            .unwrap_err()
            .contains("at most"));
        assert!(evaluate(&format!("{}1{}", "(".repeat(65), ")".repeat(65)))
            .unwrap_err()
            .contains("nested"));
    }

    #[test]
    fn deep_operator_chains_are_bounded() {
        // Unary and power chains recurse without parentheses: the length cap bounds them.
        assert_eq!(evaluate(&format!("{}1", "-".repeat(999))).unwrap(), -1.0);
        assert!(evaluate(&format!("{}1", "-".repeat(5000))).is_err());
        assert!(evaluate(&vec!["2"; 900].join("^")).is_err());
        assert_eq!(
            floats("10 / 4 + 2.5e3 + x1 + 1e2"),
            "10.0 / 4.0 + 2.5e3 + x1 + 1e2"
        );
    }
}
