//! Running commands, echoed, with their failures named.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A command to run, echoed first.
pub struct Cmd {
    program: String,
    args: Vec<String>,
    dir: Option<PathBuf>,
    env: Vec<(String, String)>,
    path_prefix: Option<PathBuf>,
}

impl Cmd {
    /// `program` with `args`, run in the current directory (the repository root).
    pub fn new(program: &str, args: &[&str]) -> Self {
        Self { program: program.into(), args: args.iter().map(|a| a.to_string()).collect(), dir: None, env: Vec::new(), path_prefix: None }
    }

    /// Runs it in `dir`.
    pub fn dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_path_buf());
        self
    }

    /// Sets an environment variable for it.
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.env.push((key.into(), value.as_ref().to_string_lossy().into_owned()));
        self
    }

    /// Puts `dir` first on its PATH.
    pub fn path_prefix(mut self, dir: &Path) -> Self {
        self.path_prefix = Some(dir.to_path_buf());
        self
    }

    /// Runs it to completion; a failure names the command.
    pub fn run(self) -> Result<(), String> {
        let line = format!("{} {}", self.program, self.args.join(" "));
        let env: String = self.env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
        eprintln!("$ {env}{line}");
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        if let Some(d) = &self.dir {
            cmd.current_dir(d);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(prefix) = &self.path_prefix {
            let path = std::env::var("PATH").unwrap_or_default();
            cmd.env("PATH", format!("{}:{path}", prefix.display()));
        }
        let status = cmd.status().map_err(|e| format!("cannot run {}: {e}", self.program))?;
        if status.success() { Ok(()) } else { Err(format!("`{line}` failed ({status})")) }
    }
}

/// Runs `program args` in the repository root.
pub fn run(program: &str, args: &[&str]) -> Result<(), String> {
    Cmd::new(program, args).run()
}

/// Standard output of a command, or an empty string when it cannot run.
pub fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}
