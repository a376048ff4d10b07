//! `ocellus proposals`: selective-search boxes for one image, printed and optionally drawn.

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result};
use image::Rgb;
use imageproc::drawing::draw_hollow_rect_mut;
use imageproc::rect::Rect;
use ocellus::image_input::decode_rgb;
use ocellus::proposals::selective_search;

use crate::cli::ProposalsArgs;

/// Runs the command.
pub fn run(args: ProposalsArgs) -> Result<()> {
    let bytes = std::fs::read(&args.image).with_context(|| format!("cannot read {}", args.image.display()))?;
    let img = decode_rgb(&bytes).with_context(|| format!("image {}", args.image.display()))?;
    let start = Instant::now();
    let boxes = selective_search(&img, args.mode, args.max, args.seed);
    let seconds = start.elapsed().as_secs_f64();
    let mut out = std::io::stdout().lock();
    for b in &boxes {
        writeln!(out, "{} {} {} {}", b.x, b.y, b.w, b.h)?;
    }
    eprintln!("{} proposals for {} ({}x{}) in {:.0} ms", boxes.len(), args.image.display(), img.width(), img.height(), seconds * 1000.0);
    if let Some(path) = &args.draw {
        let mut canvas = img.clone();
        for (i, b) in boxes.iter().enumerate() {
            // Colours cycle so that neighbouring boxes can be told apart.
            let color = [Rgb([230, 40, 40]), Rgb([40, 200, 60]), Rgb([50, 90, 240]), Rgb([240, 200, 30])][i % 4];
            draw_hollow_rect_mut(&mut canvas, Rect::at(b.x as i32, b.y as i32).of_size(b.w, b.h), color);
        }
        let mut png = std::io::Cursor::new(Vec::new());
        canvas.write_to(&mut png, image::ImageFormat::Png)?;
        crate::atomic_file::write(path, png.get_ref())?;
        eprintln!("drew them on {}", path.display());
    }
    Ok(())
}
