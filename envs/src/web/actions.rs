//! WebArena's id-based action space, parsed by its rules (`browser_env/actions.py`,
//! `create_id_based_action`): the action's name is the text before the first `[` (or the first
//! word), then an unanchored pattern per action. `type` presses Enter unless it ends in `[0]`;
//! `stop` without a bracketed answer answers "". Anything else is an error the agent sees.

use regex::Regex;
use std::sync::OnceLock;

/// One browser action.
#[derive(Debug, Clone, PartialEq)]
pub enum WebAction {
    Click(String),
    Hover(String),
    /// Element id, text, and whether Enter follows (WebArena's default).
    Type {
        id: String,
        text: String,
        enter: bool,
    },
    /// A key combination such as `Enter`, `Control+a`, `ArrowDown`.
    Press(String),
    /// `true`: up.
    Scroll(bool),
    NewTab,
    TabFocus(usize),
    CloseTab,
    Goto(String),
    GoBack,
    GoForward,
    Stop(String),
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a valid pattern"))
}

/// The hint every parse error ends with.
pub const HINT: &str = "Write one action, e.g. `click [12]`, `type [7] [blue shoes] [1]`, \
`press [Enter]`, `scroll [down]`, `goto [http://…]`, `go_back`, `new_tab`, `tab_focus [1]`, \
`close_tab`, or `stop [answer]`.";

/// [`HINT`] with ids from `page` (an observation): its first link or button and its first
/// text box.
pub fn hint_for(page: &str) -> String {
    let els = elements(page);
    let id_of = |roles: &[&str]| {
        els.iter()
            .find(|e| roles.contains(&e.role.as_str()))
            .map(|e| e.id.as_str())
    };
    let link = id_of(&["link", "button"]).unwrap_or("12");
    let text = id_of(FILLABLE).unwrap_or("7");
    HINT.replacen("click [12]", &format!("click [{link}]"), 1)
        .replacen("type [7]", &format!("type [{text}]"), 1)
}

/// One element of a web observation: `[id] role 'name'`.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub id: String,
    pub role: String,
    pub name: String,
}

/// The elements with ids in a WebArena-style observation (names unquoted as Python's `repr`
/// quoted them).
pub fn elements(obs: &str) -> Vec<Element> {
    obs.lines()
        .filter_map(|line| {
            let t = line.trim_start().strip_prefix('[')?;
            let (id, rest) = t.split_once("] ")?;
            if !id.bytes().all(|b| b.is_ascii_digit()) || id.is_empty() {
                return None;
            }
            let (role, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            Some(Element {
                id: id.to_string(),
                role: role.to_string(),
                name: unrepr(rest),
            })
        })
        .collect()
}

/// The leading Python-repr string of `s` (`'a\'b'` or `"a'b"`), unescaped; empty if none.
fn unrepr(s: &str) -> String {
    let mut chars = s.chars();
    let Some(q) = chars.next().filter(|c| *c == '\'' || *c == '"') else {
        return String::new();
    };
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            c if c == q => break,
            c => out.push(c),
        }
    }
    out
}

/// Roles that take typed text (`type [id] [text]`, the skills' `page.fill`).
pub const FILLABLE: &[&str] = &["textbox", "searchbox", "combobox", "spinbutton", "textarea"];

/// Parses one action line.
pub fn parse(line: &str) -> Result<WebAction, String> {
    static CLICK: OnceLock<Regex> = OnceLock::new();
    static HOVER: OnceLock<Regex> = OnceLock::new();
    static TYPE: OnceLock<Regex> = OnceLock::new();
    static PRESS: OnceLock<Regex> = OnceLock::new();
    static SCROLL: OnceLock<Regex> = OnceLock::new();
    static GOTO: OnceLock<Regex> = OnceLock::new();
    static TAB: OnceLock<Regex> = OnceLock::new();
    static STOP: OnceLock<Regex> = OnceLock::new();
    let s = line.trim();
    let name = if s.contains('[') {
        s.split('[').next().unwrap_or("").trim()
    } else {
        s.split_whitespace().next().unwrap_or("")
    };
    let bad = |what: &str| Err(format!("Invalid action {s:?}: {what}. {HINT}"));
    match name {
        "click" | "hover" => {
            let r = if name == "click" {
                re(&CLICK, r"click ?\[(\d+)\]")
            } else {
                re(&HOVER, r"hover ?\[(\d+)\]")
            };
            match r.captures(s) {
                Some(c) => {
                    let id = c[1].to_string();
                    Ok(if name == "click" {
                        WebAction::Click(id)
                    } else {
                        WebAction::Hover(id)
                    })
                }
                None => bad("give the element's id in brackets"),
            }
        }
        "type" => {
            let s2 = if s.ends_with("[0]") || s.ends_with("[1]") {
                s.to_string()
            } else {
                format!("{s} [1]")
            };
            match re(&TYPE, r"type ?\[(\d+)\] ?\[(.+)\] ?\[(\d+)\]").captures(&s2) {
                Some(c) => Ok(WebAction::Type {
                    id: c[1].to_string(),
                    text: c[2].to_string(),
                    enter: &c[3] == "1",
                }),
                None => bad("write type [id] [text] [1 to press Enter after, 0 not to]"),
            }
        }
        "press" => match re(&PRESS, r"press ?\[(.+)\]").captures(s) {
            Some(c) => Ok(WebAction::Press(map_keys(&c[1]))),
            None => bad("write press [key], e.g. press [Enter]"),
        },
        "scroll" => match re(&SCROLL, r"scroll ?\[?(up|down)\]?").captures(s) {
            Some(c) => Ok(WebAction::Scroll(&c[1] == "up")),
            None => bad("write scroll [up] or scroll [down]"),
        },
        "goto" => match re(&GOTO, r"goto ?\[(.+)\]").captures(s) {
            Some(c) => Ok(WebAction::Goto(c[1].to_string())),
            None => bad("write goto [url]"),
        },
        "new_tab" => Ok(WebAction::NewTab),
        "go_back" => Ok(WebAction::GoBack),
        "go_forward" => Ok(WebAction::GoForward),
        "close_tab" => Ok(WebAction::CloseTab),
        "tab_focus" => match re(&TAB, r"tab_focus ?\[(\d+)\]").captures(s) {
            Some(c) => c[1]
                .parse()
                .map(WebAction::TabFocus)
                .map_err(|_| format!("Invalid action {s:?}: no such tab. {HINT}")),
            None => bad("write tab_focus [tab index]"),
        },
        "stop" => Ok(WebAction::Stop(
            re(&STOP, r"stop ?\[(.+)\]")
                .captures(s)
                .map(|c| c[1].to_string())
                .unwrap_or_default(),
        )),
        _ => bad("unknown action"),
    }
}

