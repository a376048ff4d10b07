//! The official CIFAR-10 binary batches: records of one label byte and 3072 pixel bytes
//! (1024 red, 1024 green, 1024 blue, row by row).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use image::RgbImage;

use super::{Catalog, Layout, Part, Sample, Skipped, Source};

/// Bytes in one record.
pub const RECORD: usize = 1 + 32 * 32 * 3;
/// The CIFAR-10 classes in label-byte order, used when `batches.meta.txt` is absent.
pub const CIFAR10_LABELS: [&str; 10] =
    ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

fn batch_files(dir: &Path) -> Vec<(PathBuf, Option<Part>)> {
    let mut found = Vec::new();
    for base in [dir.to_path_buf(), dir.join("cifar-10-batches-bin")] {
        for i in 1..=5 {
            let p = base.join(format!("data_batch_{i}.bin"));
            if p.is_file() {
                found.push((p, None));
            }
        }
        let t = base.join("test_batch.bin");
        if t.is_file() {
            found.push((t, Some(Part::Test)));
        }
        if !found.is_empty() {
            break;
        }
    }
    found
}

/// Reads `dir` as CIFAR-10 binary batches, or `None` when it holds none.
pub fn scan(dir: &Path) -> Result<Option<Catalog>> {
    let files = batch_files(dir);
    if files.is_empty() {
        return Ok(None);
    }
    let meta = files[0].0.with_file_name("batches.meta.txt");
    let labels: Vec<String> = match std::fs::read_to_string(&meta) {
        Ok(text) => text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect(),
        Err(_) => CIFAR10_LABELS.iter().map(|s| s.to_string()).collect(),
    };
    let mut samples = Vec::new();
    let mut skipped = Vec::new();
    for (file, part) in files {
        let mut bytes = Vec::new();
        File::open(&file)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", file.display()))?;
        if bytes.len() % RECORD != 0 {
            bail!(
                "{} is not a CIFAR-10 batch: its size {} is not a multiple of the {RECORD}-byte record",
                file.display(),
                bytes.len()
            );
        }
        for (index, record) in bytes.chunks_exact(RECORD).enumerate() {
            let label = record[0] as usize;
            let source = Source::CifarRecord { file: file.clone(), index };
            if label < labels.len() {
                samples.push(Sample { source, targets: vec![label as u32], part });
            } else {
                skipped.push(Skipped { what: source.to_string(), reason: format!("label byte {label} has no name") });
            }
        }
    }
    Ok(Some(Catalog { layout: Layout::CifarBinary, labels, samples, skipped }))
}

/// Reads record `index` of a batch file as a 32x32 RGB image.
pub fn read_record(file: &Path, index: usize) -> Result<RgbImage> {
    let mut record = vec![0u8; RECORD];
    let mut f = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    f.seek(SeekFrom::Start((index * RECORD) as u64))?;
    f.read_exact(&mut record).with_context(|| format!("{} has no record {index}", file.display()))?;
    Ok(planar_to_image(&record[1..]))
}

/// Interleaves CIFAR's planar R, G, B pixels into an RGB image.
pub fn planar_to_image(planar: &[u8]) -> RgbImage {
    let plane = 32 * 32;
    RgbImage::from_fn(32, 32, |x, y| {
        let i = (y * 32 + x) as usize;
        image::Rgb([planar[i], planar[plane + i], planar[2 * plane + i]])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_batches_and_rejects_bad_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = Vec::new();
        for label in [3u8, 7, 12] {
            data.push(label);
            let mut px = vec![0u8; 3072];
            px[0] = 200; // red of pixel (0,0)
            px[1024 + 1] = 100; // green of pixel (1,0)
            data.extend(px);
        }
        std::fs::write(dir.path().join("data_batch_1.bin"), &data).unwrap();
        let cat = scan(dir.path()).unwrap().unwrap();
        assert_eq!(cat.samples.len(), 2);
        assert_eq!(cat.skipped.len(), 1, "label 12 has no name");
        assert_eq!(cat.labels[3], "cat");
        let img = read_record(&dir.path().join("data_batch_1.bin"), 1).unwrap();
        assert_eq!(img.get_pixel(0, 0).0, [200, 0, 0]);
        assert_eq!(img.get_pixel(1, 0).0, [0, 100, 0]);

        std::fs::write(dir.path().join("data_batch_1.bin"), &data[..100]).unwrap();
        let err = scan(dir.path()).unwrap_err().to_string();
        assert!(err.contains("data_batch_1.bin") && err.contains("multiple"), "{err}");
    }
}
