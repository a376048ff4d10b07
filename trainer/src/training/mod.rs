//! The training loop shared by every task, and what it keeps: optimiser state,
//! checkpoints, history and plots.

pub mod adam;
pub mod checkpoint;
pub mod code_reading;
pub mod ctc_reading;
pub mod evaluation;
pub mod fit;
pub mod history;
pub mod interrupt;
pub mod lesson;
pub mod lookahead;
pub mod memory_check;
pub mod objective;
pub mod optimiser;
pub mod patch_whitening;
pub mod plot;
pub mod recipe;
pub mod run_files;
pub mod run_lock;
pub mod schedule;
pub mod step_timing;
pub mod sgd;
pub mod tally;
pub mod trainee;
pub mod warm_start;

pub use evaluation::{evaluate, evaluate_final};
pub use fit::{fit, FitOptions, FitOutcome};
pub use code_reading::CodeReading;
pub use ctc_reading::CtcReading;
pub use lesson::{BatchOutcome, ImageLesson, Lesson};
pub use objective::{Classification, Objective};
pub use recipe::{Recipe, RecipeName};
pub use run_files::RunFiles;
pub use run_lock::RunLock;
pub use tally::Tally;
pub use trainee::Trainee;
