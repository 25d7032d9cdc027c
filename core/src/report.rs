//! Reports over an eval's episodes: the numbers (per trial, per task family, tokens, time, the
//! confidence/critique decomposition) as a [`RunReport`], printed as a text table or rendered
//! as a self-contained HTML page with SVG plots (no scripts, no external files).
//!
//! The decomposition follows "Confidence v.s. Critique: A Decomposition of Self-Correction
//! Capability for LLMs" (Yang et al. 2024): between trial t and t+1, *confidence* is the share
//! of tasks solved at t that stay solved at t+1, *critique* the share of tasks failed at t that
//! are solved at t+1. Reflexion stops at the first win, so confidence is only measured when
//! solved tasks are rerun (`Reflexion::rerun_solved`).

use crate::trajectory::Episode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Counts for one group of tasks (a family, or all).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    pub name: String,
    pub tasks: usize,
    /// Solved in some trial.
    pub won: usize,
    /// Solved by the end of trial i (index i), cumulative.
    pub won_by_trial: Vec<usize>,
    pub episodes: usize,
    pub mean_steps: f64,
}

impl GroupStats {
    pub fn rate(&self) -> f64 {
        if self.tasks == 0 {
            0.0
        } else {
            self.won as f64 / self.tasks as f64
        }
    }
}

/// Self-correction between trial `from` and `from + 1`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub from: u32,
    /// Tasks won at `from` and run again at `from + 1`; of those, still won.
    pub won_before: usize,
    pub kept: usize,
    /// Tasks failed at `from` and run again; of those, now won.
    pub failed_before: usize,
    pub fixed: usize,
}

impl Transition {
    pub fn confidence(&self) -> Option<f64> {
        (self.won_before > 0).then(|| self.kept as f64 / self.won_before as f64)
    }
    pub fn critique(&self) -> Option<f64> {
        (self.failed_before > 0).then(|| self.fixed as f64 / self.failed_before as f64)
    }
}

/// Everything a report shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub title: String,
    /// Free-form settings shown at the top (model, agent, split…).
    pub settings: Vec<(String, String)>,
    pub trials: u32,
    pub all: GroupStats,
    pub families: Vec<GroupStats>,
    pub transitions: Vec<Transition>,
    /// Episode lengths (steps), for the histogram.
    pub steps: Vec<usize>,
    pub prompt_tokens: u64,
    pub prompt_tokens_evaluated: u64,
    pub completion_tokens: u64,
    /// Sum of episode wall times.
    pub episode_seconds: f64,
}

fn group(name: &str, tasks: &[&Vec<Episode>], trials: u32) -> GroupStats {
    let mut g = GroupStats {
        name: name.to_string(),
        tasks: tasks.len(),
        won_by_trial: vec![0; trials as usize],
        ..Default::default()
    };
    let mut steps = 0usize;
    for eps in tasks {
        if let Some(first) = eps.iter().filter(|e| e.won).map(|e| e.trial).min() {
            g.won += 1;
            for t in first as usize..trials as usize {
                g.won_by_trial[t] += 1;
            }
        }
        g.episodes += eps.len();
        steps += eps.iter().map(|e| e.steps.len()).sum::<usize>();
    }
    g.mean_steps = if g.episodes == 0 {
        0.0
    } else {
        steps as f64 / g.episodes as f64
    };
    g
}

