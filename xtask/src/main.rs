//! `cargo xtask <task>`: the project's set-up, build and test runner, so that a fresh
//! machine needs nothing but Rust, npm and this repository.

mod process;
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use process::{run, run_in};

const USAGE: &str = "usage: cargo xtask <task>
  test        build shared/ and the page for wasm32 and run every test (what CI runs)
  serve       install the web toolchain if missing, build the page and serve it on http://127.0.0.1:8080
  build-web   build the page into target/site (plain static files for any web server)";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask/ has a parent").to_path_buf()
}

/// Everything CI checks: native tests of the whole workspace and the wasm32 builds of
/// `shared/` and the page.
fn test() -> Result<(), String> {
    toolchain::ensure_wasm_target()?;
    run("cargo", &["build", "-p", "ocellus", "-p", "ocellus-web", "--target", "wasm32-unknown-unknown"])?;
    run("cargo", &["test", "--workspace"])
}

/// Builds (and with `serve`, serves) the page with trunk.
fn trunk(serve: bool) -> Result<(), String> {
    let root = root();
    let bin = toolchain::ensure_web_tools(&root)?;
    let web = root.join("web");
    if serve {
        run_in(Some(&web), "trunk", &["serve", "--release", "--address", "127.0.0.1", "--port", "8080"], Some(&bin))
    } else {
        run_in(Some(&web), "trunk", &["build", "--release"], Some(&bin))?;
        eprintln!("built {}: serve that folder from any static web server, under any path", root.join("target/site").display());
        Ok(())
    }
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(),
        "serve" => trunk(true),
        "build-web" => trunk(false),
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
