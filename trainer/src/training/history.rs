//! The per-epoch record of a run, kept in the checkpoint and written as CSV.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

/// One epoch's numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Learning rate used.
    pub lr: f64,
    /// Mean training loss.
    pub train_loss: f64,
    /// Training metrics (fractions), in the objective's order.
    pub train: Vec<f64>,
    /// Mean validation loss.
    pub val_loss: f64,
    /// Validation metrics (fractions).
    pub val: Vec<f64>,
    /// Wall-clock seconds of the training pass.
    pub seconds: f64,
}

/// The history as CSV text: one header line, one line per epoch.
pub fn to_csv(metric_names: &[&str], records: &[EpochRecord]) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["epoch".to_string(), "lr".into(), "train_loss".into()];
    header.extend(metric_names.iter().map(|n| format!("train_{n}")));
    header.push("val_loss".into());
    header.extend(metric_names.iter().map(|n| format!("val_{n}")));
    header.push("seconds".into());
    // Writing to a Vec cannot fail.
    out.write_record(&header).expect("in memory");
    for r in records {
        let mut row = vec![r.epoch.to_string(), r.lr.to_string(), format!("{:.6}", r.train_loss)];
        row.extend(r.train.iter().map(|v| format!("{v:.6}")));
        row.push(format!("{:.6}", r.val_loss));
        row.extend(r.val.iter().map(|v| format!("{v:.6}")));
        row.push(format!("{:.3}", r.seconds));
        out.write_record(&row).expect("in memory");
    }
    String::from_utf8(out.into_inner().expect("in memory")).expect("the fields are UTF-8")
}

/// Writes the history CSV atomically.
pub fn write_csv(path: &Path, metric_names: &[&str], records: &[EpochRecord]) -> Result<()> {
    crate::atomic_file::write(path, to_csv(metric_names, records).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_header_and_rows() {
        let r = EpochRecord { epoch: 1, lr: 0.001, train_loss: 2.0, train: vec![0.5], val_loss: 2.5, val: vec![0.25], seconds: 3.0 };
        let csv = to_csv(&["accuracy"], &[r]);
        assert_eq!(
            csv,
            "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n1,0.001,2.000000,0.500000,2.500000,0.250000,3.000\n"
        );
    }
}
