#![no_main]
//! `quotestance_cli::fuzz::warc_reader` (see its docs): the replay test runs the same function.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| quotestance_cli::fuzz::warc_reader(data));
