//! `ocellus prepare faces`: the tutorial's Fast-RCNN prepare step. Each photo is letterboxed to
//! the model's square input, selective search proposes regions on it, and the sampling rule
//! picks faces and background among them with their offsets; the result goes to a cache file
//! image by image, so training never recomputes proposals and an interrupted run resumes.

use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ocellus::boxes::letterbox::Letterbox;
use ocellus::boxes::offsets::BoxOffsets;
use ocellus::boxes::BoxXyxy;
use ocellus::image_input::decode_rgb;
use ocellus::proposals::{selective_search, Mode};
use rayon::prelude::*;

use super::skipped_report;
use crate::cli::PrepareFacesArgs;
use crate::dataset::face_boxes::{self, AnnotatedImage};
use crate::dataset::Skipped;
use crate::detection::sample_cache::{check_settings, ImageSamples, SampleCache};
use crate::detection::sampling::SamplingRule;

/// Images worked on in parallel between two appends to the cache.
const CHUNK: usize = 16;

/// One photo's training regions, or why it could not be read.
fn sample(photo: &AnnotatedImage, side: u32, proposals: usize) -> std::result::Result<ImageSamples, Skipped> {
    let name = photo.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = std::fs::read(&photo.path).map_err(|e| Skipped { what: photo.path.display().to_string(), reason: e.to_string() })?;
    let img = decode_rgb(&bytes).map_err(|e| Skipped { what: photo.path.display().to_string(), reason: e.to_string() })?;
    // The CSV's boxes are in the photo's pixels; a size that disagrees with the file means the
    // boxes would land in the wrong place.
    if img.dimensions() != photo.size {
        return Err(Skipped { what: photo.path.display().to_string(), reason: format!("is {}x{}, the CSV says {}x{}", img.width(), img.height(), photo.size.0, photo.size.1) });
    }
    let letterbox = Letterbox::new(img.dimensions(), (side, side));
    let input = letterbox.apply(&img);
    let truth: Vec<BoxXyxy> = photo.boxes.iter().map(|b| letterbox.to_target(b)).collect();
    let found: Vec<BoxXyxy> = selective_search(&input, Mode::Fast, proposals, 1).iter().map(|p| BoxXyxy::from_xywh(p.x as f32, p.y as f32, p.w as f32, p.h as f32)).collect();
    let regions = SamplingRule::default().select(&found, &truth);
    Ok(ImageSamples {
        image: name,
        regions: regions.iter().map(|r| [r.bounds.x0, r.bounds.y0, r.bounds.x1, r.bounds.y1]).collect(),
        labels: regions.iter().map(|r| r.face.is_some() as u32).collect(),
        offsets: regions.iter().map(|r| r.face.and_then(|t| BoxOffsets::encode(&r.bounds, &t)).map_or([0.0; 4], BoxOffsets::to_array)).collect(),
        side,
        proposals,
    })
}

/// Prepares the regions of `photos` into the cache at `cache` (those already there are kept),
/// reporting unreadable photos; returns every record the cache holds.
pub fn prepare_photos(photos: &[&AnnotatedImage], cache_path: &Path, side: u32, proposals: usize) -> Result<Vec<ImageSamples>> {
    let mut cache = SampleCache::open(cache_path)?;
    if !cache.is_empty() {
        check_settings(&SampleCache::read_all(cache_path)?, cache_path, side, proposals)?;
    }
    let todo: Vec<&AnnotatedImage> = photos.iter().copied().filter(|p| !p.path.file_name().is_some_and(|n| cache.has(&n.to_string_lossy()))).collect();
    if !cache.is_empty() {
        println!("resuming: {} of {} photos already in {}", photos.len() - todo.len(), photos.len(), cache_path.display());
    }
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) { ProgressBar::new(todo.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("proposals {bar:40} {pos}/{len} photos, {eta} left").expect("template"));
    let mut skipped = Vec::new();
    for chunk in todo.chunks(CHUNK) {
        let results: Vec<_> = chunk.par_iter().map(|p| sample(p, side, proposals)).collect();
        for r in results {
            match r {
                Ok(s) => cache.append(&s).with_context(|| format!("{}: cannot append", cache_path.display()))?,
                Err(s) => skipped.push(s),
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    skipped_report::print("preparing regions", &skipped);
    let all = SampleCache::read_all(cache_path)?;
    let faces: usize = all.iter().map(|s| s.labels.iter().filter(|&&l| l == 1).count()).sum();
    let regions: usize = all.iter().map(|s| s.labels.len()).sum();
    println!("prepared: {} photos, {regions} regions ({faces} faces, {} background) in {}", all.len(), regions - faces, cache_path.display());
    Ok(all)
}

/// Runs the command.
pub fn run(args: PrepareFacesArgs) -> Result<()> {
    let csv = args.csv.clone().unwrap_or_else(|| args.data.join("bbox.csv"));
    let images = args.images.clone().unwrap_or_else(|| args.data.join("images"));
    let data = face_boxes::read(&csv, &images)?;
    println!("data: {} images with {} face boxes in {}", data.images.len(), data.boxes, csv.display());
    skipped_report::print("reading the boxes", &data.skipped);
    let photos: Vec<&AnnotatedImage> = data.images.iter().take(args.limit.unwrap_or(usize::MAX)).collect();
    prepare_photos(&photos, &args.cache, args.side, args.proposals).map(|_| ())
}
