//! Installing what the page's build and tests need when it is missing, from the package
//! registries only: the wasm32 target (rustup), trunk and wasm-bindgen-cli (crates.io), wasm-opt
//! (npm), Chromium and chromedriver (Debian).

use std::path::{Path, PathBuf};

use crate::process::{output, run, Cmd};

/// trunk 0.22 needs a newer rustc than this project's; 0.21 builds offline.
const TRUNK: &str = "0.21.14";
/// Must equal the `wasm-bindgen` version in Cargo.lock and web/Trunk.toml.
pub const WASM_BINDGEN: &str = "0.2.130";
/// Debian's binaryen is too old to read current rustc output; npm's 132 works.
const BINARYEN: &str = "132";
/// The accessibility engine of the page tests.
const AXE: &str = "4.10.3";

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

/// trunk, wasm-bindgen-cli (with its test runner) and wasm-opt at the versions the build pins;
/// returns the folder to put first on PATH for wasm-opt.
pub fn ensure_web_tools(root: &Path) -> Result<PathBuf, String> {
    ensure_wasm_target()?;
    if !output("trunk", &["--version"]).contains(TRUNK) {
        eprintln!("installing trunk {TRUNK} (a one-time build of about 10 minutes)");
        // Without its default features trunk has no TLS stack and no update check: neither is
        // needed offline, and the build is shorter.
        install_tool(root, &["--locked", "--no-default-features", "trunk", "--version", &format!("={TRUNK}")])?;
    }
    if !output("wasm-bindgen", &["--version"]).contains(WASM_BINDGEN) {
        eprintln!("installing wasm-bindgen-cli {WASM_BINDGEN} (a one-time build of 5-10 minutes)");
        // Not --locked: its lock file pins a crate version the registry no longer serves.
        install_tool(root, &["wasm-bindgen-cli", "--version", &format!("={WASM_BINDGEN}")])?;
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

/// `cargo install args`, built for a short build rather than the fastest binary: trunk's own
/// release profile asks for fat LTO in one codegen unit, which serialises the end of its build
/// on one core, and these tools only drive other programs. The installs share one target
/// folder, so the crates they have in common are built once.
pub fn install_tool(root: &Path, args: &[&str]) -> Result<(), String> {
    let mut all = vec!["install"];
    all.extend_from_slice(args);
    Cmd::new("cargo", &all)
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_TARGET_DIR", root.join("target/tool-build"))
        .run()
}

/// axe-core, the accessibility engine the browser tests inject into the page (npm);
/// returns the path of its `axe.min.js`.
pub fn ensure_axe(root: &Path) -> Result<PathBuf, String> {
    let tools = tools_dir(root);
    let script = tools.join("node_modules/axe-core/axe.min.js");
    if !script.is_file() {
        std::fs::create_dir_all(&tools).map_err(|e| format!("cannot create {}: {e}", tools.display()))?;
        let prefix = tools.to_str().ok_or("tools path is not UTF-8")?;
        run("npm", &["install", "--no-audit", "--no-fund", "--prefix", prefix, &format!("axe-core@{AXE}")])?;
    }
    Ok(script)
}

/// Debian's Chromium and chromedriver, for the browser tests; returns chromedriver's path.
pub fn ensure_browser() -> Result<PathBuf, String> {
    let driver = PathBuf::from("/usr/bin/chromedriver");
    if driver.is_file() && Path::new("/usr/bin/chromium").is_file() {
        return Ok(driver);
    }
    eprintln!("installing Chromium and chromedriver from Debian's packages");
    // Root needs no sudo; a user account does.
    let root = output("id", &["-u"]).trim() == "0";
    let (program, prefix): (&str, &[&str]) = if root { ("apt-get", &[]) } else { ("sudo", &["apt-get"]) };
    let args = |rest: &[&'static str]| -> Vec<&str> { prefix.iter().copied().chain(rest.iter().copied()).collect() };
    run(program, &args(&["update", "-q"]))?;
    run(program, &args(&["install", "-y", "-q", "chromium", "chromium-driver"]))?;
    if driver.is_file() { Ok(driver) } else { Err("chromium-driver installed no /usr/bin/chromedriver".into()) }
}
