//! Constraints as GBNF grammars (llama.cpp's grammar format).
//!
//! - [`one_of`]: exactly one of a list of strings (valid actions, labels).
//! - [`json_schema_to_gbnf`]: a JSON document valid against a schema, for tool calls and
//!   structured answers. Supported: `type` (object, array, string, number, integer, boolean,
//!   null, or a list of these), `properties`/`required`, `items`/`minItems`/`maxItems`,
//!   `minLength`/`maxLength`, `enum`, `const`, `anyOf`/`oneOf`, and local `$ref`s into
//!   `$defs`/`definitions`. Anything else is an error naming the keyword, never silently ignored,
//!   except `description`/`title`/`default`/`examples`/`$schema`/`format`, which do not
//!   constrain the text, and numeric bounds, which [`validate`] checks after generation.
//! - [`validate`]: checks a value against the same subset of JSON schema.
//!
//! Whitespace between JSON tokens is limited to at most one space so that a small model cannot
//! stall by emitting whitespace forever.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A GBNF string literal for `s`.
pub fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A grammar whose only sentences are the given strings.
pub fn one_of<S: AsRef<str>>(options: &[S]) -> String {
    let alts: Vec<String> = options.iter().map(|o| literal(o.as_ref())).collect();
    format!("root ::= {}\n", alts.join(" | "))
}

const JSON_PRIMITIVES: &str = r#"ws ::= " "?
string ::= "\"" char* "\""
char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
integer ::= "-"? ([0-9] | [1-9] [0-9]{1,15})
number ::= integer ("." [0-9]{1,15})? ([eE] [-+]? [0-9]{1,3})?
boolean ::= "true" | "false"
null ::= "null"
value ::= object | array | string | number | boolean | null
object ::= "{" ws ( string ws ":" ws value ws ( "," ws string ws ":" ws value ws )* )? "}"
array ::= "[" ws ( value ws ( "," ws value ws )* )? "]"
"#;

/// Converts a JSON schema to a GBNF grammar with start rule `root`.
pub fn json_schema_to_gbnf(schema: &Value) -> Result<String, String> {
    let mut c = Converter {
        root: schema,
        rules: BTreeMap::new(),
        refs: BTreeMap::new(),
    };
    let body = c.visit(schema, "root")?;
    let mut out = format!("root ::= {body}\n");
    for (name, rule) in &c.rules {
        let _ = writeln!(out, "{name} ::= {rule}");
    }
    out.push_str(JSON_PRIMITIVES);
    Ok(out)
}

struct Converter<'a> {
    root: &'a Value,
    rules: BTreeMap<String, String>,
    /// `$ref` target → rule name, so recursive schemas terminate.
    refs: BTreeMap<String, String>,
}

const IGNORED: &[&str] = &[
    "description",
    "title",
    "default",
    "examples",
    "$schema",
    "$id",
    "format",
    "$defs",
    "definitions",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "additionalProperties",
    "$comment",
];

