//! The native half of the browser parity check, on the same fixtures as the wasm half
//! (`web/tests/parity.rs`): the trainer's preprocessing and the single-image path the page uses
//! give identical tensors and logits, and the bundle the wasm test embeds is reproducible.

use candle_core::Device;
use ocellus::image_input::image_tensor;
use ocellus::TrainedModel;
use ocellus_e2e::fixture_images::{generated, real_cifar};
use ocellus_e2e::parity_bundle::{build, trainer_input};
use ocellus_e2e::{manifest, repo_root};

#[test]
fn trainer_and_page_paths_agree_on_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let mut fixtures = generated();
    fixtures.extend(real_cifar("trainer_and_page_paths_agree_on_every_fixture (real photos)"));
    // Face models answer with regions, not logits: `web/tests/parity.rs` checks those.
    for entry in manifest().models.iter().filter(|m| m.task != "faces") {
        let bytes = std::fs::read(repo_root().join("static/models").join(&entry.file)).unwrap();
        let model = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap();
        for f in &fixtures {
            let trainer = trainer_input(f, model.card.input, dir.path());
            let page = image_tensor(&f.bytes, model.card.input, &Device::Cpu).unwrap();
            let (a, b) = (trainer.flatten_all().unwrap().to_vec1::<f32>().unwrap(), page.flatten_all().unwrap().to_vec1::<f32>().unwrap());
            assert_eq!(a, b, "{}: preprocessing differs", f.name);
            let la = model.logits(&trainer).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let lb = model.logits(&page).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(la, lb, "{}: logits differ", f.name);
        }
    }
}

#[test]
fn the_bundle_is_reproducible() {
    let (a, b) = (build(), build());
    let (a, b) = (safetensors::SafeTensors::deserialize(&a).unwrap(), safetensors::SafeTensors::deserialize(&b).unwrap());
    let mut names = a.names();
    names.sort();
    // Whatever the manifest's order: some model's logits and some model's weights are there.
    assert!(names.iter().any(|n| n.starts_with("logits.")) && names.iter().any(|n| n.starts_with("model.")));
    for name in names {
        let (x, y) = (a.tensor(name).unwrap(), b.tensor(name).unwrap());
        if name.starts_with("faces.") {
            // Scores of thousands of regions: equal up to the thread pool's summation order.
            let f = |d: &[u8]| d.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect::<Vec<f32>>();
            let (fx, fy) = (f(x.data()), f(y.data()));
            assert_eq!(fx.len(), fy.len(), "{name} differs in length between two builds");
            assert!(fx.iter().zip(&fy).all(|(p, q)| (p - q).abs() <= 1e-5 * p.abs().max(1.0)), "{name} differs between two builds");
        } else {
            assert!(x.data() == y.data(), "{name} differs between two builds");
        }
    }
}
