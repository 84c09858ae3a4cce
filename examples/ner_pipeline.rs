//! The entity stage with and without the NER head, end to end: scores the
//! whole pipeline on a gold folder (the shared scorer's metrics) for
//!
//! * the rule layer (`Pipeline::rules()`),
//! * models with the rule recogniser (encoder + stance head, entities by rules),
//! * models with the NER head, each way of combining its mentions with the rules'.
//!
//! `cargo run --release --example ner_pipeline -- GOLD_DIR ARTICLES_DIR [NER_HEAD]`

use quotestance::entities::{Combine, NerRecogniser, RuleRecogniser};
use quotestance::eval::{score_annotated, GoldSet};
use quotestance::models::{ner_head, resolve_models_dir, HeadSource};
use quotestance::ner::NerModel;
use quotestance::{Config, Document, Pipeline};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(gold), Some(articles)) = (args.get(1), args.get(2)) else {
        return Err("usage: ner_pipeline GOLD_DIR ARTICLES_DIR [NER_HEAD]".into());
    };
    let gold = GoldSet::load(gold, articles)?;
    let models = resolve_models_dir(None);
    let head = args.get(3).map(|p| HeadSource::File(PathBuf::from(p))).unwrap_or_else(|| ner_head(&models));
    let docs: Vec<Document> = gold.articles.iter().map(|a| Document::new(a.name.clone(), a.text.clone())).collect();
    let with_models = || Pipeline::new(Config { use_models: true, ..Config::default() });
    let ner = NerModel::from_source(&head)?;
    let runs: Vec<(&str, Pipeline)> = vec![
        ("rules", Pipeline::rules()),
        ("models, rule entities", with_models()?.with_recogniser(Box::new(RuleRecogniser))?),
        (
            "models, NER only",
            with_models()?.with_recogniser(Box::new(NerRecogniser::new(ner.clone(), Combine::Model)))?,
        ),
        (
            "models, NER people, parties then rules",
            with_models()?.with_recogniser(Box::new(NerRecogniser::new(ner.clone(), Combine::ModelPeople)))?,
        ),
        (
            "models, NER then rules",
            with_models()?.with_recogniser(Box::new(NerRecogniser::new(ner.clone(), Combine::ModelFirst)))?,
        ),
        (
            "models, rules then NER",
            with_models()?.with_recogniser(Box::new(NerRecogniser::new(ner, Combine::RulesFirst)))?,
        ),
    ];
    println!("{} articles, NER head {}", docs.len(), head.path().display());
    println!("| pipeline | quote F1 | speaker acc | stance macro-F1 | target acc | calls F1 | people R | people P |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, nlp) in runs {
        let preds = docs.iter().map(|d| nlp.annotate(d)).collect::<Result<Vec<_>, _>>()?;
        let r = score_annotated(&gold, &preds, 0.5);
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            r.quotes.f1,
            r.speaker_accuracy,
            r.stance_macro_f1_key,
            r.target_accuracy,
            r.resignation_calls.f1,
            r.people.recall,
            r.people.precision
        );
    }
    Ok(())
}
