//! Hand-made awkward inputs for tests, here and in the trainer (feature `fixtures`).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};

/// CRC-32 as PNG chunks use it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A real 1x1 PNG whose header is patched to claim `width` x `height` pixels: the shape of
/// a decompression bomb, without its size.
pub fn png_claiming_size(width: u32, height: u32) -> Vec<u8> {
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(RgbImage::new(1, 1))
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .expect("a 1x1 PNG encodes");
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}
