//! The run as a person at the terminal follows it: a progress bar per epoch (when stderr is a
//! terminal) and one line per finished epoch.

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

use super::observers::{BatchEnd, EpochEnd, Observer};

/// A fraction as a percentage with two decimals.
pub fn percent(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

/// The progress bar and the epoch lines.
pub struct Console {
    /// Draw progress bars.
    progress: bool,
    /// Batches per epoch.
    batches: usize,
    /// Most epochs.
    epochs: usize,
    /// The lesson's metric names (the first is shown).
    names: &'static [&'static str],
    bar: ProgressBar,
}

impl Console {
    /// A console for a run of `epochs` epochs of `batches` batches.
    pub fn new(progress: bool, batches: usize, epochs: usize, names: &'static [&'static str]) -> Console {
        Console { progress, batches, epochs, names, bar: ProgressBar::hidden() }
    }
}

impl Observer for Console {
    fn epoch_start(&mut self, epoch: usize, first_batch: usize) {
        self.bar = if self.progress { ProgressBar::new(self.batches as u64) } else { ProgressBar::hidden() };
        self.bar.set_style(ProgressStyle::with_template("epoch {prefix} {bar:25} {pos}/{len} batches  {msg}  ETA {eta}").expect("valid template"));
        self.bar.set_prefix(format!("{}/{}", epoch + 1, self.epochs));
        self.bar.set_position(first_batch as u64);
    }

    fn batch_end(&mut self, event: &BatchEnd) {
        self.bar.inc(1);
        self.bar.set_message(event.message.to_string());
    }

    fn epoch_end(&mut self, e: &EpochEnd) -> Result<()> {
        self.bar.finish_and_clear();
        let (r, name) = (e.record, self.names[0]);
        println!(
            "epoch {:>3}/{}  train loss {:.4} {name} {}  val loss {:.4} {name} {}  {:.1} s ({:.0} img/s){}",
            r.epoch,
            self.epochs,
            r.train_loss,
            percent(r.train[0]),
            r.val_loss,
            percent(r.val[0]),
            r.seconds,
            e.images_per_second,
            if e.improved { "  *best*" } else { "" }
        );
        Ok(())
    }

    fn stopped(&mut self, _: &super::observers::Stopped) -> Result<()> {
        self.bar.abandon();
        Ok(())
    }
}
