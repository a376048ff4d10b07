//! The page: its state, what changes it, and the effects that start it (manifest, default
//! models, the worker, paste anywhere).

use std::cell::RefCell;
use std::rc::Rc;

use ocellus::example_images::{ExampleImage, ExampleList};
use ocellus::kernel_choice::Kernels;
use ocellus::manifest::{Manifest, ManifestEntry};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{ClipboardEvent, File};
use yew::prelude::*;

use crate::bench::BenchRun;
use crate::camera_run::{CameraEvent, CameraRun};
use crate::browser;
use crate::clock::now_ms;
use crate::components::bench_view::BenchView;
use crate::components::captcha_view::CaptchaView;
use crate::components::classify_view::ClassifyView;
use crate::components::faces_view::FacesView;
use crate::engine::Engine;
use crate::model_fetch::{self, Progress, Source};
use crate::protocol::{Reply, Request, Slot};
use crate::section::{Answer, GivenImage, LoadedModel, ModelStatus, Section};

/// How many labels the page shows.
const TOP: usize = 5;

/// Everything the page shows.
#[derive(Clone, PartialEq)]
pub struct Page {
    /// The inference worker.
    engine: Engine,
    /// The shipped models, once read.
    pub manifest: Option<Manifest>,
    /// Why the manifest could not be read.
    pub manifest_error: Option<String>,
    /// The example images, once read.
    pub examples: ExampleList,
    /// Why the example list could not be read.
    pub examples_error: Option<String>,
    /// The Classify section.
    pub classify: Section,
    /// The Captcha section.
    pub captcha: Section,
    /// The Faces section.
    pub faces: Section,
    /// The section a paste goes to: the last one used.
    pub active: Slot,
    /// The Faces section's camera mode.
    pub camera: CameraRun,
    /// The benchmark run, in `?bench` mode.
    pub bench: Option<BenchRun>,
}

/// What changes the page.
pub enum Action {
    /// The manifest arrived (or failed).
    Manifest(Result<Manifest, String>),
    /// The example list arrived (or failed).
    Examples(Result<ExampleList, String>),
    /// A shipped model started downloading.
    Fetching { slot: Slot, name: String },
    /// Download progress.
    Progress { slot: Slot, progress: Progress },
    /// A model file is here (downloaded, cached or given by the user, `dropped`): build it.
    ModelBytes { slot: Slot, name: String, bytes: Vec<u8>, dropped: bool },
    /// A model file could not be had.
    ModelUnavailable { slot: Slot, message: String },
    /// The user gave an image.
    Image { slot: Slot, image: GivenImage },
    /// A file the user gave could not be read.
    Unreadable { slot: Slot, message: String },
    /// The worker answered.
    Reply(Reply),
    /// Camera mode changed, or has a frame for the worker.
    Camera(CameraEvent),
    /// The benchmark's files are here.
    BenchFiles(Result<Vec<(ManifestEntry, Vec<u8>)>, String>),
}

impl Page {
    fn section(&self, slot: Slot) -> Option<&Section> {
        match slot {
            Slot::Classify => Some(&self.classify),
            Slot::Captcha => Some(&self.captcha),
            Slot::Faces => Some(&self.faces),
            Slot::Bench => None,
        }
    }

    fn section_mut(&mut self, slot: Slot) -> Option<&mut Section> {
        match slot {
            Slot::Classify => Some(&mut self.classify),
            Slot::Captcha => Some(&mut self.captcha),
            Slot::Faces => Some(&mut self.faces),
            Slot::Bench => None,
        }
    }

    /// Sends the section's current image to the worker, if there is a model for it.
    fn ask(&self, slot: Slot) {
        let Some(section) = self.section(slot) else { return };
        if let (Some(_), Some(image)) = (&section.model, &section.image) {
            let (job, name, bytes) = (section.job, image.name.clone(), image.bytes.to_vec());
            let request = match slot {
                Slot::Captcha => Request::ReadCaptcha { slot, job, name, image: bytes },
                Slot::Faces => Request::DetectFaces { slot, job, name, image: bytes },
                _ => Request::Classify { slot, job, name, image: bytes, top: TOP },
            };
            self.engine.send(request);
        }
    }

