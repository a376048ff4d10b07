//! `cargo xtask <task>`: the project's set-up and test runner, so that a fresh machine
//! needs nothing but Rust and this repository.

use std::process::{Command, ExitCode};

/// Runs a command, echoing it; fails with its name on a non-zero exit.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program).args(args).status().map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{program} {}` failed ({status})", args.join(" "))) }
}

/// Output of a command, or an empty string when it cannot run.
fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Installs the wasm32 target when it is missing.
fn ensure_wasm_target() -> Result<(), String> {
    if output("rustup", &["target", "list", "--installed"]).lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    run("rustup", &["target", "add", "wasm32-unknown-unknown"])
}

/// Everything CI checks: native tests of the whole workspace and the wasm32 build of `shared/`.
fn test() -> Result<(), String> {
    ensure_wasm_target()?;
    run("cargo", &["build", "-p", "ocellus", "--target", "wasm32-unknown-unknown"])?;
    run("cargo", &["test", "--workspace"])
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(),
        _ => Err("usage: cargo xtask test    (builds shared/ for wasm32 and runs every test)".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
