//! Distillation without a model: the code that solved a task, made into a function of the
//! task's values. Each string literal that holds one of the values as a whole word is split
//! around it and joined with the argument (`'go to sofa 1'` → `('go to ' + receptacle + ' 1')`,
//! `r'\bpillow \d+'` → `(r'\b' + obj + r' \d+')`); names, numbers and other text stay as they
//! are. Discovery uses it when the model's own version of a skill fails the static checks.

/// `code` as the body of `def name(args…) -> str`, with each value replaced by its argument,
/// a docstring with `purpose` and an example call with the task's values, returning the last
/// observation. `args`: `(argument, value in this task)`.
pub fn function_from_code(
    name: &str,
    purpose: &str,
    args: &[(String, String)],
    code: &str,
) -> String {
    let mut body = String::new();
    for line in code.lines() {
        let mut l = line.to_string();
        for (arg, value) in args {
            l = replace_in_literals(&l, value, arg);
        }
        body.push_str("    ");
        body.push_str(&l);
        body.push('\n');
    }
    let params: Vec<String> = args.iter().map(|(a, _)| format!("{a}: str")).collect();
    let values: Vec<String> = args.iter().map(|(_, v)| format!("{v:?}")).collect();
    let arg_doc: String = args
        .iter()
        .map(|(a, v)| format!("    {a}: e.g. {v:?}.\n"))
        .collect();
    format!(
        "def {name}({}) -> str:\n    \"\"\"{purpose}\n\n{arg_doc}    Returns what the room said last.\n    Example: {name}({})\n    \"\"\"\n{body}    return env.observation()\n",
        params.join(", "),
        values.join(", ")
    )
}

/// `line` with every string literal that holds `value` as a whole word split around it and
/// joined with `arg`. f-strings and lines with an unclosed quote are left as they are.
pub fn replace_in_literals(line: &str, value: &str, arg: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '#' {
            out.extend(&chars[i..]);
            break;
        }
        if c != '\'' && c != '"' {
            out.push(c);
            i += 1;
            continue;
        }
        // A literal: its prefix (r, b, f…) is what was just written.
        let prefix: String = out
            .chars()
            .rev()
            .take_while(|p| p.is_ascii_alphabetic())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let raw = prefix.eq_ignore_ascii_case("r");
        let simple = prefix.is_empty() || raw;
        let mut j = i + 1;
        while j < chars.len() && chars[j] != c {
            if chars[j] == '\\' && !raw {
                j += 1;
            }
            j += 1;
        }
        if j >= chars.len() {
            out.extend(&chars[i..]);
            break;
        }
        let inner: String = chars[i + 1..j].iter().collect();
        match split_word(&inner, value) {
            Some(parts) if simple => {
                // Drop the prefix already written; each piece gets it back.
                for _ in 0..prefix.len() {
                    out.pop();
                }
                let q = |s: &str| format!("{prefix}{c}{s}{c}");
                let mut pieces = Vec::new();
                for (k, p) in parts.iter().enumerate() {
                    if k > 0 {
                        pieces.push(arg.to_string());
                    }
                    if !p.is_empty() {
                        pieces.push(q(p));
                    }
                }
                out.push('(');
                out.push_str(&pieces.join(" + "));
                out.push(')');
            }
            _ => out.extend(&chars[i..=j]),
        }
        i = j + 1;
    }
    out
}

/// `s` split at each whole-word `value`, or `None` if it has none.
fn split_word(s: &str, value: &str) -> Option<Vec<String>> {
    if value.is_empty() {
        return None;
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut parts = Vec::new();
    let mut rest = s;
    let mut found = false;
    let mut from = 0;
    while let Some(at) = rest[from..].find(value).map(|a| a + from) {
        // A letter after a backslash is an escape (`\b` in a regex), not part of a word.
        let mut back = rest[..at].chars().rev();
        let before = back.next();
        let escaped = back.next() == Some('\\');
        let after = rest[at + value.len()..].chars().next();
        if (word(before) && !escaped) || word(after) {
            from = at + value.len();
            continue;
        }
        parts.push(rest[..at].to_string());
        rest = &rest[at + value.len()..];
        from = 0;
        found = true;
    }
    parts.push(rest.to_string());
    found.then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_in_literals_become_arguments_and_nothing_else_changes() {
        let r = |l: &str| replace_in_literals(l, "pillow", "obj");
        assert_eq!(
            r(r"    m = re.search(r'\bpillow \d+', seen)"),
            r"    m = re.search((r'\b' + obj + r' \d+'), seen)"
        );
        assert_eq!(r("pillow = None"), "pillow = None");
        assert_eq!(
            r("env.step('take %s from %s' % (pillow, place))"),
            "env.step('take %s from %s' % (pillow, place))"
        );
        assert_eq!(r("x = 'pillows 1'"), "x = 'pillows 1'");
        assert_eq!(r("x = 'pillow'"), "x = (obj)");
        assert_eq!(r("x = f'{a} pillow'"), "x = f'{a} pillow'");
        assert_eq!(
            r("x = 'it\\'s a pillow 1'"),
            "x = ('it\\'s a ' + obj + ' 1')"
        );
        let s = |l: &str| replace_in_literals(l, "sofa", "receptacle");
        assert_eq!(
            s("print(env.step('put %s in/on sofa 1' % pillow))"),
            "print(env.step(('put %s in/on ' + receptacle + ' 1') % pillow))"
        );
        assert_eq!(
            s("    if place.startswith('sofa '):  # 'sofa' stays in comments"),
            "    if place.startswith((receptacle + ' ')):  # 'sofa' stays in comments"
        );
    }

    #[test]
    fn a_solving_block_becomes_a_function_with_an_example_call() {
        let code = "places = ['sofa 1']\nprint(env.step('put pillow 1 in/on sofa 1'))";
        let f = function_from_code(
            "put_two",
            "Find two X and put them in Y.",
            &[
                ("obj".into(), "pillow".into()),
                ("receptacle".into(), "sofa".into()),
            ],
            code,
        );
        assert!(
            f.starts_with("def put_two(obj: str, receptacle: str) -> str:\n"),
            "{f}"
        );
        assert!(f.contains("Example: put_two(\"pillow\", \"sofa\")"), "{f}");
        assert!(
            f.contains("    print(env.step(('put ' + obj + (' 1 in/on ' + receptacle + ' 1'))))"),
            "{f}"
        );
        assert!(f.trim_end().ends_with("return env.observation()"), "{f}");
    }
}
