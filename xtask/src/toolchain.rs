//! Installing the web toolchain when it is missing, from the package registries only:
//! the wasm32 target (rustup), trunk and wasm-bindgen-cli (crates.io), wasm-opt (npm).

use std::path::{Path, PathBuf};

use crate::process::{output, run};

/// trunk 0.22 needs a newer rustc than this project's; 0.21 builds offline.
const TRUNK: &str = "0.21.14";
/// Must equal the `wasm-bindgen` version in Cargo.lock and web/Trunk.toml.
pub const WASM_BINDGEN: &str = "0.2.130";
/// Debian's binaryen is too old to read current rustc output; npm's 132 works.
const BINARYEN: &str = "132";

/// The folder (ignored by git) where npm-installed tools live.
pub fn tools_dir(root: &Path) -> PathBuf {
    root.join("target/tools")
}

/// The wasm32 target.
pub fn ensure_wasm_target() -> Result<(), String> {
    if output("rustup", &["target", "list", "--installed"]).lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    run("rustup", &["target", "add", "wasm32-unknown-unknown"])
}

/// trunk, wasm-bindgen-cli and wasm-opt at the versions the build pins; returns the folder to
/// put first on PATH for wasm-opt.
pub fn ensure_web_tools(root: &Path) -> Result<PathBuf, String> {
    ensure_wasm_target()?;
    if !output("trunk", &["--version"]).contains(TRUNK) {
        eprintln!("installing trunk {TRUNK} (a one-time build of 10-30 minutes)");
        run("cargo", &["install", "--locked", "trunk", "--version", &format!("={TRUNK}")])?;
    }
    if !output("wasm-bindgen", &["--version"]).contains(WASM_BINDGEN) {
        eprintln!("installing wasm-bindgen-cli {WASM_BINDGEN} (a one-time build of 5-10 minutes)");
        // Not --locked: its lock file pins a crate version the registry no longer serves.
        run("cargo", &["install", "wasm-bindgen-cli", "--version", &format!("={WASM_BINDGEN}")])?;
    }
    let tools = tools_dir(root);
    let bin = tools.join("node_modules/.bin");
    if !output(bin.join("wasm-opt").to_str().unwrap_or(""), &["--version"]).contains(&format!("version_{BINARYEN}")) {
        std::fs::create_dir_all(&tools).map_err(|e| format!("cannot create {}: {e}", tools.display()))?;
        let prefix = tools.to_str().ok_or("tools path is not UTF-8")?;
        run("npm", &["install", "--no-audit", "--no-fund", "--prefix", prefix, &format!("binaryen@{BINARYEN}")])?;
    }
    Ok(bin)
}
