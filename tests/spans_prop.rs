//! Every span the pipeline emits is a valid slice of the original text:
//! `start <= end <= chars`, byte offsets on char boundaries, code-point and
//! byte offsets that agree, and span texts equal to the slice they name.
//! Checks everything [`Annotated`] can hold (quotes, cues, speaker mentions,
//! entities, people), not only what the pipeline fills in today.

use proptest::prelude::*;
use quotestance::{Annotated, Document, Pipeline};

/// Panics, naming the span, unless every span of `a` is a valid slice of `text`
/// ([`quotestance::check::check_spans`]).
fn check_spans(text: &str, a: &Annotated) {
    if let Err(problem) = quotestance::check::check_spans(text, a) {
        panic!("{problem}");
    }
}

fn label(text: &str) -> Annotated {
    Pipeline::rules().annotate(&Document::new("t", text)).expect("the pipeline labels any text under the size limit")
}

/// Pieces of news text and of everything that trips offsets up.
const PIECES: &[&str] = &[
    "Cllr",
    "Jo",
    "Bell",
    "said",
    "called for",
    "to resign",
    "step down",
    "Mr.",
    "Dr.",
    "U.S.",
    "Labour",
    "he",
    "she",
    " ",
    " ",
    " ",
    "  ",
    ".",
    ",",
    ":",
    ";",
    "!",
    "?",
    "...",
    "…",
    "-",
    "—",
    "(",
    ")",
    "\"",
    "'",
    "“",
    "”",
    "‘",
    "’",
    "«",
    "»",
    "„",
    "‚",
    "‹",
    "›",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "\u{a0}",
    "\u{200b}",
    "\u{feff}",
    "😀",
    "👩‍👩‍👧",
    "🇬🇧",
    "é",
    "e\u{301}",
    "ß",
    "İ",
    "مرحبا",
    "قال",
    "שלום",
    "אמר",
    "\u{202e}",
    "\u{200f}",
    "日本語",
    "한국어",
    "ﬁ",
    "𝔘",
];

fn news(max: usize, newlines: bool) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(PIECES), 0..max).prop_map(move |v| {
        let s = v.concat();
        if newlines {
            s
        } else {
            s.replace(['\n', '\r'], " ")
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // the test lives outside the crate directory; keep failing cases beside it
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "../../tests/spans_prop.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn spans_are_valid_on_news_like_text(text in news(300, true)) {
        check_spans(&text, &label(&text));
    }

    #[test]
    fn spans_are_valid_without_newlines(text in news(300, false)) {
        check_spans(&text, &label(&text));
    }

    #[test]
    fn spans_are_valid_on_any_unicode(text in "\\PC{0,200}") {
        check_spans(&text, &label(&text));
    }

    #[test]
    fn spans_are_valid_on_any_chars(text in any::<String>()) {
        check_spans(&text, &label(&text));
    }

    #[test]
    fn spans_are_valid_with_quotes_and_attributions(
        parts in proptest::collection::vec(
            (proptest::sample::select(&["“", "\"", "‘", "'", "«", "„", ""][..]),
             "[A-Za-z ,.!?’'éش😀]{0,40}",
             proptest::sample::select(&["”", "\"", "’", "'", "»", "“", ""][..]),
             proptest::sample::select(&[" said Cllr Bell. ", ", he said.\n", " she added.\n\n", " ", "\n“", ""][..])),
            0..12)
    ) {
        let text: String = parts.iter().map(|(o, w, c, t)| format!("{o}{w}{c}{t}")).collect();
        check_spans(&text, &label(&text));
    }
}

#[test]
fn adversarial_inputs() {
    for text in [
        "",
        " ",
        "\n",
        "\n\n\n",
        "\r\n\r\n",
        "\"",
        "“",
        "”“",
        "\"\"\"\"\"\"",
        "“”‘’\"'«»„",
        "“”‘’\"'«»„\n“”‘’\"'«»„",
        "“““““““““““",
        "”””””””””””",
        "😀",
        "«😀»",
        "\u{feff}“Go,” he said.",
        "مرحبا “قال” שלום",
        "a\u{301}\u{302}\u{303}",
        "Mr. Mr. Mr. Dr. Cllr.",
        ".\n.\n.",
    ] {
        check_spans(text, &label(text));
    }
}

/// A 5 MB article with few newlines: quotes everywhere, long paragraphs.
#[test]
fn five_megabytes_with_few_newlines() {
    let sentence = "Cllr Jo Bell, the council’s leader, said: “I will not resign, and I won’t step down.” \
                    Labour called for her to go — «immediately» — said Ana Ruiz 😀. ";
    let mut text = String::with_capacity(5 * 1024 * 1024 + 1024);
    let mut i = 0usize;
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(sentence);
        i += 1;
        if i.is_multiple_of(5000) {
            text.push('\n');
        }
    }
    let t0 = std::time::Instant::now();
    let a = label(&text);
    eprintln!(
        "5 MB labelled in {:.1?}: {} paragraphs, {} sentences",
        t0.elapsed(),
        a.paragraphs.len(),
        a.sentences.len()
    );
    check_spans(&text, &a);
    assert!(!a.paragraphs.is_empty());
}

