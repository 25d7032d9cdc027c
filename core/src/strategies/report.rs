//! The eval's HTML report: one self-contained file (inline CSS and SVG, no scripts, nothing
//! fetched) with a bar chart of accuracy per strategy, the summary table, accuracy by task
//! kind, and free-form notes (the command, the cost comparisons).

use super::eval::StrategySummary;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
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

/// An SVG bar chart of accuracy (0–100 %) per strategy, horizontal bars.
pub fn accuracy_chart(summaries: &[StrategySummary]) -> String {
    let (label_w, bar_w, row_h, top) = (130.0, 420.0, 26.0, 24.0);
    let height = top + row_h * summaries.len() as f64 + 28.0;
    let width = label_w + bar_w + 70.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"accuracy per strategy\">\n"
    );
    // Grid lines every 10 %.
    for g in 0..=10 {
        let x = label_w + bar_w * f64::from(g) / 10.0;
        svg.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\n",
            height - 24.0
        ));
        if g % 2 == 0 {
            svg.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" \
                 fill=\"#555\">{}%</text>\n",
                height - 8.0,
                g * 10
            ));
        }
    }
    for (i, s) in summaries.iter().enumerate() {
        let y = top + row_h * i as f64;
        let acc = 100.0 * s.accuracy();
        let w = bar_w * acc / 100.0;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"end\">{}</text>\n\
             <rect x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"#4a7bd0\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{acc:.1}%</text>\n",
            label_w - 8.0,
            y + row_h * 0.65,
            escape(&s.strategy),
            y + 4.0,
            row_h - 8.0,
            label_w + w + 6.0,
            y + row_h * 0.65,
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{label_w}\" y=\"14\" font-size=\"13\" font-weight=\"bold\">accuracy</text>\n</svg>"
    ));
    svg
}

fn table_html(summaries: &[StrategySummary]) -> String {
    let mut t = String::from(
        "<table>\n<tr><th>strategy</th><th>items</th><th>accuracy</th><th>no answer</th>\
         <th>tokens/item</th><th>generated/item</th><th>calls/item</th><th>samples/item</th>\
         <th>programs/item</th><th>model s/item</th><th>wall s/item</th><th>confidence</th>\
         <th>critique</th></tr>\n",
    );
    for s in summaries {
        let c = &s.cost;
        let per = |x: f64| x / s.items.max(1) as f64;
        t.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{:.1}% ({}/{})</td><td>{}</td><td>{:.0}</td>\
             <td>{:.0}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td>\
             <td>{}</td><td>{}</td></tr>\n",
            escape(&s.strategy),
            s.items,
            100.0 * s.accuracy(),
            s.correct,
            s.items,
            s.no_answer + s.errors,
            per(c.tokens() as f64),
            per(f64::from(c.usage.completion_tokens)),
            per(f64::from(c.calls)),
            per(f64::from(c.samples)),
            per(f64::from(c.program_runs)),
            per(c.model_ms) / 1000.0,
            per(c.wall_ms) / 1000.0,
            s.confidence.map_or("-".into(), |x| x.show()),
            s.critique.map_or("-".into(), |x| x.show()),
        ));
    }
    t.push_str("</table>\n");
    t
}

/// The whole report. `notes` are shown as preformatted lines under the tables.
pub fn render(title: &str, summaries: &[StrategySummary], kinds: &str, notes: &[String]) -> String {
    let notes_html: String = notes
        .iter()
        .map(|n| format!("<li>{}</li>\n", escape(n)))
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n\
         <style>\nbody {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}\n\
         th:first-child, td:first-child {{ text-align: left; }}\n\
         pre {{ background: #f6f6f6; padding: 1em; }}\n</style>\n</head>\n<body>\n\
         <h1>{t}</h1>\n{chart}\n<h2>Summary</h2>\n{table}\
         <p>Confidence: share of initially-correct answers still correct after correction; \
         critique: share of initially-wrong answers made correct (Yang et al. 2024). Model s: \
         backend time charged to each strategy, including responses shared with other \
         strategies of the same task; wall s: time actually spent.</p>\n\
         <h2>Accuracy by task kind</h2>\n<pre>{kinds}</pre>\n<h2>Notes</h2>\n<ul>\n{notes_html}</ul>\n\
         </body>\n</html>\n",
        t = escape(title),
        chart = accuracy_chart(summaries),
        table = table_html(summaries),
        kinds = escape(kinds),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies::Cost;

    #[test]
    fn report_is_self_contained_and_escaped() {
        let s = vec![
            StrategySummary {
                strategy: "sc<x>".into(),
                items: 4,
                correct: 1,
                no_answer: 0,
                errors: 0,
                cost: Cost::default(),
                confidence: None,
                critique: None,
                by_kind: vec![],
            },
            StrategySummary {
                strategy: "baseline".into(),
                items: 4,
                correct: 4,
                no_answer: 0,
                errors: 0,
                cost: Cost::default(),
                confidence: None,
                critique: None,
                by_kind: vec![],
            },
        ];
        let html = render("hone & co", &s, "kinds", &["note <1>".into()]);
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("hone &amp; co"));
        assert!(html.contains("sc&lt;x&gt;") && !html.contains("sc<x>"));
        assert!(html.contains("note &lt;1&gt;"));
        assert!(html.contains("<svg") && html.contains("25.0%") && html.contains("100.0%"));
        assert_eq!(html.matches("<rect").count(), 2);
        assert!(!html.contains("<script"));
        let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!without_ns.contains("http"), "nothing is fetched");
        assert!(!html.contains("src="));
    }
}
