//! The native side of the browser parity check: for each fixture image, the trainer's
//! preprocessed tensor and every shipped model's logits, in one safetensors file that the
//! wasm test (`web/tests/parity.rs`) embeds and checks against the browser's own results.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use ocellus::face_detection::{detect, DetectOptions};
use ocellus::{InputSize, Task, TrainedModel};
use ocellus_trainer::dataset::{ImageSet, Sample, Source};

use crate::fixture_images::{generated, real_cifar, real_face_photo, Fixture};
use ocellus::proposals::{selective_search, Mode};
use crate::{manifest, repo_root};

/// The trainer's (B=1, 3, H, W) tensor for one encoded image: written to disk and read back
/// through the trainer's own loader and batcher.
pub fn trainer_input(fixture: &Fixture, size: InputSize, dir: &Path) -> Tensor {
    let path = dir.join(&fixture.name);
    std::fs::write(&path, &fixture.bytes).unwrap();
    let sample = Sample { source: Source::File(path), targets: vec![0], part: None };
    let (set, skipped) = ImageSet::load(&[sample], size, false);
    assert!(skipped.is_empty(), "{}: {:?}", fixture.name, skipped);
    set.batch::<rand::rngs::StdRng>(&[0], None, &Device::Cpu).unwrap().0
}

/// Builds the bundle: `image.<i>` (encoded bytes, u8), `input.<model>.<i>` (f32) and
/// `logits.<model>.<i>` (f32) for each shipped image model, `faces.<model>` (every scored
/// region of the proposals photo, f32 x0 y0 x1 y1 score) for each face model, `model.<model>`
/// (the weights file, u8).
pub fn build() -> Vec<u8> {
    let scratch = tempfile::tempdir().unwrap();
    let mut fixtures = generated();
    fixtures.extend(real_cifar("parity bundle (real photos)"));
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    let bytes_tensor = |b: &[u8]| Tensor::from_vec(b.to_vec(), b.len(), &Device::Cpu).unwrap();
    for (i, f) in fixtures.iter().enumerate() {
        tensors.insert(format!("image.{i}"), bytes_tensor(&f.bytes));
    }
    // Selective search on a real photo (or the generated wide image): the boxes, in rank order.
    let photo = real_face_photo().unwrap_or_else(|| fixtures[1].bytes.clone());
    let img = ocellus::image_input::decode_rgb(&photo).unwrap();
    for (m, entry) in manifest().models.iter().enumerate() {
        let weights = std::fs::read(repo_root().join("static/models").join(&entry.file)).unwrap();
        let model = TrainedModel::from_bytes(&weights, &Device::Cpu).unwrap();
        tensors.insert(format!("model.{m}"), bytes_tensor(&weights));
        if matches!(model.card.task, Task::Faces { .. }) {
            // A face model's answer for the photo: every scored region (x0, y0, x1, y1, score).
            let options = DetectOptions { threshold: f32::NEG_INFINITY, ..Default::default() };
            let found = detect(&model, &img, options, || 0.0).unwrap();
            let flat: Vec<f32> = found.candidates.iter().flat_map(|c| [c.bounds.x0, c.bounds.y0, c.bounds.x1, c.bounds.y1, c.score]).collect();
            tensors.insert(format!("faces.{m}"), Tensor::from_vec(flat.clone(), flat.len(), &Device::Cpu).unwrap());
            continue;
        }
        for (i, f) in fixtures.iter().enumerate() {
            let x = trainer_input(f, model.card.input, scratch.path());
            let logits = model.logits(&x).unwrap();
            tensors.insert(format!("input.{m}.{i}"), x.to_dtype(DType::F32).unwrap());
            tensors.insert(format!("logits.{m}.{i}"), logits);
        }
    }
    let boxes: Vec<u32> = selective_search(&img, Mode::Fast, 2000, 1).iter().flat_map(|b| [b.x, b.y, b.w, b.h]).collect();
    tensors.insert("proposals.image".into(), bytes_tensor(&photo));
    tensors.insert("proposals.boxes".into(), Tensor::from_vec(boxes.clone(), boxes.len(), &Device::Cpu).unwrap());
    let names: Vec<String> = fixtures.iter().map(|f| f.name.clone()).collect();
    let meta = HashMap::from([
        ("images".to_string(), names.join("\n")),
        ("models".to_string(), manifest().models.len().to_string()),
    ]);
    let mut named: Vec<(&String, &Tensor)> = tensors.iter().collect();
    named.sort_by(|a, b| a.0.cmp(b.0));
    safetensors::serialize(named, Some(meta)).unwrap()
}