impl RunReport {
    /// Builds a report from episodes (any order, any number of shards; the latest copy of a
    /// (task, trial) pair wins). `trials` is the number of trials the run was configured with.
    pub fn from_episodes(title: &str, episodes: &[Episode], trials: u32) -> RunReport {
        let mut by_task: BTreeMap<String, BTreeMap<u32, Episode>> = BTreeMap::new();
        for e in episodes {
            by_task
                .entry(e.task.id.clone())
                .or_default()
                .insert(e.trial, e.clone());
        }
        let trials = trials.max(
            by_task
                .values()
                .flat_map(|m| m.keys())
                .map(|t| t + 1)
                .max()
                .unwrap_or(1),
        );
        let tasks: Vec<Vec<Episode>> = by_task
            .into_values()
            .map(|m| m.into_values().collect())
            .collect();
        let mut r = RunReport {
            title: title.to_string(),
            trials,
            ..Default::default()
        };
        let all: Vec<&Vec<Episode>> = tasks.iter().collect();
        r.all = group("all", &all, trials);
        let mut fams: BTreeMap<&str, Vec<&Vec<Episode>>> = BTreeMap::new();
        for t in &tasks {
            let f = t[0].task.family.as_str();
            fams.entry(if f.is_empty() { "-" } else { f })
                .or_default()
                .push(t);
        }
        r.families = fams
            .into_iter()
            .map(|(name, ts)| group(name, &ts, trials))
            .collect();
        for from in 0..trials.saturating_sub(1) {
            let mut tr = Transition {
                from,
                ..Default::default()
            };
            for eps in &tasks {
                let a = eps.iter().find(|e| e.trial == from);
                let b = eps.iter().find(|e| e.trial == from + 1);
                if let (Some(a), Some(b)) = (a, b) {
                    if a.won {
                        tr.won_before += 1;
                        tr.kept += b.won as usize;
                    } else {
                        tr.failed_before += 1;
                        tr.fixed += b.won as usize;
                    }
                }
            }
            r.transitions.push(tr);
        }
        for e in tasks.iter().flatten() {
            r.steps.push(e.steps.len());
            r.prompt_tokens += e.usage.prompt_tokens as u64;
            r.prompt_tokens_evaluated += e.usage.prompt_tokens_evaluated as u64;
            r.completion_tokens += e.usage.completion_tokens as u64;
            r.episode_seconds += e.wall_ms / 1000.0;
        }
        r
    }

    pub fn setting(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.settings.push((k.into(), v.into()));
        self
    }

