//! The benchmark mode's table: ms per forward pass at batch 1 for each shipped model.

use yew::prelude::*;

use crate::bench::{BenchRun, RUNS};

/// Properties of [`BenchView`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The run so far.
    pub run: BenchRun,
}

/// The results table; `data-done` tells a driver when it is complete.
#[function_component(BenchView)]
pub fn bench_view(props: &Props) -> Html {
    let run = &props.run;
    html! {
        <section id="bench" class="task">
            <h2>{ "Benchmark: forward pass at batch 1, in this browser's worker" }</h2>
            <p class="status">{ format!("{RUNS} timed runs per model after one warm-up; native times: cargo xtask bench-web") }</p>
            <table id="bench-results" data-done={run.done().to_string()}>
                <thead><tr><th>{ "model" }</th><th>{ "architecture" }</th><th>{ "median ms" }</th><th>{ "mean ms" }</th></tr></thead>
                <tbody>
                    { for run.rows.iter().map(|r| html! {
                        <tr data-file={r.file.clone()} data-median={r.median_ms.to_string()}>
                            <td>{ &r.file }</td><td>{ &r.arch }</td>
                            <td>{ format!("{:.2}", r.median_ms) }</td><td>{ format!("{:.2}", r.mean_ms) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            if let Some(e) = &run.error {
                <p class="error" role="alert">{ e }</p>
            } else if !run.done() {
                <p class="status" role="status">{ "Running…" }</p>
            }
        </section>
    }
}
