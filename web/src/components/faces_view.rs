//! The Faces section: the photo with the faces' boxes and scores drawn over it, a threshold
//! slider that re-merges the worker's scored regions on the spot, and the time of each stage.

use ocellus::boxes::merge::Scored;
use ocellus::face_detection::default_threshold;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::classify_view::{pending, Props};
use crate::components::camera_view::CameraView;
use crate::components::face_marks::face_marks;
use crate::components::faces_export::FacesExport;
use crate::components::task_panel::TaskPanel;
use crate::protocol::Slot;
use crate::section::Answer;

/// Where the slider starts before a model is known (the tutorial's threshold); a loaded
/// model's own threshold (`default_threshold`) replaces it.
const DEFAULT_THRESHOLD: f32 = 0.99;
/// The faces at `threshold`, best first, merged as natively.
pub fn faces_at(candidates: &[Scored], threshold: f32) -> Vec<Scored> {
    ocellus::face_detection::faces_at(candidates, threshold, ocellus::face_detection::MERGE_IOU)
}

/// What the count line says; with no face above the threshold, how low the slider must go
/// to show the best-scoring region, so that "0 faces" is never the whole answer.
pub fn faces_summary(found: usize, candidates: &[Scored], threshold: f32) -> String {
    let best = candidates.iter().map(|c| c.score).fold(f32::NEG_INFINITY, f32::max);
    if found == 0 && best.is_finite() {
        format!("No face scores above {threshold:.2}; the best region scores {best:.3}: lower the slider below it to see it ({} scored regions)", candidates.len())
    } else {
        format!("{found} face(s) of {} scored regions", candidates.len())
    }
}

/// The Faces section.
#[function_component(FacesView)]
pub fn faces_view(props: &Props) -> Html {
    let s = &props.section;
    // The slider's value for a model, by its name: a new model starts at its own threshold.
    let chosen = use_state(|| None::<(String, f32)>);
    let model_name = s.model.as_ref().map(|m| m.name.clone()).unwrap_or_default();
    let threshold = match &*chosen {
        Some((name, v)) if *name == model_name => *v,
        _ => s.model.as_ref().map_or(DEFAULT_THRESHOLD, |m| default_threshold(&m.card)),
    };
    let one_pass = s.model.as_ref().is_some_and(|m| matches!(m.card.arch, ocellus::Arch::SingleShot { .. }));
    let on_slide = {
        let chosen = chosen.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<f32>() {
                chosen.set(Some((model_name.clone(), v)));
            }
        })
    };
    let slider = html! {
        <label class="threshold">{ "Face probability above " }
            <input type="range" min="0.05" max="0.9999" step="0.0001" value={threshold.to_string()} oninput={on_slide} />
            <output>{ format!("{:.4}", threshold) }</output>
        </label>
    };
    let photo_answered = matches!((&s.answer, &s.image), (Answer::Faces { .. }, Some(_)));
    let camera = props.camera.as_ref().map(|run| {
        html! {
            <CameraView run={run.clone()} threshold={threshold} ready={s.model.is_some()} on_event={props.on_camera.clone()}
                faces_at={Callback::from(|(c, t): (std::rc::Rc<Vec<Scored>>, f32)| faces_at(&c, t))}
                slider={if photo_answered { html! {} } else { slider.clone() }} />
        }
    });
    let answer = match (&s.answer, &s.image) {
        (Answer::Faces { size, candidates, proposals_ms, model_ms, .. }, Some(image)) => {
            let faces = faces_at(candidates, threshold);
            let (w, h) = (size.0 as f32, size.1 as f32);
            html! {
                <>
                    <svg class="faces" viewBox={format!("0 0 {w} {h}")} role="img" data-faces={faces.len().to_string()}
                        aria-label={format!("{} face(s) found in {}", faces.len(), image.name)}>
                        <image href={image.url.clone().unwrap_or_default()} x="0" y="0" width={w.to_string()} height={h.to_string()} />
                        { face_marks(&faces, *size) }
                    </svg>
                    { slider }
                    <p class="faces-count" role="status">{ faces_summary(faces.len(), candidates, threshold) }</p>
                    <FacesExport photo={image.name.clone()} url={image.url.clone().unwrap_or_default()} size={*size}
                        faces={faces.clone()} threshold={threshold} model={s.model.as_ref().map(|m| m.name.clone()).unwrap_or_default()} />
                    <p class="timing" data-proposals-ms={format!("{proposals_ms:.0}")} data-model-ms={format!("{model_ms:.0}")}>
                        { if one_pass { format!("{model_ms:.0} ms in this browser (one pass over the photo, no region proposals)") }
                          else { format!("{proposals_ms:.0} ms region proposals + {model_ms:.0} ms model in this browser") } }
                    </p>
                </>
            }
        }
        (other, _) => pending(other, s.model.is_some()),
    };
    html! {
        <TaskPanel id="faces" title="Find faces" prompt="Drop a photo (or a face model) here, click to choose, or paste"
            slot={Slot::Faces} section={s.clone()} shipped={props.shipped.clone()} listing={props.listing} examples={props.examples.clone()} on_example={props.on_example.clone()} preview={!matches!(s.answer, Answer::Faces { .. })}
            on_file={props.on_file.clone()} on_pick_model={props.on_pick_model.clone()} after={camera.unwrap_or_default()}>
            { answer }
        </TaskPanel>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocellus::boxes::BoxXyxy;

    #[test]
    fn the_slider_keeps_what_passes_and_merges_overlaps() {
        let b = |x: f32, score: f32| Scored { bounds: BoxXyxy { x0: x, y0: 0.0, x1: x + 10.0, y1: 10.0 }, score };
        let candidates = [b(0.0, 0.999), b(1.0, 0.995), b(50.0, 0.98), b(80.0, 0.4)];
        assert_eq!(faces_at(&candidates, 0.99), vec![b(0.0, 0.999)]);
        assert_eq!(faces_at(&candidates, 0.9), vec![b(0.0, 0.999), b(50.0, 0.98)]);
        assert_eq!(faces_at(&candidates, 0.3).len(), 3);
    }

    #[test]
    fn no_face_above_the_threshold_says_how_low_to_go() {
        let b = |score: f32| Scored { bounds: BoxXyxy { x0: 0.0, y0: 0.0, x1: 10.0, y1: 10.0 }, score };
        let said = faces_summary(0, &[b(0.2), b(0.31)], 0.4);
        assert!(said.contains("0.310") && said.contains("lower the slider"), "{said}");
        assert_eq!(faces_summary(2, &[b(0.9), b(0.8)], 0.4), "2 face(s) of 2 scored regions");
        assert_eq!(faces_summary(0, &[], 0.4), "0 face(s) of 0 scored regions");
    }
}
