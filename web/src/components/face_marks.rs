//! The marks drawn over a photo or a camera frame for each face: its box and its score, scaled
//! with the image so they read the same at any size.

use ocellus::boxes::merge::Scored;
use yew::prelude::*;

/// One `<g class="face">` per face (box and score as data attributes, for tests and tools),
/// for an SVG whose viewBox is the image's `size`.
pub fn face_marks(faces: &[Scored], size: (u32, u32)) -> Html {
    let (w, h) = (size.0 as f32, size.1 as f32);
    let stroke = (w.max(h) / 250.0).max(1.5);
    let font = (w.max(h) / 40.0).max(10.0);
    html! {
        { for faces.iter().map(|f| {
            let b = f.bounds;
            html! {
                <g class="face" data-score={format!("{:.4}", f.score)}
                    data-box={format!("{:.1} {:.1} {:.1} {:.1}", b.x0, b.y0, b.x1, b.y1)}>
                    <rect x={b.x0.to_string()} y={b.y0.to_string()} width={b.width().to_string()} height={b.height().to_string()}
                        stroke-width={stroke.to_string()} />
                    <text x={b.x0.to_string()} y={(b.y0 - stroke).max(font).to_string()} font-size={font.to_string()}>{ format!("{:.3}", f.score) }</text>
                </g>
            }
        }) }
    }
}
