//! Labels a string and prints its quotes: `cargo run --example label`.
use quotestance::{Document, Pipeline};

fn main() -> Result<(), quotestance::Error> {
    let text =
        "Labour called for Cllr Jo Bell to resign.\n\n“She must go,” said Sam Reed. Ms Bell said she would stay.";
    let out = Pipeline::rules().annotate(&Document::new("example", text))?;
    println!("{} sentences, {} quotes", out.sentences.len(), out.quotes.len());
    for q in &out.quotes {
        let speaker = q.speaker.as_ref().map_or("?", |s| s.name.as_str());
        let target = q.target.as_ref().map_or("-", |t| t.name.as_str());
        println!("{:?} [{:?}] {speaker}: {} -> {target}", q.text, q.kind, q.stance.as_str());
    }
    Ok(())
}
