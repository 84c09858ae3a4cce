//! `manifest.jsonl`: one line per finished shard, and the checks that let a run resume from it
//! only while the inputs still hold the records the finished shards were made from.
//!
//! Each entry records its input's size and modification time, and a SHA-256 of the shard's
//! records as read ([`RecordHash`]). Resuming reads every input again; a shard of the manifest
//! is skipped only when the same input gives the same records at the same positions, which
//! hash the same. Anything else (an input edited before or inside a finished shard, whatever its
//! size and modification time, or cut short, or other inputs) is refused with a message naming
//! the file and the change. Records added after the finished shards change nothing done: they
//! are labelled, with a note that the file changed (but a finished shard that ended its file
//! short of the shard size then holds fewer records than it would now: refused). A manifest
//! written before the hash was recorded cannot be checked, and is refused.

use super::{Format, Payload, Raw};
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

pub(super) const MANIFEST: &str = "manifest.jsonl";

/// One line of `manifest.jsonl`: a finished shard.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    pub shard: u64,
    /// The input file, as found from the command line.
    pub input: String,
    /// Records `[first_record, end_record)` of the input (0-based, counting only the records that
    /// yield a row: blank JSONL lines and skipped WARC records are not counted).
    pub first_record: u64,
    pub end_record: u64,
    /// Positions (1-based) of the first and last record in the input: the line of a JSONL file,
    /// the row of a Parquet file, the record of a WARC file (counting every WARC record).
    pub first_line: u64,
    pub last_line: u64,
    pub documents: u64,
    pub errors: u64,
    pub quotes: u64,
    pub documents_file: String,
    pub quotes_file: String,
    pub shard_size: u64,
    /// The output format of the shard (manifests written before Parquet output have none: JSONL).
    #[serde(default)]
    pub format: Format,
    /// The input's size in bytes when the shard was read.
    #[serde(default)]
    pub input_size: Option<u64>,
    /// The input's modification time then (RFC 3339, UTC).
    #[serde(default)]
    pub input_modified: Option<String>,
    /// SHA-256 (hex) of the shard's records as read (see [`RecordHash`]); null in manifests
    /// written before it was recorded, which are refused.
    #[serde(default)]
    pub records_sha256: Option<String>,
}

/// An input file's size and modification time, as recorded with each of its shards.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct InputStat {
    pub size: Option<u64>,
    pub modified: Option<String>,
}

impl InputStat {
    pub(super) fn of(path: &Path) -> InputStat {
        let meta = std::fs::metadata(path).ok();
        let modified = meta.as_ref().and_then(|m| m.modified().ok()).and_then(rfc3339);
        InputStat { size: meta.map(|m| m.len()), modified }
    }

