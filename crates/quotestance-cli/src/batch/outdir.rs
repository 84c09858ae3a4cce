//! OUTDIR: created when missing, locked for the whole run, and left as it was found when a run
//! fails before it records a shard.

use super::manifest::MANIFEST;
use anyhow::{bail, Context};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file that keeps a second run out of OUTDIR.
const LOCK: &str = ".lock";

/// A locked OUTDIR, and what this run created in it.
pub(super) struct OutDir {
    path: PathBuf,
    /// The lock, held until the run ends (the OS releases it however the process ends).
    lock: File,
    /// Folders this run created (OUTDIR and missing parents), deepest first.
    created_dirs: Vec<PathBuf>,
    created_lock: bool,
    had_manifest: bool,
}

impl OutDir {
    /// Creates OUTDIR when missing and takes its lock; fails at once when another run holds it.
    pub(super) fn open(path: &Path) -> anyhow::Result<OutDir> {
        let created_dirs: Vec<PathBuf> =
            path.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.exists()).map(Path::to_path_buf).collect();
        std::fs::create_dir_all(path).with_context(|| format!("cannot create {}", path.display()))?;
        let (lock, created_lock) = match lock(path) {
            Ok(l) => l,
            Err(e) => {
                remove_dirs(&created_dirs);
                return Err(e);
            }
        };
        let had_manifest = path.join(MANIFEST).exists();
        Ok(OutDir { path: path.to_path_buf(), lock, created_dirs, created_lock, had_manifest })
    }

    /// After a failed run: when it recorded no shard in a manifest of its own, removes what it
    /// created (temporary shard files, the empty manifest, the lock file, the folders), so that a
    /// failed start (a missing input, say) leaves nothing behind.
    pub(super) fn undo(self) {
        let manifest = self.path.join(MANIFEST);
        let recorded = std::fs::metadata(&manifest).is_ok_and(|m| m.len() > 0);
        if self.had_manifest || recorded {
            return;
        }
        let _ = remove_temp_files(&self.path);
        let _ = std::fs::remove_file(&manifest);
        if self.created_lock {
            // Unlinked while still held, so that a run that opened it meanwhile is refused;
            // where an open file cannot be removed (Windows), after it is closed.
            let lock = self.path.join(LOCK);
            if std::fs::remove_file(&lock).is_err() {
                drop(self.lock);
                let _ = std::fs::remove_file(&lock);
            }
        }
        remove_dirs(&self.created_dirs);
    }
}

/// Removes the (empty) folders, deepest first; one not empty stays.
fn remove_dirs(dirs: &[PathBuf]) {
    for d in dirs {
        if std::fs::remove_dir(d).is_err() {
            return;
        }
    }
}

/// Takes the OS lock on `OUTDIR/.lock` (released when the file is dropped or the process ends,
/// also by a kill) and writes this run's pid into it; says whether it created the file.
fn lock(out: &Path) -> anyhow::Result<(File, bool)> {
    let path = out.join(LOCK);
    let open = |create_new| OpenOptions::new().read(true).write(true).create_new(create_new).open(&path);
    let opened = match open(true) {
        Ok(f) => Ok((f, true)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => open(false).map(|f| (f, false)),
        Err(e) => Err(e),
    };
    let (mut f, created) = opened.with_context(|| format!("cannot open the lock file {}", path.display()))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = f.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => String::new(),
                h => format!(" ({h})"),
            };
            bail!(
                "{} is locked by another `quotestance batch` run{holder}: two runs cannot share an OUTDIR; \
                 wait for that run to end or use another OUTDIR (lock file {})",
                out.display(),
                path.display()
            );
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    f.set_len(0).and_then(|_| f.rewind()).context("cannot write the lock file")?;
    writeln!(f, "pid {}", std::process::id()).context("cannot write the lock file")?;
    Ok((f, created))
}

/// Removes the `*.tmp` files a run left (only a run holding the lock writes them).
pub(super) fn remove_temp_files(out: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(out)? {
        let p = entry?.path();
        if p.extension().is_some_and(|x| x == "tmp") {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    Ok(())
}
