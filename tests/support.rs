//! Helpers for the cross-crate tests: where the repository's and the shared data's files are.

pub mod chrome;
pub mod drawn_faces;
pub mod fake_camera;
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

/// Whether this run must have the real data (`OCELLUS_REQUIRE_DATA`, set by `cargo xtask test`
/// in CI, where `../shared/data` is always laid beside the checkout): a test that would skip
/// fails instead, so a missing or moved data folder cannot turn real-data tests into no-ops.
fn data_required() -> bool {
    std::env::var_os("OCELLUS_REQUIRE_DATA").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Skips (prints why and gives `None`) or, when the data is required, fails.
fn skip<T>(test: &str, why: &str) -> Option<T> {
    assert!(!data_required(), "{test}: {why}, and OCELLUS_REQUIRE_DATA says the real data must be there");
    eprintln!("skipping {test}: {why}");
    None
}

/// The real CIFAR-10 folder, or `None` after printing why the test is skipped.
pub fn cifar10_or_skip(test: &str) -> Option<PathBuf> {
    match shared_data().map(|d| d.join("cifar10")).filter(|d| d.is_dir()) {
        Some(d) => Some(d),
        None => skip(test, "no CIFAR-10 folder (set OCELLUS_DATA to the folder holding cifar10/)"),
    }
}

/// The shared face photos (`bbox.csv` and `images/`), or `None` after saying why.
pub fn faces_or_skip(test: &str) -> Option<PathBuf> {
    match shared_data().map(|d| d.join("faces")).filter(|d| d.join("bbox.csv").is_file()) {
        Some(d) => Some(d),
        None => skip(test, "no faces folder (set OCELLUS_DATA to the folder holding faces/)"),
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
