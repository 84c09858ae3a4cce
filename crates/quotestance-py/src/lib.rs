//! `quotestance._quotestance`: the Python extension module of quotestance.
//!
//! All the pyo3 glue lives in this one file and stays thin: the Python
//! package (`python/quotestance`) builds records, typed result objects,
//! pandas/Arrow tables and HTML on top of four things exported here: the
//! `Pipeline` class, the exception types, `schema_version`, and a panic hook
//! for the tests.
//!
//! # How results cross into Python, and why
//!
//! Each labelled document leaves Rust as one JSON document (serde_json over the
//! `Annotated` schema, as UTF-8 `bytes`) and the Python `Doc` object decodes it
//! with `json.loads` the first time an attribute is read. We chose this over
//! the alternatives for speed:
//!
//! * serialisation runs in the worker threads, with the GIL released, in
//!   parallel, exactly the work the CLI does when it writes JSONL; building
//!   Python objects (hand-written pyclasses, or `pythonize`, whose latest
//!   release, 0.29, does not support pyo3 0.30 anyway) needs the GIL and so
//!   runs serially on one core after the batch;
//! * `json.loads` is C code and runs only when a document is looked at, so
//!   streaming a corpus into a file or a DataFrame of a few columns pays for
//!   nothing else;
//! * the schema has one definition (`quotestance::model`): a field added there
//!   reaches Python without touching this crate.
//!
//! `bytes` rather than `str`: making a `str` decodes the UTF-8 and stores it
//! at the width of its widest character, so one emoji in a quote made the JSON
//! of an 8 MB article a 345 MB `str` (4 bytes a character), kept for the
//! `Doc`'s lifetime; `bytes` are a copy of the UTF-8, whatever the text.
//!
//! # Ctrl-C
//!
//! The labelling runs on a worker thread while the calling thread, with the
//! GIL released, runs Python's signal handlers every 50 ms
//! ([`run_interruptible`]); Ctrl-C sets the pipeline's cancel flag, which it
//! checks between stages, and the call raises `KeyboardInterrupt` once the
//! worker has stopped. A small rule-layer batch (up to
//! [`UNWATCHED_MAX_BYTES`]) runs on the calling thread instead: it ends sooner
//! than the watch would pay for itself.
//!
//! # Errors and panics
//!
//! Every call into the core crate runs under [`guard`], which turns a panic
//! into a `QuotestanceError` (no Rust panic ever unwinds into Python), and
//! every [`quotestance::Error`] maps to one Python exception type.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use quotestance::{Config, Document, Error, SCHEMA_VERSION};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The extension's own allocations (the pipeline's) go through mimalloc, as in the CLI: glibc's
/// allocator unmapped each encoder batch's buffers and faulted them in again.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

create_exception!(quotestance, QuotestanceError, PyException, "Base class of every error raised by quotestance.");
create_exception!(
    quotestance,
    InputError,
    QuotestanceError,
    "A document cannot be labelled: not text, not UTF-8, over the size limit, ..."
);
create_exception!(
    quotestance,
    ConfigError,
    QuotestanceError,
    "The configuration is invalid: an unknown key, a value out of range, ..."
);
create_exception!(
    quotestance,
    ModelNotFoundError,
    QuotestanceError,
    "A model file is missing; the message names the path and the command that installs it."
);

/// The command that installs the models, for Python users.
const PYTHON_SETUP_COMMAND: &str = "python -m quotestance download";

/// Maps the core error type onto the Python exception hierarchy.
fn to_pyerr(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Input(_) | Error::Deadline { .. } => InputError::new_err(msg),
        Error::Cancelled => pyo3::exceptions::PyKeyboardInterrupt::new_err(msg),
        Error::Config(_) => ConfigError::new_err(msg),
        // the fix that fits a Python user, who has the package and not the repository's script
        Error::ModelNotFound { path, reason, .. } => ModelNotFoundError::new_err(
            Error::ModelNotFound { path, reason, fix: PYTHON_SETUP_COMMAND.into() }.to_string(),
        ),
        Error::Model(_) | Error::Io { .. } | Error::Json(_) | Error::Internal(_) => QuotestanceError::new_err(msg),
    }
}

