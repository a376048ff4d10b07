//! `cargo xtask bench-web`: times every shipped model's forward pass at batch 1 in the page's
//! worker (headless Chromium, wasm) and natively, in one run, and prints the table with ratios.
//! Not part of CI: timings on a shared machine are for reading, not for asserting.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use candle_core::Device;
use fantoccini::Locator;
use ocellus::face_detection::{detect, DetectOptions};
use ocellus::forward_timing::{median, time_forward};
use ocellus::manifest::ManifestEntry;
use ocellus::ops::kernel_choice::{set_kernels, Kernels};
use ocellus::TrainedModel;
use ocellus_e2e::chrome::{Browser, PATIENCE};
use ocellus_e2e::static_server::StaticServer;
use ocellus_e2e::{manifest, repo_root};

/// Timed runs per model natively (the page does `RUNS` in web/src/bench.rs, also 30).
const RUNS: usize = 30;

fn native_ms(model: &TrainedModel, threads: usize, kernels: Kernels) -> f64 {
    // candle reads this on every operation, so it can change between measurements.
    std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    set_kernels(kernels);
    let start = Instant::now();
    let ms = time_forward(model, RUNS, || start.elapsed().as_secs_f64() * 1000.0).expect("a forward pass");
    median(&ms)
}

/// Face detection runs per model, in the page and natively.
const FACE_RUNS: usize = 3;

