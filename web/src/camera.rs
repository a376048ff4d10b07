//! The webcam: asking for it (getUserMedia), releasing it, and copying its current frame's
//! pixels out of a `<video>` element. Nothing here sends anything anywhere.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, DomException, HtmlCanvasElement, HtmlVideoElement, ImageData, MediaStream, MediaStreamConstraints};

/// The frame size asked of the camera (it may give another).
pub const WANTED: (u32, u32) = (640, 480);

/// What a refused camera request means for the visitor, by the DOMException's name.
pub fn refusal_message(name: &str, detail: &str) -> String {
    match name {
        "NotAllowedError" | "SecurityError" => {
            "The camera was not allowed: permission was denied for this page (the browser's site settings can allow it). Photos still work.".into()
        }
        "NotFoundError" | "OverconstrainedError" => "No camera was found on this machine. Photos still work.".into(),
        "NotReadableError" | "AbortError" => {
            "The camera could not be started: another program or tab may be using it. Close that one and try again; photos still work.".into()
        }
        _ => format!("The camera could not be started ({name}: {detail}). Photos still work."),
    }
}

/// Asks for the webcam; `Err` is a message for the visitor.
pub async fn open() -> Result<MediaStream, String> {
    let window = web_sys::window().ok_or("no window")?;
    let devices = window
        .navigator()
        .media_devices()
        .map_err(|_| "This browser gives this page no camera access (it needs a secure context: https or localhost). Photos still work.".to_string())?;
    let constraints = MediaStreamConstraints::new();
    let video = js_sys::Object::new();
    let ideal = |v: u32| {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"ideal".into(), &v.into());
        o
    };
    let _ = js_sys::Reflect::set(&video, &"width".into(), &ideal(WANTED.0));
    let _ = js_sys::Reflect::set(&video, &"height".into(), &ideal(WANTED.1));
    constraints.set_video(&video);
    constraints.set_audio(&false.into());
    let asked = devices.get_user_media_with_constraints(&constraints).map_err(|e| refused(&e))?;
    let stream = JsFuture::from(asked).await.map_err(|e| refused(&e))?;
    stream.dyn_into::<MediaStream>().map_err(|_| "the camera answered with something that is not a video stream".to_string())
}

fn refused(e: &wasm_bindgen::JsValue) -> String {
    match e.dyn_ref::<DomException>() {
        Some(d) => refusal_message(&d.name(), &d.message()),
        None => refusal_message("Error", &crate::browser::js_error("the camera", e.clone())),
    }
}

/// Releases the camera: every track stopped (the browser's camera light goes off).
pub fn close(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// The video's current frame drawn onto `canvas` (resized to the frame) and read back:
/// `None` until the video has a frame.
pub fn grab(video: &HtmlVideoElement, canvas: &HtmlCanvasElement) -> Option<ImageData> {
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 || video.ready_state() < 2 {
        return None;
    }
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let ctx = context(canvas)?;
    ctx.draw_image_with_html_video_element(video, 0.0, 0.0).ok()?;
    ctx.get_image_data(0.0, 0.0, w as f64, h as f64).ok()
}

/// Shows `frame` on `canvas` at its own size.
pub fn show(frame: &ImageData, canvas: &HtmlCanvasElement) {
    if canvas.width() != frame.width() || canvas.height() != frame.height() {
        canvas.set_width(frame.width());
        canvas.set_height(frame.height());
    }
    if let Some(ctx) = context(canvas) {
        let _ = ctx.put_image_data(frame, 0.0, 0.0);
    }
}

/// A 2D context that is read back often (the browser keeps its pixels on the CPU).
fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"willReadFrequently".into(), &true.into());
    canvas.get_context_with_context_options("2d", &options).ok()??.dyn_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_says_what_to_do() {
        assert!(refusal_message("NotAllowedError", "").contains("permission was denied"));
        assert!(refusal_message("NotFoundError", "").contains("No camera"));
        assert!(refusal_message("NotReadableError", "").contains("another program or tab"));
        let other = refusal_message("TypeError", "odd");
        assert!(other.contains("TypeError: odd") && other.contains("Photos still work"), "{other}");
    }
}
