//! Refusing a `--batch-size` that cannot fit before training starts: on the CPU a failed
//! allocation aborts the process (no error to catch), so the tutorial's advice "lower the batch
//! size when memory runs out" becomes a check up front. Two small probe steps (forward and
//! backward) measure what a step holds at two batch sizes; the line through them gives the
//! requested size's need, which is compared with the memory the machine (or its cgroup) has free.

use anyhow::{bail, Result};
use candle_core::Device;
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::{Lesson, Trainee};
use crate::allocator;

/// Overrides the free memory the check sees (bytes; `512M`, `2G` also read), so that a test can
/// show the refusal without filling the machine.
pub const ASSUME_FREE: &str = "OCELLUS_ASSUME_FREE_MEMORY";

/// The larger probe step's batch size (the smaller is half of it).
const PROBE: usize = 8;

/// Share of the free memory a run may plan to use: the rest covers what the line misses
/// (allocator slack, the validation pass, other programs growing).
const USABLE: f64 = 0.85;

/// What one training step holds, measured at two batch sizes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepMemory {
    /// The smaller probe's batch size and its peak bytes.
    pub small: (usize, usize),
    /// The larger probe's batch size and its peak bytes.
    pub large: (usize, usize),
}

impl StepMemory {
    /// Bytes per example, from the two probes.
    pub fn per_example(&self) -> f64 {
        let (b1, p1) = self.small;
        let (b2, p2) = self.large;
        (p2 as f64 - p1 as f64).max(0.0) / (b2 - b1).max(1) as f64
    }

    /// Bytes a step of `batch` examples needs, on the line through the probes.
    pub fn need(&self, batch: usize) -> f64 {
        let (b2, p2) = self.large;
        p2 as f64 + self.per_example() * (batch as f64 - b2 as f64)
    }

    /// The largest batch whose need fits in `bytes`.
    pub fn largest_batch_within(&self, bytes: f64) -> usize {
        let (b2, p2) = self.large;
        let per = self.per_example();
        if per <= 0.0 {
            return usize::MAX;
        }
        ((bytes - p2 as f64) / per + b2 as f64).floor().max(0.0) as usize
    }
}

/// Refuses `batch` when a step of it needs more than the usable free memory, naming the
/// numbers and a batch size that fits. Only on the CPU, and only when the data holds more
/// examples than the probes use.
pub fn check_batch_fits(
    trainee: &Trainee,
    lesson: &dyn Lesson,
    train: &[usize],
    batch: usize,
    device: &Device,
) -> Result<()> {
    let batch = batch.min(train.len());
    if !device.is_cpu() || batch <= PROBE || train.len() < PROBE {
        return Ok(());
    }
    let Some(free) = free_memory() else {
        return Ok(());
    };
    let step = measure(trainee, lesson, &train[..PROBE], device)?;
    let usable = free as f64 * USABLE;
    if step.need(batch) > usable {
        // A quarter to spare: two measurements of the same step differ (threads allocate at
        // different moments), and the suggestion must pass the check when tried.
        let fits = step.largest_batch_within(usable * 0.75).max(1);
        bail!(
            "--batch-size {batch} needs about {} for one training step ({} per image, measured on steps of {} and {} images), \
             but {} of memory is free: use --batch-size {fits} or less",
            human(step.need(batch)),
            human(step.per_example()),
            step.small.0,
            step.large.0,
            human(free as f64)
        );
    }
    Ok(())
}

/// Peak bytes of a training step (forward and backward) at half and all of the examples of
/// `probe`, after one warm-up step; the
/// model's tensors, BatchNorm statistics included, are put back as they were.
fn measure(
    trainee: &Trainee,
    lesson: &dyn Lesson,
    probe: &[usize],
    device: &Device,
) -> Result<StepMemory> {
    let saved: std::collections::HashMap<_, _> = trainee
        .tensors()
        .into_iter()
        .map(|(n, t)| t.copy().map(|t| (n, t)))
        .collect::<candle_core::Result<_>>()?;
    let peak_of = |n: usize| -> Result<(usize, usize)> {
        let mut rng = StdRng::seed_from_u64(0);
        allocator::reset_peak();
        let base = allocator::live_bytes();
        let out = lesson.batch(&trainee.network, &probe[..n], true, Some(&mut rng), device)?;
        let grads = out.loss.backward()?;
        let peak = allocator::peak_bytes().saturating_sub(base);
        drop(grads);
        Ok((n, peak))
    };
    // A first step at the larger size allocates what stays for good (thread pools, kernel
    // scratch sized by the largest product so far): counted in a probe it halved the slope, and
    // the batch suggested was then refused (CI). Each probe runs twice; the line is drawn
    // through the smaller small one and the larger large one, the steeper of the two.
    peak_of(PROBE)?;
    let small = peak_of(PROBE / 2)?.min(peak_of(PROBE / 2)?);
    let large = peak_of(PROBE)?.max(peak_of(PROBE)?);
    trainee.restore(&saved)?;
    Ok(StepMemory { small, large })
}

/// The memory free to this process: the system's available memory, or its cgroup's if less;
/// `None` where it cannot be read.
fn free_memory() -> Option<u64> {
    if let Ok(v) = std::env::var(ASSUME_FREE) {
        return parse_bytes(&v);
    }
    let mut sys = sysinfo::System::new().ok()?;
    sys.refresh_memory();
    let system = sys.available_memory();
    let cgroup = sys
        .cgroup_limits()
        .map(|c| c.free_memory)
        .unwrap_or(u64::MAX);
    Some(system.min(cgroup)).filter(|&b| b > 0)
}

/// Reads `123`, `512M` or `2G` (binary units).
fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let scale = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return None,
    };
    digits.parse::<u64>().ok().map(|n| n * scale)
}

/// `1.5 GiB`, `12.0 MiB`.
fn human(bytes: f64) -> String {
    if bytes >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", bytes / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", bytes / (1u64 << 20) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_through_the_probes_gives_need_and_the_batch_that_fits() {
        let m = StepMemory {
            small: (2, 30 << 20),
            large: (4, 50 << 20),
        };
        assert_eq!(m.per_example(), (10 << 20) as f64);
        assert_eq!(m.need(100), (1010u64 << 20) as f64);
        assert_eq!(m.largest_batch_within((1010u64 << 20) as f64), 100);
        assert_eq!(m.largest_batch_within((1009u64 << 20) as f64), 99);
        assert_eq!(m.largest_batch_within(0.0), 0);
    }

    #[test]
    fn sizes_read_with_units() {
        assert_eq!(parse_bytes("512M"), Some(512 << 20));
        assert_eq!(parse_bytes("2G"), Some(2 << 30));
        assert_eq!(parse_bytes("1000"), Some(1000));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(human((3u64 << 29) as f64), "1.5 GiB");
    }
}
