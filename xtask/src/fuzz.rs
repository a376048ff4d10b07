//! `cargo xtask fuzz [SECONDS] [TARGET...]`: runs each fuzz target (cargo-fuzz, libFuzzer) for a
//! set time on its corpus, then prints a table of executions, corpus size and crashes. A crash
//! is copied into `fuzz/regressions/<target>/`, where the stable replay test
//! (`fuzz/tests/replay.rs`, part of every CI run) keeps it fixed. Needs a nightly toolchain and
//! cargo-fuzz; both are installed from the registries when missing.

use std::path::Path;
use std::process::Command;

use crate::process::{output, run};

/// Every target in `fuzz/Cargo.toml`, in the order they run.
pub const TARGETS: [&str; 7] = ["decode_image", "weights_file", "face_csv", "captcha_name", "manifest", "selective_search", "model_forward"];

/// One target's run, as libFuzzer reported it.
struct Outcome {
    target: String,
    seconds: u64,
    executions: u64,
    corpus: usize,
    crash: Option<String>,
}

fn ensure_tools() -> Result<(), String> {
    if !output("rustup", &["run", "nightly", "rustc", "--version"]).contains("nightly") {
        run("rustup", &["toolchain", "install", "nightly", "--profile", "minimal"])?;
    }
    if !output("cargo", &["fuzz", "--version"]).contains("cargo-fuzz") {
        run("cargo", &["install", "cargo-fuzz", "--locked"])?;
    }
    Ok(())
}

/// The executions count of libFuzzer's closing `Done N runs in S second(s)` line.
pub fn executions(log: &str) -> Option<u64> {
    log.lines().rev().find_map(|l| l.strip_prefix("Done ")?.split_whitespace().next()?.parse().ok())
}

/// Runs the targets `only` (all when empty) for `seconds` each.
pub fn fuzz(root: &Path, seconds: u64, only: &[String]) -> Result<(), String> {
    ensure_tools()?;
    let fuzz_dir = root.join("fuzz");
    let targets: Vec<&str> = TARGETS.iter().copied().filter(|t| only.is_empty() || only.iter().any(|o| o == t)).collect();
    if targets.is_empty() {
        return Err(format!("no such fuzz target; the targets are {}", TARGETS.join(", ")));
    }
    let mut outcomes = Vec::new();
    for target in targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        let artifacts = fuzz_dir.join("artifacts").join(target);
        for dir in [&corpus, &artifacts] {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let seeds = fuzz_dir.join("seeds").join(target);
        let regressions = fuzz_dir.join("regressions").join(target);
        let mut args: Vec<String> = ["+nightly", "fuzz", "run", "--features", "libfuzzer", "--sanitizer", "none", target].map(String::from).to_vec();
        args.push(corpus.display().to_string());
        args.push(seeds.display().to_string());
        if regressions.is_dir() {
            args.push(regressions.display().to_string());
        }
        args.extend(["--".into(), format!("-max_total_time={seconds}"), "-rss_limit_mb=4096".into(), "-print_final_stats=1".into()]);
        args.push(format!("-artifact_prefix={}/", artifacts.display()));
        eprintln!("$ cargo {}", args.join(" "));
        let out = Command::new("cargo").args(&args).current_dir(root).output().map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        let crash = if out.status.success() { None } else { Some(keep_crash(&artifacts, &regressions, &log)?) };
        let corpus_files = std::fs::read_dir(&corpus).map(|d| d.count()).unwrap_or(0);
        outcomes.push(Outcome { target: target.into(), seconds, executions: executions(&log).unwrap_or(0), corpus: corpus_files, crash });
    }
    println!("| target | seconds | executions | corpus files | crash |");
    println!("|---|---:|---:|---:|---|");
    for o in &outcomes {
        println!("| {} | {} | {} | {} | {} |", o.target, o.seconds, o.executions, o.corpus, o.crash.as_deref().unwrap_or("none"));
    }
    let crashed: Vec<&str> = outcomes.iter().filter(|o| o.crash.is_some()).map(|o| o.target.as_str()).collect();
    if crashed.is_empty() { Ok(()) } else { Err(format!("crashes in {}: kept under fuzz/regressions/", crashed.join(", "))) }
}

/// Copies the artifacts of a failed run into the regressions folder; returns their names (or
/// the end of the log, when libFuzzer failed without writing one).
fn keep_crash(artifacts: &Path, regressions: &Path, log: &str) -> Result<String, String> {
    std::fs::create_dir_all(regressions).map_err(|e| format!("cannot create {}: {e}", regressions.display()))?;
    let mut kept = Vec::new();
    for entry in std::fs::read_dir(artifacts).map_err(|e| e.to_string())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        std::fs::copy(entry.path(), regressions.join(&name)).map_err(|e| format!("cannot keep {name}: {e}"))?;
        kept.push(name);
    }
    if kept.is_empty() {
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
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
