//! The page: pick a model (shipped or your own), give an image, read the answer.

use std::rc::Rc;

use candle_core::Device;
use ocellus::manifest::Manifest;
use ocellus::prediction::Prediction;
use ocellus::{Task, TrainedModel};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{ClipboardEvent, File, HtmlInputElement};
use yew::prelude::*;

use crate::browser;
use crate::components::drop_zone::DropZone;
use crate::components::prediction_bars::PredictionBars;

/// Where the shipped models are, relative to the page.
const MODELS: &str = "models/";

/// The model in use, or why there is none.
#[derive(Clone)]
enum ModelState {
    Loading(String),
    Ready { name: String, model: Rc<TrainedModel> },
    Failed(String),
}

impl PartialEq for ModelState {
    /// Models are the same when they are the same loaded object.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Loading(a), Self::Loading(b)) | (Self::Failed(a), Self::Failed(b)) => a == b,
            (Self::Ready { name: a, model: m }, Self::Ready { name: b, model: n }) => a == b && Rc::ptr_eq(m, n),
            _ => false,
        }
    }
}

/// The answer for the last image given.
#[derive(Clone, PartialEq)]
enum Answer {
    None,
    Predictions { top: Vec<Prediction>, ms: f64 },
    Failed(String),
}

#[derive(Clone, PartialEq)]
struct Page {
    manifest: Option<Manifest>,
    model: ModelState,
    /// Name, preview URL and bytes of the image given.
    image: Option<(String, String, Rc<Vec<u8>>)>,
    answer: Answer,
}

enum Action {
    Manifest(Manifest),
    Model(ModelState),
    Image { name: String, url: Option<String>, bytes: Rc<Vec<u8>> },
    ImageFailed(String),
}

impl Page {
    /// Classifies the current image with the current model, if both are there.
    fn answer(&self) -> Answer {
        let (ModelState::Ready { model, .. }, Some((name, _, bytes))) = (&self.model, &self.image) else {
            return self.answer.clone();
        };
        let start = browser::now_ms();
        match model.classify(bytes, 5) {
            Ok(top) => Answer::Predictions { top, ms: browser::now_ms() - start },
            Err(e) => Answer::Failed(format!("{name}: {e}")),
        }
    }
}

impl Reducible for Page {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut page = (*self).clone();
        match action {
            Action::Manifest(m) => page.manifest = Some(m),
            Action::Model(m) => {
                page.model = m;
                page.answer = page.answer();
            }
            Action::Image { name, url, bytes } => {
                if let Some((_, old, _)) = &page.image {
                    browser::revoke_url(old);
                }
                page.image = Some((name, url.unwrap_or_default(), bytes));
                page.answer = page.answer();
            }
            Action::ImageFailed(msg) => page.answer = Answer::Failed(msg),
        }
        Rc::new(page)
    }
}

/// Fetches and builds a shipped model, reporting into `page`.
fn load_shipped(page: UseReducerDispatcher<Page>, file: String, name: String) {
    page.dispatch(Action::Model(ModelState::Loading(format!("Loading {name}…"))));
    spawn_local(async move {
        let state = match browser::fetch_bytes(&format!("{MODELS}{file}")).await {
            Ok(bytes) => match TrainedModel::from_bytes(&bytes, &Device::Cpu) {
                Ok(model) => ModelState::Ready { name, model: Rc::new(model) },
                Err(e) => ModelState::Failed(format!("{file}: {e}")),
            },
            Err(e) => ModelState::Failed(format!("cannot load {name}: {e}")),
        };
        page.dispatch(Action::Model(state));
    });
}

/// Handles a file the user gave: a weights file becomes the model, anything else an image.
fn take_file(page: UseReducerDispatcher<Page>, file: File) {
    spawn_local(async move {
        let name = file.name();
        let bytes = match browser::read_file(&file).await {
            Ok(b) => b,
            Err(e) => return page.dispatch(Action::ImageFailed(format!("cannot read {name}: {e}"))),
        };
        if name.to_ascii_lowercase().ends_with(".safetensors") {
            let state = match TrainedModel::from_bytes(&bytes, &Device::Cpu).and_then(|m| m.expect_task(&Task::Classify)) {
                Ok(model) => ModelState::Ready { name: format!("your model ({name})"), model: Rc::new(model) },
                Err(e) => ModelState::Failed(format!("{name} cannot be used: {e}")),
            };
            page.dispatch(Action::Model(state));
        } else {
            let url = browser::object_url(&file);
            page.dispatch(Action::Image { name, url, bytes: Rc::new(bytes) });
        }
    });
}

