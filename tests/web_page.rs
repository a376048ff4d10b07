//! The built page (trunk's release bundle), served on 127.0.0.1 under a sub-path and driven in
//! headless Chromium: it must answer a real photo exactly as the native code does, name bad
//! files, take the user's own model, time itself in bench mode, and fetch nothing but its own
//! assets. `cargo xtask test` builds the bundle and points `OCELLUS_SITE` at it.

use std::path::{Path, PathBuf};

use candle_core::Device;
use ocellus::prediction::Prediction;
use ocellus::{Arch, InputSize, ModelCard, Task, TrainedModel};
use ocellus_e2e::chrome::{browser_or_skip, site_or_skip, Browser};
use ocellus_e2e::fixture_images::generated;
use ocellus_e2e::static_server::StaticServer;
use ocellus_e2e::{cifar10_or_skip, manifest, repo_root};

/// Where the page is served, to prove it works below the server's root.
const SUB_PATH: &str = "/tools/ocellus/";

fn shipped_classifier() -> TrainedModel {
    let entry = manifest().default_for("classify").cloned().expect("a default classifier");
    let bytes = std::fs::read(repo_root().join("static/models").join(&entry.file)).unwrap();
    TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap()
}

/// A real photo the shipped model gets right with some confidence (a cat, when the shared
/// CIFAR-10 data is here), else a generated image; written to `dir`, with its expected label.
fn photo(dir: &Path, model: &TrainedModel) -> (PathBuf, String) {
    if let Some(cifar) = cifar10_or_skip("the cat photo of the browser test (a generated image is used instead)") {
        for n in 0..200 {
            let bytes = std::fs::read(cifar.join(format!("train/cat/{n:04}.jpg"))).unwrap();
            let top = model.classify(&bytes, 1).unwrap();
            if top[0].label == "cat" && top[0].probability > 0.5 {
                let path = dir.join(format!("cat-{n:04}.jpg"));
                std::fs::write(&path, bytes).unwrap();
                return (path, "cat".into());
            }
        }
        panic!("the shipped model recognises none of 200 real cats");
    }
    let f = generated().remove(0);
    let path = dir.join(&f.name);
    std::fs::write(&path, &f.bytes).unwrap();
    let label = model.classify(&f.bytes, 1).unwrap()[0].label.clone();
    (path, label)
}

/// The predictions the page shows, as `label: 12.34%` lines.
async fn shown_predictions(browser: &Browser) -> Vec<String> {
    browser.wait_for("#classify .prediction").await;
    let labels = browser.texts("#classify .prediction .label").await;
    let pcts = browser.texts("#classify .prediction .pct").await;
    labels.iter().zip(&pcts).map(|(l, p)| format!("{l}: {p}")).collect()
}

fn as_lines(top: &[Prediction]) -> Vec<String> {
    top.iter().map(ToString::to_string).collect()
}

async fn attr_ms(browser: &Browser, css: &str, attr: &str) -> f64 {
    let e = browser.wait_for(css).await;
    e.attr(attr).await.unwrap().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{css} has no {attr}"))
}

