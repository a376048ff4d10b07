//! `ocellus train captcha`: read `<serial>-<CODE>` captchas, train the ResNet-18 with one
//! softmax per character (the same loop as classification), test, and write the model.

use anyhow::Result;
use ocellus::captcha_code::Alphabet;
use ocellus::{Arch, ModelCard, Task};

use super::prepare_classify::prepare_catalog;
use super::train_run::{train_and_record, MetricKeys};
use crate::training::Recipe;
use crate::cli::{TrainCaptchaArgs, TrainOptions};
use crate::dataset::augment::Augment;
use crate::dataset::captcha_layout::scan;
use crate::training::{CodeReading, ImageLesson};

/// Runs the command.
pub fn run(args: TrainCaptchaArgs) -> Result<()> {
    let opts = &TrainOptions { batch_size: Some(args.train.batch_size_or(100)?), ..args.train.clone() };
    let device = crate::device::open(&opts.device)?;
    let alphabet = args.alphabet.as_deref().map(Alphabet::new);
    let (catalog, shape) = scan(&args.data, args.length, alphabet.as_ref())?;
    println!("codes: {} characters from {} symbols ({})", shape.length, shape.alphabet.len(), shape.alphabet.as_string());
    let prepared = prepare_catalog(catalog, &args.data, args.input, opts.seed, opts.limit)?;
    let card = ModelCard::new(Task::Captcha { length: shape.length }, Arch::ResNet18 { width: args.width }, args.input, shape.alphabet.labels());
    let objective = CodeReading { length: shape.length, symbols: shape.alphabet.len() };
    let keys = MetricKeys { val: "val_code", train: "train_code", test: &["test_code", "test_char"], shown: &["code", "char"] };
    let augment = (opts.augment_on()).then_some(Augment::CAPTCHA);
    let lesson = ImageLesson { set: &prepared.set, objective: &objective, augment, views: Default::default() };
    train_and_record(card, &lesson, &prepared.split, &args.data, &keys, &opts.recipe(Recipe::tutorial(100))?, &|_| Ok(()), opts, &device)
}
