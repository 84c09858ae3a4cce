//! `quotestance label --format table`: a labelled document for people to read. One row per
//! quote (speaker, stance with its score, target, the start of the quote), then the article's
//! resignation calls and people. Coloured by stance when asked (a terminal without `NO_COLOR`).

use quotestance::{Annotated, Stance};
use std::fmt::Write;

const STANCE: usize = 20;
/// The row's number, stance and the gaps between the five columns.
const FIXED: usize = 3 + STANCE + 4 * 2;

/// Column widths for a terminal `width` characters wide: the quote's excerpt gets what the
/// speaker (24, or 16 when narrow) and target (20, or 14) leave, between 16 and 60.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Widths {
    speaker: usize,
    target: usize,
    excerpt: usize,
}

impl Widths {
    fn for_terminal(width: usize) -> Widths {
        let room = width.saturating_sub(FIXED + 1);
        let (speaker, target) = if room >= 24 + 20 + 30 { (24, 20) } else { (16, 14) };
        Widths { speaker, target, excerpt: room.saturating_sub(speaker + target).clamp(16, 60) }
    }
}

/// The width of the terminal on stdout; 120 when it is not one.
fn terminal_width() -> usize {
    console::Term::stdout().size_checked().map_or(120, |(_, w)| usize::from(w))
}

/// The table of one document, sized to the terminal.
pub fn document(a: &Annotated, colour: bool) -> String {
    document_width(a, colour, terminal_width())
}

/// The table of one document for a terminal `width` characters wide.
pub fn document_width(a: &Annotated, colour: bool, width: usize) -> String {
    let Widths { speaker: sw, target: tw, excerpt: ew } = Widths::for_terminal(width);
    let mut out = String::new();
    let title = a.title.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
    let n = a.quotes.len();
    let _ = writeln!(out, "== {}{title}: {n} quote{}", a.id, if n == 1 { "" } else { "s" });
    if n > 0 {
        let _ = writeln!(
            out,
            "{:>3}  {}  {}  {}  quote",
            "#",
            pad("speaker", sw),
            pad("stance", STANCE),
            pad("target", tw)
        );
    }
    for (i, q) in a.quotes.iter().enumerate() {
        let speaker = q.speaker.as_ref().map_or("-", |s| s.name.as_str());
        let target = q.target.as_ref().map_or("-", |t| t.name.as_str());
        let stance = pad(&format!("{} {:.2}", q.stance.as_str(), q.stance_score), STANCE);
        let stance = if colour { paint(q.stance, &stance) } else { stance };
        let excerpt = cut(&q.text.split_whitespace().collect::<Vec<_>>().join(" "), ew);
        let _ = writeln!(out, "{:>3}  {}  {stance}  {}  {excerpt}", i + 1, pad(speaker, sw), pad(target, tw));
    }
    if !a.resignation_calls.is_empty() {
        let _ = writeln!(out, "resignation calls:");
        for c in &a.resignation_calls {
            let _ = writeln!(
                out,
                "  {}",
                cut(&format!("{} -> {} ({:.2})", c.caller, c.target, c.score), width.saturating_sub(3).max(20))
            );
        }
    }
    if !a.people.is_empty() {
        let _ = writeln!(out, "people:");
        for p in &a.people {
            let about: Vec<&str> = p.party.iter().chain(p.roles.first()).map(String::as_str).collect();
            let line = if about.is_empty() { p.name.clone() } else { format!("{} ({})", p.name, about.join(", ")) };
            let _ = writeln!(out, "  {}", cut(&line, width.saturating_sub(3).max(20)));
        }
    }
    out
}

/// The line for a record that could not be labelled.
pub fn error(id: &str, error: &str) -> String {
    format!("== {id}: error: {error}\n")
}

/// `s` cut to `width` characters, with an ellipsis when cut.
fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('\u{2026}');
        t
    }
}

/// `s` cut or padded to `width` characters.
fn pad(s: &str, width: usize) -> String {
    let t = cut(s, width);
    let fill = width.saturating_sub(t.chars().count());
    t + &" ".repeat(fill)
}

/// ANSI colour by stance: calls red, defences green, rebuttals yellow.
fn paint(stance: Stance, s: &str) -> String {
    let code = match stance {
        Stance::CallToResign => "31",
        Stance::Defence => "32",
        Stance::Rebuttal => "33",
        Stance::Other => return s.to_string(),
    };
    format!("\u{1b}[{code}m{s}\u{1b}[0m")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quotestance::{Document, Pipeline};

    #[test]
    fn a_row_per_quote_then_calls_and_people() {
        let text = "Labour called for Cllr Jo Bell to resign.\n\n\u{201c}She must go now, before any more \
                    damage is done to the children of this town,\u{201d} said Cllr Sam Reed.";
        let a = Pipeline::rules().annotate(&Document::new("t1", text)).unwrap();
        let t = document_width(&a, false, 120);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], format!("== t1: {} quotes", a.quotes.len()));
        assert!(lines[1].starts_with("  #  speaker"), "{t}");
        assert_eq!(lines.iter().filter(|l| l.contains("call_to_resign")).count(), 2, "{t}");
        assert!(t.contains("Sam Reed") && t.contains("\u{2026}"), "long quotes are cut: {t}");
        assert!(t.contains("resignation calls:\n  ") && t.contains("-> Jo Bell"), "{t}");
        assert!(t.contains("\npeople:\n  "), "{t}");
        assert!(!t.contains('\u{1b}'), "no colour unless asked");
        assert!(document_width(&a, true, 120).contains("\u{1b}[31m"), "calls in red when coloured");
        for width in [80, 100, 120] {
            let widest = document_width(&a, false, width).lines().map(|l| l.chars().count()).max().unwrap();
            assert!(widest < width, "fits {width} columns: {widest}");
        }
    }

    #[test]
    fn cells_are_cut_and_padded_by_characters() {
        assert_eq!(pad("Zoë", 5), "Zoë  ");
        assert_eq!(cut("abcdef", 4), "abc\u{2026}");
        assert_eq!(error("x", "bad"), "== x: error: bad\n");
    }
}
