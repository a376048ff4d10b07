//! Images the browser tests and the parity check feed to both sides: real CIFAR-10 photos when
//! `../shared/data` is there (never copied into the repository), and always a few generated,
//! really encoded files of awkward shapes and formats.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

use crate::{cifar10_or_skip, shared_data};

/// A named encoded image.
pub struct Fixture {
    /// The file name it is given.
    pub name: String,
    /// Its encoded bytes.
    pub bytes: Vec<u8>,
}

fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encoding a generated image");
    out.into_inner()
}

/// Generated images: PNG and JPEG, square and not, grey, with alpha, larger than the input.
pub fn generated() -> Vec<Fixture> {
    let stripes = RgbImage::from_fn(32, 32, |x, y| Rgb([(x * 8) as u8, ((x + y) * 4) as u8, (255 - y * 8) as u8]));
    let wide = RgbImage::from_fn(97, 41, |x, y| Rgb([(x * 2) as u8, (y * 6) as u8, ((x ^ y) * 3) as u8]));
    let grey = image::GrayImage::from_fn(50, 70, |x, y| image::Luma([((x * y) % 251) as u8]));
    let alpha = RgbaImage::from_fn(300, 200, |x, y| Rgba([(x % 256) as u8, (y % 256) as u8, 90, ((x + y) % 256) as u8]));
    vec![
        Fixture { name: "stripes.png".into(), bytes: encode(DynamicImage::ImageRgb8(stripes), ImageFormat::Png) },
        Fixture { name: "wide.jpg".into(), bytes: encode(DynamicImage::ImageRgb8(wide), ImageFormat::Jpeg) },
        Fixture { name: "grey.png".into(), bytes: encode(DynamicImage::ImageLuma8(grey), ImageFormat::Png) },
        Fixture { name: "alpha.png".into(), bytes: encode(DynamicImage::ImageRgba8(alpha), ImageFormat::Png) },
    ]
}

/// One real CIFAR-10 photo per class (`<label>-<n>.jpg`), or none without the shared data.
pub fn real_cifar(test: &str) -> Vec<Fixture> {
    let Some(dir) = cifar10_or_skip(test) else { return Vec::new() };
    let labels = std::fs::read_to_string(dir.join("labels.txt")).unwrap_or_default();
    labels
        .split_whitespace()
        .filter_map(|label| {
            let path = dir.join(format!("train/{label}/0007.jpg"));
            std::fs::read(&path).ok().map(|bytes| Fixture { name: format!("{label}-0007.jpg"), bytes })
        })
        .collect()
}

/// The first photo of `../shared/data/faces`, if the shared data is here.
pub fn real_face_photo() -> Option<Vec<u8>> {
    let path = shared_data()?.join("faces/images/10007.jpg");
    std::fs::read(path).ok()
}
