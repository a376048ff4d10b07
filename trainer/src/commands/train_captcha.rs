//! `ocellus train captcha`: read `<serial>-<CODE>` captchas, train the ResNet-18 with a CTC
//! head (the default) or the tutorial's one softmax per character (the same loop as
//! classification), test, and write the model.

use anyhow::{bail, Result};
use ocellus::captcha_code::Alphabet;
use ocellus::models::ResNet18;
use ocellus::{Arch, CodeHead, InputSize, ModelCard, Task};

use crate::dataset::prepared::prepare_catalog;
use super::train_run::{train_and_record, MetricKeys};
use crate::cli::{CaptchaRecipe, Toggle, TrainCaptchaArgs, TrainOptions};
use crate::dataset::augment::Augment;
use crate::dataset::captcha_layout::{scan, typical_size};
use crate::training::Recipe;
use crate::training::code_reading::code_objective;
use crate::training::{CtcReading, ImageLesson};

/// ResNet-18's first-stage channels unless `--width` says otherwise.
pub const DEFAULT_WIDTH: usize = 8;
/// The input height images are scaled to unless `--input` says otherwise (aspect kept).
pub const DEFAULT_HEIGHT: u32 = 32;
/// Input pixels of width each character gets at least, by default: six serif characters on
/// 160x60 read 94.3% of their validation codes at 84x32 (14 pixels each), 94.9% at 96x36 (16).
pub const MIN_PIXELS_PER_CHARACTER: usize = 16;
/// Training images seen over a default run (epochs = this / training images, 10 to 100).
pub const DEFAULT_IMAGES_SEEN: usize = 800_000;

/// Runs the command.
pub fn run(args: TrainCaptchaArgs) -> Result<()> {
    let opts = &TrainOptions { batch_size: Some(args.train.batch_size_or(100)?), ..args.train.clone() };
    let device = opts.device.open()?;
    let alphabet = args.alphabet.as_deref().map(|a| Alphabet::with_case(a, args.case_sensitive));
    let (catalog, shape) = scan(&args.data, args.length, alphabet.as_ref(), args.case_sensitive)?;
    println!(
        "codes: {} characters from {} symbols ({}){}",
        shape.length,
        shape.alphabet.len(),
        shape.alphabet.as_string(),
        if shape.alphabet.is_case_sensitive() { ", case-sensitive" } else { "" }
    );
    let head: CodeHead = args.head.into();
    let input = match args.input {
        Some(size) => size,
        None => {
            let found = typical_size(&catalog)?;
            let input = scaled_input(found, shape.length);
            let wide = widened_for(head, shape.length, input);
            if wide == input {
                println!("input: {input} (the data's images are mostly {found}: scaled to {} pixels high, aspect kept, at least {MIN_PIXELS_PER_CHARACTER} pixels of width a character)", input.height);
            } else {
                println!("input: {wide} (the data's images are mostly {found}: scaled to {} pixels high, then widened from {input} so that CTC has a column for every character and blank)", input.height);
            }
            wide
        }
    };
    let prepared = prepare_catalog(catalog, &args.data, input, opts.seed, opts.limit)?;
    let width = args.width.unwrap_or(DEFAULT_WIDTH);
    let mut card = ModelCard::new(Task::Captcha { length: shape.length }, Arch::ResNet18 { width }, input, shape.alphabet.labels());
    card.code_head = head;
    if card.code_head == CodeHead::Ctc {
        let (columns, needed) = (ResNet18::map_columns(input.width as usize), CtcReading::columns_needed(shape.length));
        if columns < needed {
            bail!("a CTC head on a {input} input has {columns} columns, and codes of {} characters need {needed}: give a wider --input (8 pixels a column) or --head positions", shape.length);
        }
    }
    let objective = code_objective(card.code_head, shape.length, shape.alphabet.len());
    let keys = MetricKeys { val: "val_code", train: "train_code", test: &["test_code", "test_char"], shown: &["code", "char"] };
    let base = match args.recipe {
        CaptchaRecipe::Captcha => Recipe::captcha((DEFAULT_IMAGES_SEEN / prepared.split.train.len().max(1)).clamp(10, 100)),
        CaptchaRecipe::Tutorial => Recipe::tutorial(100),
    };
    let mut recipe = opts.recipe(base)?;
    match opts.augment {
        Some(Toggle::On) => recipe.augment = Some(Augment::CAPTCHA),
        Some(Toggle::Off) => recipe.augment = None,
        None => {}
    }
    println!("recipe: {}", serde_json::to_string(&recipe)?);
    let lesson = ImageLesson { set: &prepared.set, objective: objective.as_ref(), augment: recipe.augment, views: Default::default() };
    train_and_record(card, &lesson, &prepared.split, &args.data, &keys, &recipe, &|_| Ok(()), opts, &device)
}

