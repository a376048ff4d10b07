//! Fast-RCNN's prepared training regions on disk: one JSON line per image (its file, the
//! letterboxed regions, their labels and offsets), appended and flushed image by image so an
//! interrupted `prepare` loses at most the line being written and resumes where it stopped.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use anyhow::{Context, Result};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::sampling::Sampling;

/// One image's training regions, in the letterboxed image's pixels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageSamples {
    /// The image file's name in the images folder.
    pub image: String,
    /// Regions as corners: x0, y0, x1, y1.
    pub regions: Vec<[f32; 4]>,
    /// 1 face, 0 background, per region.
    pub labels: Vec<u32>,
    /// Offsets to the true box, per region (zeros for background).
    pub offsets: Vec<[f32; 4]>,
    /// The letterboxed side the regions were found at (0 in caches written before it was kept).
    #[serde(default)]
    pub side: u32,
    /// Proposals searched per photo (0 when not kept).
    #[serde(default)]
    pub proposals: usize,
    /// The rule that chose the regions (the tutorial's in caches written before it was kept).
    #[serde(default)]
    pub sampling: Sampling,
}

/// What a cache's regions depend on: the letterboxed side, the proposals searched per photo
/// and the sampling rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionSettings {
    /// The square side photos are letterboxed to.
    pub side: u32,
    /// Proposals searched per photo.
    pub proposals: usize,
    /// The rule choosing the training regions.
    pub sampling: Sampling,
}

/// Fails, naming the cache, when it holds regions prepared with another side, proposal count
/// or sampling rule than asked for (mixing them would train on regions in the wrong
/// coordinates, or on another rule's regions).
pub fn check_settings(records: &[ImageSamples], path: &Path, wanted: RegionSettings) -> Result<()> {
    let RegionSettings { side, proposals, sampling } = wanted;
    if let Some(r) = records.iter().find(|r| (r.side != 0 && r.side != side) || (r.proposals != 0 && r.proposals != proposals) || r.sampling != sampling) {
        anyhow::bail!(
            "{}: {} was prepared with --side {} --proposals {} --sampling {}, not --side {side} --proposals {proposals} --sampling {}: give another --cache or delete it",
            path.display(),
            r.image,
            r.side,
            r.proposals,
            sampling_name(r.sampling),
            sampling_name(sampling)
        );
    }
    Ok(())
}

/// The rule's name as the command line spells it.
fn sampling_name(s: Sampling) -> String {
    s.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
}

/// The cache file: the images already prepared, and appending more.
pub struct SampleCache {
    file: std::fs::File,
    done: HashSet<String>,
}

impl SampleCache {
    /// Opens (or creates) the cache at `path`; a torn last line from an interrupted run is
    /// dropped so that its image is prepared again.
    pub fn open(path: &Path) -> Result<SampleCache> {
        let mut done = HashSet::new();
        let mut keep = 0u64;
        if path.is_file() {
            let reader = BufReader::new(std::fs::File::open(path).with_context(|| format!("{}: cannot read", path.display()))?);
            for line in reader.split(b'\n') {
                let line = line.with_context(|| format!("{}: cannot read", path.display()))?;
                match serde_json::from_slice::<ImageSamples>(&line) {
                    Ok(s) => {
                        done.insert(s.image);
                        keep += line.len() as u64 + 1;
                    }
                    Err(_) => break,
                }
            }
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).with_context(|| format!("{}: cannot write", path.display()))?;
        let len = file.metadata()?.len();
        if keep < len {
            // A torn tail: cut it.
            file.set_len(keep).with_context(|| format!("{}: cannot truncate a torn last line", path.display()))?;
        } else if keep > len {
            // The last record is whole but lost its newline.
            file.write_all(b"\n")?;
        }
        Ok(SampleCache { file, done })
    }

    /// Whether `image` is already prepared.
    pub fn has(&self, image: &str) -> bool {
        self.done.contains(image)
    }

    /// Images prepared so far.
    pub fn len(&self) -> usize {
        self.done.len()
    }

    /// Whether nothing is prepared yet.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }

    /// Appends one image's regions and flushes them to disk.
    pub fn append(&mut self, samples: &ImageSamples) -> Result<()> {
        let mut line = serde_json::to_vec(samples)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()?;
        self.done.insert(samples.image.clone());
        Ok(())
    }

    /// Every image's regions in the cache at `path`.
    pub fn read_all(path: &Path) -> Result<Vec<ImageSamples>> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        text.lines().enumerate().map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{}:{}: not a prepared image record", path.display(), i + 1))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(name: &str) -> ImageSamples {
        ImageSamples { image: name.into(), regions: vec![[1.0, 2.0, 30.0, 40.0]], labels: vec![1], offsets: vec![[0.1, -0.1, 0.2, 0.0]], side: 256, proposals: 2000, sampling: Sampling::Tutorial }
    }

    #[test]
    fn regions_of_other_settings_are_refused_and_old_records_accepted() {
        let path = Path::new("c.jsonl");
        let mut old = samples("old.jpg");
        (old.side, old.proposals) = (0, 0);
        let wanted = |side, proposals, sampling| RegionSettings { side, proposals, sampling };
        assert!(check_settings(&[samples("a.jpg"), old], path, wanted(256, 2000, Sampling::Tutorial)).is_ok());
        let err = check_settings(&[samples("a.jpg")], path, wanted(320, 2000, Sampling::Tutorial)).unwrap_err().to_string();
        assert!(err.contains("c.jsonl") && err.contains("--side 256") && err.contains("--side 320"), "{err}");
        assert!(check_settings(&[samples("a.jpg")], path, wanted(256, 500, Sampling::Tutorial)).is_err());
        let err = check_settings(&[samples("a.jpg")], path, wanted(256, 2000, Sampling::Broad)).unwrap_err().to_string();
        assert!(err.contains("--sampling tutorial, not") && err.contains("--sampling broad:"), "{err}");
        // A record written before the rule was kept reads as the tutorial's.
        let line = r#"{"image":"x.jpg","regions":[],"labels":[],"offsets":[],"side":256,"proposals":2000}"#;
        assert_eq!(serde_json::from_str::<ImageSamples>(line).unwrap().sampling, Sampling::Tutorial);
    }

    #[test]
    fn resumes_after_an_interruption_mid_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("samples.jsonl");
        let mut cache = SampleCache::open(&path).unwrap();
        cache.append(&samples("a.jpg")).unwrap();
        cache.append(&samples("b.jpg")).unwrap();
        drop(cache);
        // A run killed while writing c.jpg's line.
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"image\":\"c.jpg\",\"regions\":[[1.0,").unwrap();
        drop(f);
        let mut cache = SampleCache::open(&path).unwrap();
        assert!(cache.has("a.jpg") && cache.has("b.jpg") && !cache.has("c.jpg"));
        cache.append(&samples("c.jpg")).unwrap();
        drop(cache);
        // A run killed between a record and its newline.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.trim_end()).unwrap();
        let mut cache = SampleCache::open(&path).unwrap();
        assert_eq!(cache.len(), 3);
        cache.append(&samples("d.jpg")).unwrap();
        let all = SampleCache::read_all(&path).unwrap();
        assert_eq!(all.iter().map(|s| s.image.as_str()).collect::<Vec<_>>(), ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]);
        assert_eq!(all[2], samples("c.jpg"));
    }
}
