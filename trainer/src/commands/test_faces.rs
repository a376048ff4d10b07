//! `ocellus test faces`: a face model's detection quality on held-out photos, as the field
//! measures it: average precision at IoU 0.5 (VOC, all-point), and precision and recall at the
//! model's threshold, with the mean time per photo.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ocellus::face_detection::{detect, DetectOptions};
use ocellus::image_input::decode_rgb;
use ocellus::TaskKind;
use serde_json::json;

use super::model_file::load_model;
use crate::dataset::skipped_report;
use crate::cli::{SplitChoice, TestFacesArgs};
use crate::dataset::face_boxes::{self, AnnotatedImage};
use crate::dataset::Skipped;
use crate::detection::average_precision::{average_precision_50_95, quality, PhotoResult};
use crate::detection::peer_detections;
use crate::detection::photo_set::split_photos;

/// Each photo's detections against its true boxes, and what they cost.
#[derive(Default)]
struct Measured {
    results: Vec<PhotoResult>,
    skipped: Vec<Skipped>,
    total_ms: f64,
    proposals_ms: f64,
    model_ms: f64,
}

/// The CSV indices of the photos to measure on: the model's held-out test split, its
/// validation split or every one.
fn chosen_photos(args: &TestFacesArgs, card: &ocellus::ModelCard, count: usize, choice: SplitChoice) -> Result<Vec<usize>> {
    let mut chosen: Vec<usize> = match choice {
        SplitChoice::All | SplitChoice::Auto => (0..count).collect(),
        SplitChoice::Test | SplitChoice::Validation => {
            let Some(facts) = &card.training else {
                bail!("{} does not say how it was trained, so its splits are unknown: use --split all on photos it never saw", args.model.display());
            };
            let parts = split_photos(count, facts.limit, facts.seed);
            choice.part(parts)
        }
    };
    chosen.sort_unstable();
    chosen.truncate(args.limit.unwrap_or(usize::MAX));
    Ok(chosen)
}

/// Runs the model on each chosen photo (or reads another detector's answers for it), keeping
/// every merged detection for the precision-recall curve.
fn measure(args: &TestFacesArgs, model: &ocellus::TrainedModel, photos: &[&AnnotatedImage], all: DetectOptions) -> Result<Measured> {
    let peer = args.detections.as_deref().map(peer_detections::read).transpose()?;
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) { ProgressBar::new(photos.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("detecting {bar:30} {pos}/{len} photos, {eta} left").expect("template"));
    let mut m = Measured::default();
    for photo in photos {
        if let Some(peer) = &peer {
            let name = photo.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let Some(answer) = peer.get(&name) else {
                bail!("{} has no answer for {name}", args.detections.as_ref().map(|p| p.display().to_string()).unwrap_or_default());
            };
            m.total_ms += answer.ms;
            m.model_ms += answer.ms;
            m.results.push(PhotoResult { found: answer.scored(), truth: photo.boxes.clone() });
            continue;
        }
        let start = Instant::now();
        let found = std::fs::read(&photo.path)
            .with_context(|| format!("cannot read {}", photo.path.display()))
            .and_then(|bytes| Ok(decode_rgb(&bytes)?))
            .and_then(|img| {
                let epoch = Instant::now();
                Ok(detect(model, &img, all, || epoch.elapsed().as_secs_f64() * 1000.0)?)
            });
        bar.inc(1);
        match found {
            Ok(d) => {
                m.total_ms += start.elapsed().as_secs_f64() * 1000.0;
                m.proposals_ms += d.proposals_ms;
                m.model_ms += d.model_ms;
                m.results.push(PhotoResult { found: d.faces, truth: photo.boxes.clone() });
            }
            Err(e) => m.skipped.push(Skipped { what: photo.path.display().to_string(), reason: format!("{e:#}") }),
        }
    }
    bar.finish_and_clear();
    Ok(m)
}

/// Runs the command.
pub fn run(args: TestFacesArgs) -> Result<()> {
    let model = load_model(&args.model, TaskKind::Faces, &candle_core::Device::Cpu)?;
    let (csv, images) = args.faces.paths()?;
    let data = face_boxes::read(&csv, &images)?;
    skipped_report::print("reading the boxes", &data.skipped);
    let split_choice = args.split.resolve(model.card.training.as_ref(), &csv);
    let chosen = chosen_photos(&args, &model.card, data.images.len(), split_choice)?;
    if chosen.is_empty() {
        bail!("no photos to test on in {}", csv.display());
    }
    if args.list_photos {
        for &i in &chosen {
            println!("{}", data.images[i].path.display());
        }
        return Ok(());
    }
    let options = args.detect.options(&model.card);
    // Every merged detection is kept for the precision-recall curve; the threshold is applied
    // afterwards for precision and recall (score-ordered merging commutes with it).
    let all = DetectOptions { threshold: f32::NEG_INFINITY, ..options };
    let photos: Vec<&AnnotatedImage> = chosen.iter().map(|&i| &data.images[i]).collect();
    let Measured { results, skipped, total_ms, proposals_ms, model_ms } = measure(&args, &model, &photos, all)?;
    skipped_report::print("detecting", &skipped);
    if results.is_empty() {
        bail!("none of the {} photos could be read", chosen.len());
    }
    let n = results.len() as f64;
    let curve = quality(&results, 0.5, f32::NEG_INFINITY);
    let at = quality(&results, 0.5, options.threshold);
    let ap50_95 = average_precision_50_95(&results);
    let who = match &args.detections {
        Some(file) => format!("{} (another detector's answers; photos chosen by {})", file.display(), args.model.display()),
        None => format!("{} ({})", args.model.display(), model.card.arch),
    };
    println!("model: {who}, {} photos with {} faces ({} split)", results.len(), curve.faces, split_choice.short_name());
    println!("AP@0.5: {:.2}%  AP@0.5:0.95: {:.2}%", curve.average_precision * 100.0, ap50_95 * 100.0);
    println!(
        "at threshold {}: precision {:.2}% ({} of {} detections), recall {:.2}% ({} of {} faces)",
        options.threshold,
        at.precision * 100.0,
        at.true_positives,
        at.detections,
        at.recall * 100.0,
        at.true_positives,
        at.faces
    );
    println!("time per photo: {:.0} ms (proposals {:.0} ms, model {:.0} ms)", total_ms / n, proposals_ms / n, model_ms / n);
    if args.json {
        println!(
            "{}",
            json!({
                "model": args.model.display().to_string(),
                "arch": model.card.arch.to_string(),
                "images": results.len(),
                "faces": curve.faces,
                "ap50": curve.average_precision,
                "ap50_95": ap50_95,
                "precision": at.precision,
                "recall": at.recall,
                "threshold": options.threshold,
                "detections": at.detections,
                "true_positives": at.true_positives,
                "ms_per_image": total_ms / n,
                "proposals_ms": proposals_ms / n,
                "model_ms": model_ms / n,
                "skipped": skipped.len(),
            })
        );
    }
    Ok(())
}
