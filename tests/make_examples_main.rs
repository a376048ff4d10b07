//! Writes the page's example images into `static/examples/` with their list
//! (`examples.json`): photos from scikit-image's public-domain / CC0 sample data (the wheel on
//! PyPI, unpacked by `scripts/make-examples.sh`), a collage made from one of them, and
//! captchas from the project's own generator.
//!
//!     make-examples SKIMAGE_DATA_DIR OUT_DIR

use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, RgbImage};
use ocellus::example_images::{ExampleImage, ExampleList};
use ocellus_trainer::captcha::generator;
use ocellus_trainer::captcha::style::Style;
use sha2::{Digest, Sha256};

const SKIMAGE: &str = "scikit-image 0.26 sample data (skimage/data in the wheel on PyPI)";

fn open(dir: &Path, name: &str) -> RgbImage {
    let path = dir.join(name);
    image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgb8()
}

/// A grid of copies of `photo` at two sizes, some mirrored: a "group photo" whose every face
/// is the same public-domain one.
fn collage(photo: &RgbImage) -> RgbImage {
    let mut out = RgbImage::from_pixel(640, 400, image::Rgb([235, 235, 235]));
    let cells = [(0, 0, 200), (210, 10, 180), (400, 0, 240), (20, 210, 170), (230, 230, 150), (420, 250, 140)];
    for (i, &(x, y, side)) in cells.iter().enumerate() {
        let mut face = image::imageops::resize(photo, side, side, FilterType::Triangle);
        if i % 2 == 1 {
            face = image::imageops::flip_horizontal(&face);
        }
        image::imageops::overlay(&mut out, &face, x, y);
    }
    out
}

fn write(out: &Path, file: &str, img: &RgbImage) -> Vec<u8> {
    let path = out.join(file);
    let format = ImageFormat::from_path(&path).unwrap();
    let mut bytes = std::io::Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 88);
            DynamicImage::ImageRgb8(img.clone()).write_with_encoder(encoder).unwrap();
        }
        _ => img.write_to(&mut bytes, format).unwrap(),
    }
    let bytes = bytes.into_inner();
    std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
}

fn entry(file: &str, task: &str, name: &str, alt: &str, source: &str, licence: &str, bytes: &[u8]) -> ExampleImage {
    let sha256 = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    ExampleImage {
        file: file.into(),
        task: task.into(),
        name: name.into(),
        alt: alt.into(),
        source: source.into(),
        licence: licence.into(),
        sha256,
        bytes: bytes.len() as u64,
    }
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [data, out] = args.as_slice() else {
        eprintln!("usage: make-examples SKIMAGE_DATA_DIR OUT_DIR");
        std::process::exit(2);
    };
    std::fs::create_dir_all(out).unwrap();
    let mut list = ExampleList::default();
    let cat = open(data, "chelsea.png");
    let b = write(out, "cat.jpg", &cat);
    list.examples.push(entry("cat.jpg", "classify", "a cat", "Chelsea the cat, a tabby, lying down and looking up", &format!("Chelsea the cat, by Stefan van der Walt; {SKIMAGE}"), "CC0", &b));
    let rocket = image::imageops::resize(&open(data, "rocket.jpg"), 427, 285, FilterType::Triangle);
    let b = write(out, "rocket.jpg", &rocket);
    list.examples.push(entry("rocket.jpg", "classify", "a rocket (not a CIFAR-10 class)", "A Falcon 9 rocket lifting off, with a cloud of smoke", &format!("Launch of DSCOVR on Falcon 9, by SpaceX; {SKIMAGE}"), "public domain (released by SpaceX)", &b));
    let astronaut = open(data, "astronaut.png");
    let b = write(out, "astronaut.jpg", &astronaut);
    list.examples.push(entry("astronaut.jpg", "faces", "a portrait", "The astronaut Eileen Collins in uniform, with a flag and a model shuttle", &format!("Eileen Collins, NASA Great Images; {SKIMAGE}"), "public domain (NASA)", &b));
    let b = write(out, "group.jpg", &collage(&astronaut));
    list.examples.push(entry("group.jpg", "faces", "a group (collage)", "A collage of six copies of the astronaut's portrait at different sizes, some mirrored", &format!("made by the project's make-examples from the portrait above; {SKIMAGE}"), "public domain (NASA)", &b));
    let style = Style::default();
    for (i, seed) in [(1, 20261202u64), (2, 20261203)] {
        let (code, img) = generator::nth(&style, seed, 0);
        let file = format!("captcha-{i}.png");
        let b = write(out, &file, &img);
        let source = format!("the project's captcha generator (`ocellus captcha generate --seed {seed}`, image 0)");
        list.examples.push(entry(&file, "captcha", &format!("captcha {i}"), &format!("A captcha of the tutorial's style reading {code}"), &source, "the project's own (MIT OR Apache-2.0)", &b));
    }
    let json = serde_json::to_string_pretty(&list).unwrap() + "\n";
    std::fs::write(out.join("examples.json"), json).unwrap();
    for e in &list.examples {
        println!("{} ({} bytes): {}", e.file, e.bytes, e.alt);
    }
}