/// The message a panic carried, for the error that replaces it.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// Runs `f`, turning a panic into [`Error::Internal`] naming `what`.
fn guard<T>(what: &str, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(Error::Internal(format!(
            "panic while {what}: {} (this is a bug in quotestance; please report it)",
            panic_message(payload.as_ref())
        ))),
    }
}

/// One document's result: its `Annotated` JSON (UTF-8) or why it has none.
type Labelled = Result<Vec<u8>, Error>;

/// Labels one document and serialises the result, all under [`guard`]; stops
/// with [`Error::Cancelled`] once `cancel` is set.
fn label_json(nlp: &quotestance::Pipeline, doc: &Document, cancel: &AtomicBool) -> Labelled {
    guard(&format!("labelling document {:?}", doc.id), || {
        let out = nlp.annotate_cancellable(doc, Some(cancel))?;
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled); // serialising a long document takes a while too
        }
        Ok(serde_json::to_vec(&out)?)
    })
}

/// The number of worker threads for `requested` (0: the config, then all cores).
fn worker_count(requested: usize, config: &Config, jobs: usize) -> usize {
    let n = if requested > 0 {
        requested
    } else if config.threads > 0 {
        config.threads
    } else {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    };
    n.clamp(1, jobs.max(1))
}

/// Labels `docs` on `threads` scoped threads; one result per input, in order.
/// Threads take the next unlabelled document from a shared counter, so one
/// long article does not hold back a whole chunk. Once `cancel` is set no
/// document is started, and those under way stop at their next check.
fn label_all(nlp: &quotestance::Pipeline, docs: &[Document], threads: usize, cancel: &AtomicBool) -> Vec<Labelled> {
    let label = |d: &Document| {
        if cancel.load(Ordering::Relaxed) {
            Err(Error::Cancelled)
        } else {
            label_json(nlp, d, cancel)
        }
    };
    if threads <= 1 {
        return docs.iter().map(label).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Labelled>>> = docs.iter().map(|_| Mutex::new(None)).collect();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(doc) = docs.get(i) else { break };
        let r = label(doc);
        // A poisoned slot cannot happen (label_json catches panics); take the
        // value either way.
        *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
    };
    std::thread::scope(|s| {
        // this thread is one of the `threads`
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
    slots
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            m.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_else(|| Err(Error::Internal(format!("document {i} was never labelled"))))
        })
        .collect()
}

/// How long the calling thread sleeps between two runs of Python's signal
/// handlers while a worker labels: the part of Ctrl-C's latency that is ours
/// (the rest is the time the pipeline takes to reach its next check).
const SIGNAL_SLICE: Duration = Duration::from_millis(50);

/// Batches of rule-layer work up to this many bytes of text run on the calling
/// thread (GIL released) without the watch of [`run_interruptible`]: the
/// worker thread and the wake-ups cost tens of microseconds a call, more than
/// labelling a short text, and at the slowest rate measured on adversarial
/// shapes (dense straight quote marks, ~70 ms per 16 KiB on a loaded 2-core
/// machine) Ctrl-C still lands within a fraction of a second, when the call
/// returns. The models run slower per byte: with them every batch is watched.
const UNWATCHED_MAX_BYTES: usize = 16 * 1024;

