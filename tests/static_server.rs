//! A static file server for the built page, under a sub-path, that records every request: the
//! browser tests check that the page fetches only its own assets and never sends a file away.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

/// One request the page made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// The HTTP method.
    pub method: String,
    /// The URL path and query.
    pub url: String,
    /// Bytes of request body received.
    pub body_len: usize,
}

/// A running server on 127.0.0.1; stops when dropped.
pub struct StaticServer {
    server: Arc<tiny_http::Server>,
    /// The page's URL (ends with `/`).
    pub url: String,
    log: Arc<Mutex<Vec<Logged>>>,
    worker: Option<thread::JoinHandle<()>>,
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

impl StaticServer {
    /// Serves `root` at `http://127.0.0.1:<free port><prefix>` (`prefix` starts and ends with `/`).
    pub fn start(root: &Path, prefix: &str) -> StaticServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("binding a loopback port"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let worker = {
            let (server, log, root, prefix) = (server.clone(), log.clone(), root.to_path_buf(), prefix.to_string());
            thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let mut body = Vec::new();
                    let _ = std::io::Read::read_to_end(request.as_reader(), &mut body);
                    let url = request.url().to_string();
                    log.lock().unwrap().push(Logged { method: request.method().to_string(), url: url.clone(), body_len: body.len() });
                    let response = match resolve(&root, &prefix, &url) {
                        Some(path) if request.method() == &tiny_http::Method::Get => match std::fs::read(&path) {
                            Ok(bytes) => tiny_http::Response::from_data(bytes).with_header(
                                tiny_http::Header::from_bytes("Content-Type", content_type(&path)).unwrap(),
                            ),
                            Err(_) => tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404),
                        },
                        _ => tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404),
                    };
                    let _ = request.respond(response);
                }
            })
        };
        StaticServer { server, url: format!("http://127.0.0.1:{port}{prefix}"), log, worker: Some(worker) }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }
}

/// The file for a URL under `prefix`, if any (`/` means `index.html`; queries are ignored).
fn resolve(root: &Path, prefix: &str, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next()?;
    let rest = path.strip_prefix(prefix)?;
    if rest.split('/').any(|part| part == "..") {
        return None;
    }
    let file = if rest.is_empty() || rest.ends_with('/') { root.join(rest).join("index.html") } else { root.join(rest) };
    file.is_file().then_some(file)
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_only_under_the_prefix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "x").unwrap();
        std::fs::create_dir(dir.path().join("models")).unwrap();
        std::fs::write(dir.path().join("models/m.safetensors"), "x").unwrap();
        let root = dir.path();
        assert_eq!(resolve(root, "/app/", "/app/"), Some(root.join("index.html")));
        assert_eq!(resolve(root, "/app/", "/app/models/m.safetensors?v=12"), Some(root.join("models/m.safetensors")));
        assert_eq!(resolve(root, "/app/", "/models/m.safetensors"), None);
        assert_eq!(resolve(root, "/app/", "/app/../secret"), None);
        assert_eq!(resolve(root, "/app/", "/app/missing.js"), None);
    }
}
