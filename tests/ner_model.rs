//! The NER head in the pipeline (`Config::use_models`): the entity stage gets
//! the document's one encoder pass, and the head's mentions reach the people
//! stage with their titles. Needs the model files
//! (`quotestance models install`) and `crates/quotestance/assets/heads/ner.safetensors`;
//! without them the model tests print why and pass.

use quotestance::encode::Encoded;
use quotestance::entities::{Mention, Recogniser, RuleRecogniser};
use quotestance::models::{encoder_present, resolve_models_dir};
use quotestance::normalise::Normalised;
use quotestance::segment::Segmented;
use quotestance::{Config, Document, EntityLabel, Pipeline};
use std::sync::{Arc, Mutex};

fn models() -> bool {
    let dir = resolve_models_dir(None);
    let ok = encoder_present(&dir);
    if !ok {
        eprintln!("SKIPPED: no encoder under {} (run `quotestance models install`)", dir.display());
    }
    ok
}

/// A recogniser that records the encoder pass it is given (tokens, width,
/// end of the last token), then runs the rules.
#[derive(Default, Clone)]
struct Spy(Arc<Mutex<Vec<Seen>>>);

/// What one call got: (tokens, width, end of the last token), or no pass.
type Seen = Option<(usize, usize, usize)>;

impl Recogniser for Spy {
    fn recognise(
        &self,
        n: &Normalised<'_>,
        seg: &Segmented,
        encoded: Option<&Encoded>,
    ) -> quotestance::Result<Vec<Mention>> {
        let last_end = encoded.and_then(|e| e.tokens.last()).map_or(0, |t| t.bytes.end);
        self.0.lock().unwrap().push(encoded.map(|e| (e.len(), e.hidden, last_end)));
        RuleRecogniser.recognise(n, seg, None)
    }
    fn needs_encoder(&self) -> bool {
        true
    }
}

#[test]
fn a_recogniser_that_needs_the_encoder_needs_a_model_pipeline() {
    let err = Pipeline::rules().with_recogniser(Box::new(Spy::default())).unwrap_err();
    assert!(err.to_string().contains("use_models"), "{err}");
}

#[test]
fn the_entity_stage_gets_the_documents_encoder_pass() {
    if !models() {
        return;
    }
    let spy = Spy::default();
    let nlp = Pipeline::new(Config { use_models: true, threads: 1, ..Config::default() })
        .unwrap()
        .with_recogniser(Box::new(spy.clone()))
        .unwrap();
    let text = "Cllr Jo Bell said: \u{201c}I will not resign.\u{201d} Her critics disagree.\n";
    nlp.annotate(&Document::new("a", text)).unwrap();
    nlp.annotate(&Document::new("b", "Tom Price said nothing.")).unwrap();
    let seen = spy.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one call per document: {seen:?}");
    let (tokens, hidden, last_end) = seen[0].expect("the encoder pass reaches the recogniser");
    assert!(tokens >= 12 && hidden == 384, "{tokens} tokens of width {hidden}");
    assert_eq!(last_end, text.trim_end().len(), "the pass covers the whole text");
}

#[test]
fn model_mentions_reach_people_with_their_titles() {
    if !models() {
        return;
    }
    let nlp = Pipeline::new(Config { use_models: true, threads: 1, ..Config::default() }).unwrap();
    let text = "Opposition councillors have called for the leader of Northvale Council, Cllr Jo Bell, to resign.\n\n\
                \u{201c}Cllr Bell must go,\u{201d} said Mrs Ann Okonkwo-Hale, who chairs the residents\u{2019} \
                association. Labour backed the call.\n\n\
                Bell said she would stay. Okonkwo-Hale said the petition had 900 names.\n";
    let out = nlp.annotate(&Document::new("t", text)).unwrap();
    let names: Vec<&str> = out.people.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains(&"Jo Bell") && names.contains(&"Ann Okonkwo-Hale"), "{names:?}");
    assert_eq!(names.len(), 2, "one record per person: {names:?}");
    let bell = out.people.iter().find(|p| p.name == "Jo Bell").unwrap();
    assert_eq!(bell.title.as_deref(), Some("Cllr"));
    assert!(bell.mentions.len() >= 3, "{:?}", bell.mentions);
    let hale = out.people.iter().find(|p| p.name == "Ann Okonkwo-Hale").unwrap();
    assert_eq!(hale.title.as_deref(), Some("Mrs"));
    for e in &out.entities {
        assert_eq!(&text[e.span.bytes()], e.text);
        if e.label == EntityLabel::Person {
            assert!(e.person.is_some() && e.canonical.is_some(), "{e:?}");
        }
    }
    let speaker = out.quotes.iter().find(|q| q.text.contains("must go")).and_then(|q| q.speaker.as_ref());
    assert_eq!(speaker.map(|s| s.name.as_str()), Some("Ann Okonkwo-Hale"));
}

#[test]
fn committed_silver_labels_fit_the_corpus() {
    use quotestance::ner::train::{load_corpus, load_silver};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/corpus");
    let file = root.join("silver/spacy_en_core_web_md.jsonl");
    let (train, test) = load_corpus(&root).expect("corpus (run python3 tools/corpus.py)");
    let docs: Vec<_> = train.into_iter().chain(test).collect();
    let silver = load_silver(&file, &docs).expect("the silver file loads");
    // a stale line (an article edited since) is left out by the trainer; most must be current
    assert!(silver.spans.len() * 10 >= docs.len() * 9, "{} of {} articles current", silver.spans.len(), docs.len());
    let texts: std::collections::HashMap<&str, Vec<char>> =
        docs.iter().map(|d| (d.name.as_str(), d.text.chars().collect())).collect();
    let mut checked = 0;
    for line in std::fs::read_to_string(&file).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap();
        if !silver.spans.contains_key(id) {
            continue;
        }
        for e in v["entities"].as_array().unwrap() {
            let (s, t) = (e["start"].as_u64().unwrap() as usize, e["end"].as_u64().unwrap() as usize);
            let got: String = texts[id][s..t].iter().collect();
            assert_eq!(got, e["text"].as_str().unwrap(), "{id} {s}..{t}: code-point offsets into the article");
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked} silver spans");
}