    /// The plain-text tables printed at the end of an eval.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<32} {:>6} {:>6} {:>8} {:>10}",
            "task type", "tasks", "won", "success", "mean steps"
        );
        for g in self.families.iter().chain(std::iter::once(&self.all)) {
            let _ = writeln!(
                s,
                "{:<32} {:>6} {:>6} {:>7.1}% {:>10.1}",
                g.name,
                g.tasks,
                g.won,
                100.0 * g.rate(),
                g.mean_steps
            );
        }
        if self.trials > 1 {
            let _ = writeln!(s, "\nsolved by the end of trial:");
            for (t, w) in self.all.won_by_trial.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "  trial {}: {w}/{} ({:.1}%)",
                    t + 1,
                    self.all.tasks,
                    100.0 * *w as f64 / self.all.tasks.max(1) as f64
                );
            }
            let _ = writeln!(s, "\nconfidence / critique between trials:");
            for tr in &self.transitions {
                let _ = writeln!(
                    s,
                    "  trial {} -> {}: kept {}/{} ({}), fixed {}/{} ({})",
                    tr.from + 1,
                    tr.from + 2,
                    tr.kept,
                    tr.won_before,
                    pct(tr.confidence()),
                    tr.fixed,
                    tr.failed_before,
                    pct(tr.critique())
                );
            }
        }
        let _ = writeln!(
            s,
            "\nepisodes {}  prompt tokens {} ({} evaluated)  generated {}  episode time {:.1} s",
            self.all.episodes,
            self.prompt_tokens,
            self.prompt_tokens_evaluated,
            self.completion_tokens,
            self.episode_seconds
        );
        s
    }

    /// A self-contained HTML page: settings, tables and SVG plots.
    pub fn html(&self) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title><style>\
             body{{font-family:system-ui,sans-serif;margin:2em;max-width:980px;color:#222}}\
             table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}\
             th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}\
             .plots{{display:flex;flex-wrap:wrap;gap:24px}}figure{{margin:0}}figcaption{{font-weight:600;margin-bottom:4px}}\
             </style></head><body><h1>{t}</h1>",
            t = esc(&self.title)
        );
        h.push_str("<table>");
        for (k, v) in &self.settings {
            let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        let _ = write!(
            h,
            "<tr><th>success</th><td>{}/{} ({:.1}%)</td></tr>\
             <tr><th>episodes</th><td>{}</td></tr>\
             <tr><th>prompt tokens (evaluated)</th><td>{} ({})</td></tr>\
             <tr><th>generated tokens</th><td>{}</td></tr>\
             <tr><th>episode time</th><td>{:.1} s</td></tr></table>",
            self.all.won,
            self.all.tasks,
            100.0 * self.all.rate(),
            self.all.episodes,
            self.prompt_tokens,
            self.prompt_tokens_evaluated,
            self.completion_tokens,
            self.episode_seconds
        );
        h.push_str("<div class=\"plots\">");
        let by_trial: Vec<(String, f64)> = self
            .all
            .won_by_trial
            .iter()
            .enumerate()
            .map(|(t, w)| {
                (
                    format!("{}", t + 1),
                    *w as f64 / self.all.tasks.max(1) as f64,
                )
            })
            .collect();
        figure(&mut h, "Solved by the end of trial", &by_trial, true);
        let by_family: Vec<(String, f64)> = self
            .families
            .iter()
            .map(|g| (short_family(&g.name), g.rate()))
            .collect();
        figure(&mut h, "Success by task type", &by_family, true);
        let max = self.steps.iter().copied().max().unwrap_or(0);
        let width = (max / 10 + 1).max(1);
        let bins = max / width + 1;
        let mut counts = vec![0usize; bins];
        for s in &self.steps {
            counts[s / width] += 1;
        }
        let total = self.steps.len().max(1) as f64;
        let hist: Vec<(String, f64)> = counts
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("{}", i * width), *c as f64 / total))
            .collect();
        figure(&mut h, "Steps per episode (share of episodes)", &hist, true);
        if !self.transitions.is_empty() {
            let mut cc: Vec<(String, f64)> = Vec::new();
            for tr in &self.transitions {
                cc.push((
                    format!("conf {}→{}", tr.from + 1, tr.from + 2),
                    tr.confidence().unwrap_or(0.0),
                ));
                cc.push((
                    format!("crit {}→{}", tr.from + 1, tr.from + 2),
                    tr.critique().unwrap_or(0.0),
                ));
            }
            figure(&mut h, "Confidence and critique", &cc, true);
        }
        h.push_str("</div><h2>By task type</h2><table><tr><th>task type</th><th>tasks</th><th>won</th><th>success</th>");
        for t in 0..self.trials {
            let _ = write!(h, "<th>by trial {}</th>", t + 1);
        }
        h.push_str("<th>mean steps</th></tr>");
        for g in self.families.iter().chain(std::iter::once(&self.all)) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td>",
                esc(&g.name),
                g.tasks,
                g.won,
                100.0 * g.rate()
            );
            for w in &g.won_by_trial {
                let _ = write!(h, "<td>{w}</td>");
            }
            let _ = write!(h, "<td>{:.1}</td></tr>", g.mean_steps);
        }
        h.push_str("</table>");
        if !self.transitions.is_empty() {
            h.push_str(
                "<h2>Confidence and critique across trials</h2><p>Confidence: of the tasks solved \
                 in trial t and run again, the share still solved in t+1. Critique: of the tasks \
                 failed in trial t, the share solved in t+1 (Yang et al. 2024). Without \
                 <code>--rerun-solved</code> solved tasks are not run again, so confidence is \
                 not measured.</p><table><tr><th>trials</th><th>kept</th><th>confidence</th>\
                 <th>fixed</th><th>critique</th></tr>",
            );
            for tr in &self.transitions {
                let _ = write!(
                    h,
                    "<tr><td>{} → {}</td><td>{}/{}</td><td>{}</td><td>{}/{}</td><td>{}</td></tr>",
                    tr.from + 1,
                    tr.from + 2,
                    tr.kept,
                    tr.won_before,
                    pct(tr.confidence()),
                    tr.fixed,
                    tr.failed_before,
                    pct(tr.critique())
                );
            }
            h.push_str("</table>");
        }
        h.push_str("</body></html>\n");
        h
    }
}

