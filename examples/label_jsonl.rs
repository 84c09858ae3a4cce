//! Labels a JSONL file of documents with `Pipeline::annotate_batch`: the
//! in-process Rust baseline of `benches/python_vs_cli.py` (it reports the
//! labelling time alone, without process start or file I/O).
//!
//! ```text
//! cargo run --release --example label_jsonl -- [--threads N] [--batch-size N] [--repeat N] IN.jsonl OUT.jsonl
//! ```
//!
//! Each input line is a `Document` (`{"id": ..., "text": ...}`); each output
//! line is the `Annotated` JSON, or `{"id": ..., "error": ...}`. Batches of
//! `--batch-size` documents are split over `--threads` scoped threads (0: all
//! cores), each running `annotate_batch` on its share, the same work split as
//! the Python binding's `pipe`. On stderr it prints one line per repeat:
//! `label_ms=<ms>` for labelling and serialising the documents held in memory
//! (reading and writing the files excluded), which is what the benchmark compares.

use quotestance::{Document, Pipeline};
use std::io::{BufRead, BufWriter, Write};
use std::time::Instant;

fn label(nlp: &Pipeline, docs: &[Document], threads: usize, batch: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(docs.len());
    for chunk in docs.chunks(batch) {
        let per = chunk.len().div_ceil(threads).max(1);
        let parts: Vec<Vec<String>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .chunks(per)
                .map(|part| {
                    s.spawn(move || {
                        nlp.annotate_batch(part)
                            .into_iter()
                            .zip(part)
                            .map(|(r, d)| match r {
                                Ok(a) => serde_json::to_string(&a).expect("serialise"),
                                Err(e) => serde_json::json!({"id": d.id, "error": e.to_string()}).to_string(),
                            })
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("worker panicked")).collect()
        });
        out.extend(parts.into_iter().flatten());
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut threads, mut batch, mut repeat, mut files) = (0usize, 64usize, 1usize, Vec::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().ok_or("--threads N")?.parse()?,
            "--batch-size" => batch = args.next().ok_or("--batch-size N")?.parse()?,
            "--repeat" => repeat = args.next().ok_or("--repeat N")?.parse()?,
            _ => files.push(a),
        }
    }
    let [input, output] = files.as_slice() else {
        return Err("usage: label_jsonl [--threads N] [--batch-size N] [--repeat N] IN.jsonl OUT.jsonl".into());
    };
    if threads == 0 {
        threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    }
    let reader = std::io::BufReader::new(std::fs::File::open(input)?);
    let mut docs = Vec::new();
    for line in reader.lines() {
        let line = line?;
        if !line.trim().is_empty() {
            docs.push(serde_json::from_str::<Document>(&line)?);
        }
    }
    let nlp = Pipeline::rules();
    let mut lines = Vec::new();
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        lines = label(&nlp, &docs, threads, batch.max(1));
        eprintln!("label_ms={:.3}", t.elapsed().as_secs_f64() * 1e3);
    }
    let mut w = BufWriter::new(std::fs::File::create(output)?);
    for l in &lines {
        writeln!(w, "{l}")?;
    }
    w.flush()?;
    Ok(())
}