    fn on_reply(&mut self, reply: Reply) {
        let slot = reply.slot();
        if slot == Slot::Bench {
            return self.on_bench_reply(reply);
        }
        match reply {
            Reply::FrameFaces { job, candidates, ms, .. } => {
                self.camera.answered_frame(job, candidates, ms, now_ms());
                return;
            }
            Reply::FrameFailed { job, message, .. } => return self.camera.failed_frame(job, message),
            _ => {}
        }
        let Some(section) = self.section_mut(slot) else { return };
        match reply {
            Reply::Loaded { source, card, ms, .. } => {
                section.model = Some(LoadedModel { name: source, card, ready_at_ms: now_ms(), build_ms: ms });
                section.status = ModelStatus::Idle;
                if section.image.is_some() {
                    section.answer = Answer::Working;
                    self.ask(slot);
                }
            }
            Reply::LoadFailed { message, .. } => section.status = ModelStatus::Failed(message),
            Reply::Classified { job, top, ms, .. } if job == section.job => {
                section.answer = Answer::Labels { top, ms, at_ms: now_ms() }
            }
            Reply::CodeRead { job, read, ms, .. } if job == section.job => section.answer = Answer::Code { read, ms, at_ms: now_ms() },
            Reply::FacesFound { job, size, candidates, proposals_ms, model_ms, .. } if job == section.job => {
                section.answer = Answer::Faces { size, candidates: Rc::new(candidates), proposals_ms, model_ms, at_ms: now_ms() }
            }
            Reply::Failed { job, message, .. } if job == section.job => section.answer = Answer::Failed(message),
            _ => {}
        }
    }

    fn on_bench_reply(&mut self, reply: Reply) {
        let Some(run) = &mut self.bench else { return };
        match reply {
            Reply::Loaded { card, .. } => {
                run.arch = card.arch.to_string();
                self.engine.send(Request::Bench { slot: Slot::Bench, runs: crate::bench::RUNS, kernels: Kernels::Ocellus });
            }
            // Each model is timed with our kernels, then candle's, one after the other.
            Reply::Benched { ms, .. } if !run.arch.is_empty() => {
                let arch = std::mem::take(&mut run.arch);
                run.record(arch, &ms);
                self.engine.send(Request::Bench { slot: Slot::Bench, runs: crate::bench::RUNS, kernels: Kernels::Candle });
            }
            Reply::Benched { ms, .. } => {
                run.record_candle(&ms);
                self.next_bench_model();
            }
            Reply::ProposalsTimed { boxes, size, ms } => run.proposals = Some((boxes, size, ocellus::forward_timing::median(&ms))),
            Reply::LoadFailed { message, .. } => run.error = Some(message),
            _ => {}
        }
    }

    /// Loads the next model of the benchmark into the worker.
    fn next_bench_model(&mut self) {
        let Some(run) = &self.bench else { return };
        if let Some((entry, bytes)) = run.files.as_ref().and_then(|f| f.get(run.index)) {
            self.engine.send(Request::Load { slot: Slot::Bench, follow_task: false, source: entry.file.clone(), bytes: bytes.clone() });
        }
    }
}

impl Reducible for Page {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut page = (*self).clone();
        match action {
            Action::Manifest(Ok(m)) => page.manifest = Some(m),
            Action::Manifest(Err(e)) => page.manifest_error = Some(e),
            Action::Examples(Ok(list)) => page.examples = list,
            Action::Examples(Err(e)) => page.examples_error = Some(e),
            Action::Fetching { slot, name } => {
                if let Some(s) = page.section_mut(slot) {
                    s.status = ModelStatus::Fetching { name, progress: None };
                }
            }
            Action::Progress { slot, progress } => {
                if let Some(Section { status: ModelStatus::Fetching { progress: p, .. }, .. }) = page.section_mut(slot) {
                    *p = Some(progress);
                }
            }
            Action::ModelBytes { slot, name, bytes, dropped } => {
                if let Some(s) = page.section_mut(slot) {
                    s.status = ModelStatus::Building { name: name.clone() };
                }
                page.active = slot;
                page.engine.send(Request::Load { slot, follow_task: dropped, source: name, bytes });
            }
            Action::ModelUnavailable { slot, message } => {
                if let Some(s) = page.section_mut(slot) {
                    s.status = ModelStatus::Failed(message);
                }
            }
            Action::Image { slot: Slot::Bench, image } => {
                page.engine.send(Request::BenchProposals { name: image.name, image: image.bytes.to_vec(), runs: 3 });
            }
            Action::Image { slot, image } => {
                page.active = slot;
                if let Some(s) = page.section_mut(slot) {
                    if let Some(url) = s.image.as_ref().and_then(|i| i.url.as_deref()) {
                        browser::revoke_url(url);
                    }
                    s.give_image(image);
                }
                page.ask(slot);
            }
            Action::Unreadable { slot, message } => {
                if let Some(s) = page.section_mut(slot) {
                    s.answer = Answer::Failed(message);
                }
            }
            Action::Reply(reply) => page.on_reply(reply),
            Action::Camera(event) => match event {
                CameraEvent::Asking => {
                    page.camera.asking = true;
                    page.camera.error = None;
                }
                CameraEvent::Started => page.camera.started(),
                CameraEvent::Stopped(error) => page.camera.stopped(error),
                CameraEvent::Frame { width, height, rgba } => {
                    page.active = Slot::Faces;
                    let job = page.camera.sent_frame((width, height), now_ms());
                    page.engine.send(Request::DetectFrame { slot: Slot::Faces, job, width, height, rgba });
                }
            },
            Action::BenchFiles(files) => {
                if let Some(run) = &mut page.bench {
                    match files {
                        Ok(files) => run.files = Some(Rc::new(files)),
                        Err(e) => run.error = Some(e),
                    }
                }
                page.next_bench_model();
            }
        }
        Rc::new(page)
    }
}

