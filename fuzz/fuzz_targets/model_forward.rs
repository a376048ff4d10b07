//! libFuzzer entry for [`ocellus_fuzz::model_forward`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocellus_fuzz::model_forward(data));
