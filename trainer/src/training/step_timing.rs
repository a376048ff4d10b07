//! One training step (forward and loss, backward, optimiser) timed phase by phase on a seeded
//! random batch: what `ocellus bench` and `ocellus bench-step` both measure.

use std::time::Instant;

use anyhow::Result;
use candle_core::{Device, Tensor};
use ocellus::InputSize;

use super::optimiser::Optimiser;
use super::{Objective, Trainee};

/// A batch of `batch` random images of `input`'s size, drawn from a seeded host generator so
/// that every device starts from the same numbers.
pub fn random_batch(input: InputSize, batch: usize, device: &Device) -> Result<Tensor> {
    let shape = (batch, 3, input.height as usize, input.width as usize);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    let pixels: Vec<f32> = (0..shape.0 * shape.1 * shape.2 * shape.3).map(|_| rand::Rng::random::<f32>(&mut rng)).collect();
    Ok(Tensor::from_vec(pixels, shape, device)?)
}

/// Milliseconds of one step, by phase, and its loss.
#[derive(Clone, Copy, Debug)]
pub struct StepTimes {
    /// The whole step.
    pub whole: f64,
    /// Forward pass and loss.
    pub forward: f64,
    /// Backward pass.
    pub backward: f64,
    /// The optimiser's update.
    pub optimiser: f64,
    /// The step's loss.
    pub loss: f32,
}

/// A model, its objective and optimiser, and one batch to train on again and again.
pub struct TimedStep<'a> {
    /// The model.
    pub trainee: &'a Trainee,
    /// Its loss.
    pub objective: &'a dyn Objective,
    /// Its optimiser.
    pub optimiser: Optimiser,
    /// The images.
    pub x: Tensor,
    /// Their targets.
    pub targets: Tensor,
}

impl TimedStep<'_> {
    /// Runs one training step and times its phases.
    pub fn step(&mut self) -> Result<StepTimes> {
        let since = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
        let start = Instant::now();
        let logits = self.trainee.network.forward_t(&self.x, true)?;
        let loss = self.objective.loss(&logits, &self.targets)?;
        let forward = since(start);
        let backward_start = Instant::now();
        let grads = loss.backward()?;
        let backward = since(backward_start);
        let optimiser_start = Instant::now();
        self.optimiser.step(&grads)?;
        let loss = loss.to_scalar::<f32>()?;
        let optimiser = since(optimiser_start);
        Ok(StepTimes { whole: since(start), forward, backward, optimiser, loss })
    }

    /// One warm-up step (first-touch allocations, thread pools), then `steps` timed ones.
    pub fn run(&mut self, steps: usize) -> Result<Vec<StepTimes>> {
        self.step()?;
        (0..steps.max(1)).map(|_| self.step()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::adam::Adam;
    use crate::training::Classification;
    use ocellus::{Arch, ModelCard, Task};

    #[test]
    fn steps_lower_the_loss_and_every_phase_is_timed() {
        let card = ModelCard::new(Task::Classify, Arch::LeNet, InputSize::square(32), (0..10).map(|i| i.to_string()).collect());
        let trainee = Trainee::new(card, &Device::Cpu, 0).unwrap();
        let objective = Classification::PLAIN;
        let optimiser = Optimiser::Adam(Adam::new(trainee.trainable(), 1e-3).unwrap());
        let x = random_batch(InputSize::square(32), 8, &Device::Cpu).unwrap();
        let targets = Tensor::from_vec((0..8u32).map(|i| i % 10).collect::<Vec<_>>(), 8, &Device::Cpu).unwrap();
        let mut timed = TimedStep { trainee: &trainee, objective: &objective, optimiser, x, targets };
        let times = timed.run(5).unwrap();
        assert_eq!(times.len(), 5);
        assert!(times.iter().all(|t| t.whole >= t.forward + t.backward && t.forward > 0.0 && t.backward > 0.0));
        assert!(times[4].loss < times[0].loss, "{:?}", times.iter().map(|t| t.loss).collect::<Vec<_>>());
    }
}
