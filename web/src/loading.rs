//! What the page fetches and reads: the manifest and the default models at start, a shipped
//! model picked, an example image, a file given. Each tells the page what happened, and hands
//! model files straight to the worker.

use std::rc::Rc;

use ocellus::example_images::{ExampleImage, ExampleList};
use ocellus::manifest::{Manifest, ManifestEntry};
use wasm_bindgen_futures::spawn_local;
use web_sys::File;
use yew::prelude::*;

use crate::browser;
use crate::engine::Engine;
use crate::model_fetch::{self, Source};
use crate::page::{Action, Page};
use crate::protocol::{Request, Slot};
use crate::section::GivenImage;

/// The page's link to the world: its reducer and its worker.
#[derive(Clone)]
pub struct Loader {
    /// Tells the page.
    pub page: UseReducerDispatcher<Page>,
    /// The inference worker.
    pub engine: Rc<Engine>,
}

impl Loader {
    /// Gives the worker a model file for `slot` (`dropped`: the user gave it anywhere, so it
    /// goes to the section of its own task).
    fn build(&self, slot: Slot, name: String, bytes: Vec<u8>, dropped: bool) {
        self.page.dispatch(Action::Building { slot, name: name.clone() });
        self.engine.send(Request::Load { slot, follow_task: dropped, source: name, bytes });
    }

    /// Fetches a shipped model (from the cache when it is there) and hands it to the worker.
    pub fn load_shipped(&self, slot: Slot, entry: ManifestEntry) {
        let this = self.clone();
        spawn_local(async move { this.fetch_and_build(slot, entry).await });
    }

    /// [`Loader::load_shipped`], finished when the bytes are with the worker (or failed).
    async fn fetch_and_build(&self, slot: Slot, entry: ManifestEntry) {
        self.page.dispatch(Action::Fetching { slot, name: entry.name.clone() });
        let page = self.page.clone();
        let progress = move |progress| page.dispatch(Action::Progress { slot, progress });
        match model_fetch::fetch_model(&entry.url(), entry.bytes, progress).await {
            Ok((bytes, source)) => {
                let from = if source == Source::Cache { " (from this browser's cache)" } else { "" };
                self.build(slot, format!("{}{from}", entry.name), bytes, false);
            }
            Err(e) => self.page.dispatch(Action::ModelUnavailable { slot, message: format!("cannot load {}: {e}", entry.name) }),
        }
    }

    /// Fetches an example image (from the cache when it is there) and gives it to the section.
    pub fn take_example(&self, slot: Slot, example: ExampleImage) {
        let page = self.page.clone();
        spawn_local(async move {
            match model_fetch::fetch_model(&example.url(), Some(example.bytes), |_| {}).await {
                Ok((bytes, _)) => {
                    let mime = if example.file.ends_with(".png") { "image/png" } else { "image/jpeg" };
                    let url = browser::bytes_url(&bytes, mime);
                    page.dispatch(Action::Image { slot, image: GivenImage { name: example.file, url, bytes: Rc::new(bytes) } });
                }
                Err(e) => page.dispatch(Action::Unreadable { slot, message: format!("cannot load the example {}: {e}", example.file) }),
            }
        });
    }

    /// Handles a file the user gave to a section: a weights file becomes its model, anything
    /// else is taken as an image (the worker names what is wrong with it).
    pub fn take_file(&self, slot: Slot, file: File) {
        let this = self.clone();
        spawn_local(async move {
            let name = file.name();
            let bytes = match browser::read_file(&file).await {
                Ok(b) => b,
                Err(e) => return this.page.dispatch(Action::Unreadable { slot, message: format!("cannot read {name}: {e}") }),
            };
            if name.to_ascii_lowercase().ends_with(".safetensors") {
                this.build(slot, format!("your model ({name})"), bytes, true);
            } else {
                let url = browser::object_url(&file);
                this.page.dispatch(Action::Image { slot, image: GivenImage { name, url, bytes: Rc::new(bytes) } });
            }
        });
    }

    /// Reads the manifest, loads each section's default model, then the example list; prunes
    /// cached files no longer listed.
    pub fn start(&self) {
        let this = self.clone();
        spawn_local(async move {
            let manifest = match browser::fetch_text("models/manifest.json").await.and_then(|t| Manifest::parse(&t)) {
                Ok(m) => m,
                Err(e) => return this.page.dispatch(Action::Manifest(Err(e))),
            };
            this.page.dispatch(Action::Manifest(Ok(manifest.clone())));
            let mut urls: Vec<String> = manifest.models.iter().map(ManifestEntry::url).collect();
            match browser::fetch_text("examples/examples.json").await.and_then(|t| ExampleList::parse(&t)) {
                Ok(list) => {
                    urls.extend(list.examples.iter().map(ExampleImage::url));
                    this.page.dispatch(Action::Examples(Ok(list)));
                }
                Err(e) => this.page.dispatch(Action::Examples(Err(e))),
            }
            // One default at a time, then the prune: with the three fetches, their Cache Storage
            // look-ups and stores and the prune all at once, a fresh profile's third model was
            // now and then never requested (the Faces section stuck at "starting" in 1 of
            // about 5 headless runs).
            for (task, slot) in [("classify", Slot::Classify), ("captcha", Slot::Captcha), ("faces", Slot::Faces)] {
                if let Some(entry) = manifest.default_for(task) {
                    this.fetch_and_build(slot, entry.clone()).await;
                }
            }
            model_fetch::prune(&urls).await;
        });
    }
}
