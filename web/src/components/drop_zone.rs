//! Where a person gives the page a file: picker, drag and drop, or paste.

use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, HtmlInputElement};
use yew::prelude::*;

/// Properties of [`DropZone`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Called with each file given.
    pub on_file: Callback<File>,
    /// What the zone invites.
    pub prompt: AttrValue,
    /// The picker's accepted types.
    pub accept: AttrValue,
}

/// A labelled file picker that also takes drops.
#[function_component(DropZone)]
pub fn drop_zone(props: &Props) -> Html {
    let hover = use_state(|| false);
    let on_change = {
        let on_file = props.on_file.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target().unwrap().unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                on_file.emit(file);
            }
            input.set_value("");
        })
    };
    let on_drag_over = {
        let hover = hover.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            hover.set(true);
        })
    };
    let on_drag_leave = {
        let hover = hover.clone();
        Callback::from(move |_: DragEvent| hover.set(false))
    };
    let on_drop = {
        let (hover, on_file) = (hover.clone(), props.on_file.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            hover.set(false);
            if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                on_file.emit(file);
            }
        })
    };
    html! {
        <label class={classes!("drop-zone", hover.then_some("hover"))}
            ondragover={on_drag_over} ondragleave={on_drag_leave} ondrop={on_drop}>
            <input type="file" accept={props.accept.clone()} onchange={on_change} />
            <span>{ props.prompt.clone() }</span>
        </label>
    }
}