#[tokio::test]
async fn a_real_photo_gets_the_native_answer_and_nothing_leaves_the_machine() {
    let test = "a_real_photo_gets_the_native_answer_and_nothing_leaves_the_machine";
    let Some(site) = site_or_skip(test) else { return };
    let Some(browser) = browser_or_skip(test).await else { return };
    let server = StaticServer::start(&site, SUB_PATH);
    let scratch = tempfile::tempdir().unwrap();
    let model = shipped_classifier();
    let (photo, label) = photo(scratch.path(), &model);

    browser.client.goto(&server.url).await.unwrap();
    let ready_ms = attr_ms(&browser, "#classify .model-ready", "data-ready-ms").await;
    browser.upload("#classify input[type=file]", &photo).await;
    let shown = shown_predictions(&browser).await;
    let answered_ms = attr_ms(&browser, "#classify .answer[data-at-ms]", "data-at-ms").await;
    let shot = browser.screenshot("classify.png").await;
    // The same page on a phone-sized window, for a look at the layout.
    browser.client.set_window_size(390, 844).await.unwrap();
    browser.screenshot("phone.png").await;
    browser.client.set_window_size(1100, 1000).await.unwrap();
    let native = as_lines(&model.classify(&std::fs::read(&photo).unwrap(), 5).unwrap());
    eprintln!(
        "cold load: model ready {ready_ms:.0} ms after navigation; answer {answered_ms:.0} ms after navigation \
         (image given once ready); page shows {shown:?}; screenshot {}",
        shot.display()
    );
    assert_eq!(shown, native, "the page and the native code disagree on {}", photo.display());
    assert!(shown[0].starts_with(&format!("{label}: ")), "{shown:?}");

    // A reload takes the models already fetched from the browser's cache, not the network (a
    // section whose model had not been asked for yet may fetch it now: that is its first time).
    let before = server.requests();
    let fetched: Vec<String> = before.iter().filter(|r| r.url.contains(".safetensors")).map(|r| r.url.clone()).collect();
    assert!(!fetched.is_empty(), "the first load fetched no model");
    browser.client.refresh().await.unwrap();
    let line = browser.wait_for("#classify .model-ready").await.text().await.unwrap();
    assert!(line.contains("from this browser's cache"), "{line}");
    let again: Vec<String> = server.requests()[before.len()..].iter().filter(|r| fetched.contains(&r.url)).map(|r| r.url.clone()).collect();
    assert!(again.is_empty(), "the reload downloaded {again:?} again");
    browser.close().await;

    let photo_name = photo.file_name().unwrap().to_string_lossy().to_string();
    for r in server.requests() {
        assert_eq!((r.method.as_str(), r.body_len), ("GET", 0), "{r:?}");
        assert!(r.url.starts_with(SUB_PATH), "a request outside the page's folder: {r:?}");
        assert!(!r.url.contains(&photo_name), "the image's name went to the server: {r:?}");
        let path = r.url.split('?').next().unwrap().trim_start_matches(SUB_PATH);
        assert!(path.is_empty() || site.join(path).is_file(), "a request for something the page does not ship: {r:?}");
    }
}

/// A real weights file of another architecture, input size and label set, as `ocellus train`
/// writes them.
fn other_model() -> (Vec<u8>, TrainedModel) {
    model_file(ModelCard::new(Task::Classify, Arch::ResNet18 { width: 4 }, InputSize { width: 24, height: 20 }, vec!["left".into(), "right".into()]))
}

/// A freshly initialised model for `card`, written to bytes as the trainer writes weights.
fn model_file(card: ModelCard) -> (Vec<u8>, TrainedModel) {
    let bytes = ocellus::fixtures::untrained_model_bytes(&card);
    let model = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap();
    (bytes, model)
}

