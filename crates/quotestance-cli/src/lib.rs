//! The library half of the `quotestance` binary: one module per subcommand (the binary,
//! `main.rs`, only parses the command line and calls them), and [`fuzz`], the entry points the
//! fuzz targets under `fuzz/` and the corpus replay test (`tests/fuzz_replay.rs`) share.

pub mod batch;
pub mod common;
pub mod eval;
pub mod fuzz;
pub mod label;
pub mod models;
pub mod progress;
pub mod table;
pub mod train;
