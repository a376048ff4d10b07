//! `cargo xtask <task>`: the project's set-up, build and test runner, so that a fresh
//! machine needs nothing but Rust, npm and this repository.

mod csp;
mod cuda;
mod fuzz;
mod process;
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use process::Cmd;

const USAGE: &str = "usage: cargo xtask <task>
  test        install what is missing, build the page, run every test (what CI runs)
  serve       install what is missing, build the page and serve it on http://127.0.0.1:8080
  build-web   build the page into target/site (plain static files for any web server)
  bench-web   time each shipped model in headless Chromium and natively, side by side
  build-cuda  build the trainer with --features cuda (nvcc and CUDA from PyPI; no GPU needed)
  check-cuda  check every crate and test with --features cuda, the CUDA kernels compiled by nvcc (part of test)
  fuzz [SECONDS] [TARGET...]
              run each fuzz target (libFuzzer) for SECONDS (default 60) on its kept corpus, print a table
  fuzz-smoke  run every fuzz target for a few seconds on its committed seeds (part of test)";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask/ has a parent").to_path_buf()
}

/// The built page.
fn site() -> PathBuf {
    root().join("target/site")
}

/// Builds the page (release, with wasm-opt) into `target/site`, its Content-Security-Policy
/// written in; returns the tools folder.
fn build_web() -> Result<PathBuf, String> {
    let root = root();
    let tools = toolchain::ensure_web_tools(&root)?;
    Cmd::new("trunk", &["build", "--release"]).dir(&root.join("web")).path_prefix(&tools).run()?;
    csp::write(&site())?;
    Ok(tools)
}

/// Everything CI checks: the page built by trunk, the wasm parity test in headless Chromium,
/// then every native test of the workspace, the browser tests against the built page included,
/// then a few seconds of each fuzz target, then the CUDA build checked.
fn test() -> Result<(), String> {
    let root = root();
    let chromedriver = toolchain::ensure_browser()?;
    let tools = build_web()?;
    let axe = toolchain::ensure_axe(&root)?;
    let bundle = root.join("target/parity/bundle.safetensors");
    std::fs::create_dir_all(bundle.parent().unwrap()).map_err(|e| e.to_string())?;
    let bundle_arg = bundle.to_str().ok_or("the repository path is not UTF-8")?;
    // Every test binary is built once, in one feature resolution: `cargo run -p ocellus-e2e`
    // resolved the features of that package alone and built candle, gemm and image a second
    // time (minutes on a fresh machine). The bundle writer is one of the binaries built.
    Cmd::new("cargo", &["test", "--workspace", "--no-run"]).run()?;
    let writer = root.join("target/debug/parity-bundle");
    Cmd::new(writer.to_str().ok_or("the repository path is not UTF-8")?, &[bundle_arg]).run()?;
    Cmd::new("cargo", &["test", "-p", "ocellus-web", "--target", "wasm32-unknown-unknown", "--test", "parity"])
        .env("OCELLUS_PARITY_BUNDLE", &bundle)
        .env("CHROMEDRIVER", &chromedriver)
        .path_prefix(&tools)
        .run()?;
    let tests = Cmd::new("cargo", &["test", "--workspace"])
        .env("OCELLUS_SITE", site())
        .env("OCELLUS_REQUIRE_BROWSER", "1")
        .env("OCELLUS_AXE", &axe)
        .env("CHROMEDRIVER", &chromedriver);
    // CI always lays ../shared/data beside the checkout: there, a real-data test that would
    // skip fails instead.
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
        tests.env("OCELLUS_REQUIRE_DATA", "1").run()?;
    } else {
        tests.run()?;
    }
    fuzz::smoke(&root)?;
    // The CUDA build checked up to code generation (the kernels compiled by nvcc): a full
    // linked CUDA build (`build-cuda`, about 26 minutes here) would take CI past its hour.
    cuda::check(&root)
}

/// Builds the page and serves it (trunk's server) on localhost.
fn serve() -> Result<(), String> {
    let root = root();
    let tools = toolchain::ensure_web_tools(&root)?;
    eprintln!("the page will be at http://127.0.0.1:8080/ once built (Ctrl-C stops the server)");
    Cmd::new("trunk", &["serve", "--release", "--address", "127.0.0.1", "--port", "8080"]).dir(&root.join("web")).path_prefix(&tools).run()
}

/// The browser-vs-native forward-pass benchmark.
fn bench_web() -> Result<(), String> {
    toolchain::ensure_browser()?;
    build_web()?;
    let site = site();
    let site_arg = site.to_str().ok_or("the repository path is not UTF-8")?;
    Cmd::new("cargo", &["run", "--release", "--quiet", "-p", "ocellus-e2e", "--bin", "web-bench", "--", site_arg]).run()
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(),
        "serve" => serve(),
        "build-web" => build_web().map(|_| eprintln!("built {}: serve that folder from any static web server, under any path", site().display())),
        "bench-web" => bench_web(),
        "build-cuda" => cuda::build(&root()),
        "check-cuda" => cuda::check(&root()),
        "fuzz-smoke" => fuzz::smoke(&root()),
        "fuzz" => {
            let rest: Vec<String> = std::env::args().skip(2).collect();
            let (seconds, targets) = match rest.first().and_then(|s| s.parse::<u64>().ok()) {
                Some(s) => (s, rest[1..].to_vec()),
                None => (60, rest),
            };
            fuzz::fuzz(&root(), seconds, &targets)
        }
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
