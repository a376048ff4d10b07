//! The page's Faces section in headless Chromium: a real face photo (from the shared data when
//! present) is dropped on the built page and the shipped default detector must draw the faces
//! the native code finds at the model's own threshold, where the photo's true boxes are; the
//! threshold slider re-merges on the spot. `cargo xtask test` builds the page and points `OCELLUS_SITE` at it.

use std::path::{Path, PathBuf};

use candle_core::Device;
use ocellus::face_detection::{default_threshold, detect, DetectOptions, Detections};
use ocellus::image_input::decode_rgb;
use ocellus::TrainedModel;
use ocellus_e2e::chrome::{browser_or_skip, site_or_skip};
use ocellus_e2e::drawn_faces::{assert_same_faces, drawn};
use ocellus_e2e::static_server::StaticServer;
use ocellus_e2e::{faces_or_skip, manifest, repo_root};
use ocellus_trainer::dataset::face_boxes;
use ocellus_trainer::detection::photo_set::split_photos;

fn shipped_detector() -> TrainedModel {
    let entry = manifest().default_for("faces").cloned().expect("a default face model");
    let bytes = std::fs::read(repo_root().join("static/models").join(&entry.file)).unwrap();
    TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap()
}

fn native(model: &TrainedModel, path: &Path) -> Detections {
    let photo = decode_rgb(&std::fs::read(path).unwrap()).unwrap();
    detect(model, &photo, DetectOptions { threshold: f32::NEG_INFINITY, ..Default::default() }, || 0.0).unwrap()
}

/// Whether a score is so close to `threshold` that the browser's float rounding could put it
/// on the other side.
fn borderline(d: &Detections, threshold: f32) -> bool {
    d.candidates.iter().any(|c| (c.score - threshold).abs() < 1e-4)
}

/// The model's own threshold, where the slider starts, and a lower one the test slides to.
fn thresholds(model: &TrainedModel) -> (f32, f32) {
    let start = default_threshold(&model.card);
    (start, (start - 0.2).max(0.05))
}

/// A real photo of the model's held-out test split in which it finds a true face (and no score
/// is borderline at either threshold), else a generated one; copied to `dir`.
fn photo(dir: &Path, model: &TrainedModel) -> (PathBuf, Detections) {
    let (start, lower) = thresholds(model);
    let chosen = faces_or_skip("the face photo of the browser test (a generated image is used instead)").and_then(|faces| {
        let data = face_boxes::read(&faces.join("bbox.csv"), &faces.join("images")).unwrap();
        let facts = model.card.training.as_ref().expect("the shipped model's training facts");
        let held_out = split_photos(data.images.len(), facts.limit, facts.seed).test;
        held_out.iter().map(|&i| &data.images[i]).take(60).find_map(|img| {
            let d = native(model, &img.path);
            let found = d.rethreshold(start, 0.3);
            let hit = found.iter().any(|f| img.boxes.iter().any(|t| f.bounds.iou(t) >= 0.5));
            (hit && !borderline(&d, start) && !borderline(&d, lower)).then(|| (img.path.clone(), d))
        })
    });
    let (source, d) = match chosen {
        Some(c) => c,
        None => {
            let img = image::RgbImage::from_fn(200, 150, |x, y| image::Rgb([(x + y) as u8, 120, if (60..110).contains(&x) && (40..100).contains(&y) { 210 } else { 40 }]));
            let path = dir.join("generated.png");
            img.save(&path).unwrap();
            let d = native(model, &path);
            (path, d)
        }
    };
    let path = dir.join(source.file_name().unwrap());
    if path != source {
        std::fs::copy(&source, &path).unwrap();
    }
    (path, d)
}

#[tokio::test]
async fn a_real_photo_gets_its_faces_drawn_as_natively() {
    let test = "a_real_photo_gets_its_faces_drawn_as_natively";
    let Some(site) = site_or_skip(test) else { return };
    let Some(browser) = browser_or_skip(test).await else { return };
    let server = StaticServer::start(&site, "/faces/");
    let scratch = tempfile::tempdir().unwrap();
    let model = shipped_detector();
    let (photo, native) = photo(scratch.path(), &model);

    browser.client.goto(&server.url).await.unwrap();
    browser.wait_for("#faces .model-ready").await;
    browser.upload("#faces input[type=file]", &photo).await;
    browser.wait_for("#faces svg.faces").await;
    let shown = drawn(&browser, "#faces svg.faces").await;
    let timing = browser.wait_for("#faces .timing").await;
    let (proposals_ms, model_ms) = (timing.attr("data-proposals-ms").await.unwrap().unwrap(), timing.attr("data-model-ms").await.unwrap().unwrap());
    browser.client.execute("document.getElementById('faces').scrollIntoView()", vec![]).await.unwrap();
    let shot = browser.screenshot("faces.png").await;
    eprintln!("{}: the page drew {} face(s) (proposals {proposals_ms} ms, model {model_ms} ms in the browser); screenshot {}", photo.display(), shown.len(), shot.display());
    let (start, lower) = thresholds(&model);
    assert_same_faces(&shown, &native.rethreshold(start, 0.3));

    // Lowering the threshold shows more of the same candidates, without running the model again.
    let slider = browser.wait_for("#faces .threshold input").await;
    browser
        .client
        .execute(
            "const s = arguments[0]; s.value = arguments[1]; s.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![serde_json::to_value(&slider).unwrap(), serde_json::to_value(lower.to_string()).unwrap()],
        )
        .await
        .unwrap();
    let lowered = native.rethreshold(lower, 0.3);
    for _ in 0..50 {
        if drawn(&browser, "#faces svg.faces").await.len() == lowered.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_same_faces(&drawn(&browser, "#faces svg.faces").await, &lowered);
    browser.close().await;
}
