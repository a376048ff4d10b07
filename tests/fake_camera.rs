//! A fake webcam for the browser tests: real photos written as a Y4M video, which Chromium
//! plays as its camera (`--use-file-for-fake-video-capture`).

use std::io::Write;
use std::path::Path;

use image::RgbImage;

/// The camera's frame size, the one the page asks for.
pub const SIZE: (u32, u32) = (640, 480);

/// `photo` scaled to cover `size` and cut to it around its centre (no distortion).
pub fn cover(photo: &RgbImage, size: (u32, u32)) -> RgbImage {
    let scale = (size.0 as f32 / photo.width() as f32).max(size.1 as f32 / photo.height() as f32);
    let (w, h) = ((photo.width() as f32 * scale).ceil() as u32, (photo.height() as f32 * scale).ceil() as u32);
    let scaled = image::imageops::resize(photo, w.max(size.0), h.max(size.1), image::imageops::FilterType::Triangle);
    let (x, y) = ((scaled.width() - size.0) / 2, (scaled.height() - size.1) / 2);
    image::imageops::crop_imm(&scaled, x, y, size.0, size.1).to_image()
}

/// BT.601 limited-range Y, Cb, Cr of an RGB pixel (what Chromium assumes for a Y4M file).
fn ycbcr(p: [u8; 3]) -> (f32, f32, f32) {
    let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
    let y = 16.0 + 0.2568 * r + 0.5041 * g + 0.0979 * b;
    let cb = 128.0 - 0.1482 * r - 0.2910 * g + 0.4392 * b;
    let cr = 128.0 + 0.4392 * r - 0.3678 * g - 0.0714 * b;
    (y, cb, cr)
}

/// Writes `frames` (all of one even size), each repeated `repeat` times, as a 30 fps 4:2:0 Y4M.
pub fn write_y4m(path: &Path, frames: &[RgbImage], repeat: usize) -> std::io::Result<()> {
    let (w, h) = frames[0].dimensions();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg")?;
    for frame in frames {
        assert_eq!(frame.dimensions(), (w, h), "every frame has one size");
        let mut y_plane = Vec::with_capacity((w * h) as usize);
        let (mut u_plane, mut v_plane) = (Vec::new(), Vec::new());
        for p in frame.pixels() {
            y_plane.push(ycbcr(p.0).0.round().clamp(0.0, 255.0) as u8);
        }
        for by in (0..h).step_by(2) {
            for bx in (0..w).step_by(2) {
                let (mut cb, mut cr) = (0.0, 0.0);
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let (_, b, r) = ycbcr(frame.get_pixel(bx + dx, by + dy).0);
                    cb += b / 4.0;
                    cr += r / 4.0;
                }
                u_plane.push(cb.round().clamp(0.0, 255.0) as u8);
                v_plane.push(cr.round().clamp(0.0, 255.0) as u8);
            }
        }
        for _ in 0..repeat {
            out.write_all(b"FRAME\n")?;
            out.write_all(&y_plane)?;
            out.write_all(&u_plane)?;
            out.write_all(&v_plane)?;
        }
    }
    out.flush()
}

/// Mean absolute difference per channel value between two images of one size.
pub fn mean_difference(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| x.abs_diff(*y) as u64).sum();
    sum as f64 / a.as_raw().len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_y4m_has_its_header_and_whole_frames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.y4m");
        let frame = RgbImage::from_pixel(4, 2, image::Rgb([255, 255, 255]));
        write_y4m(&path, &[frame], 3).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let header = b"YUV4MPEG2 W4 H2 F30:1 Ip A1:1 C420jpeg\n";
        assert!(bytes.starts_with(header));
        // Each frame: "FRAME\n", 8 Y values, 2 Cb, 2 Cr.
        assert_eq!(bytes.len(), header.len() + 3 * (6 + 8 + 2 + 2));
        assert_eq!(bytes[header.len() + 6], 235, "white is Y 235 in limited range");
        let wide = RgbImage::from_pixel(100, 50, image::Rgb([10, 20, 30]));
        assert_eq!(cover(&wide, (40, 40)).dimensions(), (40, 40));
    }
}
