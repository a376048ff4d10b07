//! libFuzzer entry for [`ocellus_fuzz::manifest`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocellus_fuzz::manifest(data));
