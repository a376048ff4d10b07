//! A button that puts a text on the clipboard and says whether it did.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::browser;

/// Properties of [`CopyButton`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// What is copied.
    pub text: AttrValue,
    /// The button's text.
    #[prop_or(AttrValue::Static("Copy"))]
    pub label: AttrValue,
}

/// Copies `text`; "Copied" or the reason it could not appears beside it (announced).
#[function_component(CopyButton)]
pub fn copy_button(props: &Props) -> Html {
    let said = use_state(String::new);
    {
        // A new text forgets the old outcome.
        let said = said.clone();
        use_effect_with(props.text.clone(), move |_| said.set(String::new()));
    }
    let onclick = {
        let (said, text) = (said.clone(), props.text.clone());
        Callback::from(move |_: MouseEvent| {
            let (said, text) = (said.clone(), text.clone());
            spawn_local(async move {
                match browser::copy_text(&text).await {
                    Ok(()) => said.set("Copied".into()),
                    Err(e) => said.set(format!("Could not copy ({e}): select the text instead")),
                }
            });
        })
    };
    html! {
        <span class="copy-group">
            <button type="button" class="copy" data-copy={props.text.clone()} {onclick}>{ props.label.clone() }</button>
            <span class="copy-said" role="status">{ (*said).clone() }</span>
        </span>
    }
}
