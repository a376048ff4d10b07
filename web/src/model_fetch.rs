//! Fetching a shipped model once: from the browser's Cache Storage when it is there, else from
//! the server with progress, then stored for next time. URLs carry the file's hash (see
//! `ManifestEntry::url`), so a changed model is fetched again and stale entries are pruned.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, CacheStorage, ReadableStreamDefaultReader, Request, Response};

use crate::browser::js_error;
use crate::clock::now_ms;

/// The Cache Storage bucket holding model files.
const CACHE: &str = "ocellus-models-v1";

/// How far a download has got.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Bytes received so far.
    pub loaded: u64,
    /// The file's size, when known.
    pub total: Option<u64>,
}

/// Where the bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The browser's cache: nothing was downloaded.
    Cache,
    /// The server.
    Network,
}

/// The page's model cache, or `None` where the browser offers none (the Cache API exists only
/// in secure contexts: https and localhost); then plain HTTP caching applies.
async fn open_cache() -> Option<Cache> {
    let storage = Reflect::get(&js_sys::global(), &"caches".into()).ok()?;
    if storage.is_undefined() {
        return None;
    }
    let storage: CacheStorage = storage.unchecked_into();
    JsFuture::from(storage.open(CACHE)).await.ok().map(JsCast::unchecked_into)
}

/// Fetches `url` (relative to the page), reporting progress; `expected` is the size the
/// manifest gives, used when the server sends no length.
pub async fn fetch_model(url: &str, expected: Option<u64>, progress: impl Fn(Progress)) -> Result<(Vec<u8>, Source), String> {
    let cache = open_cache().await;
    if let Some(cache) = &cache {
        if let Ok(hit) = JsFuture::from(cache.match_with_str(url)).await {
            if let Ok(response) = hit.dyn_into::<Response>() {
                let bytes = whole_body(url, &response).await?;
                progress(Progress { loaded: bytes.len() as u64, total: Some(bytes.len() as u64) });
                return Ok((bytes, Source::Cache));
            }
        }
    }
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| js_error(url, e))?
        .unchecked_into();
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let length = response.headers().get("content-length").ok().flatten().and_then(|v| v.parse().ok());
    let total = length.or(expected);
    let mut bytes = match response.body() {
        Some(body) => read_stream(url, body.get_reader().unchecked_into(), total, &progress).await?,
        None => whole_body(url, &response).await?,
    };
    if let Some(cache) = cache {
        // A failed store (quota, private mode) only costs a download next time.
        if let Ok(copy) = Response::new_with_opt_u8_array(Some(&mut bytes)) {
            let _ = JsFuture::from(cache.put_with_str(url, &copy)).await;
        }
    }
    Ok((bytes, Source::Network))
}

/// How often a download reports progress: each report redraws the page, and a fast download
/// comes in dozens of chunks that would each cost a redraw on the page's thread.
const PROGRESS_EVERY_MS: f64 = 100.0;

/// Reads a body chunk by chunk, reporting progress at most every [`PROGRESS_EVERY_MS`].
async fn read_stream(url: &str, reader: ReadableStreamDefaultReader, total: Option<u64>, progress: &impl Fn(Progress)) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(total.unwrap_or(0) as usize);
    let mut reported = now_ms();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| js_error(url, e))?;
        if Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            return Ok(bytes);
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into()).map_err(|e| js_error(url, e))?.unchecked_into();
        let start = bytes.len();
        bytes.resize(start + value.length() as usize, 0);
        value.copy_to(&mut bytes[start..]);
        let now = now_ms();
        if now - reported >= PROGRESS_EVERY_MS {
            reported = now;
            progress(Progress { loaded: bytes.len() as u64, total });
        }
    }
}

async fn whole_body(url: &str, response: &Response) -> Result<Vec<u8>, String> {
    let promise = response.array_buffer().map_err(|e| js_error(url, e))?;
    let buffer = JsFuture::from(promise).await.map_err(|e| js_error(url, e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Deletes cached files that the current manifest no longer lists (older versions).
pub async fn prune(keep: &[String]) {
    let Some(cache) = open_cache().await else { return };
    let Some(base) = web_sys::window().and_then(|w| w.location().href().ok()) else { return };
    let keep: Vec<String> = keep.iter().filter_map(|u| web_sys::Url::new_with_base(u, &base).ok()).map(|u| u.href()).collect();
    let Ok(keys) = JsFuture::from(cache.keys()).await else { return };
    for request in js_sys::Array::from(&keys).iter() {
        let request: Request = request.unchecked_into();
        if !keep.contains(&request.url()) {
            let _ = JsFuture::from(cache.delete_with_request(&request)).await;
        }
    }
}

/// Formats progress for people: `120 of 240 KB`.
pub fn describe(progress: Progress) -> String {
    let kb = |b: u64| (b as f64 / 1024.0).round() as u64;
    match progress.total {
        Some(total) => format!("{} of {} KB", kb(progress.loaded), kb(total)),
        None => format!("{} KB", kb(progress.loaded)),
    }
}

/// The fraction done (0..1), when the size is known.
pub fn fraction(progress: Progress) -> Option<f64> {
    progress.total.filter(|&t| t > 0).map(|t| (progress.loaded as f64 / t as f64).min(1.0))
}

