//! The Ocellus page's entry point: renders the app (inference runs in `worker.rs`).

fn main() {
    yew::Renderer::<ocellus_web::app::App>::new().render();
}
