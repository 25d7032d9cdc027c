//! `calculator`: evaluates arithmetic so the model does not have to.
//!
//! Grammar: numbers (`1`, `2.5`, `1e3`), `+ - * / % ^` (`^` is power, right-associative),
//! parentheses, unary minus, constants `pi` and `e`, and the functions `sqrt abs floor ceil
//! round ln log10 exp sin cos tan min max`. Division by zero and other non-finite results are
//! errors, not `inf`.

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

/// Evaluates `expr`; the error says where it went wrong.
pub fn evaluate(expr: &str) -> Result<f64, String> {
    let mut p = Parser {
        s: expr.as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.sum()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected `{}` at position {}", &expr[p.i..], p.i));
    }
    if !v.is_finite() {
        return Err(format!("the result is not a finite number ({v})"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn sum(&mut self) -> Result<f64, String> {
        let mut v = self.product()?;
        loop {
            if self.eat(b'+') {
                v += self.product()?;
            } else if self.eat(b'-') {
                v -= self.product()?;
            } else {
                return Ok(v);
            }
        }
    }
    fn product(&mut self) -> Result<f64, String> {
        let mut v = self.power()?;
        loop {
            if self.eat(b'*') {
                v *= self.power()?;
            } else if self.eat(b'/') {
                let d = self.power()?;
                if d == 0.0 {
                    return Err("division by zero".into());
                }
                v /= d;
            } else if self.eat(b'%') {
                let d = self.power()?;
                if d == 0.0 {
                    return Err("modulo by zero".into());
                }
                v %= d;
            } else {
                return Ok(v);
            }
        }
    }
    fn power(&mut self) -> Result<f64, String> {
        let base = self.unary()?;
        if self.eat(b'^') {
            let exp = self.power()?;
            return Ok(base.powf(exp));
        }
        Ok(base)
    }
    fn unary(&mut self) -> Result<f64, String> {
        if self.eat(b'-') {
            return Ok(-self.unary()?);
        }
        if self.eat(b'+') {
            return self.unary();
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<f64, String> {
        self.ws();
        self.depth += 1;
        if self.depth > 200 {
            return Err("expression nested too deeply".into());
        }
        let r = self.atom_inner();
        self.depth -= 1;
        r
    }
    fn atom_inner(&mut self) -> Result<f64, String> {
        if self.eat(b'(') {
            let v = self.sum()?;
            if !self.eat(b')') {
                return Err(format!("missing `)` at position {}", self.i));
            }
            return Ok(v);
        }
        let start = self.i;
        match self.s.get(self.i) {
            Some(c) if c.is_ascii_digit() || *c == b'.' => {
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_digit() || *c == b'.')
                {
                    self.i += 1;
                }
                if self.s.get(self.i).is_some_and(|c| *c == b'e' || *c == b'E') {
                    let save = self.i;
                    self.i += 1;
                    if self.s.get(self.i).is_some_and(|c| *c == b'+' || *c == b'-') {
                        self.i += 1;
                    }
                    if self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                            self.i += 1;
                        }
                    } else {
                        self.i = save;
                    }
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                text.parse::<f64>()
                    .map_err(|_| format!("bad number `{text}` at position {start}"))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    self.i += 1;
                }
                let name = std::str::from_utf8(&self.s[start..self.i])
                    .unwrap_or("")
                    .to_ascii_lowercase();
                match name.as_str() {
                    "pi" => return Ok(std::f64::consts::PI),
                    "e" => return Ok(std::f64::consts::E),
                    _ => {}
                }
                if !self.eat(b'(') {
                    return Err(format!("unknown name `{name}` at position {start}"));
                }
                let mut args = vec![self.sum()?];
                while self.eat(b',') {
                    args.push(self.sum()?);
                }
                if !self.eat(b')') {
                    return Err(format!("missing `)` after the arguments of {name}"));
                }
                let one = |f: fn(f64) -> f64| -> Result<f64, String> {
                    match args.as_slice() {
                        [x] => Ok(f(*x)),
                        _ => Err(format!("{name} takes one argument")),
                    }
                };
                match name.as_str() {
                    "sqrt" => one(f64::sqrt),
                    "abs" => one(f64::abs),
                    "floor" => one(f64::floor),
                    "ceil" => one(f64::ceil),
                    "round" => one(f64::round),
                    "ln" => one(f64::ln),
                    "log10" => one(f64::log10),
                    "exp" => one(f64::exp),
                    "sin" => one(f64::sin),
                    "cos" => one(f64::cos),
                    "tan" => one(f64::tan),
                    "min" => Ok(args.iter().copied().fold(f64::INFINITY, f64::min)),
                    "max" => Ok(args.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
                    _ => Err(format!("unknown function `{name}`")),
                }
            }
            Some(c) => Err(format!("unexpected `{}` at position {start}", *c as char)),
            None => Err("the expression ends too early".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_and_precedence() {
        assert_eq!(evaluate("1 + 2 * 3").unwrap(), 7.0);
        assert_eq!(evaluate("(1 + 2) * 3").unwrap(), 9.0);
        assert_eq!(evaluate("2 ^ 3 ^ 2").unwrap(), 512.0);
        assert_eq!(evaluate("-2 ^ 2").unwrap(), 4.0);
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
        assert!(evaluate(&"(".repeat(10_000))
            .unwrap_err()
            .contains("nested"));
    }
}