/// Several runs side by side (e.g. ReAct, Act, Reflexion and the oracle as a reference row):
/// success overall and per task family, one row per run.
pub fn comparison_text(runs: &[(String, RunReport)]) -> String {
    let fams = families_of(runs);
    let mut s = format!("{:<28}", "run");
    for f in &fams {
        let _ = write!(s, " {:>8}", short_family(f));
    }
    let _ = writeln!(s, " {:>8} {:>6} {:>10}", "all", "tasks", "tokens");
    for (name, r) in runs {
        let _ = write!(s, "{:<28}", name);
        for f in &fams {
            match r.families.iter().find(|g| &g.name == f) {
                Some(g) => {
                    let _ = write!(s, " {:>7.1}%", 100.0 * g.rate());
                }
                None => {
                    let _ = write!(s, " {:>8}", "-");
                }
            }
        }
        let _ = writeln!(
            s,
            " {:>7.1}% {:>6} {:>10}",
            100.0 * r.all.rate(),
            r.all.tasks,
            r.prompt_tokens_evaluated + r.completion_tokens
        );
    }
    s
}

fn families_of(runs: &[(String, RunReport)]) -> Vec<String> {
    let mut fams: Vec<String> = runs
        .iter()
        .flat_map(|(_, r)| r.families.iter().map(|g| g.name.clone()))
        .collect();
    fams.sort();
    fams.dedup();
    fams
}

/// The comparison as a self-contained HTML page: a table and a bar chart of overall success.
pub fn comparison_html(title: &str, runs: &[(String, RunReport)]) -> String {
    let fams = families_of(runs);
    let mut h = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title><style>\
         body{{font-family:system-ui,sans-serif;margin:2em;max-width:980px;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}\
         th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}\
         </style></head><body><h1>{t}</h1><table><tr><th>run</th>",
        t = esc(title)
    );
    for f in &fams {
        let _ = write!(h, "<th>{}</th>", esc(&short_family(f)));
    }
    h.push_str("<th>all</th><th>tasks</th><th>episodes</th><th>tokens</th></tr>");
    for (name, r) in runs {
        let _ = write!(h, "<tr><td>{}</td>", esc(name));
        for f in &fams {
            match r.families.iter().find(|g| &g.name == f) {
                Some(g) => {
                    let _ = write!(h, "<td>{:.1}%</td>", 100.0 * g.rate());
                }
                None => h.push_str("<td>-</td>"),
            }
        }
        let _ = write!(
            h,
            "<td><b>{:.1}%</b></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            100.0 * r.all.rate(),
            r.all.tasks,
            r.all.episodes,
            r.prompt_tokens_evaluated + r.completion_tokens
        );
    }
    h.push_str("</table>");
    let bars: Vec<(String, f64)> = runs
        .iter()
        .map(|(n, r)| (n.chars().take(10).collect(), r.all.rate()))
        .collect();
    figure(&mut h, "Success by run", &bars, true);
    h.push_str("</body></html>\n");
    h
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", 100.0 * v))
        .unwrap_or_else(|| "n/a".into())
}

