//! `ocellus test classify`: top-1, top-3 and per-class accuracy on a labelled folder.

use std::collections::HashMap;

use anyhow::{bail, Result};
use ocellus::prediction::top_k_indices;
use ocellus::TaskKind;
use rand::rngs::StdRng;
use serde_json::json;

use super::model_file::load_model;
use crate::dataset::skipped_report;
use crate::cli::{SplitChoice, TestClassifyArgs};
use crate::dataset::split::{limit, split};
use crate::dataset::{Catalog, ImageSet, Sample, Skipped};

/// Runs the command.
pub fn run(args: TestClassifyArgs) -> Result<()> {
    let device = args.device.open()?;
    let mut model = load_model(&args.model, TaskKind::Classify, &device)?;
    if let Some(views) = args.views {
        model.card.views = views;
    }
    println!("views: {} ({} forward passes per image)", model.card.views.name(), model.card.views.passes());
    let catalog = Catalog::open(&args.data)?;
    let mut skipped = catalog.skipped.clone();

    // The folder's labels are matched to the model's by name, so their order may differ.
    let to_model: HashMap<&str, u32> =
        model.card.labels.iter().enumerate().map(|(i, l)| (l.as_str(), i as u32)).collect();
    let split_choice = args.split.resolve(model.card.training.as_ref(), &args.data);
    println!("measuring on {}", split_choice.describe("every image"));
    let facts = model.card.training.clone().unwrap_or_default();
    let kept = match split_choice {
        SplitChoice::All | SplitChoice::Auto => (0..catalog.samples.len()).collect(),
        SplitChoice::Test | SplitChoice::Validation => limit(catalog.samples.len(), facts.limit, facts.seed),
    };
    let mut samples: Vec<Sample> = Vec::new();
    for i in kept {
        let s = &catalog.samples[i];
        let name = &catalog.labels[s.targets[0] as usize];
        match to_model.get(name.as_str()) {
            Some(&m) => samples.push(Sample { targets: vec![m], ..s.clone() }),
            None => skipped.push(Skipped { what: s.source.to_string(), reason: format!("the model has no label '{name}'") }),
        }
    }
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (set, undecodable) = ImageSet::load(&samples, model.card.input, show);
    skipped.extend(undecodable);
    skipped_report::print("reading the data", &skipped);
    let indices: Vec<usize> = match split_choice {
        SplitChoice::All | SplitChoice::Auto => (0..set.len()).collect(),
        choice => {
            let parts: Vec<_> = (0..set.len()).map(|i| samples[set.origin(i)].part).collect();
            let parts = split(&parts, facts.seed);
            choice.part(parts)
        }
    };
    if indices.is_empty() {
        bail!("no labelled images of the model's classes to test in {}", args.data.display());
    }

    let labels = &model.card.labels;
    let (mut per_class, mut top1, mut top3) = (vec![(0usize, 0usize); labels.len()], 0usize, 0usize);
    for chunk in indices.chunks(args.batch_size.max(1)) {
        let (x, _) = set.batch::<StdRng>(chunk, None, &device)?;
        let logits = model.logits(&x)?.to_vec2::<f32>()?;
        for (&i, row) in chunk.iter().zip(&logits) {
            let truth = set.targets(i)[0] as usize;
            let best = top_k_indices(row, 3);
            let hit = best[0] == truth;
            top1 += hit as usize;
            top3 += best.contains(&truth) as usize;
            per_class[truth].0 += 1;
            per_class[truth].1 += hit as usize;
        }
    }
    let count = indices.len();
    let (t1, t3) = (top1 as f64 / count as f64, top3 as f64 / count as f64);
    println!("{:<16} {:>7} {:>9}", "class", "images", "top-1");
    for (label, (n, hits)) in labels.iter().zip(&per_class) {
        if *n > 0 {
            println!("{label:<16} {n:>7} {:>8.2}%", *hits as f64 / *n as f64 * 100.0);
        }
    }
    println!("top-1 {:.2}%  top-3 {:.2}%  on {count} images", t1 * 100.0, t3 * 100.0);
    if args.json {
        let classes: serde_json::Map<String, serde_json::Value> = labels
            .iter()
            .zip(&per_class)
            .filter(|(_, (n, _))| *n > 0)
            .map(|(l, (n, h))| (l.clone(), json!({ "count": n, "top1": *h as f64 / *n as f64 })))
            .collect();
        println!("{}", json!({ "top1": t1, "top3": t3, "count": count, "per_class": classes }));
    }
    Ok(())
}
