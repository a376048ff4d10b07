//! Every seed, every input a fuzzer ever crashed on (`regressions/<target>/`) and the real files
//! the project ships, through each fuzz target's body: what libFuzzer found stays fixed, on
//! stable, in every CI run.

use std::path::{Path, PathBuf};

type Body = fn(&[u8]);

const TARGETS: [(&str, Body); 7] = [
    ("decode_image", ocellus_fuzz::decode_image),
    ("weights_file", ocellus_fuzz::weights_file),
    ("face_csv", ocellus_fuzz::face_csv),
    ("captcha_name", ocellus_fuzz::captcha_name),
    ("manifest", ocellus_fuzz::manifest),
    ("selective_search", ocellus_fuzz::selective_search),
    ("model_forward", ocellus_fuzz::model_forward),
];

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    out.sort();
    out
}

/// The shipped files each target also reads: the models, the manifest, the example images.
fn shipped(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let of = |dir: &str, ext: &[&str]| -> Vec<PathBuf> {
        files(&root.join(dir)).into_iter().filter(|p| p.extension().is_some_and(|x| ext.iter().any(|e| x == *e))).collect()
    };
    match target {
        "weights_file" => of("static/models", &["safetensors"]),
        "manifest" => of("static/models", &["json"]),
        "decode_image" | "model_forward" => of("static/examples", &["png", "jpg"]),
        _ => Vec::new(),
    }
}

#[test]
fn every_seed_regression_and_shipped_file_passes_its_target() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (target, body) in TARGETS {
        let inputs: Vec<PathBuf> =
            [files(&here.join("seeds").join(target)), files(&here.join("regressions").join(target)), shipped(target)].concat();
        assert!(!inputs.is_empty(), "{target} has no seeds");
        for path in &inputs {
            let bytes = std::fs::read(path).unwrap();
            if let Err(panic) = std::panic::catch_unwind(|| body(&bytes)) {
                let why = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                panic!("{target} failed on {}: {}", path.display(), why.unwrap_or_default());
            }
        }
        eprintln!("{target}: {} inputs", inputs.len());
    }
}
