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
//! Each labelled document leaves Rust as one JSON string (serde_json over the
//! `Annotated` schema) and the Python `Doc` object decodes it with `json.loads`
//! the first time an attribute is read. We chose this over the alternatives
//! for speed:
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
//! # Errors and panics
//!
//! Every call into the core crate runs under [`guard`], which turns a panic
//! into a `QuotestanceError` (no Rust panic ever unwinds into Python), and
//! every [`quotestance::Error`] maps to one Python exception type.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyList;
use quotestance::{Config, Document, Error, SCHEMA_VERSION};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

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

/// Maps the core error type onto the Python exception hierarchy.
fn to_pyerr(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Input(_) | Error::Deadline { .. } => InputError::new_err(msg),
        Error::Cancelled => pyo3::exceptions::PyKeyboardInterrupt::new_err(msg),
        Error::Config(_) => ConfigError::new_err(msg),
        Error::ModelNotFound { .. } => ModelNotFoundError::new_err(msg),
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

/// Labels one document and serialises the result, all under [`guard`].
fn label_json(nlp: &quotestance::Pipeline, doc: &Document) -> Result<String, Error> {
    guard(&format!("labelling document {:?}", doc.id), || {
        let out = nlp.annotate(doc)?;
        Ok(serde_json::to_string(&out)?)
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
/// long article does not hold back a whole chunk.
fn label_all(nlp: &quotestance::Pipeline, docs: &[Document], threads: usize) -> Vec<Result<String, Error>> {
    if threads <= 1 {
        return docs.iter().map(|d| label_json(nlp, d)).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<String, Error>>>> = docs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(doc) = docs.get(i) else { break };
                let r = label_json(nlp, doc);
                // A poisoned slot cannot happen (label_json catches panics);
                // take the value either way.
                *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
            });
        }
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

/// One record of a batch, as the Python package hands it over:
/// `(id, text, title, url, date, source)`.
type Record = (String, String, Option<String>, Option<String>, Option<String>, Option<String>);

fn record_to_doc(item: &Bound<'_, PyAny>) -> PyResult<Document> {
    let (id, text, title, url, date, source): Record = item.extract().map_err(|e| {
        InputError::new_err(format!(
            "record is not (id, text, title, url, date, source) of str: {e} \
             (a str with lone surrogates cannot be encoded as UTF-8)"
        ))
    })?;
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
    /// JSON (str) or the exception instance for that record. A bad record never
    /// fails the batch.
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
        let labelled = py.detach(|| label_all(&self.inner, &docs, threads));
        let mut labelled = labelled.into_iter();
        let mut out = Vec::with_capacity(bad.len());
        for b in bad {
            let item = match b {
                Some(e) => e.into_value(py).into_bound(py).into_any(),
                None => match labelled.next() {
                    Some(Ok(json)) => json.into_pyobject(py)?.into_any(),
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
