//! Camera mode of the Faces section: the webcam's frames go to the worker one at a time (the
//! next is grabbed when the answer for the last arrives, so frames are dropped, never queued);
//! each answered frame is shown with its boxes, with the frame rate and the ms per frame.

use std::cell::RefCell;
use std::rc::Rc;

use ocellus::boxes::merge::Scored;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlCanvasElement, HtmlVideoElement, ImageData, MediaStream};
use yew::prelude::*;

use ocellus::face_detection::CAMERA_SIDE;

use crate::camera;
use crate::camera_run::{CameraEvent, CameraRun};
use crate::components::face_marks::face_marks;

/// Properties of [`CameraView`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Camera mode's state.
    pub run: CameraRun,
    /// The faces at this threshold are drawn.
    pub threshold: f32,
    /// A face model is loaded.
    pub ready: bool,
    /// The faces of a scored frame at a threshold (the section's own merging).
    pub faces_at: Callback<(Rc<Vec<Scored>>, f32), Vec<Scored>>,
    /// What happened.
    pub on_event: Callback<CameraEvent>,
    /// The threshold slider, shown while the camera's answers are the section's only ones.
    #[prop_or_default]
    pub slider: Html,
}

/// The frame in flight and the camera's handles, kept across renders.
#[derive(Default)]
struct Handles {
    stream: Option<MediaStream>,
    /// The pixels of the frame in flight, shown when its answer arrives.
    pending: Option<ImageData>,
    /// Where frames are grabbed (never shown).
    grab: Option<HtmlCanvasElement>,
}

/// Grabs the next video frame on the next animation frame (retrying until the video has one)
/// and sends it, unless the camera was stopped meanwhile.
fn grab_next(video: NodeRef, handles: Rc<RefCell<Handles>>, on_event: Callback<CameraEvent>) {
    let Some(window) = web_sys::window() else { return };
    let step = Closure::once_into_js(move || {
        let Some(video_el) = video.cast::<HtmlVideoElement>() else { return };
        let mut h = handles.borrow_mut();
        if h.stream.is_none() {
            return;
        }
        if h.grab.is_none() {
            h.grab = web_sys::window().and_then(|w| w.document()).and_then(|d| d.create_element("canvas").ok()).map(|c| c.unchecked_into());
        }
        let Some(frame) = h.grab.as_ref().and_then(|c| camera::grab(&video_el, c)) else {
            drop(h);
            return grab_next(video, handles, on_event);
        };
        let (width, height, rgba) = (frame.width(), frame.height(), frame.data().0);
        h.pending = Some(frame);
        drop(h);
        on_event.emit(CameraEvent::Frame { width, height, rgba });
    });
    let _ = window.request_animation_frame(step.unchecked_ref());
}

/// The camera block.
#[function_component(CameraView)]
pub fn camera_view(props: &Props) -> Html {
    let video = use_node_ref();
    let shown = use_node_ref();
    let handles = use_mut_ref(Handles::default);
    let run = &props.run;
    use_frame_loop(&video, &shown, &handles, run, &props.on_event);
    let on_start = start_camera(&video, &handles, &props.on_event);
    let on_stop = stop_camera(&video, &handles, &props.on_event);

    let latest = run.latest.as_ref();
    let faces = latest.map(|a| props.faces_at.emit((a.candidates.clone(), props.threshold))).unwrap_or_default();
    let size = latest.map_or((camera::WANTED.0, camera::WANTED.1), |a| a.size);
    html! {
        <div class="camera" data-running={run.running.to_string()} data-in-flight={run.in_flight.is_some().to_string()}>
            <div class="camera-controls">
                if run.running {
                    <button class="camera-stop" onclick={on_stop}>{ "Stop the camera" }</button>
                } else {
                    <button class="camera-start" onclick={on_start} disabled={!props.ready || run.asking}>
                        { if run.asking { "Asking for the camera…" } else { "Find faces in the camera" } }
                    </button>
                }
                <span class="camera-note">{ format!("Frames stay in this tab: only this page's worker sees them (scaled to {CAMERA_SIDE} pixels on their longer side).") }</span>
            </div>
            if let Some(e) = &run.error {
                <p class="error camera-error" role="alert">{ e }</p>
            }
            <video ref={video} class="camera-source" muted=true autoplay=true playsinline=true aria-hidden="true"></video>
            <div class="camera-view" hidden={latest.is_none()}>
                <canvas ref={shown} class="camera-frame" aria-hidden="true"></canvas>
                <svg class="camera-faces" viewBox={format!("0 0 {} {}", size.0, size.1)} role="img" data-faces={faces.len().to_string()}
                    aria-label={format!("{} face(s) in the latest camera frame", faces.len())}>
                    { face_marks(&faces, size) }
                </svg>
            </div>
            { rate_line(run, faces.len()) }
            if latest.is_some() {
                { props.slider.clone() }
            }
        </div>
    }
}

