//! The benchmark mode's table: ms per forward pass at batch 1 for each shipped model.

use web_sys::File;
use yew::prelude::*;

use crate::bench::{BenchRun, RUNS};
use crate::components::drop_zone::DropZone;
use crate::protocol::Slot;

/// Properties of [`BenchView`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The run so far.
    pub run: BenchRun,
    /// An image given for timing selective search.
    pub on_file: Callback<(Slot, File)>,
}

/// The results table; `data-done` tells a driver when it is complete.
#[function_component(BenchView)]
pub fn bench_view(props: &Props) -> Html {
    let run = &props.run;
    html! {
        <section id="bench" class="task">
            <h2>{ "Benchmark: forward pass at batch 1, in this browser's worker" }</h2>
            <p class="status">{ format!("{RUNS} timed runs per model after a second of warm-up; native times: cargo xtask bench-web") }</p>
            <table id="bench-results" data-done={run.done().to_string()}>
                <thead><tr><th>{ "model" }</th><th>{ "architecture" }</th><th>{ "median ms" }</th><th>{ "mean ms" }</th><th>{ "median ms, candle's kernels" }</th></tr></thead>
                <tbody>
                    { for run.rows.iter().map(|r| html! {
                        <tr data-file={r.file.clone()} data-median={r.median_ms.to_string()}
                            data-median-candle={r.candle_median_ms.map(|m| m.to_string()).unwrap_or_default()}>
                            <td>{ &r.file }</td><td>{ &r.arch }</td>
                            <td>{ format!("{:.2}", r.median_ms) }</td><td>{ format!("{:.2}", r.mean_ms) }</td>
                            <td>{ r.candle_median_ms.map(|m| format!("{m:.2}")).unwrap_or_default() }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <h3>{ "Selective search (fast mode, 2,000 boxes), 3 runs" }</h3>
            <DropZone on_file={props.on_file.reform(|f| (Slot::Bench, f))} prompt="Give a photo to time selective search on it" accept="image/*" />
            if let Some((boxes, (w, h), ms)) = run.proposals {
                <p id="bench-proposals" data-median={ms.to_string()} data-boxes={boxes.to_string()}>
                    { format!("{w}x{h}: {boxes} boxes, median {ms:.0} ms") }
                </p>
            }
            if let Some(e) = &run.error {
                <p class="error" role="alert">{ e }</p>
            } else if !run.done() {
                <p class="status" role="status">{ "Running…" }</p>
            }
        </section>
    }
}
