//! libFuzzer entry for [`ocellus_fuzz::face_csv`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocellus_fuzz::face_csv(data));
