//! `ocellus bench-step`: milliseconds per training step (forward, loss, backward, optimiser) of
//! one model on random data, the median of each of those phases, and the
//! process's peak memory, as one JSON line.
//! `scripts/bench-training.sh` runs it beside PyTorch, with `OCELLUS_KERNELS=candle` for plain
//! candle; `scripts/gpu-check.sh` on CUDA beside the CPU. The weights and the batch come from
//! seeded host generators, so every device starts from the same numbers and the losses of
//! the steps (in the JSON line) can be compared across devices.

use std::time::Instant;

use anyhow::Result;
use candle_core::Tensor;
use ocellus::kernel_choice::{kernels, Kernels};
use ocellus::{Arch, InputSize, ModelCard, Task};

use crate::cli::{BenchStepArgs, StepModel};
use crate::training::adam::Adam;
use crate::training::code_reading::CodeReading;
use crate::training::fit::optimiser;
use crate::training::optimiser::Optimiser;
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
    let device = crate::device::open(&args.device)?;
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
    let mut adam = match args.model {
        StepModel::WhitenedCnn => optimiser(&trainee, &Recipe::fast(trainee.card.arch), 1)?,
        _ => Optimiser::Adam(Adam::new(trainee.trainable(), 1e-3)?),
    };
    let shape = (args.batch, 3, input.height as usize, input.width as usize);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    let pixels: Vec<f32> = (0..shape.0 * shape.1 * shape.2 * shape.3).map(|_| rand::Rng::random::<f32>(&mut rng)).collect();
    let x = Tensor::from_vec(pixels, shape, &device)?;
    let mut losses = Vec::new();
    // Milliseconds of [whole step, forward + loss, backward, optimizer].
    let mut step = || -> Result<[f64; 4]> {
        let start = Instant::now();
        let since = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
        let logits = trainee.network.forward_t(&x, true)?;
        let loss = objective.loss(&logits, &targets)?;
        let forward = since(start);
        let backward_start = Instant::now();
        let grads = loss.backward()?;
        let backward = since(backward_start);
        let optimizer_start = Instant::now();
        adam.step(&grads)?;
        losses.push(loss.to_scalar::<f32>()?);
        let optimizer = since(optimizer_start);
        Ok([since(start), forward, backward, optimizer])
    };
    step()?; // warm-up: first-touch allocations, thread pools
    let steps = (0..args.steps.max(1)).map(|_| step()).collect::<Result<Vec<[f64; 4]>>>()?;
    let median = |i: usize| {
        let mut v: Vec<f64> = steps.iter().map(|s| s[i]).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let ms = median(0);
    let phase = |i: usize| {
        let v = median(i);
        v[v.len() / 2]
    };
    let name = match kernels() {
        Kernels::Ocellus => "ocellus",
        Kernels::Candle => "candle",
    };
    let line = serde_json::json!({
        "impl": name,
        "model": format!("{:?}", args.model).to_lowercase(),
        "threads": candle_core::utils::get_num_threads(),
        "batch": args.batch,
        "ms": ms[ms.len() / 2],
        "ms_all": ms,
        "peak_rss_mb": peak_rss_mb(),
        "phases_ms": { "forward": phase(1), "backward": phase(2), "optimizer": phase(3) },
        "device": args.device,
        "losses": losses,
    });
    println!("{line}");
    Ok(())
}
