//! Constraints as GBNF grammars (llama.cpp's grammar format).
//!
//! JSON schemas are turned into grammars by llama.cpp's own converter
//! (`llama_cpp_2::json_schema_to_grammar`, the one llama-server uses) and checked after
//! generation by the `jsonschema` crate ([`validate`]); hone keeps only what those do not do:
//! - [`literal`]: a GBNF string literal;
//! - [`one_of`]: exactly one of a list of strings (valid actions, labels), with no JSON quoting
//!   around them, which a JSON-schema `enum` would add.

use serde_json::Value;
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

/// A grammar for JSON documents valid against `schema`: llama.cpp's converter, with its
/// whitespace rule (up to two newlines and twenty spaces between tokens) narrowed to one
/// optional space. hone keeps that one change because a small model given room for
/// pretty-printing spends its token budget on indentation and gets cut off mid-document
/// (measured with SmolLM2-135M on a tool call: truncated with llama.cpp's rule, whole with this).
#[cfg(feature = "llama")]
pub fn json_schema_to_gbnf(schema: &Value) -> Result<String, String> {
    unenforceable(schema, "")?;
    let g = llama_cpp_2::json_schema_to_grammar(&schema.to_string())
        .map_err(|e| format!("llama.cpp cannot turn this JSON schema into a grammar: {e}"))?;
    Ok(g.lines()
        .map(|l| {
            if l.starts_with("space ::=") {
                "space ::= \" \"?"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n")
}

/// Refuses what llama.cpp's converter would drop with only a warning on stderr, so that a
/// schema is either enforced by the grammar or rejected: a `pattern` must be anchored
/// (`^…$`), the only form the converter turns into rules.
#[cfg(feature = "llama")]
fn unenforceable(schema: &Value, at: &str) -> Result<(), String> {
    match schema {
        Value::Object(m) => {
            if let Some(Value::String(p)) = m.get("pattern") {
                if !(p.starts_with('^') && p.ends_with('$')) {
                    let at = if at.is_empty() { "/" } else { at };
                    return Err(format!(
                        "the schema's pattern {p:?} at {at} is not anchored with ^ and $; \
                         the grammar cannot enforce it (write \"^{p}$\" to match it whole)"
                    ));
                }
            }
            for (k, v) in m {
                unenforceable(v, &format!("{at}/{k}"))?;
            }
            Ok(())
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| unenforceable(v, &format!("{at}/{i}"))),
        _ => Ok(()),
    }
}

/// Checks `value` against the JSON schema `schema` (draft 2020-12 by default); the error names
/// the first violation and where it is.
pub fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    let v = jsonschema::validator_for(schema).map_err(|e| format!("bad JSON schema: {e}"))?;
    let first = v.iter_errors(value).next().map(|e| {
        let at = e.instance_path().to_string();
        if at.is_empty() {
            e.to_string()
        } else {
            format!("{at}: {e}")
        }
    });
    match first {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_and_choices() {
        assert_eq!(literal("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(one_of(&["x", "y z"]), "root ::= \"x\" | \"y z\"\n");
    }

    #[test]
    fn validation_names_the_violation() {
        let s = json!({"type": "object", "properties": {"a": {"type": "integer", "minimum": 1}},
                       "required": ["a"]});
        assert!(validate(&s, &json!({"a": 2})).is_ok());
        assert!(validate(&s, &json!({}))
            .unwrap_err()
            .contains("\"a\" is a required property"));
        let e = validate(&s, &json!({"a": 0})).unwrap_err();
        assert!(e.starts_with("/a:"), "{e}");
    }

    #[cfg(feature = "llama")]
    #[test]
    fn llama_cpp_converts_schemas_in_property_order() {
        let s = json!({"type": "object", "properties": {"thought": {"type": "string"},
                       "tool": {"const": "add"}}, "required": ["thought", "tool"]});
        let g = json_schema_to_gbnf(&s).unwrap();
        assert!(g.contains("root ::="), "{g}");
        let t = g.find("thought").unwrap();
        assert!(
            t < g.find("tool").unwrap(),
            "properties keep their order:\n{g}"
        );
        assert!(g.contains("space ::= \" \"?\n"), "compact whitespace:\n{g}");
    }

    #[cfg(feature = "llama")]
    #[test]
    fn unanchored_patterns_are_refused_anchored_ones_converted() {
        let bad =
            json!({"type": "object", "properties": {"id": {"type": "string", "pattern": "a+"}}});
        let e = json_schema_to_gbnf(&bad).unwrap_err();
        assert!(e.contains("pattern \"a+\" at /properties/id"), "{e}");
        let good = json!({"type": "string", "pattern": "^a+$"});
        assert!(json_schema_to_gbnf(&good).unwrap().contains("root ::="));
    }
}
