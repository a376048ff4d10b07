//! `ocellus choose-threshold`: picks a trained face model's score threshold again on its
//! validation photos (best F1 at IoU 0.5) and writes it into its card, for models trained
//! before training did this itself, or after the detection code changed.

use anyhow::{bail, Context, Result};
use candle_core::Device;
use ocellus::{weights, Arch, Task};

use crate::cli::{ChooseThresholdArgs, SplitChoice};
use crate::dataset::{face_boxes, skipped_report};
use crate::detection::photo_set::split_photos;
use crate::detection::threshold_choice::{even_steps, record_on_validation, softmax_steps};

/// Runs the command.
pub fn run(args: ChooseThresholdArgs) -> Result<()> {
    let bytes = std::fs::read(&args.model).with_context(|| format!("cannot read {}", args.model.display()))?;
    let card = weights::read_card(&bytes).with_context(|| format!("{} is not an Ocellus model file", args.model.display()))?;
    if !matches!(card.task, Task::Faces { .. }) {
        bail!("{} is a {} model: only face models have a score threshold", args.model.display(), card.task.name());
    }
    let Some(facts) = &card.training else {
        bail!("{} does not say how it was trained, so its validation photos are unknown", args.model.display());
    };
    let (csv, images) = args.faces.paths()?;
    if SplitChoice::Auto.resolve(Some(facts), &csv) != SplitChoice::Test {
        bail!("{} was trained on {}, not {}: its validation photos are not in this data", args.model.display(), facts.dataset, csv.display());
    }
    let data = face_boxes::read(&csv, &images)?;
    skipped_report::print("reading the boxes", &data.skipped);
    let parts = split_photos(data.images.len(), facts.limit, facts.seed);
    let steps = if matches!(card.arch, Arch::SingleShot { .. }) { even_steps() } else { softmax_steps() };
    record_on_validation(&data.images, &parts.val, &args.model, &Device::Cpu, &steps)
}
