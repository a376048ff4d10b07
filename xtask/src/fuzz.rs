//! `cargo xtask fuzz [SECONDS] [TARGET...]`: runs each fuzz target (cargo-fuzz, libFuzzer) for a
//! set time on its corpus, then prints a table of executions, corpus size and crashes; and
//! CI's smoke run of every target for a few seconds on its committed seeds. A crash is copied
//! into `fuzz/regressions/<target>/`, where the stable replay test (`fuzz/tests/replay.rs`,
//! part of every CI run) keeps it fixed. Needs cargo-fuzz, installed from crates.io when
//! missing; the targets build on the stable toolchain (no sanitizer, so no nightly).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::output;
use crate::toolchain::install_tool;

/// Every target in `fuzz/Cargo.toml`, in the order they run.
pub const TARGETS: [&str; 7] = ["decode_image", "weights_file", "face_csv", "captcha_name", "manifest", "selective_search", "model_forward"];

/// Seconds a target runs in CI's smoke run: 5, but 20 for `model_forward`, whose half-second
/// executions would otherwise end with its seeds, before a single mutation.
pub fn smoke_seconds(target: &str) -> u64 {
    if target == "model_forward" { 20 } else { 5 }
}

/// The cargo-fuzz release the tasks use (0.13 builds on the project's stable toolchain).
const CARGO_FUZZ: &str = "0.13.2";

/// Where the fuzz builds go: their own folder, as their instrumentation flags differ from every
/// other build's.
const TARGET_DIR: &str = "target/fuzz";

/// One target's run, as libFuzzer reported it.
struct Outcome {
    target: String,
    seconds: u64,
    executions: u64,
    corpus: usize,
    crash: Option<String>,
}

fn ensure_cargo_fuzz(root: &Path) -> Result<(), String> {
    if !output("cargo", &["fuzz", "--version"]).contains(CARGO_FUZZ) {
        eprintln!("installing cargo-fuzz {CARGO_FUZZ} (a one-time build of about 2 minutes)");
        install_tool(root, &["--locked", "cargo-fuzz", "--version", &format!("={CARGO_FUZZ}")])?;
    }
    Ok(())
}

/// The arguments shared by `cargo fuzz build` and `cargo fuzz run`: without a sanitizer (Rust's
/// own checks and debug assertions stay on) and in 16 codegen units, since cargo-fuzz's one
/// unit makes the build of candle and the trainer several minutes longer.
fn build_args(command: &str, root: &Path) -> Vec<String> {
    let dir = root.join(TARGET_DIR).display().to_string();
    ["fuzz", command, "--features", "libfuzzer", "--sanitizer", "none", "--codegen-units", "16", "--target-dir", &dir].map(String::from).to_vec()
}

/// The executions count of libFuzzer's closing `Done N runs in S second(s)` line.
pub fn executions(log: &str) -> Option<u64> {
    log.lines().rev().find_map(|l| l.strip_prefix("Done ")?.split_whitespace().next()?.parse().ok())
}

/// Runs the targets `only` (all when empty) for `seconds` each on their kept corpora.
pub fn fuzz(root: &Path, seconds: u64, only: &[String]) -> Result<(), String> {
    let targets: Vec<&str> = TARGETS.iter().copied().filter(|t| only.is_empty() || only.iter().any(|o| o == t)).collect();
    if targets.is_empty() {
        return Err(format!("no such fuzz target; the targets are {}", TARGETS.join(", ")));
    }
    run_all(root, |_| seconds, &targets, &root.join("fuzz/corpus"))
}

/// CI's smoke run: every target for [`smoke_seconds`] on a scratch corpus that starts from the
/// committed seeds and regressions, so a crash fails the run and nothing new is kept but the
/// crash itself.
pub fn smoke(root: &Path) -> Result<(), String> {
    let scratch = root.join(TARGET_DIR).join("smoke-corpus");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch).map_err(|e| format!("cannot clear {}: {e}", scratch.display()))?;
    }
    run_all(root, smoke_seconds, &TARGETS, &scratch)
}

