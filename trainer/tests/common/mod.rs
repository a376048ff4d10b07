//! Generated datasets for the trainer's end-to-end tests: images whose class is the
//! orientation of a striped pattern, with random colours, period, phase and noise.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::RgbImage;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Class names of the generated data, in label order.
pub const LABELS: [&str; 4] = ["horizontal", "vertical", "diagonal", "checker"];

/// One 32x32 image of `class`.
pub fn pattern(class: usize, rng: &mut StdRng) -> RgbImage {
    let period = rng.random_range(3..7u32);
    let phase = rng.random_range(0..period);
    let fg: [u8; 3] = [rng.random_range(128..=255), rng.random_range(128..=255), rng.random_range(128..=255)];
    let bg: [u8; 3] = [rng.random_range(0..100), rng.random_range(0..100), rng.random_range(0..100)];
    let mut img = RgbImage::new(32, 32);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let on = match class {
            0 => (y + phase) / period % 2 == 0,
            1 => (x + phase) / period % 2 == 0,
            2 => (x + y + phase) / period % 2 == 0,
            _ => ((x + phase) / period + (y + phase) / period) % 2 == 0,
        };
        let base = if on { fg } else { bg };
        let noise: i16 = rng.random_range(-20..=20);
        px.0 = base.map(|c| (c as i16 + noise).clamp(0, 255) as u8);
    }
    img
}

/// Writes the tutorial layout: `<id>_<label>.png` spread over two sub-folders, plus labels.txt.
pub fn write_tutorial(dir: &Path, per_class: usize, seed: u64) -> Vec<PathBuf> {
    let mut rng = StdRng::seed_from_u64(seed);
    std::fs::write(dir.join("labels.txt"), LABELS.join(" ")).unwrap();
    let mut paths = Vec::new();
    for id in 0..per_class * LABELS.len() {
        let class = id % LABELS.len();
        let sub = dir.join(if id % 2 == 0 { "a" } else { "b/c" });
        std::fs::create_dir_all(&sub).unwrap();
        let path = sub.join(format!("{id}_{}.png", LABELS[class]));
        pattern(class, &mut rng).save(&path).unwrap();
        paths.push(path);
    }
    paths
}

/// Writes the class-folder layout: `<root>/<label>/<n>.png`.
pub fn write_class_folders(root: &Path, per_class: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for (class, label) in LABELS.iter().enumerate() {
        let dir = root.join(label);
        std::fs::create_dir_all(&dir).unwrap();
        for n in 0..per_class {
            pattern(class, &mut rng).save(dir.join(format!("{n:04}.png"))).unwrap();
        }
    }
}

/// Runs the `ocellus` binary with `args`.
pub fn ocellus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ocellus"))
        .args(args)
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .expect("the ocellus binary runs")
}

/// Stdout of a run that must succeed.
pub fn ok(args: &[&str]) -> String {
    let out = ocellus(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ocellus {args:?} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Stderr of a run that must fail.
pub fn fails(args: &[&str]) -> String {
    let out = ocellus(args);
    assert!(!out.status.success(), "ocellus {args:?} should fail\nstdout:\n{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The last line of `text` parsed as JSON.
pub fn last_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.lines().last().expect("some output")).expect("last line is JSON")
}
