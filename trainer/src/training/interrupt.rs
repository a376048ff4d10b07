//! Ctrl-C handling: the first press asks the loop to stop after saving; a second one quits.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Installs the handler once; later calls do nothing.
pub fn install() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                eprintln!("\nsecond interrupt: quitting now (files on disk are complete; --resume continues from the last checkpoint)");
                std::process::exit(130);
            }
            eprintln!("\ninterrupted: saving a checkpoint after this batch (press Ctrl-C again to quit at once)");
        });
    });
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