impl Converter<'_> {
    fn add_rule(&mut self, hint: &str, body: String) -> String {
        let base: String = hint
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let base = if base.is_empty() {
            "r".to_string()
        } else {
            base
        };
        let mut name = base.clone();
        let mut i = 1;
        while self.rules.get(&name).is_some_and(|b| b != &body) || is_reserved(&name) {
            name = format!("{base}-{i}");
            i += 1;
        }
        self.rules.insert(name.clone(), body);
        name
    }

    /// Returns a GBNF expression for `schema`.
    fn visit(&mut self, schema: &Value, hint: &str) -> Result<String, String> {
        let obj = match schema {
            Value::Bool(true) => return Ok("value".into()),
            Value::Bool(false) => {
                return Err(format!("schema at {hint} is `false`: nothing can match"))
            }
            Value::Object(o) => o,
            other => return Err(format!("schema at {hint} is not an object: {other}")),
        };
        for key in obj.keys() {
            let known = matches!(
                key.as_str(),
                "type"
                    | "properties"
                    | "required"
                    | "items"
                    | "minItems"
                    | "maxItems"
                    | "minLength"
                    | "maxLength"
                    | "enum"
                    | "const"
                    | "anyOf"
                    | "oneOf"
                    | "$ref"
            );
            if !known && !IGNORED.contains(&key.as_str()) {
                return Err(format!("unsupported JSON schema keyword `{key}` at {hint}"));
            }
        }
        if let Some(r) = obj.get("$ref") {
            let r = r
                .as_str()
                .ok_or_else(|| format!("$ref at {hint} is not a string"))?;
            if let Some(name) = self.refs.get(r) {
                return Ok(name.clone());
            }
            let target = resolve_ref(self.root, r)?;
            let name = self.add_rule(r.rsplit('/').next().unwrap_or("ref"), String::new());
            self.refs.insert(r.to_string(), name.clone());
            let body = self.visit(target, &name)?;
            self.rules.insert(name.clone(), body);
            return Ok(name);
        }
        if let Some(c) = obj.get("const") {
            return Ok(literal(&c.to_string()));
        }
        if let Some(e) = obj.get("enum") {
            let vals = e
                .as_array()
                .ok_or_else(|| format!("enum at {hint} is not an array"))?;
            if vals.is_empty() {
                return Err(format!("enum at {hint} is empty"));
            }
            let alts: Vec<String> = vals.iter().map(|v| literal(&v.to_string())).collect();
            return Ok(format!("({})", alts.join(" | ")));
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(list) = obj.get(key) {
                let list = list
                    .as_array()
                    .ok_or_else(|| format!("{key} at {hint} is not an array"))?;
                let mut alts = Vec::new();
                for (i, s) in list.iter().enumerate() {
                    let e = self.visit(s, &format!("{hint}-{i}"))?;
                    alts.push(e);
                }
                return Ok(format!("({})", alts.join(" | ")));
            }
        }
        match obj.get("type") {
            None => Ok("value".into()),
            Some(Value::String(t)) => self.visit_type(t, obj, hint),
            Some(Value::Array(ts)) => {
                let mut alts = Vec::new();
                for t in ts {
                    let t = t
                        .as_str()
                        .ok_or_else(|| format!("type list at {hint} holds a non-string"))?;
                    alts.push(self.visit_type(t, obj, hint)?);
                }
                Ok(format!("({})", alts.join(" | ")))
            }
            Some(other) => Err(format!("type at {hint} is {other}, not a string or list")),
        }
    }

    fn visit_type(
        &mut self,
        t: &str,
        obj: &Map<String, Value>,
        hint: &str,
    ) -> Result<String, String> {
        let count = |k: &str| -> Result<Option<u64>, String> {
            match obj.get(k) {
                None => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| format!("{k} at {hint} is not a non-negative integer")),
            }
        };
        match t {
            "string" => {
                let (lo, hi) = (count("minLength")?, count("maxLength")?);
                if lo.is_none() && hi.is_none() {
                    return Ok("string".into());
                }
                let lo = lo.unwrap_or(0);
                let rep = match hi {
                    Some(hi) if hi < lo => return Err(format!("maxLength < minLength at {hint}")),
                    Some(hi) => format!("{{{lo},{hi}}}"),
                    None => format!("{{{lo},}}"),
                };
                Ok(format!("\"\\\"\" char{rep} \"\\\"\""))
            }
            "number" => Ok("number".into()),
            "integer" => Ok("integer".into()),
            "boolean" => Ok("boolean".into()),
            "null" => Ok("null".into()),
            "array" => {
                let item = match obj.get("items") {
                    Some(s) => self.visit(s, &format!("{hint}-item"))?,
                    None => "value".into(),
                };
                let lo = count("minItems")?.unwrap_or(0);
                let hi = count("maxItems")?;
                if hi.is_some_and(|h| h < lo) {
                    return Err(format!("maxItems < minItems at {hint}"));
                }
                let sep = format!("\",\" ws {item} ws");
                let body = match (lo, hi) {
                    (_, Some(0)) => "\"[\" ws \"]\"".to_string(),
                    (0, None) => format!("\"[\" ws ( {item} ws ( {sep} )* )? \"]\""),
                    (0, Some(h)) => {
                        format!("\"[\" ws ( {item} ws ( {sep} ){{0,{}}} )? \"]\"", h - 1)
                    }
                    (l, None) => format!("\"[\" ws {item} ws ( {sep} ){{{},}} \"]\"", l - 1),
                    (l, Some(h)) => {
                        format!("\"[\" ws {item} ws ( {sep} ){{{},{}}} \"]\"", l - 1, h - 1)
                    }
                };
                Ok(self.add_rule(&format!("{hint}-array"), body))
            }
            "object" => {
                let props = match obj.get("properties") {
                    None => return Ok("object".into()),
                    Some(Value::Object(p)) => p,
                    Some(_) => return Err(format!("properties at {hint} is not an object")),
                };
                let required: Vec<&str> = match obj.get("required") {
                    None => Vec::new(),
                    Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).collect(),
                    Some(_) => return Err(format!("required at {hint} is not an array")),
                };
                for r in &required {
                    if !props.contains_key(*r) {
                        return Err(format!(
                            "required property `{r}` at {hint} is not in properties"
                        ));
                    }
                }
                // Required properties first (in declared order), then the optional ones.
                let mut req = Vec::new();
                let mut opt = Vec::new();
                for (name, s) in props {
                    let v = self.visit(s, &format!("{hint}-{name}"))?;
                    let kv = format!(
                        "{} ws \":\" ws {v}",
                        literal(&Value::String(name.clone()).to_string())
                    );
                    if required.contains(&name.as_str()) {
                        req.push(kv)
                    } else {
                        opt.push(kv)
                    }
                }
                let body = if !req.is_empty() {
                    let mut parts = req.join(" ws \",\" ws ");
                    for o in &opt {
                        let _ = write!(parts, " ( ws \",\" ws {o} )?");
                    }
                    format!("\"{{\" ws {parts} ws \"}}\"")
                } else if opt.is_empty() {
                    "\"{\" ws \"}\"".to_string()
                } else {
                    // Any subset of the optional properties, in order: start at one, then the rest.
                    let mut alts = Vec::new();
                    for i in 0..opt.len() {
                        let mut a = opt[i].clone();
                        for o in &opt[i + 1..] {
                            let _ = write!(a, " ( ws \",\" ws {o} )?");
                        }
                        alts.push(format!("( {a} )"));
                    }
                    format!("\"{{\" ws ( {} )? ws \"}}\"", alts.join(" | "))
                };
                Ok(self.add_rule(&format!("{hint}-object"), body))
            }
            other => Err(format!("unknown type `{other}` at {hint}")),
        }
    }
}

