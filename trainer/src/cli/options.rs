//! Options several commands share: training settings, the device, on/off switches, the split
//! a `test` measures on.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Parses a `--views` value.
pub(super) fn parse_views(s: &str) -> Result<ocellus::test_views::TestViews, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| format!("'{s}' is not single, mirror or mirror-shift"))
}

/// Options every training command shares.
#[derive(Debug, Args, Clone)]
pub struct TrainOptions {
    /// Where to write the best weights (`.safetensors`); history, plot and checkpoint go beside it.
    #[arg(long)]
    pub out: PathBuf,
    /// Most epochs to run [default: the recipe's; the tutorial's: 100].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Stop after this many epochs without a better validation score [default: the recipe's; the tutorial's: 20].
    #[arg(long)]
    pub patience: Option<usize>,
    /// Mini-batch size [default: the recipe's; the tutorial's: 100; Fast-RCNN: 50 photos].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Base learning rate [default: the recipe's; the tutorial's: Adam at 1e-3].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Decay the learning rate along a cosine over --epochs (instead of the recipe's schedule).
    #[arg(long)]
    pub cosine: bool,
    /// Seed of the shuffle, the split and augmentation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where the tensors live.
    #[command(flatten)]
    pub device: DeviceArg,
    /// Use at most this many images (a seeded random subset), for quick runs.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Training-time augmentation [default: the recipe's; the tutorial's: off].
    #[arg(long, value_enum)]
    pub augment: Option<Toggle>,
    /// Continue an interrupted run from its checkpoint.
    #[arg(long, conflicts_with = "restart")]
    pub resume: bool,
    /// Start afresh even though a checkpoint of an earlier run with this --out exists (it is replaced).
    #[arg(long)]
    pub restart: bool,
}

impl TrainOptions {
    /// Whether `--augment on` was given.
    pub fn augment_on(&self) -> bool {
        self.augment == Some(Toggle::On)
    }

    /// `base` with the settings given on the command line in place of its own.
    pub fn recipe(&self, base: crate::training::Recipe) -> anyhow::Result<crate::training::Recipe> {
        let mut r = base;
        r.epochs = self.epochs.unwrap_or(r.epochs);
        r.patience = self.patience.unwrap_or(r.patience);
        r.batch_size = self.batch_size_or(r.batch_size)?;
        r.lr = self.lr.unwrap_or(r.lr);
        if self.cosine {
            r.schedule = crate::training::schedule::Schedule::Cosine;
        }
        if r.epochs == 0 {
            anyhow::bail!("--epochs must be at least 1");
        }
        Ok(r)
    }

    /// The batch size given, or the task's `default`; 0 is refused.
    pub fn batch_size_or(&self, default: usize) -> anyhow::Result<usize> {
        match self.batch_size.unwrap_or(default) {
            0 => anyhow::bail!("--batch-size must be at least 1"),
            n => Ok(n),
        }
    }
}

/// `--device`, shared by every command that runs a model.
#[derive(Debug, Args, Clone)]
pub struct DeviceArg {
    /// cpu, cuda or cuda:N.
    #[arg(long = "device", default_value = "cpu")]
    pub name: String,
}

impl DeviceArg {
    /// Opens the device, with a clear error for one that cannot work.
    pub fn open(&self) -> anyhow::Result<candle_core::Device> {
        crate::device::open(&self.name)
    }
}

/// on / off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Toggle {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Which images of a data set a `test` command measures on; every `test` command defaults to
/// `auto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitChoice {
    /// The held-out test split when the data is what the model was trained on (its card names
    /// it), else every image: never a score on images the model learnt from.
    Auto,
    /// Every labelled image.
    All,
    /// Only the held-out test split that training used (same seed and --limit as the model's).
    Test,
    /// Only the validation split that training picked its epoch on: for choices made after
    /// training (a threshold, a model to ship), so that the test split stays unseen.
    Validation,
}

impl SplitChoice {
    /// `All`, `Test` or `Validation`: `Auto` decided by whether `data` is the data set `facts`
    /// names.
    pub fn resolve(self, facts: Option<&ocellus::TrainingFacts>, data: &std::path::Path) -> SplitChoice {
        let same = |named: &str| match (std::fs::canonicalize(named), std::fs::canonicalize(data)) {
            (Ok(a), Ok(b)) => a == b,
            _ => std::path::Path::new(named) == data,
        };
        match self {
            SplitChoice::Auto if facts.is_some_and(|f| same(&f.dataset)) => SplitChoice::Test,
            SplitChoice::Auto => SplitChoice::All,
            other => other,
        }
    }

    /// The images of `parts` this choice measures on (`All` and `Auto`: every part).
    pub fn part(self, parts: crate::dataset::split::Split) -> Vec<usize> {
        match self {
            SplitChoice::Test => parts.test,
            SplitChoice::Validation => parts.val,
            SplitChoice::All | SplitChoice::Auto => {
                let mut all: Vec<usize> = parts.train.into_iter().chain(parts.val).chain(parts.test).collect();
                all.sort_unstable();
                all
            }
        }
    }

    /// The split's one-word name, as in "(test split)".
    pub fn short_name(self) -> &'static str {
        match self {
            SplitChoice::Test => "test",
            SplitChoice::Validation => "validation",
            SplitChoice::All | SplitChoice::Auto => "every",
        }
    }

    /// What the measured images are, for the report's first line.
    pub fn describe(self, everything: &'static str) -> &'static str {
        match self {
            SplitChoice::Test => "the held-out test split",
            SplitChoice::Validation => "the validation split",
            SplitChoice::All | SplitChoice::Auto => everything,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::split::Split;

    #[test]
    fn each_choice_takes_its_part_of_a_split() {
        let parts = || Split { train: vec![3, 0], val: vec![1], test: vec![4, 2] };
        assert_eq!(SplitChoice::Test.part(parts()), vec![4, 2]);
        assert_eq!(SplitChoice::Validation.part(parts()), vec![1]);
        assert_eq!(SplitChoice::All.part(parts()), vec![0, 1, 2, 3, 4]);
        assert_eq!((SplitChoice::Test.short_name(), SplitChoice::Auto.short_name()), ("test", "every"));
    }
}
