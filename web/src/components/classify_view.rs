//! The Classify section: pick a model, give an image, read the top labels.

use ocellus::manifest::ManifestEntry;
use wasm_bindgen::JsCast;
use web_sys::{File, HtmlSelectElement};
use yew::prelude::*;

use crate::components::drop_zone::DropZone;
use crate::components::model_line::ModelLine;
use crate::components::prediction_bars::PredictionBars;
use crate::protocol::Slot;
use crate::section::{Answer, Section};

/// Properties of [`ClassifyView`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The section's state.
    pub section: Section,
    /// The shipped classifiers.
    pub shipped: Vec<ManifestEntry>,
    /// A file given to the section.
    pub on_file: Callback<(Slot, File)>,
    /// A shipped model picked (by file name).
    pub on_pick_model: Callback<(Slot, String)>,
}

/// The Classify section.
#[function_component(ClassifyView)]
pub fn classify_view(props: &Props) -> Html {
    let s = &props.section;
    let on_file = props.on_file.reform(|file| (Slot::Classify, file));
    let on_pick = props.on_pick_model.reform(|e: Event| {
        let select: HtmlSelectElement = e.target().expect("change has a target").unchecked_into();
        (Slot::Classify, select.value())
    });
    let answer = match &s.answer {
        Answer::None => html! { <p class="hint">{ "Pick, drop or paste an image." }</p> },
        Answer::Working if s.model.is_none() => html! { <p class="hint" role="status">{ "Waiting for the model…" }</p> },
        Answer::Working => html! { <p class="hint" role="status">{ "Reading the image…" }</p> },
        Answer::Labels { top, ms, .. } => html! {
            <>
                <PredictionBars predictions={top.clone()} />
                <p class="timing">{ format!("{ms:.1} ms in this browser (decode, resize, model)") }</p>
            </>
        },
        Answer::Failed(msg) => html! { <p class="error answer-error" role="alert">{ msg }</p> },
    };
    let answered_at = match &s.answer {
        Answer::Labels { at_ms, .. } => Some(format!("{at_ms:.0}")),
        _ => None,
    };
    html! {
        <section id="classify" class="task" aria-labelledby="classify-title">
            <h2 id="classify-title">{ "Classify an image" }</h2>
            <div class="model-row">
                <label>{ "Model " }
                    <select onchange={on_pick}>
                        { for props.shipped.iter().map(|m| html! {
                            <option value={m.file.clone()} selected={m.default}>{ &m.name }</option>
                        }) }
                    </select>
                </label>
                <span class="own-model">{ "or drop your own " }<code>{ ".safetensors" }</code>{ " from " }<code>{ "ocellus train" }</code></span>
            </div>
            <ModelLine model={s.model.clone()} status={s.status.clone()} />
            <DropZone on_file={on_file} prompt="Drop an image (or a model file) here, click to choose, or paste" accept="image/*,.safetensors" />
            <div class="result">
                if let Some(image) = &s.image {
                    <img class="preview" src={image.url.clone().unwrap_or_default()} alt={image.name.clone()} />
                }
                <div class="answer" aria-live="polite" data-at-ms={answered_at}>{ answer }</div>
            </div>
        </section>
    }
}
