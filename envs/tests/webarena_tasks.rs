//! WebArena's own task file (envs/data/webarena/test.raw.json, Apache-2.0, see NOTICE.md) loads
//! unchanged with no parse errors, and hone's evaluators score its reference answers 1 and a
//! wrong answer 0 (the string and URL evaluators: no browser needed).

use hone_envs::web::evaluate::{string_match, url_match};
use hone_envs::web::task::{load, parse_sites, summary};
use std::path::Path;

fn file() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/webarena/test.raw.json"
    ))
}

fn all_sites() -> Vec<String> {
    [
        "shopping",
        "shopping_admin",
        "reddit",
        "gitlab",
        "map",
        "wikipedia",
    ]
    .iter()
    .enumerate()
    .map(|(i, s)| format!("{s}=http://127.0.0.1:{}", 7000 + i))
    .collect()
}

#[test]
fn webarena_test_raw_loads_with_zero_errors() {
    let f = load(file(), &Default::default()).unwrap();
    assert_eq!(f.tasks.len(), 812);
    assert!(
        f.errors.is_empty(),
        "{:?}",
        &f.errors[..f.errors.len().min(3)]
    );
    let s = summary(&f);
    assert!(s.contains("eval types: string_match 325, program_html 282, url_match+program_html 129, url_match 66, string_match+url_match 10"), "{s}");
    assert!(
        s.contains("fuzzy_match (needs an LLM judge): 118 (36 of them \"N/A\")"),
        "{s}"
    );
    assert!(s.ends_with("errors: 0\n"), "{s}");
    // Unmapped, every task needs its site; mapped, only the REST/page helpers remain.
    assert!(s.contains("need something hone lacks: 812"), "{s}");
    let sites = parse_sites(&all_sites()).unwrap();
    let f = load(file(), &sites).unwrap();
    let s = summary(&f);
    assert!(s.contains("need something hone lacks: 24 (func:gitlab_get_project_memeber_role 9, func:shopping_get_latest_order_url 10, func:shopping_get_sku_latest_review_rating 5)"), "{s}");
    let t = f.tasks.iter().find(|t| t.id() == "431").unwrap();
    assert_eq!(t.start_urls().len(), 3, "|AND| opens three tabs");
    assert!(t.start_url.starts_with("http://127.0.0.1:7000/"));
}

#[tokio::test]
async fn reference_answers_score_one_and_wrong_answers_zero() {
    let sites = parse_sites(&all_sites()).unwrap();
    let f = load(file(), &sites).unwrap();
    let (mut checked, mut urls) = (0, 0);
    for t in &f.tasks {
        if t.eval.eval_types == ["string_match"] {
            let refs = t.eval.reference_answers.as_ref().unwrap();
            if refs.contains_key("fuzzy_match") {
                continue; // needs an LLM judge
            }
            let answer = match (refs.get("exact_match"), refs.get("must_include")) {
                (Some(e), _) => e.as_str().unwrap().to_string(),
                (None, Some(m)) => m
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => continue,
            };
            let good = string_match(t, &answer, None).await.unwrap();
            // Task 386 keeps a literal "|OR|" WebArena does not honour: its reference passes only
            // as typed.
            assert_eq!(
                good.score,
                1.0,
                "task {}: {answer:?} {:?}",
                t.id(),
                good.notes
            );
            let bad = string_match(t, "zzz unrelated", None).await.unwrap();
            assert_eq!(bad.score, 0.0, "task {}", t.id());
            checked += 1;
        }
        if let Some(r) = t.eval.reference_url.as_deref().filter(|r| !r.is_empty()) {
            if t.eval.eval_types.iter().any(|e| e == "url_match") {
                let first = r.split(" |OR| ").next().unwrap();
                assert_eq!(
                    url_match(first, r, t.eval.url_note.as_deref()).unwrap(),
                    1.0,
                    "task {}",
                    t.id()
                );
                assert_eq!(
                    url_match("http://127.0.0.1:9/elsewhere", r, None).unwrap(),
                    0.0
                );
                urls += 1;
            }
        }
    }
    assert!(
        checked > 150 && urls > 150,
        "{checked} string, {urls} url tasks checked"
    );
}
