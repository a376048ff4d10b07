//! Thin wrappers over the browser APIs the page uses: fetch, files, object URLs, the query.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, Response};

/// A JavaScript error as a message naming `what` failed.
pub fn js_error(what: &str, e: wasm_bindgen::JsValue) -> String {
    let text = e
        .as_string()
        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| format!("{e:?}"));
    format!("{what}: {text}")
}

/// Fetches a URL (relative to the page, so the app works under any sub-path) as bytes.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url)).await.map_err(|e| js_error(url, e))?;
    let response: Response = response.dyn_into().map_err(|e| js_error(url, e))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| js_error(url, e))?)
        .await
        .map_err(|e| js_error(url, e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Fetches a URL as text.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    String::from_utf8(fetch_bytes(url).await?).map_err(|_| format!("{url} is not UTF-8 text"))
}

/// Reads a file the user gave (picker, drop or paste); one over
/// [`ocellus::image_input::MAX_FILE_BYTES`] is refused by its size alone, unread.
pub async fn read_file(file: &File) -> Result<Vec<u8>, String> {
    let max = ocellus::image_input::MAX_FILE_BYTES;
    if file.size() > max as f64 {
        return Err(format!("it is {}, more than the {} the page takes (an image or a model)", mib_or_gib(file.size()), mib_or_gib(max as f64)));
    }
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(|e| js_error(&file.name(), e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// `2.0 GiB`, `256 MiB`.
fn mib_or_gib(bytes: f64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    if bytes >= GIB { format!("{:.1} GiB", bytes / GIB) } else { format!("{:.0} MiB", bytes / (1u64 << 20) as f64) }
}

/// A `blob:` URL showing `blob` (for the image preview).
pub fn object_url(blob: &Blob) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(blob).ok()
}

/// Releases a URL made by [`object_url`].
pub fn revoke_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// Whether the page's query string has `flag` (as in `?bench`).
pub fn query_has(flag: &str) -> bool {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    search.trim_start_matches('?').split('&').any(|part| part.split('=').next() == Some(flag))
}

/// A `blob:` URL showing `bytes` as a file of type `mime` (for an example image's preview).
pub fn bytes_url(bytes: &[u8], mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    object_url(&blob)
}

/// Saves `href` (a `data:` or `blob:` URL made in the page) as a file named `file_name`,
/// the way a download link does.
pub fn download(href: &str, file_name: &str) -> Result<(), String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").map_err(|e| js_error("download", e))?.unchecked_into();
    link.set_href(href);
    link.set_download(file_name);
    link.click();
    Ok(())
}

/// Puts `text` on the clipboard.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    JsFuture::from(window.navigator().clipboard().write_text(text)).await.map(|_| ()).map_err(|e| js_error("the clipboard", e))
}
