//! One report model for every eval: the numbers ([`RunReport`]: per arm, per task family, per
//! trial, errors apart from failures, tokens, time, policy counters, and the
//! confidence/critique decomposition) rendered three ways: the text table an eval prints,
//! `summary.json`, and a self-contained `report.html` (inline CSS and SVG, no scripts, nothing
//! fetched) in which every episode can be opened from the tables: its transcript, its
//! reflection, its cost.
//!
//! An *arm* is one policy run on the tasks: a run of one agent has one (unnamed) arm; a
//! reasoning eval has one per strategy; `hone report A B` compares runs as arms.
//!
//! The decomposition follows "Confidence v.s. Critique: A Decomposition of Self-Correction
//! Capability for LLMs" (Yang et al. 2024): between two attempts (trial t and t+1, or a
//! strategy's initial and final answer), *confidence* is the share of tasks right before that
//! stay right, *critique* the share of tasks wrong before that are made right. Reflexion stops
//! at the first win, so confidence across trials is only measured when solved tasks are rerun
//! (`Reflexion::rerun_solved`).

use crate::trajectory::{Action, Episode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A count out of a total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub count: usize,
    pub of: usize,
}

impl Share {
    pub fn rate(&self) -> Option<f64> {
        (self.of > 0).then(|| self.count as f64 / self.of as f64)
    }
    /// `83.3% (10/12)`, or `n/a (0/0)`.
    pub fn show(&self) -> String {
        match self.rate() {
            Some(r) => format!("{:.1}% ({}/{})", 100.0 * r, self.count, self.of),
            None => "n/a (0/0)".into(),
        }
    }
}

/// Self-correction between two attempts at the same tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// `trial 1 -> 2`, or `initial -> final`.
    pub label: String,
    /// Of the tasks right at the first attempt, still right at the second.
    pub confidence: Share,
    /// Of the tasks wrong at the first attempt, right at the second.
    pub critique: Share,
}

impl Transition {
    fn count(&mut self, before: bool, after: bool) {
        let s = if before {
            &mut self.confidence
        } else {
            &mut self.critique
        };
        s.of += 1;
        s.count += usize::from(after);
    }
}

/// Counts for one group of tasks (a family, or all) of one arm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    pub name: String,
    pub tasks: usize,
    /// Solved in some trial.
    pub won: usize,
    /// Never solved, and some episode ended on a model or environment error (not the agent's
    /// failure: a rerun retries it).
    pub errors: usize,
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
    /// Tasks neither solved nor errored.
    pub fn failed(&self) -> usize {
        self.tasks - self.won - self.errors
    }
}

/// Prompt and generated tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub prompt: u64,
    /// Prompt tokens the backend actually evaluated (the rest came from its prefix cache).
    pub evaluated: u64,
    pub generated: u64,
}

/// One policy's figures over the tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmReport {
    /// Empty for the only arm of a run.
    pub name: String,
    pub all: GroupStats,
    pub families: Vec<GroupStats>,
    /// Between consecutive trials.
    pub transitions: Vec<Transition>,
    /// Between a correction strategy's initial and final answers.
    pub correction: Option<Transition>,
    pub tokens: Tokens,
    pub episode_seconds: f64,
    /// Sums of the episodes' counters (model calls, samples, programs run, …), and of their
    /// text-mode lines by kind (`thoughts`, `actions`).
    pub metrics: BTreeMap<String, f64>,
    /// Episodes by stop reason.
    pub stops: BTreeMap<String, usize>,
    /// Steps of each episode (for the histogram).
    pub steps: Vec<usize>,
}

impl ArmReport {
    fn per_task(&self, x: f64) -> f64 {
        x / self.all.tasks.max(1) as f64
    }
}

/// Everything a report shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub title: String,
    /// Settings shown at the top (model, agent, split…), in order.
    pub settings: Vec<(String, String)>,
    /// Free-form lines shown under the tables (cost comparisons, the wall time).
    pub notes: Vec<String>,
    pub trials: u32,
    pub arms: Vec<ArmReport>,
    /// Short labels for task families in charts and wide tables.
    #[serde(default)]
    pub family_labels: BTreeMap<String, String>,
    /// Images shown with a task's episodes (task id → path relative to the report, e.g. a web
    /// task's final screenshot).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub images: BTreeMap<String, String>,
}

