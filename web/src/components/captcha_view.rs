//! The Captcha section: the code, large and copyable, and each character's confidence.

use yew::prelude::*;

use crate::components::classify_view::{pending, Props};
use crate::components::copy_button::CopyButton;
use crate::components::task_panel::TaskPanel;
use crate::protocol::Slot;
use crate::section::Answer;

/// The Captcha section.
#[function_component(CaptchaView)]
pub fn captcha_view(props: &Props) -> Html {
    let s = &props.section;
    let answer = match &s.answer {
        Answer::Code { read, ms, .. } => {
            html! {
                <>
                    <p class="code-line">
                        <output class="code" aria-label="code read">{ &read.code }</output>
                        <CopyButton text={read.code.clone()} />
                    </p>
                    <ol class="confidence" aria-label="confidence per character">
                        { for read.code.chars().zip(&read.confidence).map(|(c, p)| html! {
                            <li><span class="char">{ c }</span><span class="pct">{ format!("{:.1}%", p * 100.0) }</span></li>
                        }) }
                    </ol>
                    <p class="timing">{ format!("{ms:.1} ms in this browser (decode, resize, model)") }</p>
                </>
            }
        }
        other => pending(other, s.model.is_some()),
    };
    html! {
        <TaskPanel id="captcha" title="Read a captcha" prompt="Drop a captcha image (or a captcha model) here, click to choose, or paste"
            slot={Slot::Captcha} section={s.clone()} shipped={props.shipped.clone()} listing={props.listing} examples={props.examples.clone()} on_example={props.on_example.clone()}
            on_file={props.on_file.clone()} on_pick_model={props.on_pick_model.clone()}>
            { answer }
        </TaskPanel>
    }
}
