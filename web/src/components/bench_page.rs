//! The page in benchmark mode (`?bench`): its own worker times every shipped model in turn,
//! with our kernels then candle's, and selective search on a photo given; the table is
//! [`BenchView`].

use std::rc::Rc;

use ocellus::manifest::{Manifest, ManifestEntry};
use ocellus::ops::kernel_choice::Kernels;
use wasm_bindgen_futures::spawn_local;
use web_sys::File;
use yew::prelude::*;

use crate::bench::{BenchRun, RUNS};
use crate::browser;
use crate::components::bench_view::BenchView;
use crate::engine::Engine;
use crate::model_fetch;
use crate::protocol::{Reply, Request, Slot};

/// What changes the run.
pub enum BenchAction {
    /// The models' files are here (or could not be had).
    Files(Result<Vec<(ManifestEntry, Vec<u8>)>, String>),
    /// The worker answered.
    Reply(Reply),
}

/// The run's state: [`BenchRun`] and the step it waits for.
#[derive(Clone, PartialEq, Default)]
pub struct BenchState {
    /// The results so far.
    pub run: BenchRun,
    /// The worker request due next, numbered so that each is sent once.
    pub next: Option<(u64, BenchStep)>,
}

/// A step of the run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BenchStep {
    /// Load the current model.
    Load,
    /// Time it with these kernels.
    Time(Kernels),
}

impl BenchState {
    fn then(&mut self, step: Option<BenchStep>) {
        let n = self.next.map_or(0, |(n, _)| n) + 1;
        self.next = step.map(|s| (n, s));
    }
}

impl Reducible for BenchState {
    type Action = BenchAction;

    fn reduce(self: Rc<Self>, action: BenchAction) -> Rc<Self> {
        let mut state = (*self).clone();
        match action {
            BenchAction::Files(Ok(files)) => {
                let any = !files.is_empty();
                state.run.files = Some(Rc::new(files));
                state.then(any.then_some(BenchStep::Load));
            }
            BenchAction::Files(Err(e)) => state.run.error = Some(e),
            BenchAction::Reply(reply) => match reply {
                Reply::Loaded { card, .. } => {
                    state.run.arch = card.arch.to_string();
                    state.then(Some(BenchStep::Time(Kernels::Ocellus)));
                }
                // Each model is timed with our kernels, then candle's, one after the other.
                Reply::Benched { ms, .. } if !state.run.arch.is_empty() => {
                    let arch = std::mem::take(&mut state.run.arch);
                    state.run.record(arch, &ms);
                    state.then(Some(BenchStep::Time(Kernels::Candle)));
                }
                Reply::Benched { ms, .. } => {
                    state.run.record_candle(&ms);
                    let more = !state.run.done();
                    state.then(more.then_some(BenchStep::Load));
                }
                Reply::ProposalsTimed { boxes, size, ms } => state.run.proposals = Some((boxes, size, ocellus::forward_timing::median(&ms))),
                Reply::LoadFailed { message, .. } => state.run.error = Some(message),
                _ => {}
            },
        }
        Rc::new(state)
    }
}

/// Fetches every shipped model but the face models (timed through detection, not a batch-1
/// forward pass).
fn fetch_files(state: UseReducerDispatcher<BenchState>) {
    spawn_local(async move {
        let manifest = match browser::fetch_text("models/manifest.json").await.and_then(|t| Manifest::parse(&t)) {
            Ok(m) => m,
            Err(e) => return state.dispatch(BenchAction::Files(Err(e))),
        };
        let mut files = Vec::new();
        for entry in manifest.models.iter().filter(|m| m.task != "faces") {
            match model_fetch::fetch_model(&entry.url(), entry.bytes, |_| {}).await {
                Ok((bytes, _)) => files.push((entry.clone(), bytes)),
                Err(e) => return state.dispatch(BenchAction::Files(Err(e))),
            }
        }
        state.dispatch(BenchAction::Files(Ok(files)));
    });
}

/// The benchmark page.
#[function_component(BenchPage)]
pub fn bench_page() -> Html {
    let state = use_reducer(BenchState::default);
    let engine = {
        let d = state.dispatcher();
        use_memo((), move |_| Engine::spawn(move |reply| d.dispatch(BenchAction::Reply(reply))))
    };
    {
        let d = state.dispatcher();
        use_effect_with((), move |_| fetch_files(d));
    }
    // Each step goes to the worker once, when the state asks for it.
    {
        let (engine, run, next) = (engine.clone(), state.run.clone(), state.next);
        use_effect_with(next.map(|(n, _)| n), move |_| {
            let current = run.files.as_ref().and_then(|f| f.get(run.index));
            match (next, current) {
                (Some((_, BenchStep::Load)), Some((entry, bytes))) => {
                    engine.send(Request::Load { slot: Slot::Bench, follow_task: false, source: entry.file.clone(), bytes: bytes.clone() })
                }
                (Some((_, BenchStep::Time(kernels))), _) => engine.send(Request::Bench { slot: Slot::Bench, runs: RUNS, kernels }),
                _ => {}
            }
        });
    }
    let on_file = {
        let engine = engine.clone();
        Callback::from(move |(_, file): (Slot, File)| {
            let engine = engine.clone();
            spawn_local(async move {
                let Ok(image) = browser::read_file(&file).await else { return };
                engine.send(Request::BenchProposals { name: file.name(), image, runs: 3 });
            });
        })
    };
    html! { <BenchView run={state.run.clone()} on_file={on_file} /> }
}