fn group(name: &str, tasks: &[&Vec<&Episode>], trials: u32) -> GroupStats {
    let mut g = GroupStats {
        name: name.to_string(),
        tasks: tasks.len(),
        won_by_trial: vec![0; trials as usize],
        ..Default::default()
    };
    let mut steps = 0usize;
    for eps in tasks {
        match eps.iter().filter(|e| e.won).map(|e| e.trial).min() {
            Some(first) => {
                g.won += 1;
                for w in g.won_by_trial.iter_mut().skip(first as usize) {
                    *w += 1;
                }
            }
            None if eps.iter().any(|e| e.is_error()) => g.errors += 1,
            None => {}
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

fn arm_report(name: &str, tasks: &[Vec<&Episode>], trials: u32) -> ArmReport {
    let all: Vec<&Vec<&Episode>> = tasks.iter().collect();
    let mut r = ArmReport {
        name: name.to_string(),
        all: group("all", &all, trials),
        ..Default::default()
    };
    let mut fams: BTreeMap<&str, Vec<&Vec<&Episode>>> = BTreeMap::new();
    for t in tasks {
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
            label: format!("trial {} -> {}", from + 1, from + 2),
            ..Default::default()
        };
        for eps in tasks {
            let a = eps.iter().find(|e| e.trial == from && !e.is_error());
            let b = eps.iter().find(|e| e.trial == from + 1 && !e.is_error());
            if let (Some(a), Some(b)) = (a, b) {
                tr.count(a.won, b.won);
            }
        }
        r.transitions.push(tr);
    }
    let mut correction = Transition {
        label: "initial -> final".into(),
        ..Default::default()
    };
    for e in tasks.iter().flatten() {
        if let Some(before) = e.initial_won {
            correction.count(before, e.won);
        }
        r.steps.push(e.steps.len());
        r.tokens.prompt += u64::from(e.usage.prompt_tokens);
        r.tokens.evaluated += u64::from(e.usage.prompt_tokens_evaluated);
        r.tokens.generated += u64::from(e.usage.completion_tokens);
        r.episode_seconds += e.wall_ms / 1000.0;
        for (k, v) in &e.metrics {
            *r.metrics.entry(k.clone()).or_default() += v;
        }
        // Text-mode lines by kind, from the steps themselves (so runs recorded before these
        // counters existed show them too): how a model divides its turns between thinking and
        // acting is what the think/act control changes.
        for st in &e.steps {
            let kind = match st.action {
                Action::Think(_) => "thoughts",
                Action::Act(_) => "actions",
                _ => continue,
            };
            *r.metrics.entry(kind.to_string()).or_default() += 1.0;
        }
        *r.stops.entry(e.stop.name().to_string()).or_default() += 1;
    }
    if correction.confidence.of + correction.critique.of > 0 {
        r.correction = Some(correction);
    }
    r
}

impl RunReport {
    /// Builds a report from episodes (any order, any number of shards; the latest copy of a
    /// (task, arm, trial) wins). `trials` is the number of trials the run was configured with.
    /// Arms come in the order they first appear.
    pub fn from_episodes(title: &str, episodes: &[Episode], trials: u32) -> RunReport {
        let mut order: Vec<&str> = Vec::new();
        let mut by_arm: BTreeMap<&str, BTreeMap<&str, BTreeMap<u32, &Episode>>> = BTreeMap::new();
        for e in episodes {
            if !order.contains(&e.arm.as_str()) {
                order.push(&e.arm);
            }
            by_arm
                .entry(&e.arm)
                .or_default()
                .entry(&e.task.id)
                .or_default()
                .insert(e.trial, e);
        }
        let trials = trials.max(episodes.iter().map(|e| e.trial + 1).max().unwrap_or(1));
        let arms = order
            .iter()
            .map(|arm| {
                let tasks: Vec<Vec<&Episode>> = by_arm[arm]
                    .values()
                    .map(|m| m.values().copied().collect())
                    .collect();
                arm_report(arm, &tasks, trials)
            })
            .collect();
        RunReport {
            title: title.to_string(),
            trials,
            arms,
            ..Default::default()
        }
    }

    /// Several runs side by side, each run's arms named after it (`run` for a run of one arm,
    /// `run/arm` otherwise): a reference row such as the oracle reads as one more run.
    pub fn compare(title: &str, runs: Vec<(String, RunReport)>) -> RunReport {
        let mut out = RunReport {
            title: title.to_string(),
            ..Default::default()
        };
        for (name, r) in runs {
            out.trials = out.trials.max(r.trials);
            out.family_labels.extend(r.family_labels);
            let several = r.arms.len() > 1;
            for mut arm in r.arms {
                arm.name = if several {
                    format!("{name}/{}", arm.name)
                } else {
                    name.clone()
                };
                out.arms.push(arm);
            }
        }
        out
    }

    pub fn setting(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.settings.push((k.into(), v.into()));
        self
    }

    pub fn note(mut self, line: impl Into<String>) -> Self {
        self.notes.push(line.into());
        self
    }

    /// Short names for task families (e.g. `pick_heat_then_place_in_recep` → `heat`).
    pub fn family_labels(mut self, labels: BTreeMap<String, String>) -> Self {
        self.family_labels = labels;
        self
    }

    /// Puts the arms named in `order` first, in that order.
    pub fn order_arms(mut self, order: &[String]) -> Self {
        self.arms.sort_by_key(|a| {
            order
                .iter()
                .position(|o| *o == a.name)
                .unwrap_or(usize::MAX)
        });
        self
    }

    /// The arm named `name`.
    pub fn arm(&self, name: &str) -> Option<&ArmReport> {
        self.arms.iter().find(|a| a.name == name)
    }

    fn label(&self, family: &str) -> String {
        self.family_labels
            .get(family)
            .cloned()
            .unwrap_or_else(|| family.chars().take(14).collect())
    }

    fn families(&self) -> Vec<String> {
        let mut fams: Vec<String> = self
            .arms
            .iter()
            .flat_map(|a| a.families.iter().map(|g| g.name.clone()))
            .collect();
        fams.sort();
        fams.dedup();
        fams
    }

    fn metric_names(&self) -> Vec<String> {
        let mut m: Vec<String> = self
            .arms
            .iter()
            .flat_map(|a| a.metrics.keys().cloned())
            .collect();
        m.sort();
        m.dedup();
        m
    }

    /// The plain-text tables an eval prints.
    pub fn text(&self) -> String {
        let mut s = String::new();
        match self.arms.as_slice() {
            [] => s.push_str("no episodes\n"),
            [arm] => self.text_one(&mut s, arm),
            _ => self.text_many(&mut s),
        }
        if !self.notes.is_empty() {
            s.push('\n');
        }
        for n in &self.notes {
            let _ = writeln!(s, "{n}");
        }
        s
    }

    /// The arms table (the header, then one row per arm), shared by the text and HTML views.
    fn arms_table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let metrics = self.metric_names();
        let mut head: Vec<String> = [
            "arm", "tasks", "won", "success", "errors", "tok/task", "gen/task", "s/task",
        ]
        .map(String::from)
        .to_vec();
        head.extend(metrics.iter().map(|m| format!("{m}/task")));
        head.extend(["confidence".to_string(), "critique".to_string()]);
        let rows = self
            .arms
            .iter()
            .map(|a| {
                let mut r = vec![
                    a.name.clone(),
                    a.all.tasks.to_string(),
                    a.all.won.to_string(),
                    format!("{:.1}%", 100.0 * a.all.rate()),
                    a.all.errors.to_string(),
                    format!(
                        "{:.0}",
                        a.per_task((a.tokens.prompt + a.tokens.generated) as f64)
                    ),
                    format!("{:.0}", a.per_task(a.tokens.generated as f64)),
                    format!("{:.2}", a.per_task(a.episode_seconds)),
                ];
                r.extend(metrics.iter().map(|m| {
                    format!(
                        "{:.2}",
                        a.per_task(a.metrics.get(m).copied().unwrap_or(0.0))
                    )
                }));
                let shown = a.correction.as_ref().or(a.transitions.last());
                r.push(shown.map_or("-".into(), |t| t.confidence.show()));
                r.push(shown.map_or("-".into(), |t| t.critique.show()));
                r
            })
            .collect();
        (head, rows)
    }

    fn text_one(&self, s: &mut String, arm: &ArmReport) {
        let _ = writeln!(
            s,
            "{:<32} {:>6} {:>6} {:>6} {:>6} {:>8} {:>10}",
            "task type", "tasks", "won", "failed", "errors", "success", "mean steps"
        );
        for g in arm.families.iter().chain(std::iter::once(&arm.all)) {
            let _ = writeln!(
                s,
                "{:<32} {:>6} {:>6} {:>6} {:>6} {:>7.1}% {:>10.1}",
                g.name,
                g.tasks,
                g.won,
                g.failed(),
                g.errors,
                100.0 * g.rate(),
                g.mean_steps
            );
        }
        if self.trials > 1 {
            let _ = writeln!(s, "\nsolved by the end of trial:");
            for (t, w) in arm.all.won_by_trial.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "  trial {}: {w}/{} ({:.1}%)",
                    t + 1,
                    arm.all.tasks,
                    100.0 * *w as f64 / arm.all.tasks.max(1) as f64
                );
            }
            let _ = writeln!(s, "\nconfidence / critique between trials:");
            for tr in &arm.transitions {
                let _ = writeln!(
                    s,
                    "  {}: kept {}, fixed {}",
                    tr.label,
                    tr.confidence.show(),
                    tr.critique.show()
                );
            }
        }
        if let Some(c) = &arm.correction {
            let _ = writeln!(
                s,
                "\n{}: confidence {}, critique {}",
                c.label,
                c.confidence.show(),
                c.critique.show()
            );
        }
        let stops: Vec<String> = arm.stops.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            s,
            "\nepisodes {} ({})  prompt tokens {} ({} evaluated)  generated {}  episode time {:.1} s",
            arm.all.episodes,
            stops.join(", "),
            arm.tokens.prompt,
            arm.tokens.evaluated,
            arm.tokens.generated,
            arm.episode_seconds
        );
        if !arm.metrics.is_empty() {
            let per: Vec<String> = arm
                .metrics
                .iter()
                .map(|(k, v)| format!("{k} {:.2}", arm.per_task(*v)))
                .collect();
            let _ = writeln!(s, "per task: {}", per.join(", "));
        }
    }

    fn text_many(&self, s: &mut String) {
        let width = self
            .arms
            .iter()
            .map(|a| a.name.len())
            .max()
            .unwrap_or(3)
            .clamp(3, 40);
        let (head, rows) = self.arms_table();
        let widths: Vec<usize> = (0..head.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([head[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in std::iter::once(&head).chain(&rows) {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                // Names left, numbers right, the confidence/critique shares left.
                let left = c == 0 || c + 2 >= row.len();
                let pad = widths[c] - cell.chars().count();
                if c > 0 {
                    line.push(' ');
                }
                if left {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
            }
            let _ = writeln!(s, "{}", line.trim_end());
        }
        let fams = self.families();
        let width = width.max("success by task type".len());
        if fams.len() > 1 || fams.first().is_some_and(|f| f != "-") {
            let _ = write!(s, "\n{:<width$}", "success by task type");
            for f in &fams {
                let _ = write!(s, " {:>9}", self.label(f));
            }
            let _ = writeln!(s);
            for a in &self.arms {
                let _ = write!(s, "{:<width$}", a.name);
                for f in &fams {
                    match a.families.iter().find(|g| &g.name == f) {
                        Some(g) => {
                            let _ = write!(s, " {:>8.1}%", 100.0 * g.rate());
                        }
                        None => {
                            let _ = write!(s, " {:>9}", "-");
                        }
                    }
                }
                let _ = writeln!(s);
            }
        }
    }

    /// A self-contained HTML page: settings, charts, tables, and (when `episodes` are given)
    /// every episode, reachable from the per-task table.
    pub fn html(&self, episodes: &[Episode]) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>\
             body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}}\
             table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}\
             th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}\
             .plots{{display:flex;flex-wrap:wrap;gap:24px}}figure{{margin:0}}figcaption{{font-weight:600;margin-bottom:4px}}\
             a.won{{color:#1a7f37}}a.lost{{color:#b42318}}a.err{{color:#9a6700}}\
             pre{{background:#f6f6f6;padding:.8em;white-space:pre-wrap}}details{{margin:.4em 0}}\
             summary{{cursor:pointer}}:target{{outline:2px solid #4a7fb5}}\
             </style></head><body><h1>{t}</h1>",
            t = esc(&self.title)
        );
        h.push_str("<table>");
        for (k, v) in &self.settings {
            let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        h.push_str("</table>");
        match self.arms.as_slice() {
            [] => h.push_str("<p>No episodes.</p>"),
            [arm] => self.html_one(&mut h, arm),
            _ => self.html_many(&mut h),
        }
        if !self.notes.is_empty() {
            h.push_str("<h2>Notes</h2><ul>");
            for n in &self.notes {
                let _ = write!(h, "<li>{}</li>", esc(n));
            }
            h.push_str("</ul>");
        }
        if !episodes.is_empty() {
            episodes_html(&mut h, episodes, &self.images);
        }
        h.push_str("</body></html>\n");
        h
    }

    fn html_one(&self, h: &mut String, arm: &ArmReport) {
        let _ = write!(
            h,
            "<table><tr><th>success</th><td>{}/{} ({:.1}%)</td></tr>\
             <tr><th>failed / errors</th><td>{} / {}</td></tr>\
             <tr><th>episodes</th><td>{}</td></tr>\
             <tr><th>prompt tokens (evaluated)</th><td>{} ({})</td></tr>\
             <tr><th>generated tokens</th><td>{}</td></tr>\
             <tr><th>episode time</th><td>{:.1} s</td></tr></table>",
            arm.all.won,
            arm.all.tasks,
            100.0 * arm.all.rate(),
            arm.all.failed(),
            arm.all.errors,
            arm.all.episodes,
            arm.tokens.prompt,
            arm.tokens.evaluated,
            arm.tokens.generated,
            arm.episode_seconds
        );
        h.push_str("<div class=\"plots\">");
        if self.trials > 1 {
            let by_trial: Vec<(String, f64)> = arm
                .all
                .won_by_trial
                .iter()
                .enumerate()
                .map(|(t, w)| {
                    (
                        format!("{}", t + 1),
                        *w as f64 / arm.all.tasks.max(1) as f64,
                    )
                })
                .collect();
            figure(h, "Solved by the end of trial", &by_trial, true);
        }
        let by_family: Vec<(String, f64)> = arm
            .families
            .iter()
            .map(|g| (self.label(&g.name), g.rate()))
            .collect();
        figure(h, "Success by task type", &by_family, true);
        figure(
            h,
            "Steps per episode (share of episodes)",
            &histogram(&arm.steps),
            true,
        );
        let shown: Vec<&Transition> = arm.transitions.iter().chain(&arm.correction).collect();
        if !shown.is_empty() {
            let mut cc: Vec<(String, f64)> = Vec::new();
            for tr in &shown {
                let short = tr.label.replace("trial ", "").replace(" -> ", "→");
                cc.push((format!("conf {short}"), tr.confidence.rate().unwrap_or(0.0)));
                cc.push((format!("crit {short}"), tr.critique.rate().unwrap_or(0.0)));
            }
            figure(h, "Confidence and critique", &cc, true);
        }
        h.push_str("</div><h2>By task type</h2><table><tr><th>task type</th><th>tasks</th><th>won</th><th>failed</th><th>errors</th><th>success</th>");
        if self.trials > 1 {
            for t in 0..self.trials {
                let _ = write!(h, "<th>by trial {}</th>", t + 1);
            }
        }
        h.push_str("<th>mean steps</th></tr>");
        for g in arm.families.iter().chain(std::iter::once(&arm.all)) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td>",
                esc(&g.name),
                g.tasks,
                g.won,
                g.failed(),
                g.errors,
                100.0 * g.rate()
            );
            if self.trials > 1 {
                for w in &g.won_by_trial {
                    let _ = write!(h, "<td>{w}</td>");
                }
            }
            let _ = write!(h, "<td>{:.1}</td></tr>", g.mean_steps);
        }
        h.push_str("</table>");
        if !shown.is_empty() {
            h.push_str(
                "<h2>Confidence and critique</h2><p>Confidence: of the tasks right at the first \
                 attempt (and attempted again), the share still right at the second. Critique: of \
                 the tasks wrong at the first attempt, the share right at the second (Yang et al. \
                 2024). Without <code>--rerun-solved</code> solved tasks are not run again, so \
                 confidence across trials is not measured.</p><table><tr><th>attempts</th>\
                 <th>confidence</th><th>critique</th></tr>",
            );
            for tr in shown {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&tr.label),
                    tr.confidence.show(),
                    tr.critique.show()
                );
            }
            h.push_str("</table>");
        }
        if !arm.metrics.is_empty() {
            h.push_str(
                "<h2>Counters</h2><table><tr><th>counter</th><th>total</th><th>per task</th></tr>",
            );
            for (k, v) in &arm.metrics {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{v:.1}</td><td>{:.2}</td></tr>",
                    esc(k),
                    arm.per_task(*v)
                );
            }
            h.push_str("</table>");
        }
    }

    fn html_many(&self, h: &mut String) {
        let bars: Vec<(String, f64)> = self
            .arms
            .iter()
            .map(|a| (a.name.chars().take(12).collect(), a.all.rate()))
            .collect();
        h.push_str("<div class=\"plots\">");
        figure(h, "Success by arm", &bars, true);
        h.push_str("</div>");
        let (head, rows) = self.arms_table();
        h.push_str("<h2>Arms</h2><table><tr>");
        for c in &head {
            let _ = write!(h, "<th>{}</th>", esc(c));
        }
        h.push_str("</tr>");
        for row in &rows {
            h.push_str("<tr>");
            for c in row {
                let _ = write!(h, "<td>{}</td>", esc(c));
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
        let fams = self.families();
        h.push_str("<h2>Success by task type</h2><table><tr><th>arm</th>");
        for f in &fams {
            let _ = write!(h, "<th title=\"{}\">{}</th>", esc(f), esc(&self.label(f)));
        }
        h.push_str("</tr>");
        for a in &self.arms {
            let _ = write!(h, "<tr><td>{}</td>", esc(&a.name));
            for f in &fams {
                match a.families.iter().find(|g| &g.name == f) {
                    Some(g) => {
                        let _ = write!(h, "<td>{:.1}%</td>", 100.0 * g.rate());
                    }
                    None => h.push_str("<td>-</td>"),
                }
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
    }
}

/// Shares of episodes by step count, in about ten bins.
fn histogram(steps: &[usize]) -> Vec<(String, f64)> {
    let max = steps.iter().copied().max().unwrap_or(0);
    let width = (max / 10 + 1).max(1);
    let mut counts = vec![0usize; max / width + 1];
    for s in steps {
        counts[s / width] += 1;
    }
    let total = steps.len().max(1) as f64;
    counts
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("{}", i * width), *c as f64 / total))
        .collect()
}

/// The anchor of an episode in the report.
fn episode_anchor(e: &Episode) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect()
    };
    format!(
        "ep-{}-{}-t{}",
        clean(&e.task.id),
        clean(&e.arm),
        e.trial + 1
    )
}

