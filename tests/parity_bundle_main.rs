//! Writes the parity bundle (see `parity_bundle.rs`) to the path given: `cargo xtask test`
//! runs this before the wasm parity test, which embeds the file.

fn main() {
    let Some(out) = std::env::args_os().nth(1) else {
        eprintln!("usage: parity-bundle OUT.safetensors");
        std::process::exit(2);
    };
    let bytes = ocellus_e2e::parity_bundle::build();
    if let Err(e) = std::fs::write(&out, bytes) {
        eprintln!("{}: {e}", std::path::Path::new(&out).display());
        std::process::exit(1);
    }
}
