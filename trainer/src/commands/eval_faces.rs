//! `ocellus eval faces`: the faces in each photo, printed (or as JSON) and drawn with their
//! scores on a copy of the photo saved as PNG.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ab_glyph::{FontRef, PxScale};
use anyhow::{Context, Result};
use candle_core::Device;
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_hollow_rect_mut, draw_text_mut};
use imageproc::rect::Rect;
use ocellus::boxes::merge::Scored;
use ocellus::face_detection::{detect, DetectOptions, Detections};
use ocellus::image_input::decode_rgb;
use ocellus::TaskKind;
use serde_json::json;

use super::each_image::each_image;
use super::model_file::load_model;
use crate::cli::EvalFacesArgs;

/// A copy of `photo` with each face's box (3 pixels wide) and score drawn on it.
fn draw(photo: &RgbImage, faces: &[Scored]) -> Result<RgbImage> {
    let font = FontRef::try_from_slice(crate::training::plot::FONT).context("the bundled font")?;
    let mut canvas = photo.clone();
    let green = Rgb([40, 230, 60]);
    for f in faces {
        let (x, y) = (f.bounds.x0.round() as i32, f.bounds.y0.round() as i32);
        let (w, h) = (f.bounds.width().round().max(1.0) as u32, f.bounds.height().round().max(1.0) as u32);
        for grow in 0..3 {
            draw_hollow_rect_mut(&mut canvas, Rect::at(x - grow, y - grow).of_size(w + 2 * grow as u32, h + 2 * grow as u32), green);
        }
        draw_text_mut(&mut canvas, green, x, (y - 16).max(0), PxScale::from(14.0), &font, &format!("{:.3}", f.score));
    }
    Ok(canvas)
}

/// Where the drawings go: `NAME.faces.png` in one folder, a number added when two photos
/// share a name, and never over one of the photos given (the user's data stays untouched).
struct Drawings {
    folder: PathBuf,
    inputs: HashSet<PathBuf>,
    taken: HashSet<PathBuf>,
}

impl Drawings {
    fn new(folder: &Path, photos: &[PathBuf]) -> Drawings {
        let inputs = photos.iter().map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())).collect();
        Drawings { folder: folder.to_path_buf(), inputs, taken: HashSet::new() }
    }

    /// The path for the drawing of `photo`.
    fn path_for(&mut self, photo: &Path) -> PathBuf {
        let stem = photo.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "photo".into());
        for n in 1.. {
            let name = if n == 1 { format!("{stem}.faces.png") } else { format!("{stem}.{n}.faces.png") };
            let path = self.folder.join(name);
            let resolved = self.folder.canonicalize().map(|d| d.join(path.file_name().expect("a file name"))).unwrap_or_else(|_| path.clone());
            if !self.inputs.contains(&resolved) && self.taken.insert(resolved) {
                return path;
            }
        }
        unreachable!("some number is free")
    }
}

/// Detects the faces in one photo and draws them.
fn one(model: &ocellus::TrainedModel, path: &Path, options: DetectOptions, drawings: &mut Drawings) -> Result<(Detections, PathBuf, f64)> {
    let start = Instant::now();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let photo = decode_rgb(&bytes)?;
    let epoch = Instant::now();
    let found = detect(model, &photo, options, || epoch.elapsed().as_secs_f64() * 1000.0)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let out = drawings.path_for(path);
    let mut png = std::io::Cursor::new(Vec::new());
    draw(&photo, &found.faces)?.write_to(&mut png, image::ImageFormat::Png)?;
    crate::atomic_file::write(&out, png.get_ref()).with_context(|| format!("cannot write {}", out.display()))?;
    Ok((found, out, ms))
}

/// Runs the command.
pub fn run(args: EvalFacesArgs) -> Result<()> {
    let model = load_model(&args.model, TaskKind::Faces, &Device::Cpu)?;
    let folder = args.draw.clone().unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let mut drawings = Drawings::new(&folder, &args.images);
    let options = args.detect.options(&model.card);
    each_image(&args.images, "searched", |path| {
        let (found, out, ms) = one(&model, path, options, &mut drawings)?;
        if args.json {
            let faces: Vec<_> = found.faces.iter().map(|f| json!({ "box": [f.bounds.x0, f.bounds.y0, f.bounds.x1, f.bounds.y1], "score": f.score })).collect();
            let drawn = out.display().to_string();
            println!(
                "{}",
                json!({ "image": path.display().to_string(), "faces": faces, "drawn": drawn, "proposals_ms": found.proposals_ms, "model_ms": found.model_ms, "ms": ms })
            );
        } else {
            println!(
                "{}: {} face(s) in {ms:.0} ms (proposals {:.0} ms, model {:.0} ms), drawn on {}",
                path.display(),
                found.faces.len(),
                found.proposals_ms,
                found.model_ms,
                out.display()
            );
            for f in &found.faces {
                println!("  face {:.3} at x0 {:.0} y0 {:.0} x1 {:.0} y1 {:.0}", f.score, f.bounds.x0, f.bounds.y0, f.bounds.x1, f.bounds.y1);
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawings_never_land_on_an_input_nor_on_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.jpg");
        let clash = dir.path().join("a.faces.png");
        let other = dir.path().join("sub").join("a.jpg");
        std::fs::create_dir_all(other.parent().unwrap()).unwrap();
        for p in [&a, &clash, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        let mut drawings = Drawings::new(dir.path(), &[a.clone(), clash.clone(), other.clone()]);
        // a.faces.png is one of the photos: the drawing of a.jpg takes the next name.
        assert_eq!(drawings.path_for(&a), dir.path().join("a.2.faces.png"));
        assert_eq!(drawings.path_for(&clash), dir.path().join("a.faces.faces.png"));
        assert_eq!(drawings.path_for(&other), dir.path().join("a.3.faces.png"));
    }
}
