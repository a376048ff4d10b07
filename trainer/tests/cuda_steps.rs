//! One training step of every model on CUDA against the same step on the CPU (issue 19): the
//! same seeded weights and batch through each task's own lesson (loss), backward and optimiser,
//! then the loss of the updated model and every updated weight compared. The CPU runs Ocellus's
//! kernels (fused Adam included); CUDA runs candle's ops. Without a CUDA device each test says
//! `skipping: no CUDA device` and passes, unless `OCELLUS_REQUIRE_CUDA` is set (as
//! `scripts/gpu-check.sh` sets it on a GPU machine).

use candle_core::{Device, Tensor};
use image::{Rgb, RgbImage};
use ocellus::boxes::BoxXyxy;
use ocellus::{Arch, InputSize, ModelCard, Task};
use ocellus_trainer::dataset::{ImageSet, Source};
use ocellus_trainer::detection::crop_lesson::CropClassification;
use ocellus_trainer::detection::photo_set::Photo;
use ocellus_trainer::detection::region_lesson::RegionLesson;
use ocellus_trainer::detection::sample_cache::ImageSamples;
use ocellus_trainer::detection::single_shot_lesson::{FacePhoto, SingleShotLesson};
use ocellus_trainer::training::optimiser::Optimiser;
use ocellus_trainer::training::{Classification, CodeReading, ImageLesson, Lesson, Objective, Recipe, Trainee};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The CUDA device, or `None` after saying why the test skips.
fn cuda() -> Option<Device> {
    match ocellus_trainer::device::open("cuda") {
        Ok(d) => Some(d),
        Err(e) if std::env::var_os("OCELLUS_REQUIRE_CUDA").is_some() => panic!("OCELLUS_REQUIRE_CUDA is set but CUDA cannot be opened: {e:#}"),
        Err(e) => {
            eprintln!("skipping: no CUDA device ({e:#})");
            None
        }
    }
}

/// A seeded noise image with a bright square at (x, y).
fn photo(w: u32, h: u32, face: (u32, u32, u32), seed: u64) -> RgbImage {
    let mut rng = StdRng::seed_from_u64(seed);
    RgbImage::from_fn(w, h, |px, py| {
        let (x, y, s) = face;
        if (x..x + s).contains(&px) && (y..y + s).contains(&py) {
            Rgb([230, 190, 150])
        } else {
            Rgb([rng.random_range(0..90), rng.random_range(0..90), rng.random_range(0..90)])
        }
    })
}

/// Images of `size` with `targets` labels each, from seeded noise.
fn image_set(size: InputSize, count: usize, targets: usize, classes: u32) -> ImageSet {
    let mut rng = StdRng::seed_from_u64(3);
    let items = (0..count)
        .map(|i| {
            let pixels = (0..size.rgb_len()).map(|_| rng.random()).collect();
            let labels = (0..targets).map(|_| rng.random_range(0..classes)).collect();
            (pixels, labels, Source::File(format!("generated-{i}.png").into()))
        })
        .collect();
    ImageSet::from_pixels(size, items)
}

/// Trains `card` for one step with `recipe`'s optimiser on `lesson`'s examples on each device:
/// the loss before, the loss after and every weight after must agree.
fn compare_step(card: ModelCard, recipe: Recipe, lesson: &dyn Lesson, examples: &[usize]) {
    let Some(gpu) = cuda() else { return };
    let what = card.arch.to_string();
    let run = |device: &Device| -> (f32, f32, Vec<(String, Tensor)>) {
        let trainee = Trainee::new(card.clone(), device, 11).unwrap();
        let mut opt = Optimiser::for_recipe(&trainee, &recipe, 1).unwrap();
        let loss = |t: &Trainee| lesson.batch(&t.network, examples, true, None, device).unwrap().loss;
        let first = loss(&trainee);
        opt.step(&first.backward().unwrap()).unwrap();
        let after = loss(&trainee).to_scalar::<f32>().unwrap();
        let weights = trainee.all_vars().into_iter().map(|(n, v)| (n, v.as_detached_tensor())).collect();
        (first.to_scalar::<f32>().unwrap(), after, weights)
    };
    let (cpu_first, cpu_after, cpu_weights) = run(&Device::Cpu);
    let (gpu_first, gpu_after, gpu_weights) = run(&gpu);
    let near = |a: f32, b: f32| (a - b).abs() <= 1e-3 * a.abs().max(1.0);
    assert!(near(cpu_first, gpu_first), "{what}: loss {cpu_first} on the CPU, {gpu_first} on CUDA");
    assert!(near(cpu_after, gpu_after), "{what}: loss after one step {cpu_after} on the CPU, {gpu_after} on CUDA");
    for ((name, a), (_, b)) in cpu_weights.iter().zip(&gpu_weights) {
        let diff = (a - b.to_device(&Device::Cpu).unwrap()).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        let scale = a.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap().max(1e-3);
        // Adam moves a weight whose gradient is rounding noise by up to its step either way:
        // a fifth of the 1e-3 step is allowed besides the relative tolerance.
        assert!(diff <= 1e-3 * scale + 2e-4, "{what}: {name} differs by {diff} after one step (values up to {scale})");
    }
    eprintln!("{what}: loss {cpu_first} -> {cpu_after} on the CPU, {gpu_first} -> {gpu_after} on CUDA");
}