fn is_reserved(name: &str) -> bool {
    matches!(
        name,
        "root"
            | "ws"
            | "string"
            | "char"
            | "integer"
            | "number"
            | "boolean"
            | "null"
            | "value"
            | "object"
            | "array"
    )
}

fn resolve_ref<'a>(root: &'a Value, r: &str) -> Result<&'a Value, String> {
    let path = r
        .strip_prefix("#/")
        .ok_or_else(|| format!("only local $refs (#/...) are supported, got {r}"))?;
    let mut cur = root;
    for part in path.split('/') {
        cur = cur
            .get(part)
            .ok_or_else(|| format!("$ref {r} points nowhere"))?;
    }
    Ok(cur)
}

/// Checks `value` against `schema` (the subset described in the module docs, plus numeric
/// bounds and `additionalProperties: false`). Returns the first violation found.
pub fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    validate_at(schema, schema, value, "$")
}

fn validate_at(root: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let obj = match schema {
        Value::Bool(true) => return Ok(()),
        Value::Bool(false) => return Err(format!("{at}: no value is allowed")),
        Value::Object(o) => o,
        _ => return Err(format!("{at}: schema is not an object")),
    };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        return validate_at(root, resolve_ref(root, r)?, v, at);
    }
    if let Some(c) = obj.get("const") {
        if c != v {
            return Err(format!("{at}: expected {c}, got {v}"));
        }
    }
    if let Some(Value::Array(e)) = obj.get("enum") {
        if !e.contains(v) {
            return Err(format!(
                "{at}: {v} is not one of {}",
                Value::Array(e.clone())
            ));
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(list)) = obj.get(key) {
            if !list.iter().any(|s| validate_at(root, s, v, at).is_ok()) {
                return Err(format!("{at}: {v} matches none of {key}"));
            }
        }
    }
    let types: Vec<&str> = match obj.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| has_type(v, t)) {
        return Err(format!("{at}: {v} is not of type {}", types.join("|")));
    }
    match v {
        Value::String(s) => {
            let n = s.chars().count() as u64;
            if obj
                .get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| n < m)
            {
                return Err(format!("{at}: string shorter than minLength"));
            }
            if obj
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
            {
                return Err(format!("{at}: string longer than maxLength"));
            }
        }
        Value::Number(num) => {
            let x = num.as_f64().unwrap_or(f64::NAN);
            let bound = |k: &str| obj.get(k).and_then(Value::as_f64);
            if bound("minimum").is_some_and(|m| x < m)
                || bound("exclusiveMinimum").is_some_and(|m| x <= m)
            {
                return Err(format!("{at}: {x} is below the minimum"));
            }
            if bound("maximum").is_some_and(|m| x > m)
                || bound("exclusiveMaximum").is_some_and(|m| x >= m)
            {
                return Err(format!("{at}: {x} is above the maximum"));
            }
        }
        Value::Array(items) => {
            let n = items.len() as u64;
            if obj
                .get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n < m)
            {
                return Err(format!("{at}: fewer than minItems items"));
            }
            if obj
                .get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
            {
                return Err(format!("{at}: more than maxItems items"));
            }
            if let Some(s) = obj.get("items") {
                for (i, item) in items.iter().enumerate() {
                    validate_at(root, s, item, &format!("{at}[{i}]"))?;
                }
            }
        }
        Value::Object(map) => {
            if let Some(Value::Array(req)) = obj.get("required") {
                for r in req.iter().filter_map(Value::as_str) {
                    if !map.contains_key(r) {
                        return Err(format!("{at}: missing required property `{r}`"));
                    }
                }
            }
            let props = obj.get("properties").and_then(Value::as_object);
            for (k, item) in map {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => validate_at(root, s, item, &format!("{at}.{k}"))?,
                    None if obj.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        return Err(format!("{at}: unexpected property `{k}`"));
                    }
                    None => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.as_i64().is_some() || v.as_u64().is_some(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literal_escapes_quotes_and_controls() {
        assert_eq!(literal("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(literal("\u{1}"), r#""\x01""#);
    }

    #[test]
    fn one_of_lists_alternatives() {
        assert_eq!(
            one_of(&["go to desk 1", "look"]),
            "root ::= \"go to desk 1\" | \"look\"\n"
        );
    }

    #[test]
    fn object_schema_puts_required_first() {
        let g = json_schema_to_gbnf(&json!({
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "required": ["b"]
        }))
        .unwrap();
        let root_rule = g
            .lines()
            .find(|l| l.starts_with("root-object ::="))
            .unwrap();
        let b = root_rule.find("\\\"b\\\"").unwrap();
        let a = root_rule.find("\\\"a\\\"").unwrap();
        assert!(b < a, "{root_rule}");
        assert!(g.starts_with("root ::= root-object\n"), "{g}");
    }

    #[test]
    fn unsupported_keyword_is_named() {
        let e = json_schema_to_gbnf(&json!({"type": "string", "pattern": "^a+$"})).unwrap_err();
        assert!(e.contains("pattern"), "{e}");
    }

    #[test]
    fn recursive_ref_terminates() {
        let g = json_schema_to_gbnf(&json!({
            "$defs": {"node": {"type": "object", "properties": {
                "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
            "$ref": "#/$defs/node"
        }))
        .unwrap();
        assert!(g.contains("node ::="), "{g}");
    }

    #[test]
    fn validate_catches_violations() {
        let s = json!({"type": "object", "properties": {
            "n": {"type": "integer", "minimum": 1}, "tag": {"enum": ["x", "y"]}},
            "required": ["n"], "additionalProperties": false});
        assert!(validate(&s, &json!({"n": 2, "tag": "x"})).is_ok());
        assert!(validate(&s, &json!({"n": 0}))
            .unwrap_err()
            .contains("minimum"));
        assert!(validate(&s, &json!({"tag": "x"}))
            .unwrap_err()
            .contains("missing"));
        assert!(validate(&s, &json!({"n": 1, "tag": "z"})).is_err());
        assert!(validate(&s, &json!({"n": 1, "k": 1}))
            .unwrap_err()
            .contains("unexpected"));
        assert!(validate(&s, &json!({"n": 1.5})).is_err());
    }
}
