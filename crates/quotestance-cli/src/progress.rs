//! Progress of `batch` and `label` on stderr, counted in records finished (labelled, or an error
//! row), never in bytes read: reading runs ahead of the labelling.
//!
//! The workers bump [`Counts::done`] as they finish each record; a thread of its own counts the
//! inputs' records meanwhile, where that is cheap ([`Total`]); a ticker thread shows the counts
//! every 0.2 s: a bar with the share done and the time left on a terminal (a count and a rate
//! while the total is unknown), or, for a log, a line every so often ([`Display::Lines`]).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the display is redrawn.
const TICK: Duration = Duration::from_millis(200);

/// The number of records in a run's inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Total {
    /// Being counted.
    #[default]
    Counting,
    Known(u64),
    /// Cannot be known without labelling (a WARC file: which records are responses), or the
    /// count gave up.
    Unknown,
}

/// The counts of a run, shared by the threads that make them and the ticker that shows them.
#[derive(Default)]
pub struct Counts {
    /// Records this run finished.
    pub done: AtomicU64,
    /// Records an earlier run finished (a resumed `batch`: the shards of the manifest).
    pub earlier: AtomicU64,
    total: Mutex<Total>,
    /// Set when the run ends: a count still going gives up.
    stopped: AtomicBool,
}

impl Counts {
    pub fn total(&self) -> Total {
        *self.total.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the run has ended (a count checks it as it goes, and gives up).
    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    pub fn snapshot(&self, elapsed: Duration) -> Snapshot {
        let done = self.done.load(Ordering::Relaxed);
        Snapshot { done, earlier: self.earlier.load(Ordering::Relaxed), total: self.total(), elapsed }
    }
}

/// The counts at one moment, and what they say.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snapshot {
    pub done: u64,
    pub earlier: u64,
    pub total: Total,
    /// Since the run started.
    pub elapsed: Duration,
}

impl Snapshot {
    /// Records finished, by this run and earlier ones.
    pub fn position(&self) -> u64 {
        self.done + self.earlier
    }

    /// The total when known (never below the position, should an input grow meanwhile).
    pub fn known_total(&self) -> Option<u64> {
        match self.total {
            Total::Known(n) => Some(n.max(self.position())),
            _ => None,
        }
    }

    /// Records this run finishes per second (those of earlier runs took no time in this one).
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }

    /// The time left at this run's rate; `None` before the total, or a first record, is known.
    pub fn eta(&self) -> Option<Duration> {
        let left = self.known_total()? - self.position();
        match (left, self.done) {
            (0, _) => Some(Duration::ZERO),
            (_, 0) => None,
            _ => Some(Duration::from_secs_f64(left as f64 / self.rate())),
        }
    }

    /// "1200 of 3000 records (40%; 400 done earlier), 35 records/s, ETA 51s", or, with no
    /// total, "1200 records, 35 records/s".
    pub fn line(&self) -> String {
        let pos = self.position();
        let earlier = |sep: &str| match self.earlier {
            0 => String::new(),
            n => format!("{sep}{n} done earlier"),
        };
        let rate = per_sec(self.rate());
        match (self.known_total(), self.total) {
            (Some(total), _) => {
                let pct = (pos * 100).checked_div(total).unwrap_or(100);
                let eta = self.eta().map_or_else(|| "--".to_string(), hms);
                format!("{pos} of {total} records ({pct}%{}), {rate}, ETA {eta}", earlier("; "))
            }
            (None, Total::Counting) => format!("{pos} records (counting the inputs{}), {rate}", earlier("; ")),
            (None, _) if self.earlier > 0 => format!("{pos} records ({}), {rate}", earlier("")),
            (None, _) => format!("{pos} records, {rate}"),
        }
    }

    /// The bar's shorter text (the bar shows the share done): "1200/3000 records, 35
    /// records/s, ETA 51s", or "1200 records, 35 records/s".
    pub fn bar_message(&self) -> String {
        let (pos, rate) = (self.position(), per_sec(self.rate()));
        match self.known_total() {
            Some(total) => {
                let eta = self.eta().map_or_else(|| "--".to_string(), hms);
                format!("{pos}/{total} records, {rate}, ETA {eta}")
            }
            None => format!("{pos} records, {rate}"),
        }
    }
}

fn per_sec(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.1} records/s")
    } else {
        format!("{r:.0} records/s")
    }
}

/// "1h02m", "3m05s", "42s".
fn hms(d: Duration) -> String {
    let s = d.as_secs_f64().ceil() as u64;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// Where the progress goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Display {
    /// A bar on stderr (a spinner while the total is unknown); with `hide_single`, only once
    /// there is more than one record.
    Bar {
        hide_single: bool,
    },
    /// A line on stderr every `every`, for a log, and a last one at the end when the run took
    /// that long.
    Lines {
        every: Duration,
    },
    Off,
}

