//! libFuzzer entry for [`ocellus_fuzz::decode_image`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocellus_fuzz::decode_image(data));
