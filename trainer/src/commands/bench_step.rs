//! `ocellus bench-step`: milliseconds per training step (forward, loss, backward, optimiser) of
//! one model on random data, the median of each of those phases, and the
//! process's peak memory, as one JSON line.
//! `scripts/bench-training.sh` runs it beside PyTorch, with `OCELLUS_KERNELS=candle` for plain
//! candle; `scripts/gpu-check.sh` on CUDA beside the CPU. The weights and the batch come from
//! seeded host generators, so every device starts from the same numbers and the losses of
//! the steps (in the JSON line) can be compared across devices.

use anyhow::Result;
use candle_core::Tensor;
use ocellus::forward_timing::median;
use ocellus::ops::kernel_choice::{kernels, Kernels};
use ocellus::{Arch, InputSize, ModelCard, Task};

use crate::cli::{BenchStepArgs, StepModel};
use crate::training::adam::Adam;
use crate::training::code_reading::CodeReading;
use crate::training::optimiser::Optimiser;
use crate::training::step_timing::{random_batch, StepTimes, TimedStep};
use crate::training::{Classification, Objective, Recipe, Trainee};

/// Peak resident memory of this process in MB (Linux's VmHWM), if known.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Runs the command.
pub fn run(args: BenchStepArgs) -> Result<()> {
    let device = args.device.open()?;
    let digits: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let (card, objective, targets): (ModelCard, Box<dyn Objective>, Tensor) = match args.model {
        StepModel::Lenet | StepModel::Resnet18 | StepModel::WhitenedCnn => {
            let arch = match args.model {
                StepModel::Lenet => Arch::LeNet,
                StepModel::WhitenedCnn => Arch::WhitenedCnn { width: 64 },
                _ => Arch::ResNet18 { width: 64 },
            };
            let smoothing = if args.model == StepModel::WhitenedCnn { Recipe::fast(arch).label_smoothing } else { 0.0 };
            let y = Tensor::from_vec((0..args.batch as u32).map(|i| i % 10).collect::<Vec<_>>(), args.batch, &device)?;
            (ModelCard::new(Task::Classify, arch, InputSize::square(32), digits), Box::new(Classification { label_smoothing: smoothing }), y)
        }
        StepModel::Captcha => {
            let symbols: Vec<String> = "0123456789abcdefghijklmnopqrstuvwxyz".chars().map(String::from).collect();
            let y = Tensor::from_vec((0..args.batch as u32 * 4).map(|i| i % 36).collect::<Vec<_>>(), (args.batch, 4), &device)?;
            let card = ModelCard::new(Task::Captcha { length: 4 }, Arch::ResNet18 { width: 8 }, InputSize { width: 56, height: 24 }, symbols);
            (card, Box::new(CodeReading { length: 4, symbols: 36 }), y)
        }
    };
    let input = card.input;
    let trainee = Trainee::new(card, &device, 0)?;
    let optimiser = match args.model {
        StepModel::WhitenedCnn => Optimiser::for_recipe(&trainee, &Recipe::fast(trainee.card.arch), 1)?,
        _ => Optimiser::Adam(Adam::new(trainee.trainable(), 1e-3)?),
    };
    let x = random_batch(input, args.batch, &device)?;
    let steps = TimedStep { trainee: &trainee, objective: objective.as_ref(), optimiser, x, targets }.run(args.steps)?;
    let mut ms: Vec<f64> = steps.iter().map(|s| s.whole).collect();
    ms.sort_by(f64::total_cmp);
    let phase = |f: fn(&StepTimes) -> f64| median(&steps.iter().map(f).collect::<Vec<_>>());
    let name = match kernels() {
        Kernels::Ocellus => "ocellus",
        Kernels::Candle => "candle",
    };
    let line = serde_json::json!({
        "impl": name,
        "model": format!("{:?}", args.model).to_lowercase(),
        "threads": ocellus::ops::threads(),
        "batch": args.batch,
        "ms": median(&ms),
        "ms_all": ms,
        "peak_rss_mb": peak_rss_mb(),
        "phases_ms": { "forward": phase(|s| s.forward), "backward": phase(|s| s.backward), "optimizer": phase(|s| s.optimiser) },
        "device": args.device.name,
        "losses": steps.iter().map(|s| s.loss).collect::<Vec<_>>(),
    });
    println!("{line}");
    Ok(())
}
