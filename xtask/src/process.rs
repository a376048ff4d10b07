//! Running commands, echoed, with their failures named.

use std::path::Path;
use std::process::Command;

/// Runs `program args` in `dir` (the repository root when `None`), echoing it first.
pub fn run_in(dir: Option<&Path>, program: &str, args: &[&str], path_prefix: Option<&Path>) -> Result<(), String> {
    eprintln!("$ {program} {}", args.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    if let Some(prefix) = path_prefix {
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", prefix.display()));
    }
    let status = cmd.status().map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{program} {}` failed ({status})", args.join(" "))) }
}

/// Runs `program args` in the repository root.
pub fn run(program: &str, args: &[&str]) -> Result<(), String> {
    run_in(None, program, args, None)
}

/// Standard output of a command, or an empty string when it cannot run.
pub fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}