    /// How `now` differs from `self`: "size A -> B bytes, modified T0 -> T1", or `None`.
    fn change(&self, now: &InputStat) -> Option<String> {
        let show = |v: &Option<String>| v.as_deref().unwrap_or("unknown").to_string();
        let size = |v: Option<u64>| v.map_or("unknown".to_string(), |n| n.to_string());
        let mut parts = Vec::new();
        if self.size != now.size {
            parts.push(format!("size {} -> {} bytes", size(self.size), size(now.size)));
        }
        if self.modified != now.modified {
            parts.push(format!("modified {} -> {}", show(&self.modified), show(&now.modified)));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

fn rfc3339(t: SystemTime) -> Option<String> {
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    let t = chrono::DateTime::from_timestamp(i64::try_from(d.as_secs()).ok()?, d.subsec_nanos())?;
    Some(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// SHA-256 of a shard's records: for each, its position and everything its row is made from (a
/// JSONL line's bytes, a Parquet row's document, a WARC response's header fields and block, or
/// an error's id and reason), each framed so that no two different sequences hash alike.
#[derive(Default)]
pub(super) struct RecordHash(Sha256);

impl RecordHash {
    pub(super) fn add(&mut self, raw: &Raw) {
        let h = &mut self.0;
        h.update(raw.pos.to_le_bytes());
        match &raw.item {
            Ok(Payload::Json(line)) => {
                h.update([0]);
                framed(h, line);
            }
            Ok(Payload::Doc(doc)) => {
                h.update([1]);
                json(h, doc);
            }
            Ok(Payload::Http(r)) => {
                h.update([2]);
                json(h, &(&r.id, &r.uri, &r.date, &r.content_type));
                framed(h, &r.block);
            }
            Err(e) => {
                h.update([3]);
                json(h, e);
            }
        }
    }

    pub(super) fn hex(self) -> String {
        format!("{:x}", self.0.finalize())
    }
}

fn framed(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// A JSON object, array or string: self-delimiting, so not framed.
fn json(h: &mut Sha256, v: &impl Serialize) {
    serde_json::to_writer(h, v).expect("a record serialises into a hash");
}

/// A finished shard as this run reads it again, to compare with its manifest entry.
pub(super) struct Reread<'a> {
    pub input: &'a str,
    /// What the input's positions count ("lines", "rows", ...).
    pub positions: &'static str,
    pub stat: &'a InputStat,
    pub first_record: u64,
    pub end_record: u64,
    pub first_line: u64,
    pub last_line: u64,
    pub records_sha256: &'a str,
}

impl ManifestEntry {
    /// Ok when `now` holds the records this shard was made from; else why resuming is refused.
    pub(super) fn check(&self, now: &Reread) -> anyhow::Result<()> {
        if self.input != now.input {
            bail!(
                "cannot resume: shard {} in the manifest was made from {} (records {}..{}), but these inputs \
                 put {} there, so they are not the inputs of the run that wrote it. Resume with the same \
                 inputs in the same order, or start a new OUTDIR.",
                self.shard,
                self.input,
                self.first_record,
                self.end_record,
                now.input
            );
        }
        let was = (self.first_record, self.end_record, self.first_line, self.last_line);
        let is = (now.first_record, now.end_record, now.first_line, now.last_line);
        if was != is || self.records_sha256.as_deref() != Some(now.records_sha256) {
            bail!(self.changed(now));
        }
        Ok(())
    }

    /// The refusal of a shard whose records changed.
    fn changed(&self, now: &Reread) -> String {
        let stat =
            self.stat().change(now.stat).unwrap_or_else(|| "same size and modification time, other content".into());
        let (was, is) = ((self.first_line, self.last_line), (now.first_line, now.last_line));
        let moved = if was == is { String::new() } else { format!(" (now {} {}-{})", now.positions, is.0, is.1) };
        format!(
            "cannot resume: input {} changed since the run that wrote the manifest ({stat}): its records at {} \
             {}-{}{moved}, which finished shard {} was made from, are not the same any more, so resuming would \
             lose or repeat records. Start a new OUTDIR for the input as it is now, or put the file back as it was.",
            self.input, now.positions, was.0, was.1, self.shard
        )
    }

    /// A note when the input changed since this shard was made though its records did not.
    pub(super) fn note(&self, now: &InputStat) -> Option<String> {
        let change = self.stat().change(now)?;
        Some(format!(
            "quotestance batch: note: {} changed since the last run ({change}); the records of its finished \
             shards are the same, so those shards are kept",
            self.input
        ))
    }

    fn stat(&self) -> InputStat {
        InputStat { size: self.input_size, modified: self.input_modified.clone() }
    }
}

/// The refusal of a manifest whose shards these inputs no longer make (`first` is the first).
pub(super) fn missing(first: &ManifestEntry, count: usize) -> String {
    format!(
        "cannot resume: the manifest lists {count} finished shard(s) that these inputs no longer make (the first \
         is shard {}, from {} records {}..{}): an input was removed or cut short since. Resume with the same \
         inputs, or start a new OUTDIR.",
        first.shard, first.input, first.first_record, first.end_record
    )
}

/// The finished shards of an earlier run; drops a torn last line.
pub(super) fn load(out: &Path, shard_size: u64, format: Format) -> anyhow::Result<BTreeMap<u64, ManifestEntry>> {
    let path = out.join(MANIFEST);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    // Everything after the last newline is a torn write: cut it off.
    let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < text.len() {
        let f = OpenOptions::new().write(true).open(&path)?;
        f.set_len(complete as u64)?;
        f.sync_all()?;
    }
    let mut done = BTreeMap::new();
    for (i, line) in text[..complete].split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let e: ManifestEntry = serde_json::from_slice(line)
            .with_context(|| format!("{}:{}: not a manifest entry", path.display(), i + 1))?;
        same_options(out, &e, shard_size, format)?;
        done.insert(e.shard, e);
    }
    let old = done.values().filter(|e| e.records_sha256.is_none()).count();
    if old > 0 {
        bail!(
            "cannot resume from {}: it was written by an earlier version of quotestance, which did not record \
             what the inputs held, so this run cannot check that its {old} finished shard(s) still match them \
             (an input edited since would lose or repeat records). Start a new OUTDIR; the shards in this one \
             stay valid for the inputs as they were then.",
            path.display()
        );
    }
    Ok(done)
}

fn same_options(out: &Path, e: &ManifestEntry, shard_size: u64, format: Format) -> anyhow::Result<()> {
    if e.shard_size != shard_size {
        bail!(
            "{} was made with --shard-size {}, not {shard_size}; resume with the same options or use a new OUTDIR",
            out.display(),
            e.shard_size
        );
    }
    if e.format != format {
        bail!(
            "{} was made with --format {}, not {}; resume with the same options or use a new OUTDIR",
            out.display(),
            e.format.ext(),
            format.ext()
        );
    }
    Ok(())
}

/// Appends a finished shard's entry, synced.
pub(super) fn append(manifest: &mut File, e: &ManifestEntry) -> anyhow::Result<()> {
    let mut line = serde_json::to_string(e)?;
    line.push('\n');
    manifest.write_all(line.as_bytes()).context("cannot write the manifest")?;
    manifest.sync_data().context("cannot sync the manifest")?;
    Ok(())
}
