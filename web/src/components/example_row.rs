//! The section's example images: one click runs one, with where each comes from.

use ocellus::example_images::ExampleImage;
use yew::prelude::*;

/// Properties of [`ExampleRow`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The section's examples.
    pub examples: Vec<ExampleImage>,
    /// An example picked.
    pub on_pick: Callback<ExampleImage>,
}

/// Buttons that give the section an example image, and their sources and licences.
#[function_component(ExampleRow)]
pub fn example_row(props: &Props) -> Html {
    if props.examples.is_empty() {
        return html! {};
    }
    html! {
        <div class="examples">
            <div class="example-buttons" role="group" aria-label="Examples to try">
                <span class="examples-lead">{ "Try an example:" }</span>
                { for props.examples.iter().map(|e| {
                    let (pick, example) = (props.on_pick.clone(), e.clone());
                    html! {
                        <button type="button" class="example" data-file={e.file.clone()}
                            title={format!("{} ({})", e.source, e.licence)}
                            onclick={Callback::from(move |_: MouseEvent| pick.emit(example.clone()))}>{ &e.name }</button>
                    }
                }) }
            </div>
            <details class="credits">
                <summary>{ "Where the examples come from" }</summary>
                <ul>
                    { for props.examples.iter().map(|e| html! { <li><code>{ &e.file }</code>{ format!(": {}. Licence: {}.", e.source, e.licence) }</li> }) }
                </ul>
            </details>
        </div>
    }
}
