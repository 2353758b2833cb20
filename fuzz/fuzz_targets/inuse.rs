#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hotfix_fuzzsmoke::Target::InUse.run(data));
