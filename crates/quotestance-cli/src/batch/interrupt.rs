//! Ctrl-C in `batch`: the first asks the run to stop (see [`super`]: no new record is taken,
//! the unfinished shard is discarded, the run says how to resume and exits with 130); a second
//! exits at once, leaving `*.tmp` files that the next run removes.

use std::sync::atomic::{AtomicU32, Ordering};

static INTERRUPTS: AtomicU32 = AtomicU32::new(0);

/// The exit status of an interrupted run (128 + SIGINT, as a shell reports it).
pub(super) const EXIT: u8 = 130;

/// Catches Ctrl-C (SIGINT) for the rest of the process (once: later calls do nothing).
pub(super) fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(catch);
}

fn catch() {
    let handler = || {
        if INTERRUPTS.fetch_add(1, Ordering::SeqCst) == 0 {
            eprintln!("\nquotestance batch: Ctrl-C: stopping after the records being labelled (again: at once)");
        } else {
            eprintln!("\nquotestance batch: interrupted again: stopping at once; rerun the same command to resume");
            std::process::exit(EXIT.into());
        }
    };
    if let Err(e) = ctrlc::set_handler(handler) {
        eprintln!("quotestance batch: note: cannot catch Ctrl-C ({e}); it stops the run at once");
    }
}

/// Whether Ctrl-C was pressed.
pub(super) fn requested() -> bool {
    INTERRUPTS.load(Ordering::Relaxed) > 0
}

/// This process's command line, quoted for a POSIX shell: the command that resumes the run.
pub(super) fn command_line() -> String {
    let args: Vec<String> = std::env::args_os().map(|a| quote(&a.to_string_lossy())).collect();
    args.join(" ")
}

/// `s` as one shell word: as it is when it holds only safe characters, else in single quotes.
fn quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn words_are_quoted_for_a_shell() {
        assert_eq!(quote("out/dir-1"), "out/dir-1");
        assert_eq!(quote("my dir"), "'my dir'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