/// Each shipped face model's median (proposals ms, model ms) on `photo` in the page's Faces
/// section: the model picked in its list, the photo given `FACE_RUNS` times.
async fn browser_faces(browser: &Browser, url: &str, photo: &[u8]) -> Vec<(ManifestEntry, f64, f64)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("face.jpg");
    std::fs::write(&path, photo).unwrap();
    browser.client.goto(url).await.unwrap();
    let mut rows = Vec::new();
    for entry in manifest().models.into_iter().filter(|m| m.task == "faces") {
        let select = browser.wait_for("#faces select").await;
        let js = "const s = arguments[0]; s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true }));";
        browser.client.execute(js, vec![serde_json::to_value(&select).unwrap(), serde_json::json!(entry.file)]).await.unwrap();
        let ready = "#faces .model-ready";
        let start = Instant::now();
        while !browser.wait_for(ready).await.text().await.unwrap().contains(&entry.name) {
            assert!(start.elapsed() < PATIENCE, "{} never loaded", entry.name);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (mut proposals, mut model) = (Vec::new(), Vec::new());
        let mut last_at = String::new();
        for _ in 0..FACE_RUNS {
            browser.upload("#faces input[type=file]", &path).await;
            let at = loop {
                let answer = browser.wait_for("#faces .answer").await;
                match answer.attr("data-at-ms").await.unwrap() {
                    Some(at) if at != last_at && browser.client.find(Locator::Css("#faces .timing")).await.is_ok() => break at,
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            };
            last_at = at;
            let timing = browser.wait_for("#faces .timing").await;
            proposals.push(timing.attr("data-proposals-ms").await.unwrap().unwrap().parse::<f64>().unwrap());
            model.push(timing.attr("data-model-ms").await.unwrap().unwrap().parse::<f64>().unwrap());
        }
        rows.push((entry, median(&proposals), median(&model)));
    }
    rows
}

#[tokio::main]
async fn main() {
    let site = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/site".into()));
    assert!(site.join("index.html").is_file(), "{} holds no built page: run `cargo xtask build-web`", site.display());
    let browser = Browser::start().await.unwrap_or_else(|e| panic!("{e}"));
    let server = StaticServer::start(&site, "/");
    browser.client.goto(&format!("{}?bench", server.url)).await.unwrap();
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(1800))
        .for_element(Locator::Css("#bench-results[data-done='true']"))
        .await
        .expect("the bench page never finished");
    let mut browser_ms = Vec::new();
    for row in browser.client.find_all(Locator::Css("#bench-results tbody tr")).await.unwrap() {
        let file = row.attr("data-file").await.unwrap().unwrap_or_default();
        let ms: f64 = row.attr("data-median").await.unwrap().and_then(|m| m.parse().ok()).unwrap_or(f64::NAN);
        let candle: f64 = row.attr("data-median-candle").await.unwrap().and_then(|m| m.parse().ok()).unwrap_or(f64::NAN);
        browser_ms.push((file, ms, candle));
    }
    // Selective search on a real photo, when the shared data is here.
    let photo = ocellus_e2e::fixture_images::real_face_photo();
    let mut browser_search = None;
    if let Some(bytes) = &photo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("face.jpg");
        std::fs::write(&path, bytes).unwrap();
        browser.upload("#bench input[type=file]", &path).await;
        let row = browser
            .client
            .wait()
            .at_most(Duration::from_secs(600))
            .for_element(Locator::Css("#bench-proposals[data-median]"))
            .await
            .expect("the bench page never timed selective search");
        browser_search = row.attr("data-median").await.unwrap().and_then(|m| m.parse::<f64>().ok());
    }
    let face_rows = match &photo {
        Some(bytes) => browser_faces(&browser, &server.url, bytes).await,
        None => Vec::new(),
    };
    browser.close().await;

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("Forward pass at batch 1, median of {RUNS} runs after a second of warm-up (ms), headless Chromium vs native;");
    println!("Ocellus's kernels, and candle's own for comparison");
    println!();
    println!("| model | architecture | browser (wasm, 1 thread) | browser, candle's kernels | native, 1 thread | native 1 thread, candle's kernels | native, {cores} threads | browser / native 1 thread |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for entry in manifest().models.iter().filter(|m| m.task != "faces") {
        let bytes = std::fs::read(repo_root().join("static/models").join(&entry.file)).unwrap();
        let model = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap();
        let one = native_ms(&model, 1, Kernels::Ocellus);
        let one_candle = native_ms(&model, 1, Kernels::Candle);
        let all = native_ms(&model, cores, Kernels::Ocellus);
        let (web, web_candle) = browser_ms.iter().find(|(f, ..)| f == &entry.file).map_or((f64::NAN, f64::NAN), |(_, ms, c)| (*ms, *c));
        println!(
            "| {} | {} | {web:.3} | {web_candle:.3} | {one:.3} | {one_candle:.3} | {all:.3} | {:.2}x |",
            entry.file,
            model.card.arch,
            web / one
        );
    }
    if let (Some(bytes), Some(web)) = (photo, browser_search) {
        let img = ocellus::image_input::decode_rgb(&bytes).unwrap();
        let ms: Vec<f64> = (0..3)
            .map(|_| {
                let start = Instant::now();
                ocellus::proposals::selective_search(&img, ocellus::proposals::Mode::Fast, 2000, 1);
                start.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        let native = median(&ms);
        println!(
            "| selective search, fast, {}x{} photo | - | {web:.0} | - | {native:.0} | - | {native:.0} (single-threaded) | {:.2}x |",
            img.width(),
            img.height(),
            web / native
        );
    }
    if let Some(bytes) = ocellus_e2e::fixture_images::real_face_photo() {
        let img = ocellus::image_input::decode_rgb(&bytes).unwrap();
        println!();
        println!("Face detection on the {}x{} photo, median of {FACE_RUNS} (ms): selective search on the letterboxed photo + the model", img.width(), img.height());
        println!();
        println!("| model | architecture | browser: proposals + model | native, 1 thread | native, {cores} threads | browser / native 1 thread |");
        println!("|---|---|---:|---:|---:|---:|");
        for (entry, web_proposals, web_model) in &face_rows {
            let model = TrainedModel::from_bytes(&std::fs::read(repo_root().join("static/models").join(&entry.file)).unwrap(), &Device::Cpu).unwrap();
            let native = |threads: usize| -> (f64, f64) {
                std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
                let start = Instant::now();
                let clock = || start.elapsed().as_secs_f64() * 1000.0;
                let runs: Vec<(f64, f64)> = (0..FACE_RUNS).map(|_| detect(&model, &img, DetectOptions::default(), clock).map(|d| (d.proposals_ms, d.model_ms)).unwrap()).collect();
                (median(&runs.iter().map(|r| r.0).collect::<Vec<_>>()), median(&runs.iter().map(|r| r.1).collect::<Vec<_>>()))
            };
            let (one, all) = (native(1), native(cores));
            println!(
                "| {} | {} | {web_proposals:.0} + {web_model:.0} = {:.0} | {:.0} + {:.0} = {:.0} | {:.0} + {:.0} = {:.0} | {:.2}x |",
                entry.file,
                model.card.arch,
                web_proposals + web_model,
                one.0,
                one.1,
                one.0 + one.1,
                all.0,
                all.1,
                all.0 + all.1,
                (web_proposals + web_model) / (one.0 + one.1)
            );
        }
    }
}
