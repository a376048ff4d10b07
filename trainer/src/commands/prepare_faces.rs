//! `ocellus prepare faces`: the tutorial's Fast-RCNN prepare step (proposals, sampled regions
//! and their offsets, cached per photo; see `detection::region_preparation`).

use anyhow::Result;

use crate::cli::PrepareFacesArgs;
use crate::dataset::face_boxes::{self, AnnotatedImage};
use crate::dataset::skipped_report;
use crate::detection::region_preparation::prepare_photos;
use crate::detection::sample_cache::RegionSettings;

/// Runs the command.
pub fn run(args: PrepareFacesArgs) -> Result<()> {
    let (csv, images) = args.faces.paths()?;
    let data = face_boxes::read(&csv, &images)?;
    println!("data: {} images with {} face boxes in {}", data.images.len(), data.boxes, csv.display());
    skipped_report::print("reading the boxes", &data.skipped);
    let photos: Vec<&AnnotatedImage> = data.images.iter().take(args.limit.unwrap_or(usize::MAX)).collect();
    prepare_photos(&photos, &args.cache, RegionSettings { side: args.side, proposals: args.proposals, sampling: args.sampling }).map(|_| ())
}
