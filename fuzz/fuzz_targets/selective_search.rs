//! libFuzzer entry for [`ocellus_fuzz::selective_search`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocellus_fuzz::selective_search(data));