/// The progress of a run: its [`Counts`], the thread counting the inputs and the ticker. Dropping
/// it stops both (clearing the bar, or printing the last line).
pub struct Progress {
    counts: Arc<Counts>,
    start: Instant,
    bar: Option<ProgressBar>,
    counting: Option<JoinHandle<()>>,
    ticker: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    /// Starts showing progress; `count` counts the inputs' records on a thread of its own
    /// (`None`: they cannot be known; it should give up once [`Counts::stopped`]).
    pub fn start(
        display: Display,
        prefix: &'static str,
        count: impl FnOnce(&Counts) -> Option<u64> + Send + 'static,
    ) -> Progress {
        let (counts, start) = (Arc::new(Counts::default()), Instant::now());
        let Some(view) = View::new(display, prefix) else {
            return Progress { counts, start, bar: None, counting: None, ticker: None };
        };
        let bar = match &view {
            View::Bar { bar, .. } => Some(bar.clone()),
            View::Lines { .. } => None,
        };
        let c = counts.clone();
        let counting = std::thread::spawn(move || {
            let total = count(&c).map_or(Total::Unknown, Total::Known);
            *c.total.lock().unwrap_or_else(|e| e.into_inner()) = total;
        });
        let (tx, rx) = mpsc::channel();
        let c = counts.clone();
        let ticker = std::thread::spawn(move || tick(&c, start, view, &rx));
        Progress { counts, start, bar, counting: Some(counting), ticker: Some((tx, ticker)) }
    }

    pub fn counts(&self) -> &Arc<Counts> {
        &self.counts
    }

    /// Runs `f` with the bar cleared, for output to the same terminal.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Stops showing (and counting, unless the run is `complete`: then the count, nearly done
    /// since the records are all read, is waited for, so that the last line has it); returns the
    /// last counts.
    pub fn finish(mut self, complete: bool) -> Snapshot {
        if complete {
            if let Some(counting) = self.counting.take() {
                let _ = counting.join();
            }
        }
        self.stop();
        self.counts.snapshot(self.start.elapsed())
    }

    fn stop(&mut self) {
        self.counts.stopped.store(true, Ordering::Relaxed);
        if let Some((tx, ticker)) = self.ticker.take() {
            drop(tx);
            let _ = ticker.join();
        }
        if let Some(counting) = self.counting.take() {
            let _ = counting.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the ticker draws on.
enum View {
    Bar { bar: ProgressBar, hide_single: bool, shown: bool },
    Lines { prefix: &'static str, every: Duration, last: Instant },
}

/// The ticker thread: shows the counts every [`TICK`] until `stop` closes.
fn tick(counts: &Counts, start: Instant, mut view: View, stop: &mpsc::Receiver<()>) {
    loop {
        let end = !matches!(stop.recv_timeout(TICK), Err(RecvTimeoutError::Timeout));
        view.show(&counts.snapshot(start.elapsed()), end);
        if end {
            return;
        }
    }
}

impl View {
    fn new(display: Display, prefix: &'static str) -> Option<View> {
        match display {
            Display::Bar { hide_single } => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_style(style(SPINNER));
                Some(View::Bar { bar, hide_single, shown: false })
            }
            Display::Lines { every } => Some(View::Lines { prefix, every, last: Instant::now() }),
            Display::Off => None,
        }
    }

    fn show(&mut self, s: &Snapshot, end: bool) {
        match self {
            View::Bar { bar, .. } if end => bar.finish_and_clear(),
            View::Bar { bar, hide_single, shown } => {
                draw(bar, s);
                if !*shown && (!*hide_single || s.known_total().unwrap_or(0).max(s.position()) > 1) {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    *shown = true;
                }
            }
            View::Lines { prefix, every, last } => {
                let due = if end { s.elapsed >= *every } else { last.elapsed() >= *every };
                if due {
                    *last = Instant::now();
                    eprintln!("{prefix}: {}", s.line());
                }
            }
        }
    }
}

/// Draws the counts on the bar: its fill once the total is known, until then a spinner.
fn draw(bar: &ProgressBar, s: &Snapshot) {
    if let Some(total) = s.known_total() {
        if bar.length().is_none() {
            bar.set_style(style("{elapsed_precise} [{wide_bar}] {msg}"));
        }
        bar.set_length(total);
    }
    bar.set_position(s.position());
    bar.set_message(s.bar_message());
    bar.tick();
}

/// The bar's look while the total is unknown.
const SPINNER: &str = "{elapsed_precise} {spinner} {msg}";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("a valid template").progress_chars("=> ")
}
