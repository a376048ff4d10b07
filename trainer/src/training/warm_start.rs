//! Starting a model from another trained model's tensors, as Fast R-CNN starts from a network
//! trained on another task: every tensor of the new model that the file has under the same
//! name is copied (BatchNorm statistics included); the rest keep their fresh values.

use std::path::Path;

use anyhow::{bail, Context, Result};
use candle_core::Device;

use super::trainee::Trainee;

/// How much of a model a warm start filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WarmStart {
    /// Tensors copied from the file.
    pub copied: usize,
    /// Tensors the model has.
    pub total: usize,
}

/// Copies into `trainee` every tensor of the weights file at `path` that it has by name.
/// Refuses a file that is not a model, one that shares no tensor with it, and one whose
/// tensor of a shared name has another shape (a model of another width), naming the file.
pub fn warm_start(trainee: &Trainee, path: &Path) -> Result<WarmStart> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (card, tensors) = ocellus::weights::read(&bytes, &Device::Cpu).with_context(|| format!("{} is not an Ocellus model file", path.display()))?;
    let mine = trainee.all_vars();
    let mut copied = 0;
    for (name, var) in &mine {
        let Some(t) = tensors.get(name) else { continue };
        if t.dims() != var.dims() {
            bail!("{}: its {name} is {:?} but this model's is {:?} ({} against {}: another width?)", path.display(), t.dims(), var.dims(), card.arch, trainee.card.arch);
        }
        trainee.set(name, t)?;
        copied += 1;
    }
    if copied == 0 {
        bail!("{} ({}) shares no tensor with a {} model: nothing to start from", path.display(), card.arch, trainee.card.arch);
    }
    Ok(WarmStart { copied, total: mine.len() })
}

/// Applies `--init-from` when given, saying how much of the model it filled.
pub fn start_from(trainee: &Trainee, from: Option<&Path>) -> Result<()> {
    if let Some(path) = from {
        let got = warm_start(trainee, path)?;
        println!("started {} of the model's {} tensors from {}", got.copied, got.total, path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocellus::{face_labels, Arch, InputSize, ModelCard, Task};

    fn trainee(arch: Arch, seed: u64) -> Trainee {
        Trainee::new(ModelCard::new(Task::Faces { side: 64 }, arch, InputSize::square(64), face_labels()), &Device::Cpu, seed).unwrap()
    }

    fn saved(t: &Trainee, dir: &Path) -> std::path::PathBuf {
        let path = dir.join(format!("{}.safetensors", t.card.arch.to_string().replace(' ', "_")));
        std::fs::write(&path, ocellus::weights::to_bytes(&t.card, &t.tensors()).unwrap()).unwrap();
        path
    }

    #[test]
    fn the_pyramid_fast_rcnn_takes_the_single_shot_backbone_and_keeps_its_own_heads() {
        let dir = tempfile::tempdir().unwrap();
        let donor = trainee(Arch::SingleShot { width: 1 }, 1);
        let path = saved(&donor, dir.path());
        let model = trainee(Arch::PyramidFastRcnn { width: 1 }, 2);
        let heads_before = model.tensors()["labels.0.weight"].flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let got = warm_start(&model, &path).unwrap();
        let (mine, theirs) = (model.tensors(), donor.tensors());
        let shared = mine.keys().filter(|k| theirs.contains_key(*k)).count();
        assert_eq!(got, WarmStart { copied: shared, total: mine.len() });
        assert!(shared > 50 && shared < mine.len(), "{shared} of {}", mine.len());
        for name in ["stem.conv.weight", "smooth0.bn.running_var", "lateral1.bias"] {
            assert_eq!(mine[name].flatten_all().unwrap().to_vec1::<f32>().unwrap(), theirs[name].flatten_all().unwrap().to_vec1::<f32>().unwrap(), "{name}");
        }
        assert_eq!(mine["labels.0.weight"].flatten_all().unwrap().to_vec1::<f32>().unwrap(), heads_before);
    }

    #[test]
    fn unrelated_or_other_width_or_broken_files_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let model = trainee(Arch::PyramidFastRcnn { width: 1 }, 2);
        let lenet = Trainee::new(ModelCard::new(Task::Classify, Arch::LeNet, InputSize::square(32), vec!["a".into(), "b".into()]), &Device::Cpu, 1).unwrap();
        let err = warm_start(&model, &saved(&lenet, dir.path())).unwrap_err().to_string();
        assert!(err.contains("shares no tensor") && err.contains("lenet"), "{err}");
        let wide = saved(&trainee(Arch::SingleShot { width: 2 }, 1), dir.path());
        let err = warm_start(&model, &wide).unwrap_err().to_string();
        assert!(err.contains("another width") && err.contains(&wide.display().to_string()), "{err}");
        let junk = dir.path().join("junk.safetensors");
        std::fs::write(&junk, b"not a model").unwrap();
        let err = format!("{:#}", warm_start(&model, &junk).unwrap_err());
        assert!(err.contains("junk.safetensors") && err.contains("not an Ocellus model"), "{err}");
    }
}
