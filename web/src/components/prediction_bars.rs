//! The top labels as labelled percentage bars.

use ocellus::prediction::Prediction;
use yew::prelude::*;

/// Properties of [`PredictionBars`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Most likely first.
    pub predictions: Vec<Prediction>,
}

/// One bar per label, as wide as its probability.
#[function_component(PredictionBars)]
pub fn prediction_bars(props: &Props) -> Html {
    html! {
        <ol class="predictions" aria-label="predictions">
            { for props.predictions.iter().map(|p| {
                let pct = p.probability * 100.0;
                html! {
                    <li class="prediction">
                        <span class="label">{ &p.label }</span>
                        <span class="bar"><span class="fill" style={format!("width: {pct:.1}%")}></span></span>
                        <span class="pct">{ format!("{pct:.2}%") }</span>
                    </li>
                }
            }) }
        </ol>
    }
}
