//! The accuracy-per-epoch plot (PNG), drawn with plotters into a buffer and saved with `image`.

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::history::EpochRecord;

/// The bundled font (Liberation Sans, SIL OFL 1.1): plots and drawn labels need no system fonts.
pub const FONT: &[u8] = include_bytes!("../../../static/fonts/LiberationSans-Regular.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Draws training and validation `metric` (index into the records' metrics) per epoch.
pub fn draw(path: &Path, title: &str, metric: usize, records: &[EpochRecord]) -> Result<()> {
    register_font();
    let (w, h) = (800u32, 500u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("plot: {e}"))?;
        let last = records.last().map_or(1, |r| r.epoch).max(2);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(1usize..last, 0f64..100f64)
            .map_err(|e| anyhow!("plot: {e}"))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("accuracy (%)")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| anyhow!("plot: {e}"))?;
        let series = [("train", &BLUE, true), ("validation", &RED, false)];
        for (name, colour, is_train) in series {
            let points = records.iter().map(|r| {
                let v = if is_train { r.train.get(metric) } else { r.val.get(metric) };
                (r.epoch, v.copied().unwrap_or(0.0) * 100.0)
            });
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(|e| anyhow!("plot: {e}"))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(|e| anyhow!("plot: {e}"))?;
        root.present().map_err(|e| anyhow!("plot: {e}"))?;
    }
    let img = image::RgbImage::from_raw(w, h, buf).expect("buffer has the plot's size");
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)?;
    crate::atomic_file::write(path, png.get_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_png_with_both_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acc.png");
        let records: Vec<EpochRecord> = (1..=5)
            .map(|e| EpochRecord {
                epoch: e,
                lr: 1e-3,
                train_loss: 1.0,
                train: vec![0.1 * e as f64],
                val_loss: 1.0,
                val: vec![0.08 * e as f64],
                seconds: 1.0,
            })
            .collect();
        draw(&path, "test", 0, &records).unwrap();
        let img = image::open(&path).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (800, 500));
        let blue = img.pixels().filter(|p| p.0 == [0, 0, 255]).count();
        let red = img.pixels().filter(|p| p.0 == [255, 0, 0]).count();
        assert!(blue > 100 && red > 100, "blue {blue} red {red}");
    }
}