/// Builds the fuzz targets once, runs each of `targets` for `seconds(target)` on
/// `corpora/<target>` (plus its seeds and regressions), prints the table and fails if any crashed.
fn run_all(root: &Path, seconds: impl Fn(&str) -> u64, targets: &[&str], corpora: &Path) -> Result<(), String> {
    ensure_cargo_fuzz(root)?;
    let build = build_args("build", root);
    crate::process::Cmd::new("cargo", &build.iter().map(String::as_str).collect::<Vec<_>>()).run()?;
    let mut outcomes = Vec::new();
    for target in targets {
        outcomes.push(run_target(root, target, seconds(target), &corpora.join(target))?);
    }
    println!("| target | seconds | executions | corpus files | crash |");
    println!("|---|---:|---:|---:|---|");
    for o in &outcomes {
        println!("| {} | {} | {} | {} | {} |", o.target, o.seconds, o.executions, o.corpus, o.crash.as_deref().unwrap_or("none"));
    }
    let crashed: Vec<&str> = outcomes.iter().filter(|o| o.crash.is_some()).map(|o| o.target.as_str()).collect();
    if crashed.is_empty() { Ok(()) } else { Err(format!("crashes in {}: kept under fuzz/regressions/", crashed.join(", "))) }
}

/// One target for `seconds` on `corpus`, its seeds and its regressions.
fn run_target(root: &Path, target: &str, seconds: u64, corpus: &Path) -> Result<Outcome, String> {
    let fuzz_dir = root.join("fuzz");
    let artifacts: PathBuf = root.join(TARGET_DIR).join("artifacts").join(target);
    for dir in [corpus, &artifacts] {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let regressions = fuzz_dir.join("regressions").join(target);
    let mut args = build_args("run", root);
    args.push(target.into());
    args.push(corpus.display().to_string());
    args.push(fuzz_dir.join("seeds").join(target).display().to_string());
    if regressions.is_dir() {
        args.push(regressions.display().to_string());
    }
    args.extend(["--".into(), format!("-max_total_time={seconds}"), "-rss_limit_mb=4096".into(), "-print_final_stats=1".into()]);
    args.push(format!("-artifact_prefix={}/", artifacts.display()));
    eprintln!("$ cargo {}", args.join(" "));
    let out = Command::new("cargo").args(&args).current_dir(root).output().map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let crash = if out.status.success() { None } else { Some(keep_crash(&artifacts, &regressions, &log)?) };
    let corpus_files = std::fs::read_dir(corpus).map(|d| d.count()).unwrap_or(0);
    Ok(Outcome { target: target.into(), seconds, executions: executions(&log).unwrap_or(0), corpus: corpus_files, crash })
}

/// Copies the artifacts of a failed run into the regressions folder; returns their names (or
/// the end of the log, when libFuzzer failed without writing one).
fn keep_crash(artifacts: &Path, regressions: &Path, log: &str) -> Result<String, String> {
    std::fs::create_dir_all(regressions).map_err(|e| format!("cannot create {}: {e}", regressions.display()))?;
    // The panic and its stack are in the log's last lines: shown, since in CI the kept file is
    // gone with the checkout.
    let tail: Vec<&str> = log.lines().rev().take(30).collect();
    eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    let mut kept = Vec::new();
    for entry in std::fs::read_dir(artifacts).map_err(|e| e.to_string())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        std::fs::copy(entry.path(), regressions.join(&name)).map_err(|e| format!("cannot keep {name}: {e}"))?;
        kept.push(name);
    }
    if kept.is_empty() {
        return Ok("failed without an artifact (log above)".into());
    }
    Ok(kept.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_executions_of_libfuzzers_last_line() {
        let log = "#1024\tpulse  cov: 10 ft: 12 corp: 3/30b\nDone 52113 runs in 11 second(s)\nstat::number_of_executed_units: 52113\n";
        assert_eq!(executions(log), Some(52113));
        assert_eq!(executions("crashed"), None);
    }

    #[test]
    fn the_list_matches_the_fuzz_crate() {
        let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/Cargo.toml")).unwrap();
        let bins: Vec<&str> = manifest.lines().filter_map(|l| l.strip_prefix("name = \"")?.strip_suffix('"')).filter(|n| *n != "ocellus-fuzz").collect();
        assert_eq!(bins, TARGETS);
    }
}