/// Runs `work` on a worker thread while the calling thread, with the GIL
/// released, wakes every [`SIGNAL_SLICE`] to run Python's signal handlers
/// (`py.check_signals()`: only the main thread runs them; elsewhere it does
/// nothing). When a handler raises (Ctrl-C: `KeyboardInterrupt`), `cancel`
/// is set, the worker is waited for (it stops at the pipeline's next check),
/// and that exception is returned: no thread outlives the call.
///
/// `work` gets `cancel` and must stop soon after it is set. With `watch`
/// false it runs on the calling thread, GIL released, unwatched.
fn run_interruptible<T: Send>(
    py: Python<'_>,
    what: &str,
    watch: bool,
    work: impl FnOnce(&AtomicBool) -> T + Send,
) -> PyResult<T> {
    let cancel = AtomicBool::new(false);
    if !watch {
        return Ok(py.detach(|| work(&cancel)));
    }
    let done = AtomicBool::new(false);
    let caller = std::thread::current();
    let joined = std::thread::scope(|s| {
        let worker = s.spawn(|| {
            // Says "done" and wakes the caller however the work ends (a panic
            // included). `done`, not `is_finished()`: the thread finishes a
            // little after its closure, and the caller would sleep a whole
            // slice for that.
            struct Wake<'a>(std::thread::Thread, &'a AtomicBool);
            impl Drop for Wake<'_> {
                fn drop(&mut self) {
                    self.1.store(true, Ordering::Release);
                    self.0.unpark();
                }
            }
            let _wake = Wake(caller, &done);
            work(&cancel)
        });
        let mut interrupted = None;
        while !done.load(Ordering::Acquire) {
            // an unpark before the park makes it return at once
            py.detach(|| std::thread::park_timeout(SIGNAL_SLICE));
            if done.load(Ordering::Acquire) {
                break;
            }
            if let Err(e) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                interrupted = Some(e);
                break;
            }
        }
        // After an interrupt the worker stops at its next check; wait for it
        // with the GIL released.
        let joined = py.detach(|| worker.join());
        (joined, interrupted)
    });
    match joined {
        (_, Some(e)) => Err(e),
        (Ok(v), None) => Ok(v),
        (Err(payload), None) => Err(to_pyerr(Error::Internal(format!(
            "panic while {what}: {} (this is a bug in quotestance; please report it)",
            panic_message(payload.as_ref())
        )))),
    }
}

/// Extracts one field of a record as an owned `String`; a str that cannot be
/// encoded as UTF-8 (lone surrogates) is an `InputError` naming the document
/// (by the repr of its `id`, as the Python messages write it) and the field.
fn str_field(value: &Bound<'_, PyAny>, id: &Bound<'_, PyAny>, field: &str) -> PyResult<String> {
    value.extract().map_err(|e: PyErr| {
        let id = id.repr().map(|r| r.to_string()).unwrap_or_else(|_| "?".to_string());
        InputError::new_err(format!("document {id}: '{field}' is not valid text: {e}"))
    })
}

/// One record of a batch, as the Python package hands it over:
/// `(id, text, title, url, date, source)`, every field a str (the metadata
/// may be None), already checked by `quotestance._language._fields`; what is
/// left to check here is that each str can be encoded as UTF-8.
fn record_to_doc(item: &Bound<'_, PyAny>) -> PyResult<Document> {
    let shape = || InputError::new_err("record is not a tuple (id, text, title, url, date, source)");
    let t = item.cast::<PyTuple>().map_err(|_| shape())?;
    if t.len() != 6 {
        return Err(shape());
    }
    let raw_id = t.get_item(0)?;
    let id = str_field(&raw_id, &raw_id, "id")?;
    let text = str_field(&t.get_item(1)?, &raw_id, "text")?;
    let opt = |i: usize, field: &str| -> PyResult<Option<String>> {
        let v = t.get_item(i)?;
        if v.is_none() {
            Ok(None)
        } else {
            str_field(&v, &raw_id, field).map(Some)
        }
    };
    let (title, url, date, source) = (opt(2, "title")?, opt(3, "url")?, opt(4, "date")?, opt(5, "source")?);
    Ok(Document { id, text, title, url, date, source })
}

/// The labelling pipeline (wrapped by `quotestance.Language` in Python).
#[pyclass(name = "Pipeline", module = "quotestance._quotestance", frozen)]
struct PyPipeline {
    inner: quotestance::Pipeline,
}

