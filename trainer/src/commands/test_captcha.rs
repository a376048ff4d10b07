//! `ocellus test captcha`: full-code and per-character accuracy on a folder of captchas whose
//! file names hold their codes.

use anyhow::{bail, Result};
use ocellus::captcha_code::Alphabet;
use ocellus::{Task, TaskKind};
use rand::rngs::StdRng;
use serde_json::json;

use super::model_file::load_model;
use crate::dataset::skipped_report;
use crate::cli::{SplitChoice, TestCaptchaArgs};
use crate::dataset::captcha_layout::scan;
use crate::dataset::split::{limit, split};
use crate::dataset::ImageSet;
use crate::training::code_reading::code_objective;
use crate::training::Tally;

/// Runs the command.
pub fn run(args: TestCaptchaArgs) -> Result<()> {
    let device = args.device.open()?;
    let model = load_model(&args.model, TaskKind::Captcha, &device)?;
    let Task::Captcha { length } = model.card.task else { bail!("{} is not a captcha model", args.model.display()) };
    let alphabet = Alphabet::from_labels(&model.card.labels);
    let (catalog, _) = scan(&args.data, Some(length), Some(&alphabet), alphabet.is_case_sensitive())?;
    let choice = args.split.resolve(model.card.training.as_ref(), &args.data);
    println!("measuring on {}", choice.describe("every captcha"));
    let facts = model.card.training.clone().unwrap_or_default();
    // The held-out split is found the way training made it: the seeded subset, then the split.
    let samples: Vec<_> = match choice {
        SplitChoice::Test | SplitChoice::Validation => limit(catalog.samples.len(), facts.limit, facts.seed).into_iter().map(|i| catalog.samples[i].clone()).collect(),
        SplitChoice::All | SplitChoice::Auto => catalog.samples.clone(),
    };
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (set, undecodable) = ImageSet::load(&samples, model.card.input, show);
    let mut skipped = catalog.skipped.clone();
    skipped.extend(undecodable);
    skipped_report::print("reading the data", &skipped);
    if set.is_empty() {
        bail!("no captcha in {} could be read", args.data.display());
    }
    let objective = code_objective(model.card.code_head, length, alphabet.len());
    let indices: Vec<usize> = match choice {
        choice @ (SplitChoice::Test | SplitChoice::Validation) => {
            let parts = split(&(0..set.len()).map(|i| samples[set.origin(i)].part).collect::<Vec<_>>(), facts.seed);
            choice.part(parts)
        }
        SplitChoice::All | SplitChoice::Auto => (0..set.len()).collect(),
    };
    let mut tally = Tally::default();
    for chunk in indices.chunks(args.batch_size.max(1)) {
        let (x, y) = set.batch::<StdRng>(chunk, None, &device)?;
        let logits = model.logits(&x)?;
        tally.add(0.0, chunk.len(), &objective.hits(&logits, &y)?);
    }
    let (full, char) = (tally.metric(0), tally.metric(1));
    println!("full code {:.2}%  per character {:.2}%  on {} captchas", full * 100.0, char * 100.0, indices.len());
    if args.json {
        println!("{}", json!({ "full": full, "char": char, "count": indices.len() }));
    }
    Ok(())
}
