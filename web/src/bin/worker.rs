//! The inference worker's entry point (trunk builds it as `worker.js` + `worker_bg.wasm`).

use gloo_worker::Registrable;
use ocellus_web::inference::Inference;

fn main() {
    Inference::registrar().register();
}