#[pymethods]
impl PyPipeline {
    /// Builds a pipeline from a JSON object of `Config` fields (unknown keys
    /// are a `ConfigError`); `None` or `"{}"` gives the defaults.
    #[new]
    #[pyo3(signature = (config_json=None))]
    fn new(py: Python<'_>, config_json: Option<&str>) -> PyResult<Self> {
        let json = config_json.unwrap_or("{}").to_string();
        let inner = py
            .detach(move || {
                guard("loading the pipeline", || {
                    let config: Config = serde_json::from_str(&json).map_err(|e| Error::Config(e.to_string()))?;
                    quotestance::Pipeline::new(config)
                })
            })
            .map_err(to_pyerr)?;
        Ok(PyPipeline { inner })
    }

    /// The effective configuration, as a JSON object.
    fn config_json(&self) -> PyResult<String> {
        serde_json::to_string(self.inner.config()).map_err(|e| to_pyerr(e.into()))
    }

    /// Labels a list of records `(id, text, title, url, date, source)` on
    /// `n_threads` threads (0: the config's `threads`, then all cores), with the
    /// GIL released. Returns one item per record, in order: the `Annotated`
    /// JSON (UTF-8 bytes) or the exception instance for that record. A bad
    /// record never fails the batch; Ctrl-C does: the batch stops and
    /// `KeyboardInterrupt` (or whatever the SIGINT handler raised) is raised.
    #[pyo3(signature = (records, n_threads=0))]
    fn annotate_batch<'py>(
        &self,
        py: Python<'py>,
        records: &Bound<'py, PyList>,
        n_threads: usize,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let mut docs = Vec::with_capacity(records.len());
        let mut bad: Vec<Option<PyErr>> = Vec::with_capacity(records.len());
        for item in records.iter() {
            match record_to_doc(&item) {
                Ok(d) => {
                    docs.push(d);
                    bad.push(None);
                }
                Err(e) => bad.push(Some(e)),
            }
        }
        let threads = worker_count(n_threads, self.inner.config(), docs.len());
        let watch =
            self.inner.config().use_models || docs.iter().map(|d| d.text.len()).sum::<usize>() > UNWATCHED_MAX_BYTES;
        let labelled =
            run_interruptible(py, "labelling a batch", watch, |cancel| label_all(&self.inner, &docs, threads, cancel))?;
        // The texts are no longer needed: free them before the results are
        // copied into Python objects.
        drop(docs);
        let mut labelled = labelled.into_iter();
        let mut out = Vec::with_capacity(bad.len());
        for b in bad {
            let item = match b {
                Some(e) => e.into_value(py).into_bound(py).into_any(),
                None => match labelled.next() {
                    // bytes, not str: a memcpy, where a str would be decoded and,
                    // for a text with one character past U+FFFF, widened to 4
                    // bytes a character (4x the JSON's size, kept by the Doc).
                    Some(Ok(json)) => PyBytes::new(py, &json).into_any(),
                    Some(Err(e)) => to_pyerr(e).into_value(py).into_bound(py).into_any(),
                    None => return Err(QuotestanceError::new_err("internal error: batch results are short")),
                },
            };
            out.push(item);
        }
        Ok(out)
    }
}

/// Panics inside [`guard`], to test that no panic reaches Python.
#[pyfunction]
fn _panic_for_test(py: Python<'_>, message: String) -> PyResult<()> {
    py.detach(|| guard("running _panic_for_test", || -> Result<(), Error> { panic!("{message}") })).map_err(to_pyerr)
}

/// The schema version of the JSON the pipeline writes.
#[pyfunction]
fn schema_version() -> &'static str {
    SCHEMA_VERSION
}

#[pymodule]
fn _quotestance(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyPipeline>()?;
    m.add("QuotestanceError", py.get_type::<QuotestanceError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("ModelNotFoundError", py.get_type::<ModelNotFoundError>())?;
    m.add_function(wrap_pyfunction!(schema_version, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
