#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logto_runtime::fuzzing::session_record(data));