/// WebArena's `map_keys`: each `+`-separated part through its special-key table
/// (`browser_env/constants.py`), lower-cased names to the browser's key names.
pub fn map_keys(combo: &str) -> String {
    combo
        .split('+')
        .map(|k| match k.to_lowercase().as_str() {
            "backquote" => "Backquote".to_string(),
            "minus" => "Minus".into(),
            "equal" => "Equal".into(),
            "backslash" => "Backslash".into(),
            "backspace" => "Backspace".into(),
            "meta" => "Meta".into(),
            "tab" => "Tab".into(),
            "delete" => "Delete".into(),
            "escape" => "Escape".into(),
            "arrowdown" => "ArrowDown".into(),
            "end" => "End".into(),
            "enter" => "Enter".into(),
            "home" => "Home".into(),
            "insert" => "Insert".into(),
            "pagedown" => "PageDown".into(),
            "pageup" => "PageUp".into(),
            "arrowright" => "ArrowRight".into(),
            "arrowup" => "ArrowUp".into(),
            f if f.len() >= 2
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
            {
                f.to_uppercase()
            }
            _ => k.to_string(),
        })
        .collect::<Vec<_>>()
        .join("+")
}

/// The action as one line again (for transcripts and skill traces).
pub fn render(a: &WebAction) -> String {
    match a {
        WebAction::Click(i) => format!("click [{i}]"),
        WebAction::Hover(i) => format!("hover [{i}]"),
        WebAction::Type { id, text, enter } => {
            format!("type [{id}] [{text}] [{}]", u8::from(*enter))
        }
        WebAction::Press(k) => format!("press [{k}]"),
        WebAction::Scroll(up) => format!("scroll [{}]", if *up { "up" } else { "down" }),
        WebAction::NewTab => "new_tab".into(),
        WebAction::TabFocus(i) => format!("tab_focus [{i}]"),
        WebAction::CloseTab => "close_tab".into(),
        WebAction::Goto(u) => format!("goto [{u}]"),
        WebAction::GoBack => "go_back".into(),
        WebAction::GoForward => "go_forward".into(),
        WebAction::Stop(a) => format!("stop [{a}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_webarena_does() {
        assert_eq!(parse("click [12]"), Ok(WebAction::Click("12".into())));
        assert_eq!(
            parse("  click[12] extra"),
            Ok(WebAction::Click("12".into()))
        );
        let page = "[1] RootWebArea 'Shop'\n\t[4] form ''\n\t\t[6] textbox 'Search products'\n\t[9] link 'Home'";
        let hint = hint_for(page);
        assert!(
            hint.contains("`click [9]`") && hint.contains("`type [6] ["),
            "{hint}"
        );
        assert!(hint_for("").contains("`click [12]`"));
        assert_eq!(
            parse("type [5] [blue shoes]"),
            Ok(WebAction::Type {
                id: "5".into(),
                text: "blue shoes".into(),
                enter: true
            })
        );
        assert_eq!(
            parse("type [5] [a] b] [0]"),
            Ok(WebAction::Type {
                id: "5".into(),
                text: "a] b".into(),
                enter: false
            })
        );
        // `[2]` is not a flag: it becomes part of the text, and Enter is pressed.
        assert_eq!(
            parse("type [5] [hi] [2]"),
            Ok(WebAction::Type {
                id: "5".into(),
                text: "hi] [2".into(),
                enter: true
            })
        );
        assert_eq!(
            parse("press [Control+a]"),
            Ok(WebAction::Press("Control+a".into()))
        );
        assert_eq!(parse("press [enter]"), Ok(WebAction::Press("Enter".into())));
        assert_eq!(parse("scroll [down]"), Ok(WebAction::Scroll(false)));
        assert_eq!(parse("scroll up"), Ok(WebAction::Scroll(true)));
        assert!(
            parse("scroll [direction=down]").is_err(),
            "WebArena rejects its own prompt's syntax"
        );
        assert_eq!(parse("stop [$25.99]"), Ok(WebAction::Stop("$25.99".into())));
        assert_eq!(parse("stop"), Ok(WebAction::Stop(String::new())));
        assert_eq!(parse("tab_focus [1]"), Ok(WebAction::TabFocus(1)));
        assert_eq!(
            parse("goto [http://x/y]"),
            Ok(WebAction::Goto("http://x/y".into()))
        );
        let e = parse("fly [3]").unwrap_err();
        assert!(
            e.contains("unknown action") && e.contains("click [12]"),
            "{e}"
        );
        assert!(parse("click [abc]").is_err());
    }
}
