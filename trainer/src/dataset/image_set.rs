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

    /// A set of already decoded pixels (each `size.rgb_len()` bytes) with targets and sources.
    pub fn from_pixels(size: InputSize, items: Vec<(Vec<u8>, Vec<u32>, Source)>) -> ImageSet {
        let targets_per_sample = items.first().map_or(1, |(_, t, _)| t.len());
        let mut set = ImageSet { size, targets_per_sample, pixels: Vec::new(), targets: Vec::new(), sources: Vec::new(), origin: Vec::new() };
        for (k, (pixels, targets, source)) in items.into_iter().enumerate() {
            assert_eq!(pixels.len(), size.rgb_len(), "pixels do not match {size}");
            set.pixels.extend(pixels);
            set.targets.extend(targets);
            set.sources.push(source);
            set.origin.push(k);
        }
        set
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Catalog;
    use image::{DynamicImage, ImageFormat};
    use std::path::Path;

    fn save(img: DynamicImage, path: &Path, format: ImageFormat) {
        img.save_with_format(path, format).unwrap();
    }

    /// A class-folder dataset with one image of every awkward kind.
    fn awkward_folder(root: &Path) {
        let dir = root.join("thing");
        std::fs::create_dir_all(&dir).unwrap();
        let rgb = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 50]));
        save(DynamicImage::ImageRgb8(rgb.clone()), &dir.join("rgb.png"), ImageFormat::Png);
        save(DynamicImage::ImageRgb8(rgb.clone()), &dir.join("photo.jpg"), ImageFormat::Jpeg);
        save(DynamicImage::ImageRgb8(rgb).grayscale(), &dir.join("grey.png"), ImageFormat::Png);
        let rgba = image::RgbaImage::from_pixel(8, 8, image::Rgba([1, 2, 3, 128]));
        save(DynamicImage::ImageRgba8(rgba), &dir.join("rgba.png"), ImageFormat::Png);
        let deep = image::ImageBuffer::<image::Rgb<u16>, _>::from_pixel(8, 8, image::Rgb([1000u16, 40000, 65535]));
        save(DynamicImage::ImageRgb16(deep), &dir.join("deep.png"), ImageFormat::Png);
        std::fs::write(dir.join("corrupt.png"), b"\x89PNG\r\n\x1a\nthis is not the rest of a png").unwrap();
        let whole = std::fs::read(dir.join("rgb.png")).unwrap();
        std::fs::write(dir.join("truncated.png"), &whole[..whole.len() / 2]).unwrap();
        std::fs::write(dir.join("huge.png"), ocellus::fixtures::png_claiming_size(50_000, 50_000)).unwrap();
        std::fs::write(dir.join("README"), b"not an image, not counted").unwrap();
    }

    #[test]
    fn awkward_images_load_or_are_skipped_by_name() {
        let root = tempfile::tempdir().unwrap();
        awkward_folder(root.path());
        let catalog = Catalog::open(root.path()).unwrap();
        assert_eq!(catalog.samples.len(), 8, "README is not an image");
        let size = InputSize::square(16);
        let (set, skipped) = ImageSet::load(&catalog.samples, size, false);
        assert_eq!(set.len(), 5, "rgb, jpeg, grey, rgba and 16-bit load");
        let mut names: Vec<(String, String)> = skipped
            .iter()
            .map(|s| (Path::new(&s.what).file_name().unwrap().to_string_lossy().into_owned(), s.reason.clone()))
            .collect();
        names.sort();
        assert_eq!(names.len(), 3, "{names:?}");
        assert_eq!(names[0].0, "corrupt.png");
        assert_eq!(names[1].0, "huge.png");
        assert!(names[1].1.contains("too large: 50000x50000"), "{:?}", names[1]);
        assert_eq!(names[2].0, "truncated.png");
        // 16-bit white-ish blue pixel is scaled to 8 bits.
        let deep = (0..set.len()).find(|&i| set.source(i).to_string().ends_with("deep.png")).unwrap();
        assert_eq!(&set.pixels(deep)[..3], &[4, 156, 255]);
    }

    #[test]
    fn batches_use_the_shared_preprocessing() {
        let root = tempfile::tempdir().unwrap();
        awkward_folder(root.path());
        let catalog = Catalog::open(root.path()).unwrap();
        let size = InputSize { width: 12, height: 10 };
        let (set, _) = ImageSet::load(&catalog.samples, size, false);
        let (x, y) = set.batch::<rand::rngs::StdRng>(&[0, 1], None, &Device::Cpu).unwrap();
        assert_eq!(x.dims(), &[2, 3, 10, 12]);
        assert_eq!(y.to_vec1::<u32>().unwrap(), vec![0, 0]);
        let Source::File(path) = set.source(1) else { panic!() };
        let direct = ocellus::image_input::image_tensor(&std::fs::read(path).unwrap(), size, &Device::Cpu).unwrap();
        let from_batch = x.narrow(0, 1, 1).unwrap();
        let diff = (direct - from_batch).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert_eq!(diff, 0.0, "trainer batches and single-image inference see identical tensors");
    }
}