#[tokio::test]
async fn bad_files_are_named_and_the_users_own_model_is_used() {
    let test = "bad_files_are_named_and_the_users_own_model_is_used";
    let Some(site) = site_or_skip(test) else { return };
    let Some(browser) = browser_or_skip(test).await else { return };
    let server = StaticServer::start(&site, SUB_PATH);
    let dir = tempfile::tempdir().unwrap();
    let image = generated().remove(1);
    let image_path = dir.path().join(&image.name);
    std::fs::write(&image_path, &image.bytes).unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not an image").unwrap();
    let broken = dir.path().join("broken.safetensors");
    std::fs::write(&broken, b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":").unwrap();
    let (own_bytes, own_model) = other_model();
    let own = dir.path().join("my-model.safetensors");
    std::fs::write(&own, &own_bytes).unwrap();
    let input = "#classify input[type=file]";

    browser.client.goto(&server.url).await.unwrap();
    browser.wait_for("#classify .model-ready").await;
    browser.upload(input, &notes).await;
    let error = browser.wait_for("#classify .answer-error").await.text().await.unwrap();
    assert!(error.starts_with("notes.txt: ") && error.contains("decode"), "{error}");

    // A 2 GiB file (sparse: no disk used) is refused by its size, before the tab reads it.
    let huge = dir.path().join("huge.png");
    std::fs::File::create(&huge).unwrap().set_len(2 << 30).unwrap();
    browser.upload(input, &huge).await;
    browser
        .client
        .wait()
        .at_most(ocellus_e2e::chrome::PATIENCE)
        .for_element(fantoccini::Locator::XPath("//*[contains(@class,'answer-error')][contains(., 'huge.png')]"))
        .await
        .expect("the page never refused the 2 GiB file");
    let error = browser.wait_for("#classify .answer-error").await.text().await.unwrap();
    assert!(error.contains("huge.png") && error.contains("2.0 GiB") && error.contains("256 MiB"), "{error}");

    // A decompression bomb: a tiny PNG claiming 50,000 x 50,000 pixels is refused by its header.
    let bomb = dir.path().join("bomb.png");
    std::fs::write(&bomb, ocellus::fixtures::png_claiming_size(50_000, 50_000)).unwrap();
    browser.upload(input, &bomb).await;
    browser
        .client
        .wait()
        .at_most(ocellus_e2e::chrome::PATIENCE)
        .for_element(fantoccini::Locator::XPath("//*[contains(@class,'answer-error')][contains(., 'bomb.png')]"))
        .await
        .expect("the page never refused the bomb");
    let error = browser.wait_for("#classify .answer-error").await.text().await.unwrap();
    // Natively the header gives 50000x50000; in wasm32 the decoder's size sums overflow first.
    assert!(error.contains("bomb.png") && error.contains("too large"), "{error}");

    browser.upload(input, &broken).await;
    let error = browser.wait_for("#classify .model-error").await.text().await.unwrap();
    assert!(error.contains("broken.safetensors"), "{error}");
    browser.upload(input, &image_path).await;
    let shown = shown_predictions(&browser).await;
    assert_eq!(shown, as_lines(&shipped_classifier().classify(&image.bytes, 5).unwrap()), "the shipped model stays in use");

    browser.upload(input, &own).await;
    browser
        .client
        .wait()
        .at_most(ocellus_e2e::chrome::PATIENCE)
        .for_element(fantoccini::Locator::XPath("//p[contains(@class,'model-ready')][contains(., 'my-model.safetensors')]"))
        .await
        .expect("the page never took the user's model");
    let line = browser.wait_for("#classify .model-ready").await.text().await.unwrap();
    assert!(line.contains("resnet18") && line.contains("24x20") && line.contains("2 labels"), "{line}");
    // The image given before is answered again by the new model.
    browser
        .client
        .wait()
        .at_most(ocellus_e2e::chrome::PATIENCE)
        .for_element(fantoccini::Locator::XPath("//li[contains(@class,'prediction')]/span[@class='label'][text()='left' or text()='right']"))
        .await
        .expect("the user's model never answered");
    let shown = shown_predictions(&browser).await;
    assert_eq!(shown, as_lines(&own_model.classify(&image.bytes, 5).unwrap()));
    browser.screenshot("own-model.png").await;
    browser.close().await;
}

#[tokio::test]
async fn bench_mode_times_every_shipped_image_model() {
    let test = "bench_mode_times_every_shipped_image_model";
    let Some(site) = site_or_skip(test) else { return };
    let Some(browser) = browser_or_skip(test).await else { return };
    let server = StaticServer::start(&site, SUB_PATH);
    browser.client.goto(&format!("{}?bench", server.url)).await.unwrap();
    browser.wait_for("#bench-results[data-done='true']").await;
    let rows = browser.client.find_all(fantoccini::Locator::Css("#bench-results tbody tr")).await.unwrap();
    // Face models are timed through detection (`cargo xtask bench-web`), not here.
    let timed = manifest().models.iter().filter(|m| m.task != "faces").count();
    assert_eq!(rows.len(), timed, "{:?}", browser.texts("#bench .error").await);
    for row in rows {
        let median: f64 = row.attr("data-median").await.unwrap().unwrap().parse().unwrap();
        assert!(median > 0.0);
    }
    browser.close().await;
}

/// A generated captcha (a seed the shipped model never saw), written to `dir`.
fn captcha(dir: &Path, i: u64) -> (PathBuf, String) {
    let style = ocellus_trainer::captcha::style::Style::default();
    let (code, img) = ocellus_trainer::captcha::generator::nth(&style, 987_654, i);
    let path = dir.join(format!("{i}-{code}.png"));
    img.save(&path).unwrap();
    (path, code.to_lowercase())
}

fn shipped_captcha_reader() -> Option<TrainedModel> {
    let entry = manifest().default_for("captcha").cloned()?;
    let bytes = std::fs::read(repo_root().join("static/models").join(&entry.file)).unwrap();
    Some(TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap())
}