/// The per-task table (one cell per arm and trial, linking to the episode) and every episode's
/// transcript, reflection and cost.
fn episodes_html(h: &mut String, episodes: &[Episode], images: &BTreeMap<String, String>) {
    let mut arms: Vec<&str> = Vec::new();
    let mut trials = 0u32;
    let mut by_task: BTreeMap<(&str, &str), Vec<&Episode>> = BTreeMap::new();
    for e in episodes {
        if !arms.contains(&e.arm.as_str()) {
            arms.push(&e.arm);
        }
        trials = trials.max(e.trial + 1);
        by_task
            .entry((&e.task.family, &e.task.id))
            .or_default()
            .push(e);
    }
    h.push_str(
        "<h2>Episodes</h2><p>✓ won, ✗ not won, ! ended on a model or environment error; \
         each mark opens the episode below.</p><table><tr><th>task</th><th>type</th>",
    );
    for arm in &arms {
        for t in 0..trials {
            let mut head = if arm.is_empty() {
                String::new()
            } else {
                format!("{arm} ")
            };
            if trials > 1 {
                head.push_str(&format!("t{}", t + 1));
            }
            if head.is_empty() {
                head.push_str("result");
            }
            let _ = write!(h, "<th>{}</th>", esc(head.trim()));
        }
    }
    h.push_str("</tr>");
    for ((family, id), eps) in &by_task {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", esc(id), esc(family));
        for arm in &arms {
            for t in 0..trials {
                match eps.iter().find(|e| e.arm == *arm && e.trial == t) {
                    Some(e) => {
                        let (class, mark) = if e.won {
                            ("won", "✓")
                        } else if e.is_error() {
                            ("err", "!")
                        } else {
                            ("lost", "✗")
                        };
                        let _ = write!(
                            h,
                            "<td><a class=\"{class}\" href=\"#{}\">{mark}</a></td>",
                            episode_anchor(e)
                        );
                    }
                    None => h.push_str("<td></td>"),
                }
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    for eps in by_task.values() {
        for e in eps {
            let _ = write!(
                h,
                "<details id=\"{}\"><summary>{} {}{} trial {}: {} — {} steps, {} tokens evaluated, \
                 {} generated, {:.1} s</summary>",
                episode_anchor(e),
                esc(&e.task.id),
                if e.arm.is_empty() { "" } else { "· " },
                esc(&e.arm),
                e.trial + 1,
                if e.won {
                    "won".to_string()
                } else {
                    e.stop.name().replace('_', " ")
                },
                e.steps.len(),
                e.usage.prompt_tokens_evaluated,
                e.usage.completion_tokens,
                e.wall_ms / 1000.0
            );
            if let Some(err) = &e.error {
                let _ = write!(h, "<p><b>error:</b> {}</p>", esc(err));
            }
            if let Some(a) = &e.answer {
                let _ = write!(h, "<p><b>answer:</b> {}</p>", esc(a));
            }
            if !e.metrics.is_empty() {
                let m: Vec<String> = e.metrics.iter().map(|(k, v)| format!("{k} {v}")).collect();
                let _ = write!(h, "<p><b>cost:</b> {}</p>", esc(&m.join(", ")));
            }
            let _ = write!(h, "<pre>{}</pre>", esc(&transcript_body(e)));
            if let Some(src) = images.get(&e.task.id) {
                let _ = write!(
                    h,
                    "<p><img src=\"{}\" alt=\"final page of {}\" style=\"max-width:100%;border:1px solid #ccc\"></p>",
                    esc(src),
                    esc(&e.task.id)
                );
            }
            if let Some(r) = &e.reflection {
                let _ = write!(h, "<p><b>reflection:</b></p><pre>{}</pre>", esc(r));
            }
            h.push_str("</details>");
        }
    }
}

/// The steps of an episode, as in [`Episode::transcript`] without its header and footer.
fn transcript_body(e: &Episode) -> String {
    let mut s = String::new();
    if !e.task.goal.is_empty() {
        let _ = writeln!(s, "goal: {}", e.task.goal);
    }
    for st in &e.steps {
        let what = match &st.action {
            Action::Think(t) => format!("think: {t}"),
            Action::Act(a) => format!("> {a}"),
            Action::Tool { name, args, .. } => format!("tool {name} {args}"),
            Action::Code {
                thought,
                code,
                calls,
            } => {
                let mut t = format!("# {thought}\n{}", code.trim_end());
                for c in calls {
                    t.push_str("\n  · ");
                    t.push_str(&c.line());
                }
                t
            }
            Action::Invalid { .. } => format!("(invalid) {:?}", st.raw),
            Action::Trace { kind, answer, .. } => match answer {
                Some(a) => format!("[{kind} → {a}] {}", st.raw.trim()),
                None => format!("[{kind}] {}", st.raw.trim()),
            },
        };
        let _ = writeln!(s, "{what}");
        if !st.observation.is_empty() {
            let _ = writeln!(s, "{}", st.observation.trim_end());
        }
    }
    s
}

/// Escapes text for HTML (element content and attribute values).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
    use crate::trajectory::{StepRecord, StopReason};

    fn ep(task: &str, family: &str, trial: u32, won: bool) -> Episode {
        let mut e = Episode::new(TaskSpec::new(task).family(family), "m");
        e.trial = trial;
        e.won = won;
        e
    }

    #[test]
    fn text_mode_lines_are_counted_by_kind_per_task() {
        let step = |action: Action| StepRecord {
            index: 0,
            raw: String::new(),
            action,
            observation: String::new(),
            reward: 0.0,
            done: false,
            won: false,
            usage: Default::default(),
            latency_ms: 0.0,
        };
        let mut a = ep("a", "x", 0, false);
        a.steps = vec![
            step(Action::Think("plan".into())),
            step(Action::Think("again".into())),
            step(Action::Act("go to desk 1".into())),
        ];
        a.metrics.insert("guard_cycle".into(), 1.0);
        let mut b = ep("b", "x", 0, true);
        b.steps = vec![step(Action::Act("look".into()))];
        let r = RunReport::from_episodes("t", &[a, b], 1);
        let arm = &r.arms[0];
        assert_eq!(arm.metrics["thoughts"], 2.0);
        assert_eq!(arm.metrics["actions"], 2.0);
        let text = r.text();
        assert!(
            text.contains("per task: actions 1.00, guard_cycle 0.50, thoughts 1.00"),
            "{text}"
        );
    }

    #[test]
    fn counts_trials_families_errors_and_confidence_critique() {
        let mut broken = ep("e", "y", 0, false);
        broken.stop = StopReason::ModelError;
        broken.error = Some("server said 500".into());
        let eps = vec![
            ep("a", "x", 0, true),
            ep("a", "x", 1, true),
            ep("b", "x", 0, false),
            ep("b", "x", 1, true),
            ep("c", "y", 0, false),
            ep("c", "y", 1, false),
            ep("d", "y", 0, true),
            ep("d", "y", 1, false),
            broken,
        ];
        let r = RunReport::from_episodes("t", &eps, 2);
        let arm = &r.arms[0];
        assert_eq!(arm.all.tasks, 5);
        assert_eq!(arm.all.won, 3);
        assert_eq!(arm.all.errors, 1);
        assert_eq!(arm.all.failed(), 1);
        assert_eq!(arm.all.won_by_trial, vec![2, 3]);
        assert_eq!(arm.families.len(), 2);
        assert_eq!(arm.families[0].won, 2);
        let tr = &arm.transitions[0];
        assert_eq!(tr.confidence, Share { count: 1, of: 2 });
        assert_eq!(tr.critique, Share { count: 1, of: 2 });
        assert_eq!(arm.stops["model_error"], 1);
        let text = r.text();
        assert!(
            text.contains("kept 50.0% (1/2), fixed 50.0% (1/2)"),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("all") && l.contains("     1 ")),
            "{text}"
        );
        let html = r.html(&eps);
        assert!(html.contains("<svg") && html.contains("Confidence and critique"));
        assert!(html.contains("href=\"#ep-e--t1\"") && html.contains("id=\"ep-e--t1\""));
        assert!(html.contains("server said 500"));
    }

    #[test]
    fn arms_compare_side_by_side() {
        let mut eps = Vec::new();
        for (arm, wins) in [("baseline", [true, false]), ("sc", [true, true])] {
            for (i, w) in wins.iter().enumerate() {
                let mut e = ep(&format!("q{i}"), "arith", 0, *w);
                e.arm = arm.into();
                e.metrics.insert("calls".into(), 2.0);
                if arm == "sc" {
                    e.initial_won = Some(i == 0);
                }
                eps.push(e);
            }
        }
        let r = RunReport::from_episodes("t", &eps, 1).order_arms(&["sc".into()]);
        assert_eq!(r.arms[0].name, "sc");
        assert_eq!(r.arm("baseline").unwrap().all.won, 1);
        let c = r.arm("sc").unwrap().correction.clone().unwrap();
        assert_eq!(c.critique, Share { count: 1, of: 1 });
        let text = r.text();
        assert!(text.contains("calls/task"), "{text}");
        assert!(text.lines().nth(1).unwrap().starts_with("sc "), "{text}");
        let cmp = RunReport::compare("c", vec![("run-a".into(), r.clone()), ("b".into(), r)]);
        assert_eq!(cmp.arms.len(), 4);
        assert_eq!(cmp.arms[0].name, "run-a/sc");
        let html = cmp.html(&[]);
        assert!(html.contains("Success by arm") && !html.contains("<script"));
    }

    #[test]
    fn without_reruns_confidence_is_not_measured() {
        let eps = vec![
            ep("a", "x", 0, true),
            ep("b", "x", 0, false),
            ep("b", "x", 1, false),
        ];
        let r = RunReport::from_episodes("t", &eps, 2);
        assert_eq!(r.arms[0].transitions[0].confidence.rate(), None);
        assert!(r.text().contains("kept n/a (0/0)"));
    }

    #[test]
    fn html_is_escaped_and_self_contained() {
        assert_eq!(
            esc("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
        let mut e = ep("<t>", "f", 0, false);
        e.reflection = Some("</pre><script>alert(1)</script>".into());
        let r = RunReport::from_episodes("x & y", std::slice::from_ref(&e), 1);
        let html = r.html(&[e]);
        assert!(!html.contains("<script") && html.contains("x &amp; y"));
        let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!without_ns.contains("http"), "nothing is fetched");
    }
}
