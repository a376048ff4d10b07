//! Keeping a Faces answer: the photo with its boxes drawn (PNG) and the boxes as JSON, both
//! made in the page and saved as downloads; nothing is uploaded.

use ocellus::boxes::merge::Scored;
use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement};
use yew::prelude::*;

use crate::browser::{self, js_error};

/// The boxes as JSON: the photo, its size, the threshold and model used, and each face as
/// `{"box": [x0, y0, x1, y1], "score": s}` (the shape `ocellus eval faces --json` prints).
pub fn boxes_json(photo: &str, size: (u32, u32), threshold: f32, model: &str, faces: &[Scored]) -> String {
    let faces: Vec<_> = faces.iter().map(|f| json!({ "box": [f.bounds.x0, f.bounds.y0, f.bounds.x1, f.bounds.y1], "score": f.score })).collect();
    let doc = json!({ "image": photo, "width": size.0, "height": size.1, "threshold": threshold, "model": model, "faces": faces });
    serde_json::to_string_pretty(&doc).expect("JSON values serialise")
}

/// `photo.jpg` -> `photo.faces.EXT`.
pub fn export_name(photo: &str, ext: &str) -> String {
    let stem = photo.rsplit_once('.').map_or(photo, |(stem, _)| stem);
    format!("{stem}.faces.{ext}")
}

/// The photo at `url` at its own size with `faces` drawn over it, as a `data:` PNG URL.
async fn drawn_png(url: &str, size: (u32, u32), faces: &[Scored]) -> Result<String, String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let img = HtmlImageElement::new().map_err(|e| js_error("the photo", e))?;
    img.set_src(url);
    JsFuture::from(img.decode()).await.map_err(|e| js_error("the photo", e))?;
    let canvas: HtmlCanvasElement = document.create_element("canvas").map_err(|e| js_error("a canvas", e))?.unchecked_into();
    canvas.set_width(size.0);
    canvas.set_height(size.1);
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .ok_or("this browser gives no 2D canvas")?
        .unchecked_into();
    ctx.draw_image_with_html_image_element_and_dw_and_dh(&img, 0.0, 0.0, size.0 as f64, size.1 as f64)
        .map_err(|e| js_error("drawing the photo", e))?;
    // The same look as on the page: green boxes, scores above them.
    let side = size.0.max(size.1) as f64;
    let (stroke, font) = ((side / 250.0).max(1.5), (side / 40.0).max(10.0));
    ctx.set_line_width(stroke);
    ctx.set_stroke_style_str("#2ee65a");
    ctx.set_font(&format!("600 {font}px sans-serif"));
    for f in faces {
        let b = f.bounds;
        ctx.stroke_rect(b.x0 as f64, b.y0 as f64, b.width() as f64, b.height() as f64);
        let y = (b.y0 as f64 - stroke).max(font);
        ctx.set_fill_style_str("#2ee65a");
        let _ = ctx.fill_text(&format!("{:.3}", f.score), b.x0 as f64, y);
    }
    canvas.to_data_url_with_type("image/png").map_err(|e| js_error("the drawn photo", e))
}

/// Properties of [`FacesExport`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The photo's file name.
    pub photo: AttrValue,
    /// Its `blob:` URL.
    pub url: AttrValue,
    /// Its size.
    pub size: (u32, u32),
    /// The faces shown (at the slider's threshold).
    pub faces: Vec<Scored>,
    /// The threshold.
    pub threshold: f32,
    /// The model's name.
    pub model: AttrValue,
}

/// "Download PNG" and "Download JSON" for the faces shown.
#[function_component(FacesExport)]
pub fn faces_export(props: &Props) -> Html {
    let said = use_state(String::new);
    let on_png = {
        let (said, photo, url, size, faces) = (said.clone(), props.photo.clone(), props.url.clone(), props.size, props.faces.clone());
        Callback::from(move |_: MouseEvent| {
            let (said, photo, url, faces) = (said.clone(), photo.clone(), url.clone(), faces.clone());
            spawn_local(async move {
                let saved = drawn_png(&url, size, &faces).await.and_then(|href| browser::download(&href, &export_name(&photo, "png")));
                said.set(match saved {
                    Ok(()) => format!("Saved {}", export_name(&photo, "png")),
                    Err(e) => format!("Could not save the drawing: {e}"),
                });
            });
        })
    };
    let json = boxes_json(&props.photo, props.size, props.threshold, &props.model, &props.faces);
    let on_json = {
        let (said, photo, json) = (said.clone(), props.photo.clone(), json.clone());
        Callback::from(move |_: MouseEvent| {
            let href = format!("data:application/json;charset=utf-8,{}", String::from(js_sys::encode_uri_component(&json)));
            said.set(match browser::download(&href, &export_name(&photo, "json")) {
                Ok(()) => format!("Saved {}", export_name(&photo, "json")),
                Err(e) => format!("Could not save the boxes: {e}"),
            });
        })
    };
    html! {
        <p class="export">
            <button type="button" class="save-png" onclick={on_png}>{ "Download the photo with boxes (PNG)" }</button>
            <button type="button" class="save-json" data-json={json} onclick={on_json}>{ "Download the boxes (JSON)" }</button>
            <span class="export-said" role="status">{ (*said).clone() }</span>
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocellus::boxes::BoxXyxy;

    #[test]
    fn boxes_json_names_the_photo_and_lists_each_face() {
        let face = Scored { bounds: BoxXyxy { x0: 1.0, y0: 2.0, x1: 30.5, y1: 40.0 }, score: 0.75 };
        let text = boxes_json("group.jpg", (640, 400), 0.4, "Single-shot", &[face]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["image"], "group.jpg");
        assert_eq!((v["width"].as_u64(), v["height"].as_u64()), (Some(640), Some(400)));
        assert_eq!(v["faces"][0]["box"], json!([1.0, 2.0, 30.5, 40.0]));
        assert_eq!(v["faces"][0]["score"], 0.75);
        assert_eq!(v["faces"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn export_names_keep_the_photo_stem() {
        assert_eq!(export_name("group.photo.jpg", "png"), "group.photo.faces.png");
        assert_eq!(export_name("noext", "json"), "noext.faces.json");
    }
}
