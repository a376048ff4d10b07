//! Image to tensor: the one preprocessing path used by the trainer and the browser.
//!
//! Decode any common format and colour type to RGB8, resize with one fixed filter to the
//! model's input size, then lay out as f32 in 0..1, channels first (C, H, W).

use std::io::Cursor;

use candle_core::{Device, Tensor};
use image::imageops::FilterType;
use image::{ImageReader, Limits, RgbImage};

use crate::{Error, InputSize, Result};

/// Largest width or height accepted, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// Largest decoded size accepted, in bytes.
pub const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;
/// Largest file the page reads (an image or a weights file): a bigger one is refused before a
/// byte of it is read, so that a mistaken drop of a 2 GB video never takes the tab's memory.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// The resize filter: fixed, so that trainer and browser agree to the bit.
pub const RESIZE_FILTER: FilterType = FilterType::Triangle;

/// Decodes an encoded image (PNG, JPEG, GIF, BMP, WebP, TIFF; any colour type) to RGB8.
pub fn decode_rgb(bytes: &[u8]) -> Result<RgbImage> {
    let reader = || {
        ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| Error::Image(e.to_string()))
    };
    // Read the header first so that a huge image is refused before anything is allocated.
    let (width, height) = reader()?.into_dimensions().map_err(|e| match e {
        // In wasm32 a PNG claiming 50,000 x 50,000 overflows the decoder's size sums before
        // its size is known; the browser test caught the unclear "Memory limit exceeded".
        image::ImageError::Limits(_) => Error::ImageHeaderTooLarge { limit: MAX_SIDE, max_mib: MAX_DECODED_BYTES >> 20 },
        e => Error::Image(e.to_string()),
    })?;
    let too_large = || Error::ImageTooLarge {
        width,
        height,
        limit: MAX_SIDE,
        max_mib: MAX_DECODED_BYTES >> 20,
    };
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(too_large());
    }
    // A GIF may declare a screen of zero rows and still "decode" (fuzzing found 3088x0).
    if width == 0 || height == 0 {
        return Err(Error::Image(format!("the image is {width}x{height}: it has no pixels")));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    let mut decoder = reader()?;
    if decoder.format() == Some(image::ImageFormat::Jpeg) && !jpeg_is_complete(bytes) {
        // The JPEG decoder fills a cut-off scan with grey and reports success.
        return Err(Error::Image("the JPEG is truncated: its data ends before the end-of-image marker".into()));
    }
    decoder.limits(limits);
    match decoder.decode() {
        Ok(img) => Ok(img.to_rgb8()),
        Err(image::ImageError::Limits(_)) => Err(too_large()),
        Err(e) => Err(Error::Image(e.to_string())),
    }
}

/// An RGB image from raw RGBA pixels, row by row (a canvas's `ImageData`, such as a camera
/// frame), alpha dropped; the length must match the size.
pub fn rgb_from_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<RgbImage> {
    let want = width as usize * height as usize * 4;
    if width == 0 || height == 0 || rgba.len() != want {
        return Err(Error::Image(format!("a {width}x{height} RGBA frame needs {want} bytes, got {}", rgba.len())));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(Error::ImageTooLarge { width, height, limit: MAX_SIDE, max_mib: MAX_DECODED_BYTES >> 20 });
    }
    let rgb = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    Ok(RgbImage::from_raw(width, height, rgb).expect("the length was checked"))
}

