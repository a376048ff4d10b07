//! Camera mode in headless Chromium, with a fake webcam playing real photos (the page's own
//! example photos, written as a Y4M video): the boxes drawn over a camera frame must be the
//! native detector's on that very frame (read back from the page's canvas, losslessly), the
//! frame must be one of the photos, and a refused camera must say so while photos keep working.

use std::time::{Duration, Instant};

use base64::Engine as _;
use candle_core::Device;
use ocellus::example_images::ExampleList;
use ocellus::face_detection::{default_threshold, detect, DetectOptions, CAMERA_SIDE};
use ocellus::TrainedModel;
use ocellus_e2e::chrome::{browser_with_or_skip, site_or_skip, Browser, PATIENCE};
use ocellus_e2e::drawn_faces::{assert_same_faces, drawn};
use ocellus_e2e::fake_camera::{cover, mean_difference, write_y4m, SIZE};
use ocellus_e2e::static_server::StaticServer;
use ocellus_e2e::{manifest, repo_root};

/// Frames answered before the camera is stopped.
const FRAMES: u64 = 40;

fn shipped_detector() -> TrainedModel {
    let entry = manifest().default_for("faces").cloned().expect("a default face model");
    let bytes = std::fs::read(repo_root().join("static/models").join(&entry.file)).unwrap();
    TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap()
}

/// The camera's photos: the Faces section's examples, cut to the camera's size.
fn camera_photos() -> Vec<image::RgbImage> {
    let dir = repo_root().join("static/examples");
    let list = ExampleList::parse(&std::fs::read_to_string(dir.join("examples.json")).unwrap()).unwrap();
    let photos: Vec<_> = list.for_task("faces").map(|e| cover(&image::open(dir.join(&e.file)).unwrap().to_rgb8(), SIZE)).collect();
    assert!(!photos.is_empty(), "the Faces section has no example photos");
    photos
}

/// A JavaScript expression's value, as a string.
async fn js(browser: &Browser, expr: &str) -> String {
    let v = browser.client.execute(&format!("return String({expr})"), vec![]).await.unwrap();
    v.as_str().unwrap_or_default().to_owned()
}

/// Waits until `expr` is true in the page.
async fn until(browser: &Browser, expr: &str, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while js(browser, expr).await != "true" {
        assert!(Instant::now() < deadline, "the page never got to: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn camera_frames_get_the_native_detectors_boxes() {
    let test = "camera_frames_get_the_native_detectors_boxes";
    let Some(site) = site_or_skip(test) else { return };
    let scratch = tempfile::tempdir().unwrap();
    let video = scratch.path().join("camera.y4m");
    let photos = camera_photos();
    // Each photo held for 20 frames (2/3 s at 30 fps), looped by Chromium.
    write_y4m(&video, &photos, 20).unwrap();
    let flags = [
        "--use-fake-device-for-media-stream".to_string(),
        "--use-fake-ui-for-media-stream".to_string(),
        format!("--use-file-for-fake-video-capture={}", video.display()),
    ];
    let Some(browser) = browser_with_or_skip(test, &flags).await else { return };
    let server = StaticServer::start(&site, "/camera/");
    let model = shipped_detector();
    let threshold = default_threshold(&model.card);

    browser.client.goto(&server.url).await.unwrap();
    browser.wait_for("#faces .model-ready").await;
    browser.wait_for("#faces button.camera-start").await.click().await.unwrap();
    until(&browser, &format!("(document.querySelector('#faces .camera-rate')?.dataset.frames ?? 0) >= {FRAMES}"), "the camera's frames answered").await;
    let rate = browser.wait_for("#faces .camera-rate").await;
    let attr = |name: &'static str| {
        let rate = rate.clone();
        async move { rate.attr(name).await.unwrap().unwrap_or_default() }
    };
    let (fps, worker_ms, round_ms) = (attr("data-fps").await, attr("data-worker-ms").await, attr("data-round-ms").await);
    browser.client.execute("document.querySelector('#faces .camera').scrollIntoView()", vec![]).await.unwrap();
    let shot = browser.screenshot("camera.png").await;
    eprintln!("camera mode, {}x{} frames: {fps} frames per second, {worker_ms} ms a frame in the worker, {round_ms} ms from grab to boxes; screenshot {}", SIZE.0, SIZE.1, shot.display());

    browser.wait_for("#faces button.camera-stop").await.click().await.unwrap();
    until(&browser, "document.querySelector('#faces .camera').dataset.inFlight === 'false' && document.querySelector('#faces .camera').dataset.running === 'false'", "the camera stopped").await;
    assert!(js(&browser, "document.querySelector('#faces button.camera-start') !== null").await == "true", "no start button after stopping");

    // The frame shown, read back losslessly, and the boxes drawn over it.
    let url = js(&browser, "document.querySelector('#faces canvas.camera-frame').toDataURL('image/png')").await;
    let png = base64::engine::general_purpose::STANDARD.decode(url.trim_start_matches("data:image/png;base64,")).unwrap();
    let frame = image::load_from_memory(&png).unwrap().to_rgb8();
    assert_eq!(frame.dimensions(), SIZE);
    let nearest = photos.iter().map(|p| mean_difference(p, &frame)).fold(f64::INFINITY, f64::min);
    assert!(nearest < 12.0, "the frame shown is none of the camera's photos (mean difference {nearest:.1})");
    let found = detect(&model, &frame, DetectOptions { threshold: f32::NEG_INFINITY, side: Some(CAMERA_SIDE), ..Default::default() }, || 0.0).unwrap();
    let native = found.rethreshold(threshold, 0.3);
    assert!(!native.is_empty(), "the detector finds no face in the camera frame");
    let borderline = found.candidates.iter().any(|c| (c.score - threshold).abs() < 1e-4);
    let shown = drawn(&browser, "#faces svg.camera-faces").await;
    if borderline {
        eprintln!("a region scores within 1e-4 of the threshold: only boxes present on both sides are compared");
        assert!(shown.len().abs_diff(native.len()) <= 1, "{shown:?} vs {native:?}");
    } else {
        assert_same_faces(&shown, &native);
    }
    eprintln!("the last camera frame: {} face(s) drawn, as natively (mean difference to its photo {nearest:.2})", shown.len());
    browser.close().await;
}

#[tokio::test]
async fn a_refused_camera_says_so_and_photos_still_work() {
    let test = "a_refused_camera_says_so_and_photos_still_work";
    let Some(site) = site_or_skip(test) else { return };
    let flags = ["--use-fake-device-for-media-stream".to_string(), "--deny-permission-prompts".to_string()];
    let Some(browser) = browser_with_or_skip(test, &flags).await else { return };
    let server = StaticServer::start(&site, "/no-camera/");
    browser.client.goto(&server.url).await.unwrap();
    browser.wait_for("#faces .model-ready").await;
    browser.wait_for("#faces button.camera-start").await.click().await.unwrap();
    let error = browser.wait_for("#faces .camera-error").await.text().await.unwrap();
    assert!(error.contains("permission was denied") && error.contains("Photos still work"), "{error}");
    // The photo mode is untouched: an example photo is answered.
    browser.wait_for("#faces button.example").await.click().await.unwrap();
    browser.wait_for("#faces svg.faces").await;
    browser.close().await;
}
