//! Samples decoded once into memory as RGB8 at the model's input size, and cut into
//! mini-batch tensors with the shared preprocessing.

use anyhow::{Context, Result};
use candle_core::{Device, Tensor};
use indicatif::{ProgressBar, ProgressStyle};
use ocellus::image_input::{load_rgb, resize, rgb_to_chw};
use ocellus::InputSize;
use rand::Rng;
use rayon::prelude::*;

use super::augment::Augment;
use super::{cifar_binary, Sample, Skipped, Source};

/// Decoded images and their targets.
#[derive(Clone, Debug)]
pub struct ImageSet {
    /// The size every image was resized to.
    pub size: InputSize,
    /// Targets per sample (1 for classification).
    pub targets_per_sample: usize,
    pixels: Vec<u8>,
    targets: Vec<u32>,
    sources: Vec<Source>,
    origin: Vec<usize>,
}

/// Decodes one sample's image at `size`.
fn decode(source: &Source, size: InputSize) -> Result<image::RgbImage> {
    match source {
        Source::File(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok(load_rgb(&bytes, size)?)
        }
        Source::CifarRecord { file, index } => Ok(resize(&cifar_binary::read_record(file, *index)?, size)),
    }
}

impl ImageSet {
    /// Decodes `samples` in parallel; samples that cannot be decoded are returned as skipped.
    pub fn load(samples: &[Sample], size: InputSize, show_progress: bool) -> (ImageSet, Vec<Skipped>) {
        let bar = if show_progress { ProgressBar::new(samples.len() as u64) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("decoding {bar:30} {pos}/{len} images ({per_sec}, ETA {eta})")
                .expect("valid template"),
        );
        let decoded: Vec<Result<image::RgbImage>> = samples
            .par_iter()
            .map(|s| {
                let r = decode(&s.source, size);
                bar.inc(1);
                r
            })
            .collect();
        bar.finish_and_clear();
        let targets_per_sample = samples.first().map_or(1, |s| s.targets.len());
        let mut set = ImageSet {
            size,
            targets_per_sample,
            pixels: Vec::with_capacity(samples.len() * size.rgb_len()),
            targets: Vec::with_capacity(samples.len() * targets_per_sample),
            sources: Vec::with_capacity(samples.len()),
            origin: Vec::with_capacity(samples.len()),
        };
        let mut skipped = Vec::new();
        for (k, (sample, image)) in samples.iter().zip(decoded).enumerate() {
            match image {
                Ok(img) => {
                    set.pixels.extend_from_slice(img.as_raw());
                    set.targets.extend_from_slice(&sample.targets);
                    set.sources.push(sample.source.clone());
                    set.origin.push(k);
                }
                Err(e) => skipped.push(Skipped { what: sample.source.to_string(), reason: format!("{e:#}") }),
            }
        }
        (set, skipped)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Where image `i` came from.
    pub fn source(&self, i: usize) -> &Source {
        &self.sources[i]
    }

    /// The index, in the sample list given to [`ImageSet::load`], of image `i`.
    pub fn origin(&self, i: usize) -> usize {
        self.origin[i]
    }

    /// The targets of image `i`.
    pub fn targets(&self, i: usize) -> &[u32] {
        &self.targets[i * self.targets_per_sample..(i + 1) * self.targets_per_sample]
    }

    /// RGB8 pixels (H, W, C) of image `i`.
    pub fn pixels(&self, i: usize) -> &[u8] {
        let n = self.size.rgb_len();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// The images `indices` as a (B, 3, H, W) tensor and their targets as (B,) or (B, T) u32,
    /// augmented when `augment` is given.
    pub fn batch<R: Rng>(
        &self,
        indices: &[usize],
        mut augment: Option<(&Augment, &mut R)>,
        device: &Device,
    ) -> Result<(Tensor, Tensor)> {
        let n = self.size.rgb_len();
        let mut chw = Vec::with_capacity(indices.len() * n);
        let mut scratch = vec![0u8; n];
        let mut targets = Vec::with_capacity(indices.len() * self.targets_per_sample);
        for &i in indices {
            let px = match augment.as_mut() {
                Some((aug, rng)) => {
                    aug.apply(self.pixels(i), self.size, *rng, &mut scratch);
                    &scratch[..]
                }
                None => self.pixels(i),
            };
            chw.extend(rgb_to_chw(px, self.size));
            targets.extend_from_slice(self.targets(i));
        }
        let (h, w) = (self.size.height as usize, self.size.width as usize);
        let x = Tensor::from_vec(chw, (indices.len(), 3, h, w), device)?;
        let y = if self.targets_per_sample == 1 {
            Tensor::from_vec(targets, indices.len(), device)?
        } else {
            Tensor::from_vec(targets, (indices.len(), self.targets_per_sample), device)?
        };
        Ok((x, y))
    }
}
