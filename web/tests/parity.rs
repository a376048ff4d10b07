//! Browser parity: in headless Chromium, the page's preprocessing and models give the same
//! tensors and logits as the native trainer for real images and the real shipped weights, and
//! the shipped face models the same scored regions for a real photo.
//!
//! The native side is the bundle that `cargo xtask test` writes first (see
//! `tests/parity_bundle.rs`) and names in `OCELLUS_PARITY_BUNDLE`; this test embeds it.
#![cfg(target_arch = "wasm32")]

use candle_core::{Device, Tensor};
use ocellus::face_detection::{detect, DetectOptions};
use ocellus::image_input::image_tensor;
use ocellus::TrainedModel;
use safetensors::SafeTensors;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

static BUNDLE: &[u8] = include_bytes!(env!("OCELLUS_PARITY_BUNDLE"));

/// The native logits may differ from the browser's only by float rounding: 1e-5 for LeNet;
/// the deeper models' layers (the captcha ResNet's 18, the whitened CNN's 7 with GELU's tanh
/// from another maths library), summed in another order by wasm SIMD than by native AVX code,
/// differ by up to about 1.3e-5, so they get 5e-5.
fn logit_tolerance(model: &TrainedModel) -> f32 {
    if model.card.arch == ocellus::Arch::LeNet { 1e-5 } else { 5e-5 }
}

fn floats(bundle: &SafeTensors, name: &str) -> Vec<f32> {
    let view = bundle.tensor(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

#[wasm_bindgen_test]
fn preprocessing_and_logits_match_native() {
    let (_, meta) = SafeTensors::read_metadata(BUNDLE).unwrap();
    let meta = meta.metadata().clone().unwrap_or_default();
    let images: Vec<&str> = meta["images"].lines().collect();
    let models: usize = meta["models"].parse().unwrap();
    let bundle = SafeTensors::deserialize(BUNDLE).unwrap();
    assert!(models > 0 && images.len() >= 4, "the bundle is empty");
    let mut worst = 0f32;
    for m in 0..models {
        let model = TrainedModel::from_bytes(bundle.tensor(&format!("model.{m}")).unwrap().data(), &Device::Cpu).unwrap();
        if matches!(model.card.task, ocellus::Task::Faces { .. }) {
            worst = worst.max(faces_match(&bundle, &model, m));
            continue;
        }
        for (i, name) in images.iter().enumerate() {
            let x = image_tensor(bundle.tensor(&format!("image.{i}")).unwrap().data(), model.card.input, &Device::Cpu).unwrap();
            assert_eq!(values(&x), floats(&bundle, &format!("input.{m}.{i}")), "{name}: the browser's tensor differs from the trainer's");
            let native = floats(&bundle, &format!("logits.{m}.{i}"));
            let browser = values(&model.logits(&x).unwrap());
            for (a, b) in browser.iter().zip(&native) {
                worst = worst.max((a - b).abs());
                assert!((a - b).abs() <= logit_tolerance(&model), "{name}, model {m}: logit {a} in the browser, {b} natively");
            }
        }
    }
    web_sys::console::log_1(&format!("parity: {} images x {models} models, largest logit difference {worst:e}", images.len()).into());
}

/// A face model finds the same scored regions in the proposals photo as natively (boxes to
/// 0.01 pixel, scores to 5e-5); returns the largest score difference. The tutorial's
/// detectors score the same regions in the same order. The single-shot detector keeps the
/// locations above a score floor, so a location within rounding of the floor may be kept on
/// one side only, and near-equal scores may swap places: each region clear of the floor must
/// have its twin on the other side.
fn faces_match(bundle: &SafeTensors, model: &TrainedModel, m: usize) -> f32 {
    let img = ocellus::image_input::decode_rgb(bundle.tensor("proposals.image").unwrap().data()).unwrap();
    let options = DetectOptions { threshold: f32::NEG_INFINITY, ..Default::default() };
    let browser: Vec<[f32; 5]> = detect(model, &img, options, || 0.0).unwrap().candidates.iter().map(|c| [c.bounds.x0, c.bounds.y0, c.bounds.x1, c.bounds.y1, c.score]).collect();
    let native: Vec<[f32; 5]> = floats(bundle, &format!("faces.{m}")).chunks_exact(5).map(|n| [n[0], n[1], n[2], n[3], n[4]]).collect();
    let one_pass = matches!(model.card.arch, ocellus::Arch::SingleShot { .. });
    if !one_pass {
        assert_eq!(browser.len(), native.len(), "model {m}: a different number of scored regions in the browser");
    }
    let twin = |a: &[f32; 5], b: &[f32; 5]| a[..4].iter().zip(&b[..4]).all(|(x, y)| (x - y).abs() < 0.01) && (a[4] - b[4]).abs() <= 5e-5;
    let clear = |c: &[f32; 5]| !one_pass || c[4] > 0.03;
    let mut worst = 0f32;
    for (i, n) in native.iter().enumerate().filter(|(_, n)| clear(n)) {
        let found = if one_pass { browser.iter().find(|b| twin(b, n)) } else { browser.get(i).filter(|b| twin(b, n)) };
        let b = found.unwrap_or_else(|| panic!("model {m}: native region {n:?} has no twin in the browser (browser's {i}th: {:?})", browser.get(i)));
        worst = worst.max((b[4] - n[4]).abs());
    }
    for b in browser.iter().filter(|b| clear(b)) {
        assert!(native.iter().any(|n| twin(b, n)), "model {m}: browser region {b:?} has no native twin");
    }
    worst
}

#[wasm_bindgen_test]
fn selective_search_gives_the_native_boxes() {
    let bundle = SafeTensors::deserialize(BUNDLE).unwrap();
    let img = ocellus::image_input::decode_rgb(bundle.tensor("proposals.image").unwrap().data()).unwrap();
    let native: Vec<u32> = bundle
        .tensor("proposals.boxes")
        .unwrap()
        .data()
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let browser: Vec<u32> = ocellus::proposals::selective_search(&img, ocellus::proposals::Mode::Fast, 2000, 1)
        .iter()
        .flat_map(|b| [b.x, b.y, b.w, b.h])
        .collect();
    assert_eq!(browser.len(), native.len(), "a different number of proposals in the browser");
    let differing = browser.chunks(4).zip(native.chunks(4)).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "{differing} of {} boxes differ from native", native.len() / 4);
}