#[test]
fn classifiers_train_alike_on_cuda() {
    let digits: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let set = image_set(InputSize::square(32), 8, 1, 10);
    let objective = Classification { label_smoothing: 0.1 };
    let lesson = ImageLesson { set: &set, objective: &objective as &dyn Objective, augment: None, views: Default::default() };
    for arch in [Arch::LeNet, Arch::ResNet18 { width: 64 }, Arch::WhitenedCnn { width: 64 }] {
        let recipe = if matches!(arch, Arch::WhitenedCnn { .. }) { Recipe::fast(arch) } else { Recipe::tutorial(8) };
        compare_step(ModelCard::new(Task::Classify, arch, InputSize::square(32), digits.clone()), recipe, &lesson, &(0..8).collect::<Vec<_>>());
    }
}

#[test]
fn the_captcha_reader_trains_alike_on_cuda() {
    let symbols: Vec<String> = "0123456789abcdefghijklmnopqrstuvwxyz".chars().map(String::from).collect();
    let input = InputSize { width: 76, height: 32 };
    let set = image_set(input, 8, 4, 36);
    let objective = CodeReading { length: 4, symbols: 36 };
    let lesson = ImageLesson { set: &set, objective: &objective as &dyn Objective, augment: None, views: Default::default() };
    let card = ModelCard::new(Task::Captcha { length: 4 }, Arch::ResNet18 { width: 8 }, input, symbols);
    compare_step(card, Recipe::tutorial(8), &lesson, &(0..8).collect::<Vec<_>>());
}

fn face_labels() -> Vec<String> {
    vec!["background".into(), "face".into()]
}

#[test]
fn rcnn_trains_alike_on_cuda() {
    let set = image_set(InputSize::square(32), 8, 1, 2);
    let lesson = ImageLesson { set: &set, objective: &CropClassification as &dyn Objective, augment: None, views: Default::default() };
    let card = ModelCard::new(Task::Faces { side: 256 }, Arch::ResNet18 { width: 16 }, InputSize::square(32), face_labels());
    compare_step(card, Recipe::tutorial(8), &lesson, &(0..8).collect::<Vec<_>>());
}

#[test]
fn fast_rcnn_trains_alike_on_cuda() {
    let photos: Vec<Photo> = (0..2)
        .map(|i| {
            let at = 10 + 20 * i as u32;
            let samples = ImageSamples {
                image: format!("p{i}.png"),
                regions: vec![[at as f32, at as f32, at as f32 + 30.0, at as f32 + 30.0], [0.0, 0.0, 20.0, 50.0], [at as f32 + 2.0, at as f32 - 3.0, at as f32 + 33.0, at as f32 + 28.0]],
                labels: vec![1, 0, 1],
                offsets: vec![[0.0; 4], [0.0; 4], [-0.05, 0.1, -0.02, 0.03]],
                side: 64,
                proposals: 3,
                sampling: Default::default(),
            };
            Photo { index: i, image: photo(64, 64, (at, at, 30), i as u64), samples }
        })
        .collect();
    let card = ModelCard::new(Task::Faces { side: 64 }, Arch::FastRcnn { width: 1 }, InputSize::square(64), face_labels());
    let lesson = RegionLesson { photos: &photos, flip: false, offset_scale: card.offset_scale };
    compare_step(card, Recipe::tutorial(2), &lesson, &[0, 1]);
}

#[test]
fn the_single_shot_detector_trains_alike_on_cuda() {
    let photos: Vec<FacePhoto> = [(20, 30, 40), (70, 10, 24)]
        .into_iter()
        .enumerate()
        .map(|(i, (x, y, s))| FacePhoto { image: photo(160, 120, (x, y, s), i as u64), faces: vec![BoxXyxy { x0: x as f32, y0: y as f32, x1: (x + s) as f32, y1: (y + s) as f32 }] })
        .collect();
    let lesson = SingleShotLesson { photos: &photos, crop: 128, side: 160, augment: false };
    let card = ModelCard::new(Task::Faces { side: 160 }, Arch::SingleShot { width: 1 }, InputSize::square(160), face_labels());
    compare_step(card, Recipe::tutorial(2), &lesson, &[0, 1]);
}
