//! Where a run starts: afresh, or from the checkpoint of an earlier run of the same model with
//! the same settings (anything else is refused, saying what differs).

use anyhow::{bail, Context, Result};

use super::FitOptions;
use crate::training::checkpoint::{self, RunConfig, TrainState};
use crate::training::lookahead::Lookahead;
use crate::training::optimiser::Optimiser;
use crate::training::{RunFiles, Tally, Trainee};

/// The loop's starting state: a fresh one, or (with `--resume`) the checkpoint's, with the
/// model, optimiser and lookahead restored from it.
pub fn start(
    trainee: &mut Trainee,
    optimiser: &mut Optimiser,
    lookahead: &mut Option<Lookahead>,
    config: RunConfig,
    opts: &FitOptions,
    files: &RunFiles,
) -> Result<TrainState> {
    if !opts.resume && !opts.restart && files.checkpoint.exists() {
        bail!("{} holds an earlier run: pass --resume to continue it, or --restart to start afresh and replace it", files.checkpoint.display());
    }
    if !opts.resume {
        return Ok(TrainState { config, epoch: 0, batch: 0, partial: Tally::default(), adam_steps: 0, history: Vec::new(), best: None, stale: 0 });
    }
    let ckpt = checkpoint::load(&files.checkpoint, &trainee.device).context("--resume needs the checkpoint of an earlier run")?;
    let (was, now) = (&ckpt.card, &trainee.card);
    if was.task != now.task || was.arch != now.arch || was.input != now.input || was.labels != now.labels {
        bail!(
            "cannot resume: {} holds a {} model for {} input with {} labels; this run asks for {} at {} with {} labels",
            files.checkpoint.display(),
            was.arch,
            was.input,
            was.labels.len(),
            now.arch,
            now.input,
            now.labels.len()
        );
    }
    ckpt.state.check_compatible(&config)?;
    trainee.restore(&ckpt.model)?;
    optimiser.restore(&ckpt.optimizer, ckpt.state.adam_steps)?;
    if let Some(l) = lookahead.as_mut() {
        l.restore(&ckpt.optimizer)?;
    }
    let state = ckpt.state;
    println!("resuming from {} at epoch {}, batch {} ({} epochs done)", files.checkpoint.display(), state.epoch + 1, state.batch, state.history.len());
    Ok(state)
}
