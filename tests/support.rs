//! Helpers for the cross-crate tests: where the repository's and the shared data's files are.

pub mod chrome;
pub mod fixture_images;
pub mod parity_bundle;
pub mod static_server;

use std::path::PathBuf;

use ocellus::manifest::Manifest;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The real data folder (`OCELLUS_DATA`, else `../shared/data` beside the checkout), if present.
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("OCELLUS_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data"));
    dir.is_dir().then_some(dir)
}

/// The real CIFAR-10 folder, or `None` after printing why the test is skipped.
pub fn cifar10_or_skip(test: &str) -> Option<PathBuf> {
    match shared_data().map(|d| d.join("cifar10")).filter(|d| d.is_dir()) {
        Some(d) => Some(d),
        None => {
            eprintln!("skipping {test}: no CIFAR-10 folder (set OCELLUS_DATA to the folder holding cifar10/)");
            None
        }
    }
}

/// The shared face photos (`bbox.csv` and `images/`), or `None` after saying why.
pub fn faces_or_skip(test: &str) -> Option<PathBuf> {
    match shared_data().map(|d| d.join("faces")).filter(|d| d.join("bbox.csv").is_file()) {
        Some(d) => Some(d),
        None => {
            eprintln!("skipping {test}: no faces folder (set OCELLUS_DATA to the folder holding faces/)");
            None
        }
    }
}

/// Reads `static/models/manifest.json`.
pub fn manifest() -> Manifest {
    let path = repo_root().join("static/models/manifest.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Manifest::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs an `ocellus` command line in this process.
pub fn ocellus(args: &[&str]) -> Result<(), String> {
    use clap::Parser;
    let cli = ocellus_trainer::cli::Cli::try_parse_from(std::iter::once("ocellus").chain(args.iter().copied()))
        .map_err(|e| e.to_string())?;
    ocellus_trainer::commands::run(cli).map_err(|e| format!("{e:#}"))
}