/// The checker itself catches broken spans of every kind (so it bites once
/// the pipeline emits quotes, entities and people).
#[test]
fn check_spans_catches_bad_spans() {
    use quotestance::*;
    let text = "Jo said “go” 😀 now.";
    let good = label(text);
    check_spans(text, &good);
    let at = |s: usize, e: usize| {
        let b = |c: usize| text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).nth(c).unwrap();
        Span { start: s, end: e, byte_start: b(s), byte_end: b(e) }
    };
    let quote = |span: Span, t: &str| Quote {
        span,
        text: t.into(),
        kind: QuoteKind::Direct,
        cue: Some(TextSpan { span: at(3, 7), text: "said".into() }),
        speaker: Some(Speaker {
            name: "Jo".into(),
            mention: Some(TextSpan { span: at(0, 2), text: "Jo".into() }),
            person: None,
            score: 1.0,
            rule: "test".into(),
        }),
        stance: Stance::CallToResign,
        stance_score: 1.0,
        scores: StanceScores::default(),
        target: None,
        co_targets: Vec::new(),
        paragraph: 0,
    };
    let mut ok = good.clone();
    ok.quotes.push(quote(at(9, 11), "go"));
    ok.entities.push(Entity {
        span: at(0, 2),
        text: "Jo".into(),
        label: EntityLabel::Person,
        canonical: None,
        person: None,
        score: 1.0,
    });
    check_spans(text, &ok);

    let must_fail = |what: &str, a: Annotated| {
        let r = std::panic::catch_unwind(|| check_spans(text, &a));
        assert!(r.is_err(), "check_spans accepted {what}");
    };
    let mut bad = ok.clone();
    bad.quotes[0].text = "g".into();
    must_fail("a quote whose text is not its slice", bad);
    let mut bad = ok.clone();
    bad.quotes[0].span.byte_end += 1;
    must_fail("a quote whose bytes and code points disagree", bad);
    let mut bad = ok.clone();
    bad.quotes[0].span = at(13, 14); // the emoji: 4 bytes, 1 code point
    bad.quotes[0].text = "😀".into();
    check_spans(text, &bad);
    bad.quotes[0].span.byte_end -= 1;
    must_fail("a span ending inside a char", bad);
    let mut bad = ok.clone();
    bad.quotes[0].cue.as_mut().unwrap().text = "says".into();
    must_fail("a wrong cue text", bad);
    let mut bad = ok.clone();
    bad.quotes[0].speaker.as_mut().unwrap().mention.as_mut().unwrap().span = at(1, 3);
    must_fail("a wrong speaker mention span", bad);
    let mut bad = ok.clone();
    bad.entities[0].span.end = 99;
    must_fail("an entity past the end", bad);
    let mut bad = ok.clone();
    bad.entities[0].person = Some(0);
    must_fail("an entity pointing at a missing person", bad);
    let mut bad = ok.clone();
    bad.people.push(Person {
        id: 0,
        name: "Jo".into(),
        variants: vec![],
        title: None,
        party: None,
        roles: vec![],
        ward: None,
        organisation: None,
        gender: None,
        mentions: vec![Span { start: 2, end: 1, byte_start: 2, byte_end: 1 }],
    });
    must_fail("a reversed person mention", bad);
}