/// The loop's effects: each answer shows the frame it answers and (camera on) grabs the next;
/// the frame in flight when the camera stops is shown when its answer comes; leaving the page
/// (or the section) releases the camera.
#[hook]
fn use_frame_loop(video: &NodeRef, shown: &NodeRef, handles: &Rc<RefCell<Handles>>, run: &CameraRun, on_event: &Callback<CameraEvent>) {
    {
        let (video, shown, handles, on_event) = (video.clone(), shown.clone(), handles.clone(), on_event.clone());
        let wants = run.wants_frame();
        use_effect_with((run.answered, wants, run.sent), move |_| {
            if wants {
                if let (Some(frame), Some(canvas)) = (handles.borrow_mut().pending.take(), shown.cast::<HtmlCanvasElement>()) {
                    camera::show(&frame, &canvas);
                }
                grab_next(video, handles, on_event);
            }
        });
    }
    {
        let (shown, handles) = (shown.clone(), handles.clone());
        use_effect_with(run.answered, move |_| {
            let mut h = handles.borrow_mut();
            if h.stream.is_none() {
                if let (Some(frame), Some(canvas)) = (h.pending.take(), shown.cast::<HtmlCanvasElement>()) {
                    camera::show(&frame, &canvas);
                }
            }
        });
    }
    let handles = handles.clone();
    use_effect_with((), move |_| {
        move || {
            if let Some(s) = handles.borrow_mut().stream.take() {
                camera::close(&s);
            }
        }
    });
}

/// The start button's action: ask for the camera, play it into `video`, and say how it went.
fn start_camera(video: &NodeRef, handles: &Rc<RefCell<Handles>>, on_event: &Callback<CameraEvent>) -> Callback<MouseEvent> {
    let (video, handles, on_event) = (video.clone(), handles.clone(), on_event.clone());
    Callback::from(move |_: MouseEvent| {
        on_event.emit(CameraEvent::Asking);
        let (video, handles, on_event) = (video.clone(), handles.clone(), on_event.clone());
        spawn_local(async move {
            match camera::open().await {
                Ok(stream) => {
                    if let Some(v) = video.cast::<HtmlVideoElement>() {
                        v.set_src_object(Some(&stream));
                        let _ = v.play();
                    }
                    handles.borrow_mut().stream = Some(stream);
                    on_event.emit(CameraEvent::Started);
                }
                Err(message) => on_event.emit(CameraEvent::Stopped(Some(message))),
            }
        });
    })
}

/// The stop button's action: release the camera and empty `video`.
fn stop_camera(video: &NodeRef, handles: &Rc<RefCell<Handles>>, on_event: &Callback<CameraEvent>) -> Callback<MouseEvent> {
    let (video, handles, on_event) = (video.clone(), handles.clone(), on_event.clone());
    Callback::from(move |_: MouseEvent| {
        if let Some(s) = handles.borrow_mut().stream.take() {
            camera::close(&s);
        }
        if let Some(v) = video.cast::<HtmlVideoElement>() {
            v.set_src_object(None);
        }
        on_event.emit(CameraEvent::Stopped(None));
    })
}

/// The frame rate and timings of the latest answer (nothing before the first).
fn rate_line(run: &CameraRun, faces: usize) -> Html {
    let Some(a) = run.latest.as_ref() else { return html! {} };
    let fps = run.fps();
    let fps_text = fps.map_or("first frame".to_string(), |f| format!("{f:.1} frames per second"));
    html! {
        <p class="camera-rate" data-fps={fps.map(|f| format!("{f:.2}"))} data-frames={run.answered.to_string()}
            data-worker-ms={format!("{:.1}", a.worker_ms)} data-round-ms={format!("{:.1}", a.round_ms)}>
            { format!("{fps_text} · {:.0} ms a frame in the worker ({:.0} ms from grabbing the frame to its boxes) · {} face(s)", a.worker_ms, a.round_ms, faces) }
        </p>
    }
}
