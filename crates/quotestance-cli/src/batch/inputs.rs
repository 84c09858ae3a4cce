//! The input files of a run, found from the command line's INPUT arguments.
//!
//! Each argument in turn: a file is read whatever its name (see [`Kind`]); a folder is walked
//! recursively, in sorted path order, for the names [`kind_of`] picks. Paths are compared by
//! their canonical form (symbolic links resolved), so that
//!
//! * a folder is walked at most once: a symbolic link to a folder walked already (a loop such
//!   as `ln -s . self`, or a folder also named on the command line) is skipped, with a note;
//! * a file is listed at most once: a link to a file listed already is skipped, with a note;
//! * OUTDIR and everything under it are never inputs: a folder walk passes over it, and an
//!   argument inside it is refused;
//! * a named pipe, socket or device is refused, saying what it is: a run reads its inputs again
//!   to resume, which a stream does not allow.

use crate::progress::Counts;
use anyhow::{bail, Context};
use std::collections::HashSet;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

/// The kinds of input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Jsonl,
    Parquet,
    Warc {
        gzip: bool,
    },
    /// A `.txt` file: one document, as `label` reads it.
    Text,
    /// An `.html` or `.htm` page: one document, its article text, as `label` reads it.
    Html,
}

impl Kind {
    /// What a record's position counts, for messages.
    pub(super) fn positions(self) -> &'static str {
        match self {
            Kind::Jsonl => "lines",
            Kind::Parquet => "rows",
            Kind::Warc { .. } => "WARC records",
            Kind::Text | Kind::Html => "files",
        }
    }
}

/// The kind of a file, by its name; `None` for a file a folder walk does not pick.
pub(super) fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if name.ends_with(".parquet") {
        Some(Kind::Parquet)
    } else if name.ends_with(".warc") {
        Some(Kind::Warc { gzip: false })
    } else if name.ends_with(".warc.gz") {
        Some(Kind::Warc { gzip: true })
    } else if crate::label::is_jsonl(path) {
        Some(Kind::Jsonl)
    } else if name.ends_with(".txt") {
        Some(Kind::Text)
    } else if name.ends_with(".html") || name.ends_with(".htm") {
        Some(Kind::Html)
    } else {
        None
    }
}

/// The input files and their kinds, in order (see the module doc); `out_dir` must exist.
pub(super) fn input_files(inputs: &[PathBuf], out_dir: &Path) -> anyhow::Result<Vec<(PathBuf, Kind)>> {
    let out = canonical(out_dir)?;
    let mut walk = Walk { out, dirs: HashSet::new(), files: HashSet::new(), found: Vec::new() };
    for input in inputs {
        walk.argument(input)?;
    }
    Ok(walk.found)
}

/// The records of the input files, counted as the reader will read them, for progress: the
/// lines of a JSONL file that are records, the rows of a Parquet file (from its metadata), one
/// per text or HTML file. `None` when a WARC file is among them (which of its records are
/// responses shows only as they are read), or when the run ends first.
pub(super) fn count(files: &[(PathBuf, Kind)], max_record: usize, counts: &Counts) -> Option<u64> {
    if files.iter().any(|(_, kind)| matches!(kind, Kind::Warc { .. })) {
        return None;
    }
    let mut n = 0;
    for (path, kind) in files {
        n += match kind {
            Kind::Jsonl => crate::label::jsonl_records(path, max_record, counts)?,
            Kind::Parquet => super::parquet_io::records(path),
            _ => 1,
        };
    }
    Some(n)
}

struct Walk {
    /// OUTDIR, canonical.
    out: PathBuf,
    /// Canonical paths of the folders walked and the files listed so far.
    dirs: HashSet<PathBuf>,
    files: HashSet<PathBuf>,
    found: Vec<(PathBuf, Kind)>,
}

impl Walk {
    fn argument(&mut self, input: &Path) -> anyhow::Result<()> {
        let meta = std::fs::metadata(input).map_err(|e| unreadable(input, e))?;
        let canon = canonical(input)?;
        if canon.starts_with(&self.out) {
            bail!(
                "input {} is inside the output folder {}: OUTDIR and everything under it are never inputs; \
                 write the output to another folder",
                input.display(),
                self.out.display()
            );
        }
        if meta.is_dir() {
            self.dir(input, canon)
        } else if meta.is_file() {
            let Some(kind) = kind_of(input) else {
                bail!(
                    "cannot tell what {} holds from its name: batch reads .jsonl (.jsonl.gz, .jsonl.zst), \
                     .parquet, .warc (.warc.gz), .txt and .html (.htm) files; rename it",
                    input.display()
                )
            };
            self.file(input, canon, kind);
            Ok(())
        } else {
            bail!(not_regular(input, &meta))
        }
    }

    /// Walks a folder (unless walked already), its entries in sorted order.
    fn dir(&mut self, dir: &Path, canon: PathBuf) -> anyhow::Result<()> {
        if self.dirs.contains(&canon) {
            eprintln!("quotestance batch: skipping {}: it is {}, already read", dir.display(), canon.display());
            return Ok(());
        }
        self.dirs.insert(canon);
        let read = || -> std::io::Result<Vec<PathBuf>> { std::fs::read_dir(dir)?.map(|e| Ok(e?.path())).collect() };
        let mut entries = read().with_context(|| format!("cannot read {}", dir.display()))?;
        entries.sort();
        for p in entries {
            self.entry(&p)?;
        }
        Ok(())
    }

    /// One entry of a folder: a folder to walk, an input file, or neither.
    fn entry(&mut self, p: &Path) -> anyhow::Result<()> {
        let kind = kind_of(p);
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(_) if kind.is_none() => return Ok(()), // not an input name, so not an input
            Err(e) => bail!(unreadable(p, e)),
        };
        if !meta.is_dir() && kind.is_none() {
            return Ok(());
        }
        let canon = canonical(p)?;
        if canon.starts_with(&self.out) {
            return Ok(());
        }
        match kind {
            _ if meta.is_dir() => self.dir(p, canon)?,
            Some(kind) if meta.is_file() => self.file(p, canon, kind),
            _ => bail!(not_regular(p, &meta)),
        }
        Ok(())
    }

    /// Lists a file, unless listed already.
    fn file(&mut self, path: &Path, canon: PathBuf, kind: Kind) {
        if self.files.contains(&canon) {
            eprintln!("quotestance batch: skipping {}: it is {}, already read", path.display(), canon.display());
            return;
        }
        self.files.insert(canon);
        self.found.push((path.to_path_buf(), kind));
    }
}

fn canonical(path: &Path) -> anyhow::Result<PathBuf> {
    path.canonicalize().with_context(|| format!("cannot resolve {}", path.display()))
}

/// Why an input's metadata cannot be read.
fn unreadable(path: &Path, e: std::io::Error) -> anyhow::Error {
    let dangling = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match e.kind() {
        std::io::ErrorKind::NotFound if dangling => {
            anyhow::anyhow!("input {} is a symbolic link to a file that does not exist", path.display())
        }
        std::io::ErrorKind::NotFound => anyhow::anyhow!("input {} does not exist", path.display()),
        _ => anyhow::Error::new(e).context(format!("cannot read input {}", path.display())),
    }
}

/// The refusal of an input that is neither a regular file nor a folder, saying what it is.
fn not_regular(path: &Path, meta: &Metadata) -> String {
    format!(
        "input {} is {}, not a regular file or folder; batch reads its inputs again to resume, which a \
         stream does not allow: save it to a file first",
        path.display(),
        what(meta)
    )
}

#[cfg(unix)]
fn what(meta: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn what(_: &Metadata) -> &'static str {
    "a special file"
}
