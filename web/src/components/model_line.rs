//! A section's model: which one is in use, and loading progress or the last failure.

use ocellus::Task;
use yew::prelude::*;

use crate::model_fetch::{describe, fraction};
use crate::section::{LoadedModel, ModelStatus};

/// Properties of [`ModelLine`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The model in use.
    pub model: Option<LoadedModel>,
    /// Loading in progress or failed.
    pub status: ModelStatus,
}

/// The model in use and what is happening to it.
#[function_component(ModelLine)]
pub fn model_line(props: &Props) -> Html {
    let current = props.model.as_ref().map(|m| {
        let c = &m.card;
        let outputs = match c.task {
            Task::Captcha { length } if c.code_head == ocellus::CodeHead::Ctc => format!("{length} characters of {} symbols, read by CTC", c.labels.len()),
            Task::Captcha { length } => format!("{length} characters of {} symbols", c.labels.len()),
            Task::Classify if c.views.passes() > 1 => format!("{} labels · answers averaged over {} views ({})", c.labels.len(), c.views.passes(), c.views.name()),
            Task::Classify => format!("{} labels", c.labels.len()),
            Task::Faces { side } if matches!(c.arch, ocellus::Arch::SingleShot { .. }) => format!("photos scaled to {side} pixels on their longer side"),
            Task::Faces { side } => format!("photos letterboxed to {side}x{side}"),
        };
        html! {
            <p class="status model-ready" role="status" data-ready-ms={format!("{:.0}", m.ready_at_ms)} data-build-ms={format!("{:.0}", m.build_ms)}>
                { format!("Model: {} · {} · input {} · {outputs}", m.name, c.arch, c.input) }
            </p>
        }
    });
    let status = match &props.status {
        ModelStatus::Idle => html! {},
        ModelStatus::Fetching { name, progress } => {
            let label = progress.map(describe).unwrap_or_else(|| "starting".into());
            let value = progress.and_then(fraction);
            html! {
                <p class="status loading" role="status">
                    { format!("Loading {name}: {label} ") }
                    if let Some(v) = value {
                        <progress max="1" value={v.to_string()}></progress>
                    } else {
                        <progress></progress>
                    }
                </p>
            }
        }
        ModelStatus::Building { name } => html! { <p class="status loading" role="status">{ format!("Preparing {name}…") }</p> },
        ModelStatus::Failed(message) => html! { <p class="error model-error" role="alert">{ message }</p> },
    };
    html! { <>{ for current }{ status }</> }
}
