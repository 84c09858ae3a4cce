//! Every stage is linear in the text: the rule pipeline's time at 4n over its time at n, on the
//! shapes that were once quadratic (dense quote marks, unclosed marks, attributed paragraphs,
//! a sentence of names) and on news-like text. A benchmark-style check with generous bounds: a
//! linear pipeline gives about 4, a quadratic one about 16; it fails above 8 (the best of three
//! runs at each size, so that a busy machine does not fail it). `benches/scaling.py` gives the
//! same table for the release CLI.

use quotestance::{Document, Pipeline};
use std::time::{Duration, Instant};

const NEWS: &str = "Councillor Ann Bee, leader of the opposition group, said the report was damning.\n\
\u{201c}The cabinet member must resign now,\u{201d} she said. \u{201c}There is no other way.\u{201d}\n\
Mr Cee, the cabinet member, told the Gazette: \u{201c}I will not step down.\u{201d}\n\
Labour called for Mr Cee to resign over the findings, while Tory colleagues backed him.\n\n";

fn best_of_three(nlp: &Pipeline, text: &str) -> Duration {
    let doc = Document::new("s", text);
    (0..3)
        .map(|_| {
            let t = Instant::now();
            nlp.annotate(&doc).unwrap();
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn time_grows_linearly_with_the_text() {
    let nlp = Pipeline::rules();
    let shapes: Vec<(&str, &str, usize)> = vec![
        ("dense curly marks", "\u{201c}a\u{201d} ", 2048),
        ("marks between words", "\u{201c}go\u{201d} and ", 2048),
        ("unclosed guillemets", "\u{ab}", 16384),
        ("attributed paragraphs", "\u{201c}Go now,\u{201d} he said.\n", 2048),
        ("a sentence of names", "Ann Bee and ", 2048),
        ("news", NEWS, 64),
    ];
    let mut report = Vec::new();
    for (name, unit, n) in shapes {
        let small = best_of_three(&nlp, &unit.repeat(n));
        let large = best_of_three(&nlp, &unit.repeat(4 * n));
        let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
        report.push(format!("{name}: {small:?} at n={n}, {large:?} at 4n, ratio {ratio:.1}"));
        assert!(ratio < 8.0, "super-linear growth: {}", report.join("; "));
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn a_document_over_the_deadline_stops_with_an_error_and_a_set_flag_cancels() {
    let config = quotestance::Config { deadline_ms: 1, ..Default::default() };
    let nlp = Pipeline::new(config).unwrap();
    let doc = Document::new("long", NEWS.repeat(20_000));
    let err = nlp.annotate(&doc).unwrap_err();
    assert!(matches!(err, quotestance::Error::Deadline { limit_ms: 1, .. }), "{err}");
    assert!(err.to_string().contains("deadline_ms"), "{err}");
    let flag = std::sync::atomic::AtomicBool::new(true);
    let err = Pipeline::rules().annotate_cancellable(&Document::new("c", NEWS), Some(&flag)).unwrap_err();
    assert!(matches!(err, quotestance::Error::Cancelled), "{err}");
    // no deadline by default: the same document finishes
    assert!(Pipeline::rules().annotate(&Document::new("ok", NEWS.repeat(200))).is_ok());
}
