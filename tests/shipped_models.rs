//! The weights shipped in `static/models/` load through the shared core and answer.

use candle_core::Device;
use sha2::Digest;
use ocellus::{Task, TrainedModel};
use ocellus_e2e::{cifar10_or_skip, manifest, repo_root};

#[test]
fn every_shipped_model_loads_and_matches_its_manifest_entry() {
    let manifest = manifest();
    assert!(!manifest.models.is_empty());
    for entry in &manifest.models {
        let path = repo_root().join("static/models").join(&entry.file);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let model = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap();
        assert_eq!(model.card.task.name(), entry.task, "{}", entry.name);
        let hash = format!("{:x}", sha2::Sha256::digest(&bytes));
        // The page keys its model cache on this hash: a stale one would serve old weights.
        assert_eq!(entry.sha256.as_deref(), Some(hash.as_str()), "{}: manifest sha256 is stale (sha256sum gives {hash})", entry.file);
        assert_eq!(entry.bytes, Some(bytes.len() as u64), "{}: manifest size is stale", entry.file);
        let facts = model.card.training.as_ref().expect("shipped models carry their training facts");
        let key = match model.card.task {
            ocellus::Task::Classify => "test_top1",
            ocellus::Task::Captcha { .. } => "test_char",
            ocellus::Task::Faces { .. } => "test_label_accuracy",
        };
        assert!(facts.metrics.contains_key(key), "{}: no {key} in its training facts", entry.name);
    }
    for task in ["classify", "captcha", "faces"] {
        let defaults = manifest.models.iter().filter(|m| m.default && m.task == task).count();
        assert_eq!(defaults, 1, "exactly one default model for {task}");
    }
}

#[test]
fn shipped_lenet_reads_real_cifar_images() {
    let Some(cifar) = cifar10_or_skip("shipped_lenet_reads_real_cifar_images") else { return };
    let bytes = std::fs::read(repo_root().join("static/models/lenet-cifar10.safetensors")).unwrap();
    let model = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap().expect_task(&Task::Classify).unwrap();
    let (mut right, mut total) = (0, 0);
    for label in &model.card.labels {
        for n in (0..5000).step_by(250) {
            let img = std::fs::read(cifar.join(format!("train/{label}/{n:04}.jpg"))).unwrap();
            let top = model.classify(&img, 1).unwrap();
            right += (&top[0].label == label) as usize;
            total += 1;
        }
    }
    let acc = right as f64 / total as f64;
    eprintln!("shipped LeNet: {right}/{total} = {:.1}% on a sample of real CIFAR-10 images", acc * 100.0);
    assert!(acc > 0.45, "{acc}");
}
