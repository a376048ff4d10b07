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

#[test]
fn whitened_cnn_learns_with_its_fast_recipe_on_real_cifar10() {
    let Some(cifar) = cifar10_or_skip("whitened_cnn_learns_with_its_fast_recipe_on_real_cifar10") else { return };
    let runs = tempfile::tempdir().unwrap();
    let out = runs.path().join("whitened.safetensors");
    // Batches of 200 instead of 1024, so that 2,400 images give enough steps; the rate scaled down alike.
    ocellus(&[
        "train", "classify", "--data", cifar.to_str().unwrap(), "--arch", "whitened-cnn", "--width", "16",
        "--out", out.to_str().unwrap(), "--limit", "3000", "--epochs", "4", "--batch-size", "200", "--lr", "0.3",
    ])
    .unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let (card, tensors) = ocellus::weights::read(&bytes, &candle_core::Device::Cpu).unwrap();
    assert_eq!(card.views, ocellus::test_views::TestViews::MirrorShift, "the fast recipe's test-time views are in the card");
    let facts = card.training.unwrap();
    assert!(facts.recipe.as_deref().unwrap().contains("\"nesterov\""), "{:?}", facts.recipe);
    let top1 = facts.metrics["test_top1"];
    assert!(top1 > 0.3, "4 short epochs on 2,400 real images beat chance (10%) clearly: {top1}");
    // The whitening filters stayed as computed: each of the first 12 is the negation of its twin.
    let w = tensors["whiten.weight"].flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert!((0..12 * 12).all(|i| w[i] == -w[i + 12 * 12]), "whitening filters were trained");
    assert!(w.iter().any(|&v| v.abs() > 1.0), "whitening filters are not the random initial ones");
}
