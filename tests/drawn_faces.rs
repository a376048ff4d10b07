//! The faces the page draws, read back from its SVG, and the check that they are the native
//! detector's: the same boxes (to 0.2 px) and scores (to 2e-4), in the same order.

use fantoccini::Locator;
use ocellus::boxes::merge::Scored;

use crate::chrome::Browser;

/// (box corners, score) per face drawn in the SVG matching `svg_css`.
pub async fn drawn(browser: &Browser, svg_css: &str) -> Vec<([f32; 4], f32)> {
    let mut out = Vec::new();
    for g in browser.client.find_all(Locator::Css(&format!("{svg_css} g.face"))).await.unwrap() {
        let b: Vec<f32> = g.attr("data-box").await.unwrap().unwrap().split(' ').map(|v| v.parse().unwrap()).collect();
        let score: f32 = g.attr("data-score").await.unwrap().unwrap().parse().unwrap();
        out.push(([b[0], b[1], b[2], b[3]], score));
    }
    out
}

/// Panics unless `shown` are the `native` faces.
pub fn assert_same_faces(shown: &[([f32; 4], f32)], native: &[Scored]) {
    assert_eq!(shown.len(), native.len(), "the page drew {shown:?}, natively {native:?}");
    for ((b, score), n) in shown.iter().zip(native) {
        let want = [n.bounds.x0, n.bounds.y0, n.bounds.x1, n.bounds.y1];
        assert!(b.iter().zip(want).all(|(a, w)| (a - w).abs() < 0.2), "box {b:?} vs native {want:?}");
        assert!((score - n.score).abs() < 2e-4, "score {score} vs native {}", n.score);
    }
}