/// Fetches a shipped model (from the cache when it is there) and hands it to the worker.
fn load_shipped(page: UseReducerDispatcher<Page>, slot: Slot, entry: ManifestEntry) {
    page.dispatch(Action::Fetching { slot, name: entry.name.clone() });
    spawn_local(async move {
        let url = entry.url();
        let progress = {
            let page = page.clone();
            move |progress| page.dispatch(Action::Progress { slot, progress })
        };
        match model_fetch::fetch_model(&url, entry.bytes, progress).await {
            Ok((bytes, source)) => {
                let from = if source == Source::Cache { " (from this browser's cache)" } else { "" };
                page.dispatch(Action::ModelBytes { slot, name: format!("{}{from}", entry.name), bytes, dropped: false });
            }
            Err(e) => page.dispatch(Action::ModelUnavailable { slot, message: format!("cannot load {}: {e}", entry.name) }),
        }
    });
}

/// Fetches an example image (from the cache when it is there) and gives it to the section.
fn take_example(page: UseReducerDispatcher<Page>, slot: Slot, example: ExampleImage) {
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

/// Handles a file the user gave to a section: a weights file becomes its model, anything else
/// is taken as an image (the worker names what is wrong with it).
fn take_file(page: UseReducerDispatcher<Page>, slot: Slot, file: File) {
    spawn_local(async move {
        let name = file.name();
        let bytes = match browser::read_file(&file).await {
            Ok(b) => b,
            Err(e) => return page.dispatch(Action::Unreadable { slot, message: format!("cannot read {name}: {e}") }),
        };
        if name.to_ascii_lowercase().ends_with(".safetensors") {
            page.dispatch(Action::ModelBytes { slot, name: format!("your model ({name})"), bytes, dropped: true });
        } else {
            let url = browser::object_url(&file);
            page.dispatch(Action::Image { slot, image: GivenImage { name, url, bytes: Rc::new(bytes) } });
        }
    });
}

/// Reads the manifest, then loads each section's default model (or, in bench mode, every model).
fn start(page: UseReducerDispatcher<Page>, bench: bool) {
    spawn_local(async move {
        let manifest = match browser::fetch_text("models/manifest.json").await.and_then(|t| Manifest::parse(&t)) {
            Ok(m) => m,
            Err(e) => return page.dispatch(Action::Manifest(Err(e))),
        };
        page.dispatch(Action::Manifest(Ok(manifest.clone())));
        let mut urls: Vec<String> = manifest.models.iter().map(ManifestEntry::url).collect();
        if bench {
            let mut files = Vec::new();
            // Face models are timed through detection, not a batch-1 forward pass.
            for entry in manifest.models.iter().filter(|m| m.task != "faces") {
                match model_fetch::fetch_model(&entry.url(), entry.bytes, |_| {}).await {
                    Ok((bytes, _)) => files.push((entry.clone(), bytes)),
                    Err(e) => return page.dispatch(Action::BenchFiles(Err(e))),
                }
            }
            page.dispatch(Action::BenchFiles(Ok(files)));
        } else {
            for (task, slot) in [("classify", Slot::Classify), ("captcha", Slot::Captcha), ("faces", Slot::Faces)] {
                if let Some(entry) = manifest.default_for(task) {
                    load_shipped(page.clone(), slot, entry.clone());
                }
            }
        }
        if !bench {
            match browser::fetch_text("examples/examples.json").await.and_then(|t| ExampleList::parse(&t)) {
                Ok(list) => {
                    urls.extend(list.examples.iter().map(ExampleImage::url));
                    page.dispatch(Action::Examples(Ok(list)));
                }
                Err(e) => page.dispatch(Action::Examples(Err(e))),
            }
        }
        model_fetch::prune(&urls).await;
    });
}

/// The whole page.
#[function_component(App)]
pub fn app() -> Html {
    let bench_mode = use_memo((), |_| browser::query_has("bench"));
    // The worker's replies reach the reducer through this, set once the reducer exists.
    let inbox: Rc<RefCell<Option<UseReducerDispatcher<Page>>>> = use_mut_ref(|| None);
    let page = {
        let (inbox, bench) = (inbox.clone(), *bench_mode);
        use_reducer(move || Page {
            engine: Engine::spawn(move |reply| {
                if let Some(page) = inbox.borrow().as_ref() {
                    page.dispatch(Action::Reply(reply));
                }
            }),
            manifest: None,
            manifest_error: None,
            examples: ExampleList::default(),
            examples_error: None,
            classify: Section::new(Slot::Classify),
            captcha: Section::new(Slot::Captcha),
            faces: Section::new(Slot::Faces),
            camera: CameraRun::default(),
            active: Slot::Classify,
            bench: bench.then(BenchRun::new),
        })
    };
    *inbox.borrow_mut() = Some(page.dispatcher());

    {
        let (dispatcher, bench) = (page.dispatcher(), *bench_mode);
        use_effect_with((), move |_| start(dispatcher, bench));
    }

    // Paste an image (or a model) anywhere on the page: it goes to the section used last.
    let active = use_mut_ref(|| Slot::Classify);
    *active.borrow_mut() = page.active;
    {
        let dispatcher = page.dispatcher();
        let active = active.clone();
        use_effect_with((), move |_| {
            let on_paste = Closure::<dyn Fn(ClipboardEvent)>::new(move |e: ClipboardEvent| {
                if let Some(file) = e.clipboard_data().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                    e.prevent_default();
                    take_file(dispatcher.clone(), *active.borrow(), file);
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
        Callback::from(move |(slot, file): (Slot, File)| take_file(dispatcher.clone(), slot, file))
    };
    let on_pick_model = {
        let (dispatcher, manifest) = (page.dispatcher(), page.manifest.clone());
        Callback::from(move |(slot, file): (Slot, String)| {
            if let Some(entry) = manifest.as_ref().and_then(|m| m.models.iter().find(|m| m.file == file)) {
                load_shipped(dispatcher.clone(), slot, entry.clone());
            }
        })
    };
    let on_example = {
        let dispatcher = page.dispatcher();
        Callback::from(move |(slot, example): (Slot, ExampleImage)| take_example(dispatcher.clone(), slot, example))
    };
    let on_camera = {
        let dispatcher = page.dispatcher();
        Callback::from(move |event: CameraEvent| dispatcher.dispatch(Action::Camera(event)))
    };
    let examples = |task: &str| -> Vec<ExampleImage> { page.examples.for_task(task).cloned().collect() };
    let listing = page.manifest.is_none() && page.manifest_error.is_none();
    let shipped = |task: &str| -> Vec<ManifestEntry> {
        page.manifest.iter().flat_map(|m| m.models.iter()).filter(|m| m.task == task).cloned().collect()
    };

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
            if let Some(run) = &page.bench {
                <BenchView run={run.clone()} on_file={on_file.clone()} />
            } else {
                <ClassifyView section={page.classify.clone()} shipped={shipped("classify")} listing={listing} examples={examples("classify")} on_example={on_example.clone()}
                    on_file={on_file.clone()} on_pick_model={on_pick_model.clone()} />
                <CaptchaView section={page.captcha.clone()} shipped={shipped("captcha")} listing={listing} examples={examples("captcha")} on_example={on_example.clone()}
                    on_file={on_file.clone()} on_pick_model={on_pick_model.clone()} />
                <FacesView section={page.faces.clone()} shipped={shipped("faces")} listing={listing} examples={examples("faces")} on_example={on_example.clone()}
                    on_file={on_file.clone()} on_pick_model={on_pick_model.clone()} camera={page.camera.clone()} on_camera={on_camera} />
            }
        </main>
    }
}
