//! The bodies of the fuzz targets, one per parser of outside input. Each takes arbitrary bytes,
//! runs the real code the trainer and the page run on a file someone gave them, and panics only
//! where that code broke a promise (a panic, an answer of the wrong shape, a box outside its
//! image). `fuzz_targets/` wraps each for libFuzzer; `tests/replay.rs` runs every corpus and
//! regression file through them on stable, in CI.

use std::path::Path;
use std::sync::OnceLock;

use candle_core::Device;
use ocellus::captcha_code::{code_from_file_name, Alphabet};
use ocellus::face_detection::{detect, DetectOptions};
use ocellus::image_input::{decode_rgb, image_tensor, resize, rgb_to_chw};
use ocellus::manifest::Manifest;
use ocellus::proposals::{self, Mode};
use ocellus::{Arch, InputSize, Task, TrainedModel};

/// The largest decoded image the forward-pass target runs the models on (bigger ones only
/// cost time: the decoder's limits are `decode_image`'s business).
const FORWARD_MAX_PIXELS: u32 = 256 * 256;

/// Image decode and the preprocessing both sides share: any bytes either fail to decode or give
/// an image whose model input has the right length, every value in 0..=1.
pub fn decode_image(data: &[u8]) {
    let Ok(img) = decode_rgb(data) else { return };
    assert!(img.width() > 0 && img.height() > 0, "a decoded image has pixels");
    for size in [InputSize::square(32), InputSize { width: 76, height: 32 }] {
        let chw = rgb_to_chw(resize(&img, size).as_raw(), size);
        assert_eq!(chw.len(), 3 * size.width as usize * size.height as usize);
        assert!(chw.iter().all(|v| (0.0..=1.0).contains(v)), "input values outside 0..1");
    }
}

/// The weights file: safetensors header, model card JSON, tensors against the card. A file that
/// loads must also answer on its own bench input (when small enough to be worth running).
pub fn weights_file(data: &[u8]) {
    let Ok(model) = TrainedModel::from_bytes(data, &Device::Cpu) else { return };
    let input = model.card.input;
    if input.width as u64 * input.height as u64 <= 128 * 128 {
        let x = model.bench_input().expect("a loaded model has a bench input");
        let _ = model.logits(&x);
    }
}

/// The face-box CSV (the tutorial's detection data): rows either parse or are reported by line.
pub fn face_csv(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // Rows may name the crate's own files, so that grouping by image is reached too.
    let images = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(boxes) = ocellus_trainer::dataset::face_boxes::parse(&text, Path::new("fuzz.csv"), images) else { return };
    assert!(boxes.skipped.iter().all(|s| s.what.starts_with("fuzz.csv:")), "a skipped row not named by line");
    let counted: usize = boxes.images.iter().map(|i| i.boxes.len()).sum();
    assert_eq!(counted, boxes.boxes);
    for image in &boxes.images {
        for b in &image.boxes {
            assert!(b.x0 < b.x1 && b.y0 < b.y1, "an empty box was kept: {b:?}");
        }
    }
}

/// The captcha file-name rule (`<serial>-<CODE>.<ext>`) and encoding a code against an alphabet.
pub fn captcha_name(data: &[u8]) {
    let name = String::from_utf8_lossy(data);
    let Ok(code) = code_from_file_name(&name) else { return };
    for alphabet in [Alphabet::new("0123456789abcdefghijklmnopqrstuvwxyz"), Alphabet::with_case("abcXYZ12", true)] {
        let length = code.chars().count();
        if let Ok(labels) = alphabet.encode(&code, length) {
            assert_eq!(labels.len(), length);
            assert!(labels.iter().all(|&l| (l as usize) < alphabet.len()), "a label outside the alphabet");
        }
        let _ = alphabet.normalise(&code);
    }
}

/// The shipped-model manifest the page reads first.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(m) = Manifest::parse(text) else { return };
    for entry in &m.models {
        let _ = entry.url();
    }
    for task in ["classify", "captcha", "faces"] {
        let _ = m.default_for(task);
    }
}

/// Selective search on an arbitrary small image: the first two bytes give its size (1 to 48 a
/// side), the rest its pixels. Every proposal lies inside the image.
pub fn selective_search(data: &[u8]) {
    let Some((&[w, h], pixels)) = data.split_first_chunk::<2>() else { return };
    let (w, h) = (1 + w as u32 % 48, 1 + h as u32 % 48);
    let mut raw = vec![0u8; (w * h * 3) as usize];
    for (dst, src) in raw.iter_mut().zip(pixels.iter().cycle()) {
        *dst = *src;
    }
    let img = image::RgbImage::from_raw(w, h, raw).expect("the buffer has w*h*3 bytes");
    for p in proposals::selective_search(&img, Mode::Fast, 200, 0) {
        assert!(p.w >= 1 && p.h >= 1 && p.x + p.w <= w && p.y + p.h <= h, "{p:?} outside {w}x{h}");
    }
}

/// The shipped models, loaded once.
fn shipped() -> &'static [TrainedModel] {
    static MODELS: OnceLock<Vec<TrainedModel>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/models");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
            .collect();
        paths.sort();
        paths.iter().map(|p| TrainedModel::from_bytes(&std::fs::read(p).unwrap(), &Device::Cpu).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).collect()
    })
}

/// Each shipped model's forward pass on the tensor a fuzzed image becomes: classify, read the
/// captcha or detect faces, as the page does with a dropped file. The answers have their shapes.
pub fn model_forward(data: &[u8]) {
    let Ok(img) = decode_rgb(data) else { return };
    if img.width() * img.height() > FORWARD_MAX_PIXELS {
        return;
    }
    for model in shipped() {
        match model.card.task {
            Task::Classify => {
                let top = model.classify(data, 3).expect("a decodable image is classified");
                assert_eq!(top.len(), 3.min(model.card.labels.len()));
            }
            Task::Captcha { length } => {
                let code = model.read_captcha(data).expect("a decodable image is read");
                let read = code.code.chars().count();
                assert_eq!(code.confidence.len(), read);
                if model.card.code_head == ocellus::CodeHead::Ctc {
                    // A best path reads what it sees (nothing on a blank image), at most a
                    // character a column of the map.
                    assert!(read <= ocellus::models::ResNet18::map_columns(model.card.input.width as usize));
                } else {
                    assert_eq!(read, length);
                }
            }
            Task::Faces { .. } if matches!(model.card.arch, Arch::ResNet18 { .. }) => {
                // RCNN classifies each region's crop: the crop a fuzzed image becomes (its whole
                // 416-pixel search would make each run take seconds and the fuzzer learn little).
                let x = image_tensor(data, model.card.input, &Device::Cpu).expect("a decodable image becomes a crop");
                let logits = model.logits(&x).expect("the crop is scored");
                assert_eq!(logits.dims()[0], 1);
            }
            Task::Faces { .. } => {
                // Fewer regions and a smaller photo than the page's: the same code, more runs a second.
                let options = DetectOptions { proposals: 50, side: Some(96), ..Default::default() };
                let found = detect(model, &img, options, || 0.0).expect("a decodable image is searched for faces");
                for face in &found.faces {
                    let b = face.bounds;
                    assert!([b.x0, b.y0, b.x1, b.y1].iter().all(|v| v.is_finite()), "a face box with no place: {b:?}");
                }
            }
        }
    }
}
