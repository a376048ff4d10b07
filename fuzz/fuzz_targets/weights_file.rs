//! libFuzzer entry for [`ocellus_fuzz::weights_file`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocellus_fuzz::weights_file(data));
