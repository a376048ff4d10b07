//! The Captcha section: the code, large and copyable, and each character's confidence.

use yew::prelude::*;

use crate::components::classify_view::{pending, Props};
use crate::components::copy_button::CopyButton;
use crate::components::task_panel::TaskPanel;
use crate::protocol::Slot;
use crate::section::Answer;
use ocellus::Task;

/// The Captcha section.
#[function_component(CaptchaView)]
pub fn captcha_view(props: &Props) -> Html {
    let s = &props.section;
    let expected = s.model.as_ref().and_then(|m| match m.card.task {
        Task::Captcha { length } => Some(length),
        _ => None,
    });
    let answer = match &s.answer {
        Answer::Code { read, ms, .. } => {
            let count = read.code.chars().count();
            html! {
                <>
                    <p class="code-line">
                        <output class="code" aria-label="code read">{ &read.code }</output>
                        if count > 0 { <CopyButton text={read.code.clone()} /> }
                    </p>
                    if let Some(note) = expected.and_then(|length| shortfall(count, length)) {
                        <p class="code-note" role="status">{ note }</p>
                    }
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

/// What to tell people when a read has other than the card's number of characters: a CTC
/// reader says what it saw, so an image with no code (or a smudged character) reads short.
pub fn shortfall(read: usize, length: usize) -> Option<String> {
    match read {
        0 => Some(format!("No characters read: this model reads codes of {length}, and saw none in this image.")),
        n if n < length => Some(format!("Read {n} of {length} characters: the missing ones may be hidden, merged or off the image.")),
        n if n > length => Some(format!("Read {n} characters where this model's codes have {length}: check the image is one captcha of this style.")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::shortfall;

    #[test]
    fn a_short_or_empty_read_is_said_and_a_full_one_is_not() {
        assert_eq!(shortfall(4, 4), None);
        assert!(shortfall(0, 4).unwrap().starts_with("No characters read"));
        assert!(shortfall(3, 4).unwrap().starts_with("Read 3 of 4 characters"));
        assert!(shortfall(5, 4).unwrap().starts_with("Read 5 characters where"));
    }
}
