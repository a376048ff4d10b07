//! The Ocellus page: give it an image, and the model trained natively answers, in the page.

mod app;
mod browser;
mod components;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
