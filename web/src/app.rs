//! The page: its sections and what it does about each change of state. The state and its
//! reducer are in `page`; fetching and reading in `loading`. Here, effects that follow from
//! the state: each section's question goes to the worker once, and a preview URL no longer
//! shown is freed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use ocellus::example_images::ExampleImage;
use ocellus::manifest::ManifestEntry;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{ClipboardEvent, File};
use yew::prelude::*;

use crate::browser;
use crate::camera_run::CameraEvent;
use crate::components::bench_page::BenchPage;
use crate::components::captcha_view::CaptchaView;
use crate::components::classify_view::ClassifyView;
use crate::components::faces_view::FacesView;
use crate::engine::Engine;
use crate::loading::Loader;
use crate::page::{Action, Page};
use crate::protocol::{Request, Slot};

/// The whole page: the benchmark in `?bench` mode, else the three task sections.
#[function_component(App)]
pub fn app() -> Html {
    let bench_mode = use_memo((), |_| browser::query_has("bench"));
    if *bench_mode {
        html! { <BenchPage /> }
    } else {
        html! { <Sections /> }
    }
}

/// Sends each section's pending question to the worker, once per job.
fn ask_worker(page: &Page, engine: &Engine, asked: &RefCell<HashMap<Slot, u64>>) {
    for section in page.sections() {
        let Some((job, image)) = section.question() else { continue };
        if asked.borrow().get(&section.slot) == Some(&job) {
            continue;
        }
        asked.borrow_mut().insert(section.slot, job);
        engine.send(Request::Answer { slot: section.slot, job, name: image.name.clone(), image: image.bytes.to_vec() });
    }
}

/// Frees the preview URL of each image a section no longer shows.
fn free_previews(page: &Page, shown: &RefCell<HashMap<Slot, String>>) {
    for section in page.sections() {
        let now = section.image.as_ref().and_then(|i| i.url.clone());
        let before = match &now {
            Some(url) => shown.borrow_mut().insert(section.slot, url.clone()),
            None => shown.borrow_mut().remove(&section.slot),
        };
        if let Some(old) = before.filter(|old| Some(old) != now.as_ref()) {
            browser::revoke_url(&old);
        }
    }
}

/// After each render: each section's pending question goes to the worker once, and preview
/// URLs no longer shown are freed.
#[hook]
fn use_state_effects(page: &UseReducerHandle<Page>, engine: &Rc<Engine>) {
    let asked = use_mut_ref(HashMap::new);
    let shown = use_mut_ref(HashMap::new);
    let (page, engine) = (page.clone(), engine.clone());
    use_effect(move || {
        ask_worker(&page, &engine, &asked);
        free_previews(&page, &shown);
    });
}

/// Paste an image (or a model) anywhere on the page: it goes to the section `active` names
/// (the one used last).
#[hook]
fn use_paste(loader: Loader, active: Rc<RefCell<Slot>>) {
    use_effect_with((), move |_| {
        let on_paste = Closure::<dyn Fn(ClipboardEvent)>::new(move |e: ClipboardEvent| {
            if let Some(file) = e.clipboard_data().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                e.prevent_default();
                loader.take_file(*active.borrow(), file);
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

/// Classify, Captcha and Faces, with the worker they share.
#[function_component(Sections)]
fn sections() -> Html {
    let page = use_reducer(Page::new);
    let engine = {
        let d = page.dispatcher();
        use_memo((), move |_| Engine::spawn(move |reply| d.dispatch(Action::Reply(reply))))
    };
    let loader = Loader { page: page.dispatcher(), engine: engine.clone() };
    {
        let loader = loader.clone();
        use_effect_with((), move |_| loader.start());
    }
    use_state_effects(&page, &engine);
    let active = use_mut_ref(|| Slot::Classify);
    *active.borrow_mut() = page.active;
    use_paste(loader.clone(), active);

    let on_file = {
        let loader = loader.clone();
        Callback::from(move |(slot, file): (Slot, File)| loader.take_file(slot, file))
    };
    let on_pick_model = {
        let (loader, manifest) = (loader.clone(), page.manifest.clone());
        Callback::from(move |(slot, file): (Slot, String)| {
            if let Some(entry) = manifest.as_ref().and_then(|m| m.models.iter().find(|m| m.file == file)) {
                loader.load_shipped(slot, entry.clone());
            }
        })
    };
    let on_example = {
        let loader = loader.clone();
        Callback::from(move |(slot, example): (Slot, ExampleImage)| loader.take_example(slot, example))
    };
    // A camera frame goes straight to the worker; the page records it as in flight first, so
    // that its answer (which cannot come sooner) finds it there.
    let frames = use_mut_ref(|| 0u64);
    let on_camera = {
        let (dispatcher, engine, frames) = (page.dispatcher(), engine.clone(), frames.clone());
        Callback::from(move |event: CameraEvent| match event {
            CameraEvent::Frame { width, height, rgba } => {
                let job = {
                    let mut n = frames.borrow_mut();
                    *n += 1;
                    *n
                };
                dispatcher.dispatch(Action::FrameSent { job, size: (width, height) });
                engine.send(Request::DetectFrame { slot: Slot::Faces, job, width, height, rgba });
            }
            other => dispatcher.dispatch(Action::Camera(other)),
        })
    };
    let examples = |task: &str| -> Vec<ExampleImage> { page.examples.for_task(task).cloned().collect() };
    let listing = page.manifest.is_none() && page.manifest_error.is_none();
    let shipped = |task: &str| -> Vec<ManifestEntry> { page.manifest.iter().flat_map(|m| m.models.iter()).filter(|m| m.task == task).cloned().collect() };

    html! {
        <main>
            <header>
                <h1>{ "Ocellus" }</h1>
                <p class="tagline">{ "Small vision models, running entirely in your browser. Nothing you give this page leaves your machine." }</p>
            </header>
            if let Some(e) = &page.manifest_error {
                <p class="error" role="alert">{ e }</p>
            }
            if let Some(e) = &page.examples_error {
                <p class="error" role="alert">{ e }</p>
            }
            <ClassifyView section={page.classify.clone()} shipped={shipped("classify")} listing={listing} examples={examples("classify")} on_example={on_example.clone()}
                on_file={on_file.clone()} on_pick_model={on_pick_model.clone()} />
            <CaptchaView section={page.captcha.clone()} shipped={shipped("captcha")} listing={listing} examples={examples("captcha")} on_example={on_example.clone()}
                on_file={on_file.clone()} on_pick_model={on_pick_model.clone()} />
            <FacesView section={page.faces.clone()} shipped={shipped("faces")} listing={listing} examples={examples("faces")} on_example={on_example.clone()}
                on_file={on_file.clone()} on_pick_model={on_pick_model.clone()} camera={page.camera.clone()} on_camera={on_camera} />
        </main>
    }
}
