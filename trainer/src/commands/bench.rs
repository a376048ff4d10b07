//! `ocellus bench`: training and inference throughput of the shipped architectures.

use std::time::Instant;

use anyhow::Result;
use candle_core::Tensor;
use ocellus::forward_timing::median;
use ocellus::{Arch, InputSize, ModelCard, Task};

use crate::cli::BenchArgs;
use crate::training::adam::Adam;
use crate::training::optimiser::Optimiser;
use crate::training::step_timing::{random_batch, TimedStep};
use crate::training::{Classification, Trainee};

/// Median seconds of `iters` runs of `f` after one warm-up run.
fn time(iters: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut secs = Vec::with_capacity(iters);
    for _ in 0..iters.max(1) {
        let t = Instant::now();
        f()?;
        secs.push(t.elapsed().as_secs_f64());
    }
    Ok(median(&secs))
}

/// Runs the command.
pub fn run(args: BenchArgs) -> Result<()> {
    let device = args.device.open()?;
    let mut archs = vec![Arch::LeNet, Arch::ResNet18 { width: 16 }, Arch::WhitenedCnn { width: 64 }];
    if !args.quick {
        archs.push(Arch::ResNet18 { width: 64 });
    }
    let threads = ocellus::ops::threads();
    println!("device {:?}, {threads} thread(s), median of {} run(s) after a warm-up, images/s", device, args.iters);
    println!("| model | train b100 | infer b1 | infer b100 | train step b100 (ms) |");
    println!("|---|---:|---:|---:|---:|");
    let input = InputSize::square(32);
    for arch in archs {
        let card = ModelCard::new(Task::Classify, arch, input, (0..10).map(|i| i.to_string()).collect());
        let trainee = Trainee::new(card, &device, 0)?;
        let optimiser = Optimiser::Adam(Adam::new(trainee.trainable(), 1e-3)?);
        let x100 = random_batch(input, 100, &device)?;
        let y100 = Tensor::from_vec((0..100u32).map(|i| i % 10).collect::<Vec<_>>(), 100, &device)?;
        let x1 = x100.narrow(0, 0, 1)?;
        let steps = TimedStep { trainee: &trainee, objective: &Classification::PLAIN, optimiser, x: x100.clone(), targets: y100 }.run(args.iters)?;
        let train = median(&steps.iter().map(|s| s.whole / 1000.0).collect::<Vec<_>>());
        let infer = |x: &Tensor| {
            time(args.iters, || {
                trainee.network.forward_t(x, false)?.to_vec2::<f32>()?;
                Ok(())
            })
        };
        let (b1, b100) = (infer(&x1)?, infer(&x100)?);
        println!(
            "| {arch} | {:.0} | {:.0} | {:.0} | {:.0} |",
            100.0 / train,
            1.0 / b1,
            100.0 / b100,
            train * 1000.0
        );
    }
    Ok(())
}
