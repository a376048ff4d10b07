//! The photos a face model learns from: each letterboxed once into memory with its prepared
//! regions, and the seeded train / validation / test split of the photos.

use std::collections::HashMap;
use std::path::Path;

use image::RgbImage;
use ocellus::boxes::letterbox::Letterbox;
use ocellus::image_input::decode_rgb;
use rayon::prelude::*;

use super::sample_cache::ImageSamples;
use super::single_shot_lesson::FacePhoto;
use crate::dataset::face_boxes::AnnotatedImage;
use crate::dataset::split::{limit, split, Split};
use crate::dataset::Skipped;

/// One photo, letterboxed to the model's side, with its training regions.
pub struct Photo {
    /// Index of the photo in the CSV's image list.
    pub index: usize,
    /// The letterboxed photo.
    pub image: RgbImage,
    /// Its regions (in the letterboxed photo's pixels), labels and offsets.
    pub samples: ImageSamples,
}

/// The train / validation / test split of a CSV's photos (indices into its image list): the
/// seeded 80/10/10 split of the `--limit` subset, so that `test faces` can find the held-out
/// photos again from the seed and limit in the model card.
pub fn split_photos(photos: usize, max: Option<usize>, seed: u64) -> Split {
    let kept = limit(photos, max, seed);
    let parts = split(&vec![None; kept.len()], seed);
    let map = |v: Vec<usize>| v.into_iter().map(|i| kept[i]).collect();
    Split { train: map(parts.train), val: map(parts.val), test: map(parts.test) }
}

/// Reads and decodes one photo; a failure is the photo named with the reason.
pub fn read_photo(path: &Path) -> Result<RgbImage, Skipped> {
    let fail = |reason: String| Skipped { what: path.display().to_string(), reason };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    decode_rgb(&bytes).map_err(|e| fail(e.to_string()))
}

/// Letterboxes the photos `wanted` (indices into `images`) that have prepared regions in
/// `records`; photos without a record, without regions or unreadable are returned as skipped.
pub fn load(images: &[AnnotatedImage], wanted: &[usize], records: Vec<ImageSamples>, side: u32) -> (Vec<Photo>, Vec<Skipped>) {
    let mut by_name: HashMap<String, ImageSamples> = records.into_iter().map(|r| (r.image.clone(), r)).collect();
    let mut skipped = Vec::new();
    let mut todo = Vec::new();
    for &i in wanted {
        let path = &images[i].path;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match by_name.remove(&name) {
            Some(s) if s.regions.is_empty() => skipped.push(Skipped { what: path.display().to_string(), reason: "no proposal is a face or background by the sampling rule".into() }),
            Some(s) => todo.push((i, s)),
            None => skipped.push(Skipped { what: path.display().to_string(), reason: "has no prepared regions (unreadable when prepared)".into() }),
        }
    }
    let loaded: Vec<Result<Photo, Skipped>> = todo
        .into_par_iter()
        .map(|(index, samples)| {
            let img = read_photo(&images[index].path)?;
            let image = Letterbox::new(img.dimensions(), (side, side)).apply(&img);
            Ok(Photo { index, image, samples })
        })
        .collect();
    let mut photos = Vec::with_capacity(loaded.len());
    for p in loaded {
        match p {
            Ok(p) => photos.push(p),
            Err(s) => skipped.push(s),
        }
    }
    (photos, skipped)
}

/// Decodes `wanted` photos; unreadable ones are returned as skipped.
pub fn decode_photos(images: &[AnnotatedImage], wanted: &[usize]) -> (Vec<(usize, FacePhoto)>, Vec<Skipped>) {
    let results: Vec<Result<(usize, FacePhoto), Skipped>> = wanted
        .par_iter()
        .map(|&i| {
            let image = read_photo(&images[i].path)?;
            Ok((i, FacePhoto { image, faces: images[i].boxes.clone() }))
        })
        .collect();
    let (mut photos, mut skipped) = (Vec::new(), Vec::new());
    for r in results {
        match r {
            Ok(p) => photos.push(p),
            Err(s) => skipped.push(s),
        }
    }
    (photos, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_is_seeded_disjoint_and_honours_the_limit() {
        let a = split_photos(100, None, 7);
        assert_eq!((a.train.len(), a.val.len(), a.test.len()), (80, 10, 10));
        assert_eq!(a, split_photos(100, None, 7));
        let mut all: Vec<usize> = a.train.iter().chain(&a.val).chain(&a.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        let b = split_photos(100, Some(20), 7);
        assert_eq!(b.train.len() + b.val.len() + b.test.len(), 20);
        assert_ne!(split_photos(100, None, 8).test, a.test);
    }
}