/// The whole page.
#[function_component(App)]
pub fn app() -> Html {
    let page = use_reducer(|| Page {
        manifest: None,
        model: ModelState::Loading("Loading the model list…".into()),
        image: None,
        answer: Answer::None,
    });

    // Load the manifest and the default classifier once.
    {
        let dispatcher = page.dispatcher();
        use_effect_with((), move |_| {
            spawn_local(async move {
                let manifest = browser::fetch_text(&format!("{MODELS}manifest.json"))
                    .await
                    .and_then(|t| Manifest::parse(&t));
                match manifest {
                    Ok(m) => {
                        if let Some(entry) = m.default_for("classify") {
                            load_shipped(dispatcher.clone(), entry.file.clone(), entry.name.clone());
                        }
                        dispatcher.dispatch(Action::Manifest(m));
                    }
                    Err(e) => dispatcher.dispatch(Action::Model(ModelState::Failed(e))),
                }
            });
        });
    }

    // Paste an image anywhere on the page.
    {
        let dispatcher = page.dispatcher();
        use_effect_with((), move |_| {
            let on_paste = Closure::<dyn Fn(ClipboardEvent)>::new(move |e: ClipboardEvent| {
                if let Some(file) = e.clipboard_data().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                    e.prevent_default();
                    take_file(dispatcher.clone(), file);
                }
            });
            let document = web_sys::window().and_then(|w| w.document());
            if let Some(d) = &document {
                let _ = d.add_event_listener_with_callback("paste", on_paste.as_ref().unchecked_ref());
            }
            move || {
                if let Some(d) = document {
                    let _ = d.remove_event_listener_with_callback("paste", on_paste.as_ref().unchecked_ref());
                }
            }
        });
    }

    let on_file = {
        let dispatcher = page.dispatcher();
        Callback::from(move |file: File| take_file(dispatcher.clone(), file))
    };
    let on_pick_model = {
        let (dispatcher, manifest) = (page.dispatcher(), page.manifest.clone());
        Callback::from(move |e: Event| {
            let select: HtmlInputElement = e.target().unwrap().unchecked_into();
            if let Some(entry) = manifest.as_ref().and_then(|m| m.models.iter().find(|m| m.file == select.value())) {
                load_shipped(dispatcher.clone(), entry.file.clone(), entry.name.clone());
            }
        })
    };

    let model_line = match &page.model {
        ModelState::Loading(msg) => html! { <p class="status" role="status">{ msg }</p> },
        ModelState::Ready { name, model } => html! {
            <p class="status" role="status">
                { format!("Model: {name} · {} · input {} · {} labels", model.card.arch, model.card.input, model.card.labels.len()) }
            </p>
        },
        ModelState::Failed(msg) => html! { <p class="error" role="alert">{ msg }</p> },
    };
    let answer = match &page.answer {
        Answer::None => html! { <p class="hint">{ "Pick, drop or paste an image." }</p> },
        Answer::Predictions { top, ms } => html! {
            <>
                <PredictionBars predictions={top.clone()} />
                <p class="timing">{ format!("inference {ms:.1} ms, in this page") }</p>
            </>
        },
        Answer::Failed(msg) => html! { <p class="error" role="alert">{ msg }</p> },
    };
    let options = page.manifest.iter().flat_map(|m| m.models.iter()).filter(|m| m.task == "classify").map(|m| {
        html! { <option value={m.file.clone()} selected={m.default}>{ &m.name }</option> }
    });

    html! {
        <main>
            <header>
                <h1>{ "Ocellus" }</h1>
                <p class="tagline">{ "Small vision models, running entirely in your browser. Nothing you give this page leaves your machine." }</p>
            </header>
            <section class="classify" aria-labelledby="classify-title">
                <h2 id="classify-title">{ "Classify an image" }</h2>
                <div class="model-row">
                    <label>{ "Model " }<select onchange={on_pick_model}>{ for options }</select></label>
                    <span class="own-model">{ "or drop your own " }<code>{ ".safetensors" }</code>{ " from " }<code>{ "ocellus train" }</code></span>
                </div>
                { model_line }
                <DropZone on_file={on_file} prompt="Drop an image (or a model file) here, click to choose, or paste" accept="image/*,.safetensors" />
                <div class="result">
                    if let Some((name, url, _)) = &page.image {
                        <img class="preview" src={url.clone()} alt={name.clone()} />
                    }
                    <div class="answer">{ answer }</div>
                </div>
            </section>
        </main>
    }
}
