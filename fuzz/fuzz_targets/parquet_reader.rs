#![no_main]
//! `quotestance_cli::fuzz::parquet_reader` (see its docs): the replay test runs the same function.

use libfuzzer_sys::fuzz_target;
use quotestance_cli::fuzz;

fuzz_target!(
    // the reader catches the decoder's panics (upstream bugs) and makes them error records
    init: fuzz::let_guarded_panics_unwind(),
    |data: &[u8]| fuzz::parquet_reader(data)
);
