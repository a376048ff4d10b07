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

/// The native logits may differ from the browser's only by float rounding: 1e-5 for the
/// classifier (LeNet); the captcha ResNet's 18 layers, summed in another order by wasm SIMD
/// than by native AVX code, differ by up to about 1.3e-5, so deeper models get 5e-5.
fn logit_tolerance(model: &TrainedModel) -> f32 {
    if model.card.task == ocellus::Task::Classify { 1e-5 } else { 5e-5 }
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
/// 0.01 pixel, scores to 5e-5); returns the largest score difference.
fn faces_match(bundle: &SafeTensors, model: &TrainedModel, m: usize) -> f32 {
    let img = ocellus::image_input::decode_rgb(bundle.tensor("proposals.image").unwrap().data()).unwrap();
    let options = DetectOptions { threshold: f32::NEG_INFINITY, ..Default::default() };
    let browser = detect(model, &img, options, || 0.0).unwrap().candidates;
    let native = floats(bundle, &format!("faces.{m}"));
    assert_eq!(browser.len() * 5, native.len(), "model {m}: a different number of scored regions in the browser");
    let mut worst = 0f32;
    for (c, n) in browser.iter().zip(native.chunks_exact(5)) {
        let b = [c.bounds.x0, c.bounds.y0, c.bounds.x1, c.bounds.y1];
        assert!(b.iter().zip(n).all(|(x, y)| (x - y).abs() < 0.01), "model {m}: region {b:?} in the browser, {:?} natively", &n[..4]);
        worst = worst.max((c.score - n[4]).abs());
        assert!((c.score - n[4]).abs() <= 5e-5, "model {m}: score {} in the browser, {} natively", c.score, n[4]);
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
