//! A short real training run on real CIFAR-10 images, when they are present.

use ocellus_e2e::{cifar10_or_skip, ocellus};

#[test]
fn lenet_trains_on_real_cifar10() {
    let Some(cifar) = cifar10_or_skip("lenet_trains_on_real_cifar10") else { return };
    let runs = tempfile::tempdir().unwrap();
    let out = runs.path().join("lenet.safetensors");
    ocellus(&[
        "train", "classify", "--data", cifar.to_str().unwrap(), "--arch", "lenet",
        "--out", out.to_str().unwrap(), "--limit", "3000", "--epochs", "3",
    ])
    .unwrap();
    let card = ocellus::weights::read_card(&std::fs::read(&out).unwrap()).unwrap();
    let facts = card.training.unwrap();
    assert_eq!(facts.train_images, 2400);
    let top1 = facts.metrics["test_top1"];
    assert!(top1 > 0.2, "3 epochs on 2,400 real images beat chance (10%) clearly: {top1}");
}