/// Whether a JPEG's bytes hold an end-of-image marker (FF D9) after its last scan begins
/// (FF DA). Inside a scan an FF byte is always followed by 00 or a restart marker, so the pair
/// only appears once the image data is complete; the last scan, not the first, because an
/// EXIF thumbnail before the image has scans and an end marker of its own.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let Some(scan) = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]) else { return false };
    bytes[scan..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Resizes to the model's input size with [`RESIZE_FILTER`]; a no-op when already that size.
pub fn resize(img: &RgbImage, size: InputSize) -> RgbImage {
    if img.width() == size.width && img.height() == size.height {
        return img.clone();
    }
    image::imageops::resize(img, size.width, size.height, RESIZE_FILTER)
}

/// Converts interleaved RGB8 pixels (H, W, C) to f32 in 0..1, channels first (C, H, W).
pub fn rgb_to_chw(rgb: &[u8], size: InputSize) -> Vec<f32> {
    let plane = (size.width * size.height) as usize;
    assert_eq!(rgb.len(), plane * 3, "pixel buffer does not match {size}");
    let mut out = vec![0f32; plane * 3];
    for (i, px) in rgb.chunks_exact(3).enumerate() {
        for c in 0..3 {
            out[c * plane + i] = px[c] as f32 / 255.0;
        }
    }
    out
}

/// Decodes and resizes an image to the model's RGB8 input pixels.
pub fn load_rgb(bytes: &[u8], size: InputSize) -> Result<RgbImage> {
    Ok(resize(&decode_rgb(bytes)?, size))
}

/// The whole path from encoded bytes to a (1, 3, H, W) tensor ready for the model.
pub fn image_tensor(bytes: &[u8], size: InputSize, device: &Device) -> Result<Tensor> {
    let rgb = load_rgb(bytes, size)?;
    let chw = rgb_to_chw(rgb.as_raw(), size);
    Ok(Tensor::from_vec(chw, (1, 3, size.height as usize, size.width as usize), device)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};

    fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        img.write_to(&mut buf, format).unwrap();
        buf.into_inner()
    }

    fn size(w: u32, h: u32) -> InputSize {
        InputSize { width: w, height: h }
    }

    #[test]
    fn rgb_png_round_trips_exactly() {
        let img = RgbImage::from_fn(5, 4, |x, y| image::Rgb([x as u8 * 40, y as u8 * 50, 7]));
        let bytes = encode(DynamicImage::ImageRgb8(img.clone()), ImageFormat::Png);
        assert_eq!(decode_rgb(&bytes).unwrap(), img);
    }

    #[test]
    fn grey_rgba_and_16_bit_become_rgb8() {
        let grey = image::GrayImage::from_pixel(3, 3, image::Luma([100]));
        let rgb = decode_rgb(&encode(DynamicImage::ImageLuma8(grey), ImageFormat::Png)).unwrap();
        assert_eq!(rgb.get_pixel(1, 1).0, [100, 100, 100]);

        let rgba = RgbaImage::from_pixel(2, 2, Rgba([10, 20, 30, 0]));
        let rgb = decode_rgb(&encode(DynamicImage::ImageRgba8(rgba), ImageFormat::Png)).unwrap();
        assert_eq!(rgb.get_pixel(0, 0).0, [10, 20, 30], "alpha is dropped, colour kept");

        let deep = image::ImageBuffer::<image::Rgb<u16>, _>::from_pixel(2, 2, image::Rgb([65535u16, 0, 32896]));
        let rgb = decode_rgb(&encode(DynamicImage::ImageRgb16(deep), ImageFormat::Png)).unwrap();
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 0, 128]);
    }

    #[test]
    fn jpeg_decodes() {
        let img = RgbImage::from_pixel(16, 16, image::Rgb([200, 30, 30]));
        let rgb = decode_rgb(&encode(DynamicImage::ImageRgb8(img), ImageFormat::Jpeg)).unwrap();
        let [r, g, b] = rgb.get_pixel(8, 8).0;
        assert!(r > 180 && g < 60 && b < 60, "got {r} {g} {b}");
    }

    #[test]
    fn garbage_and_truncated_files_are_errors() {
        assert!(matches!(decode_rgb(b"certainly not an image"), Err(Error::Image(_))));
        let frame = rgb_from_rgba(2, 1, &[1, 2, 3, 255, 4, 5, 6, 0]).unwrap();
        assert_eq!(frame.as_raw(), &[1, 2, 3, 4, 5, 6]);
        assert!(matches!(rgb_from_rgba(2, 2, &[0; 8]), Err(Error::Image(m)) if m.contains("needs 16 bytes")));
        let img = RgbImage::from_pixel(64, 64, image::Rgb([1, 2, 3]));
        let bytes = encode(DynamicImage::ImageRgb8(img), ImageFormat::Png);
        assert!(matches!(decode_rgb(&bytes[..bytes.len() / 2]), Err(Error::Image(_))));
    }

    #[test]
    fn a_jpeg_cut_short_is_an_error_not_a_grey_image() {
        // Noise, so that the scan is long and a cut lands inside it.
        let img = RgbImage::from_fn(96, 64, |x, y| image::Rgb([(x * 37 % 251) as u8, (y * 91 % 247) as u8, ((x * y) % 239) as u8]));
        let bytes = encode(DynamicImage::ImageRgb8(img), ImageFormat::Jpeg);
        assert!(decode_rgb(&bytes).is_ok());
        for cut in [bytes.len() / 2, bytes.len() - 2] {
            match decode_rgb(&bytes[..cut]) {
                Err(Error::Image(m)) => assert!(m.contains("truncated"), "{m}"),
                other => panic!("a JPEG cut at {cut} of {} bytes decoded: {other:?}", bytes.len()),
            }
        }
        // Bytes after the end marker (some cameras append data) are fine.
        let mut padded = bytes.clone();
        padded.extend_from_slice(&[0u8; 16]);
        assert!(decode_rgb(&padded).is_ok());
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        let png = crate::fixtures::png_claiming_size(100_000, 100_000);
        match decode_rgb(&png) {
            Err(Error::ImageTooLarge { width: 100_000, height: 100_000, .. }) => {}
            other => panic!("expected ImageTooLarge, got {other:?}"),
        }
    }

    #[test]
    fn chw_layout_and_scale() {
        // 2x1 image: red pixel then blue pixel.
        let chw = rgb_to_chw(&[255, 0, 0, 0, 0, 255], size(2, 1));
        assert_eq!(chw, vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn tensor_has_model_shape() {
        let img = RgbImage::from_pixel(50, 20, image::Rgb([255, 255, 255]));
        let bytes = encode(DynamicImage::ImageRgb8(img), ImageFormat::Png);
        let t = image_tensor(&bytes, size(32, 24), &Device::Cpu).unwrap();
        assert_eq!(t.dims(), &[1, 3, 24, 32]);
        let max = t.max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!((max - 1.0).abs() < 1e-6);
    }
}
