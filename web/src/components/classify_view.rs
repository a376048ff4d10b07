//! The Classify section: the top labels as bars.

use ocellus::example_images::ExampleImage;
use ocellus::manifest::ManifestEntry;
use web_sys::File;
use yew::prelude::*;

use crate::camera_run::{CameraEvent, CameraRun};
use crate::components::copy_button::CopyButton;
use crate::components::prediction_bars::PredictionBars;
use crate::components::task_panel::TaskPanel;
use crate::protocol::Slot;
use crate::section::{Answer, Section};

/// Properties of [`ClassifyView`] (and of the other task views).
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The section's state.
    pub section: Section,
    /// The shipped models for the task.
    pub shipped: Vec<ManifestEntry>,
    /// Whether the list of shipped models is still on its way.
    pub listing: bool,
    /// The example images the section offers.
    pub examples: Vec<ExampleImage>,
    /// An example picked.
    pub on_example: Callback<(Slot, ExampleImage)>,
    /// A file given to the section.
    pub on_file: Callback<(Slot, File)>,
    /// A shipped model picked (by file name).
    pub on_pick_model: Callback<(Slot, String)>,
    /// Camera mode (the Faces section has one).
    #[prop_or_default]
    pub camera: Option<CameraRun>,
    /// Camera mode's events.
    #[prop_or_default]
    pub on_camera: Callback<CameraEvent>,
}

/// What to show while there is no answer of the task's own kind.
pub fn pending(answer: &Answer, has_model: bool) -> Html {
    match answer {
        Answer::None => html! { <p class="hint">{ "Pick, drop or paste an image." }</p> },
        Answer::Working if !has_model => html! { <p class="hint" role="status">{ "Waiting for the model…" }</p> },
        Answer::Working => html! { <p class="hint" role="status">{ "Reading the image…" }</p> },
        Answer::Failed(msg) => html! { <p class="error answer-error" role="alert">{ msg }</p> },
        _ => html! {},
    }
}

/// The top labels as text, one `label: 12.34%` line each (as `eval classify` prints them).
pub fn top_as_text(top: &[ocellus::prediction::Prediction]) -> String {
    top.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// The Classify section.
#[function_component(ClassifyView)]
pub fn classify_view(props: &Props) -> Html {
    let s = &props.section;
    let answer = match &s.answer {
        Answer::Labels { top, ms, .. } => html! {
            <>
                <PredictionBars predictions={top.clone()} />
                <p class="timing">{ format!("{ms:.1} ms in this browser (decode, resize, model)") }
                    { " " }<CopyButton text={top_as_text(top)} label={format!("Copy the top {}", top.len())} /></p>
            </>
        },
        other => pending(other, s.model.is_some()),
    };
    html! {
        <TaskPanel id="classify" title="Classify an image" prompt="Drop an image (or a model file) here, click to choose, or paste"
            slot={Slot::Classify} section={s.clone()} shipped={props.shipped.clone()} listing={props.listing} examples={props.examples.clone()} on_example={props.on_example.clone()}
            on_file={props.on_file.clone()} on_pick_model={props.on_pick_model.clone()}>
            { answer }
        </TaskPanel>
    }
}