/// A real captcha model file of another shape (3 characters of `xyz`), as `ocellus train` writes.
fn other_captcha_model() -> (Vec<u8>, TrainedModel) {
    let labels = vec!["x".into(), "y".into(), "z".into()];
    model_file(ModelCard::new(Task::Captcha { length: 3 }, Arch::ResNet18 { width: 4 }, InputSize { width: 40, height: 16 }, labels))
}

/// The code and confidences the Captcha section shows.
async fn shown_code(browser: &Browser) -> (String, Vec<String>) {
    let code = browser.wait_for("#captcha .code").await.text().await.unwrap();
    (code, browser.texts("#captcha .confidence .pct").await)
}

/// Waits until the Captcha section shows `code`, failing with `why`.
async fn wait_for_code(browser: &Browser, code: &str, why: &str) {
    let xpath = format!("//section[@id='captcha']//output[@class='code'][text()='{code}']");
    browser.client.wait().at_most(ocellus_e2e::chrome::PATIENCE).for_element(fantoccini::Locator::XPath(&xpath)).await.expect(why);
}

fn confidences(read: &ocellus::captcha_code::ReadCode) -> Vec<String> {
    read.confidence.iter().map(|p| format!("{:.1}%", p * 100.0)).collect()
}

#[tokio::test]
async fn the_page_reads_a_generated_captcha_like_native() {
    let test = "the_page_reads_a_generated_captcha_like_native";
    let Some(site) = site_or_skip(test) else { return };
    let Some(reader) = shipped_captcha_reader() else { panic!("no captcha model ships") };
    let Some(browser) = browser_or_skip(test).await else { return };
    let server = StaticServer::start(&site, SUB_PATH);
    let dir = tempfile::tempdir().unwrap();
    let (path, truth) = captcha(dir.path(), 3);

    browser.client.goto(&server.url).await.unwrap();
    browser.wait_for("#captcha .model-ready").await;
    browser.upload("#captcha input[type=file]", &path).await;
    let (code, pcts) = shown_code(&browser).await;
    let native = reader.read_captcha(&std::fs::read(&path).unwrap()).unwrap();
    eprintln!("captcha {truth}: the page reads {code} ({pcts:?}), natively {}", native.code);
    assert_eq!((code.clone(), pcts), (native.code.clone(), confidences(&native)));
    browser.screenshot("captcha.png").await;

    // A tiny grey photo (the fuzz seed): the CTC reader reads nothing, and the page says so
    // instead of showing an empty code with a Copy button. (A uniform grey 120x50 reads "2".)
    let grey = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/model_forward/gray.jpg").canonicalize().unwrap();
    let blank = reader.read_captcha(&std::fs::read(&grey).unwrap()).unwrap();
    assert_eq!(blank.code, "", "the shipped reader should read nothing on {}", grey.display());
    browser.upload("#captcha input[type=file]", &grey).await;
    let note = browser.wait_for("#captcha .code-note").await.text().await.unwrap();
    assert!(note.starts_with("No characters read"), "the page said {note:?}");
    assert!(browser.texts("#captcha .code-line button").await.is_empty(), "an empty read has nothing to copy");
    browser.upload("#captcha input[type=file]", &path).await;
    wait_for_code(&browser, &native.code, "the captcha was not read again after the grey image").await;
    if native.code.chars().count() == 4 {
        assert!(browser.texts("#captcha .code-note").await.is_empty(), "a full read has no note");
    }

    // A captcha model dropped on the Classify section goes to the Captcha section and reads.
    let (bytes, own) = other_captcha_model();
    let own_path = dir.path().join("my-captcha.safetensors");
    std::fs::write(&own_path, bytes).unwrap();
    browser.upload("#classify input[type=file]", &own_path).await;
    browser
        .client
        .wait()
        .at_most(ocellus_e2e::chrome::PATIENCE)
        .for_element(fantoccini::Locator::XPath("//section[@id='captcha']//p[contains(@class,'model-ready')][contains(., 'my-captcha.safetensors')]"))
        .await
        .expect("the captcha model never reached the Captcha section");
    let expected = own.read_captcha(&std::fs::read(&path).unwrap()).unwrap();
    wait_for_code(&browser, &expected.code, "the user's captcha model never answered").await;
    assert_eq!(shown_code(&browser).await, (expected.code.clone(), confidences(&expected)));
    browser.close().await;
}
