//! The tutorial's Fast-RCNN and RCNN training regions, prepared once: each photo is letterboxed
//! to the model's square input, selective search proposes regions on it, and a sampling rule
//! picks faces and background among them with their offsets; the result goes to a cache file
//! image by image, so training never recomputes proposals and an interrupted run resumes.

use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ocellus::boxes::offsets::BoxOffsets;
use ocellus::boxes::BoxXyxy;
use ocellus::face_detection::letterboxed_proposals;
use ocellus::image_input::decode_rgb;
use rayon::prelude::*;

use super::sample_cache::{check_settings, ImageSamples, RegionSettings, SampleCache};
use crate::dataset::face_boxes::AnnotatedImage;
use crate::dataset::skipped_report;
use crate::dataset::Skipped;

/// Images worked on in parallel between two appends to the cache.
const CHUNK: usize = 16;

/// One photo's training regions, or why it could not be read.
fn sample(photo: &AnnotatedImage, settings: RegionSettings) -> std::result::Result<ImageSamples, Skipped> {
    let RegionSettings { side, proposals, sampling } = settings;
    let name = photo.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = std::fs::read(&photo.path).map_err(|e| Skipped { what: photo.path.display().to_string(), reason: e.to_string() })?;
    let img = decode_rgb(&bytes).map_err(|e| Skipped { what: photo.path.display().to_string(), reason: e.to_string() })?;
    // The CSV's boxes are in the photo's pixels; a size that disagrees with the file means the
    // boxes would land in the wrong place.
    if img.dimensions() != photo.size {
        return Err(Skipped { what: photo.path.display().to_string(), reason: format!("is {}x{}, the CSV says {}x{}", img.width(), img.height(), photo.size.0, photo.size.1) });
    }
    let found = letterboxed_proposals(&img, side, proposals);
    let truth: Vec<BoxXyxy> = photo.boxes.iter().map(|b| found.letterbox.to_target(b)).collect();
    let regions = sampling.select(&found.proposals, &truth);
    Ok(ImageSamples {
        image: name,
        regions: regions.iter().map(|r| r.bounds.into()).collect(),
        labels: regions.iter().map(|r| r.face.is_some() as u32).collect(),
        offsets: regions.iter().map(|r| r.face.and_then(|t| BoxOffsets::encode(&r.bounds, &t)).map_or([0.0; 4], BoxOffsets::to_array)).collect(),
        side,
        proposals,
        sampling,
    })
}

/// Prepares the regions of `photos` into the cache at `cache` (those already there are kept),
/// reporting unreadable photos; returns every record the cache holds.
pub fn prepare_photos(photos: &[&AnnotatedImage], cache_path: &Path, settings: RegionSettings) -> Result<Vec<ImageSamples>> {
    let mut cache = SampleCache::open(cache_path)?;
    if !cache.is_empty() {
        check_settings(&SampleCache::read_all(cache_path)?, cache_path, settings)?;
    }
    let todo: Vec<&AnnotatedImage> = photos.iter().copied().filter(|p| !p.path.file_name().is_some_and(|n| cache.has(&n.to_string_lossy()))).collect();
    if !cache.is_empty() {
        println!("resuming: {} of {} photos already in {}", photos.len() - todo.len(), photos.len(), cache_path.display());
    }
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) { ProgressBar::new(todo.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("proposals {bar:40} {pos}/{len} photos, {eta} left").expect("template"));
    let mut skipped = Vec::new();
    for chunk in todo.chunks(CHUNK) {
        let results: Vec<_> = chunk.par_iter().map(|p| sample(p, settings)).collect();
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
