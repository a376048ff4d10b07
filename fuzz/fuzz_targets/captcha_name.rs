//! libFuzzer entry for [`ocellus_fuzz::captcha_name`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocellus_fuzz::captcha_name(data));
