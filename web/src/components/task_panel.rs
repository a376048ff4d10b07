//! The frame every task section shares: title, model picker, model status, the drop zone, the
//! image given and, beside it, the task's own answer.

use ocellus::example_images::ExampleImage;
use ocellus::manifest::ManifestEntry;
use wasm_bindgen::JsCast;
use web_sys::{File, HtmlSelectElement};
use yew::prelude::*;

use crate::components::drop_zone::DropZone;
use crate::components::example_row::ExampleRow;
use crate::components::model_line::ModelLine;
use crate::protocol::Slot;
use crate::section::Section;

/// Properties of [`TaskPanel`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The element id (`classify`, `captcha`, ...).
    pub id: AttrValue,
    /// The heading.
    pub title: AttrValue,
    /// What the drop zone invites.
    pub prompt: AttrValue,
    /// Which worker slot serves the section.
    pub slot: Slot,
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
    /// Show the image given beside the answer (the Faces section draws it itself).
    #[prop_or(true)]
    pub preview: bool,
    /// What the section offers beside images (the Faces section's camera mode).
    #[prop_or_default]
    pub after: Html,
    /// The task's answer for the image.
    pub children: Html,
}

/// A task section.
#[function_component(TaskPanel)]
pub fn task_panel(props: &Props) -> Html {
    let (s, slot) = (&props.section, props.slot);
    let on_file = props.on_file.reform(move |file| (slot, file));
    let on_pick = props.on_pick_model.reform(move |e: Event| {
        let select: HtmlSelectElement = e.target().expect("change has a target").unchecked_into();
        (slot, select.value())
    });
    let on_example = props.on_example.reform(move |e| (slot, e));
    let answered_at = s.answer.at_ms().map(|ms| format!("{ms:.0}"));
    let title_id = format!("{}-title", props.id);
    html! {
        <section id={props.id.clone()} class="task" aria-labelledby={title_id.clone()}>
            <h2 id={title_id}>{ props.title.clone() }</h2>
            <div class="model-row">
                if props.listing {
                    <span class="status" role="status">{ "Reading the list of shipped models…" }</span>
                } else if props.shipped.is_empty() {
                    <span class="status">{ "No model ships for this task." }</span>
                } else {
                    <label>{ "Model " }
                        <select onchange={on_pick}>
                            { for props.shipped.iter().map(|m| html! {
                                <option value={m.file.clone()} selected={m.default}>{ &m.name }</option>
                            }) }
                        </select>
                    </label>
                }
                <span class="own-model">{ "or drop your own " }<code>{ ".safetensors" }</code>{ " from " }<code>{ "ocellus train" }</code></span>
            </div>
            <ModelLine model={s.model.clone()} status={s.status.clone()} />
            <ExampleRow examples={props.examples.clone()} on_pick={on_example} />
            <DropZone on_file={on_file} prompt={props.prompt.clone()} accept="image/*,.safetensors" />
            <div class="result">
                if let (Some(image), true) = (&s.image, props.preview) {
                    <img class="preview" src={image.url.clone().unwrap_or_default()} alt={image.name.clone()} />
                }
                <div class="answer" aria-live="polite" data-at-ms={answered_at}>{ props.children.clone() }</div>
            </div>
            { props.after.clone() }
        </section>
    }
}