fn short_family(f: &str) -> String {
    match f {
        "pick_and_place_simple" => "put".into(),
        "pick_clean_then_place_in_recep" => "clean".into(),
        "pick_heat_then_place_in_recep" => "heat".into(),
        "pick_cool_then_place_in_recep" => "cool".into(),
        "look_at_obj_in_light" => "examine".into(),
        "pick_two_obj_and_place" => "puttwo".into(),
        other => other.chars().take(12).collect(),
    }
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A captioned SVG bar chart of values in 0..=1 (shown as percentages when `percent`).
pub fn figure(h: &mut String, caption: &str, bars: &[(String, f64)], percent: bool) {
    let _ = write!(h, "<figure><figcaption>{}</figcaption>", esc(caption));
    h.push_str(&bar_chart(bars, percent));
    h.push_str("</figure>");
}

/// An SVG bar chart: one bar per (label, value in 0..=1).
pub fn bar_chart(bars: &[(String, f64)], percent: bool) -> String {
    let (bw, gap, hgt, top, bottom, left) = (34.0, 10.0, 160.0, 18.0, 34.0, 36.0);
    let w = left + bars.len().max(1) as f64 * (bw + gap) + gap;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{:.0}\" font-size=\"11\">",
        top + hgt + bottom
    );
    for k in 0..=4 {
        let y = top + hgt - hgt * k as f64 / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{w:.0}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e4e4e4\"/>\
             <text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 4.0,
            y + 4.0,
            if percent {
                format!("{}%", k * 25)
            } else {
                format!("{:.2}", k as f64 / 4.0)
            }
        );
    }
    for (i, (label, v)) in bars.iter().enumerate() {
        let v = v.clamp(0.0, 1.0);
        let x = left + gap + i as f64 * (bw + gap);
        let bh = hgt * v;
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw}\" height=\"{bh:.1}\" fill=\"#4a7fb5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            top + hgt - bh,
            x + bw / 2.0,
            top + hgt - bh - 4.0,
            if percent {
                format!("{:.0}", 100.0 * v)
            } else {
                format!("{v:.2}")
            },
            x + bw / 2.0,
            top + hgt + 14.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::TaskSpec;

    fn ep(task: &str, family: &str, trial: u32, won: bool) -> Episode {
        let mut e = Episode::new(TaskSpec::new(task).family(family), "m");
        e.trial = trial;
        e.won = won;
        e
    }

    #[test]
    fn counts_trials_families_and_confidence_critique() {
        let eps = vec![
            ep("a", "x", 0, true),
            ep("a", "x", 1, true),
            ep("b", "x", 0, false),
            ep("b", "x", 1, true),
            ep("c", "y", 0, false),
            ep("c", "y", 1, false),
            ep("d", "y", 0, true),
            ep("d", "y", 1, false),
        ];
        let r = RunReport::from_episodes("t", &eps, 2);
        assert_eq!(r.all.tasks, 4);
        assert_eq!(r.all.won, 3);
        assert_eq!(r.all.won_by_trial, vec![2, 3]);
        assert_eq!(r.families.len(), 2);
        assert_eq!(r.families[0].won, 2);
        let tr = &r.transitions[0];
        assert_eq!(
            (tr.kept, tr.won_before, tr.fixed, tr.failed_before),
            (1, 2, 1, 2)
        );
        assert_eq!(tr.confidence(), Some(0.5));
        let html = r.html();
        assert!(html.contains("<svg") && html.contains("Confidence and critique"));
        assert!(r.text().contains("kept 1/2 (50.0%), fixed 1/2 (50.0%)"));
        let cmp = vec![("a".to_string(), r.clone()), ("b".to_string(), r)];
        let t = comparison_text(&cmp);
        assert_eq!(t.lines().count(), 3, "{t}");
        assert!(
            t.lines()
                .nth(1)
                .unwrap()
                .contains("100.0%    50.0%    75.0%"),
            "{t}"
        );
        assert!(comparison_html("c", &cmp).contains("<svg"));
    }

    #[test]
    fn without_reruns_confidence_is_not_measured() {
        let eps = vec![
            ep("a", "x", 0, true),
            ep("b", "x", 0, false),
            ep("b", "x", 1, false),
        ];
        let r = RunReport::from_episodes("t", &eps, 2);
        assert_eq!(r.transitions[0].confidence(), None);
        assert!(r.text().contains("kept 0/0 (n/a)"));
        assert!(esc("<a&b>") == "&lt;a&amp;b&gt;");
    }
}
