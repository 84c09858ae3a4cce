//! Throughput of the rule pipeline (`Pipeline::rules()`) on the team corpus
//! (`data/corpus/articles/*.txt`; a generated text when there is none), in
//! articles/s and in MB/s.
//!
//!     cargo bench --bench rules

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use quotestance::{Document, Pipeline};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// The corpus articles, or a small generated stand-in.
fn articles() -> (String, Vec<Document>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/corpus/articles");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "txt")).collect()
        })
        .unwrap_or_default();
    files.sort();
    let docs: Vec<Document> = files
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            Some(Document::new(p.file_stem()?.to_string_lossy(), text))
        })
        .collect();
    if !docs.is_empty() {
        return ("corpus".into(), docs);
    }
    let para = "Opposition councillors have called for Cllr Jo Bell to resign after the report. \
                “She has lost the confidence of residents and should step down,” said Cllr Sam Reed. \
                Ms Bell said: “I will not be resigning. I have done nothing wrong.”\n\n";
    let docs = (0..20).map(|i| Document::new(format!("gen{i}"), para.repeat(3 + i % 5))).collect();
    ("generated".into(), docs)
}

fn bench(c: &mut Criterion) {
    let (name, docs) = articles();
    let nlp = Pipeline::rules();
    let bytes: u64 = docs.iter().map(|d| d.text.len() as u64).sum();
    let run = |docs: &[Document]| {
        for d in docs {
            black_box(nlp.annotate(black_box(d)).unwrap());
        }
    };
    for (group, throughput) in
        [("rules_articles", Throughput::Elements(docs.len() as u64)), ("rules_bytes", Throughput::Bytes(bytes))]
    {
        let mut g = c.benchmark_group(group);
        g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
        g.throughput(throughput);
        g.bench_with_input(BenchmarkId::new(name.as_str(), docs.len()), &docs, |b, docs| b.iter(|| run(docs)));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