/// The model input for images of `found` size holding codes of `length` characters:
/// `DEFAULT_HEIGHT` high, or taller (by 4s, to twice that at most) until the width gives each
/// character `MIN_PIXELS_PER_CHARACTER`; the width keeps the aspect (a multiple of 4, at least
/// 8 pixels so the network's strides fit).
pub fn scaled_input(found: InputSize, length: usize) -> InputSize {
    let width_at = |height: u32| {
        let width = (found.width as f64 * height as f64 / found.height.max(1) as f64 / 4.0).round() as u32 * 4;
        width.max(8)
    };
    let mut height = DEFAULT_HEIGHT;
    // Capped so a very long code on a tiny image cannot ask for a huge input.
    while (width_at(height) as usize) < MIN_PIXELS_PER_CHARACTER * length && height < 2 * DEFAULT_HEIGHT {
        height += 4;
    }
    InputSize { width: width_at(height), height }
}

/// `input`, widened (height kept) when a CTC head's map would have too few columns for codes
/// of `length` characters: the narrowest multiple of 4 that has enough.
pub fn widened_for(head: CodeHead, length: usize, input: InputSize) -> InputSize {
    if head != CodeHead::Ctc {
        return input;
    }
    let needed = CtcReading::columns_needed(length);
    let mut width = input.width;
    while ResNet18::map_columns(width as usize) < needed {
        width += 4;
    }
    InputSize { width, ..input }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_keep_the_aspect_at_32_pixels_high_unless_characters_would_be_narrow() {
        // The shipped style (4 characters) and style C (5) keep 32 pixels.
        assert_eq!(scaled_input(InputSize { width: 120, height: 50 }, 4), InputSize { width: 76, height: 32 });
        assert_eq!(scaled_input(InputSize { width: 100, height: 40 }, 5), InputSize { width: 80, height: 32 });
        // Six characters on 160x60 would get 14 pixels each at 84x32.
        assert_eq!(scaled_input(InputSize { width: 160, height: 60 }, 4), InputSize { width: 84, height: 32 });
        assert_eq!(scaled_input(InputSize { width: 160, height: 60 }, 6), InputSize { width: 96, height: 36 });
        // Eight characters on 120x50 grow to 56 high; a tall narrow image only to the cap.
        assert_eq!(scaled_input(InputSize { width: 120, height: 50 }, 8), InputSize { width: 136, height: 56 });
        assert_eq!(scaled_input(InputSize { width: 10, height: 200 }, 1), InputSize { width: 8, height: 64 });
    }

    #[test]
    fn a_ctc_input_is_widened_only_when_its_map_is_too_narrow() {
        let shipped = InputSize { width: 76, height: 32 };
        assert_eq!(widened_for(CodeHead::Ctc, 4, shipped), shipped);
        assert_eq!(widened_for(CodeHead::Positions, 8, shipped), shipped);
        // 8 characters need 15 columns: 8 pixels each after three halvings.
        let wide = widened_for(CodeHead::Ctc, 8, shipped);
        assert_eq!(wide, InputSize { width: 116, height: 32 });
        assert_eq!(ResNet18::map_columns(116), 15);
        assert_eq!(ResNet18::map_columns(112), 14);
    }
}
