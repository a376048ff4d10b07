//! The page's Content-Security-Policy (issue 20), written into the built `index.html` as a
//! `<meta http-equiv>` so that it holds on any static web server: scripts, wasm, styles, models
//! and examples only from the page's own origin, no network access beyond it, no plugins. Trunk
//! starts the app with one inline module script whose text changes with every build, so the
//! policy allows exactly that script by its SHA-256 (CSP's hash source) rather than allowing
//! inline scripts at large.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The policy, with `hashes` (CSP hash sources) of the inline scripts to allow.
/// `wasm-unsafe-eval` lets the page compile its own wasm (fetched from 'self' only);
/// inline style attributes stay allowed (the prediction bars' widths), style sheets do not;
/// `blob:` and `data:` images are the user's own photos and the drawn results; `blob:` workers
/// because gloo-worker starts the worker from a two-line `blob:` shim that imports `worker.js`
/// (a `blob:` worker inherits this policy, so it too loads scripts from 'self' only).
pub fn policy(hashes: &[String]) -> String {
    let scripts: String = hashes.iter().map(|h| format!(" '{h}'")).collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; style-src 'self'; style-src-attr 'unsafe-inline'; \
         img-src 'self' blob: data:; media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self' blob:; \
         object-src 'none'; base-uri 'self'; form-action 'none'"
    )
}

/// The text of every inline `<script>` (one without `src`) in `html`.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else { break };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script>") else { break };
        if !tag.contains(" src=") {
            found.push(&body[..close]);
        }
        rest = &body[close..];
    }
    found
}

/// CSP's hash source of a script's text: `sha256-` and the base64 of its SHA-256.
fn hash_source(script: &str) -> String {
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes())))
}

/// `html` with the policy's meta tag first in `<head>` (a policy applies only to what follows it).
pub fn with_policy(html: &str) -> Result<String, String> {
    if html.contains("http-equiv=\"Content-Security-Policy\"") {
        return Ok(html.to_string());
    }
    let hashes: Vec<String> = inline_scripts(html).into_iter().map(hash_source).collect();
    let head = html.find("<head>").ok_or("the built index.html has no <head>")? + "<head>".len();
    let meta = format!("\n  <meta http-equiv=\"Content-Security-Policy\" content=\"{}\" />", policy(&hashes));
    Ok(format!("{}{meta}{}", &html[..head], &html[head..]))
}

/// Rewrites the built page's `index.html` with its policy.
pub fn write(site: &std::path::Path) -> Result<(), String> {
    let path = site.join("index.html");
    let html = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::write(&path, with_policy(&html)?).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_allowed_by_their_hash_and_nothing_else_inline() {
        let html = "<html><head>\n<script type=\"module\">\nimport init from './a.js';\n</script><script src=\"./b.js\"></script></head></html>";
        let out = with_policy(html).unwrap();
        // The meta comes before any script, and names the one inline script's hash.
        assert!(out.find("Content-Security-Policy").unwrap() < out.find("<script").unwrap());
        let expected = hash_source("\nimport init from './a.js';\n");
        assert!(out.contains(&format!("'{expected}'")), "{out}");
        assert_eq!(out.matches("'sha256-").count(), 1);
        let scripts = out.split(';').find(|d| d.trim_start().starts_with("script-src")).unwrap();
        assert!(!scripts.contains("unsafe-inline") && scripts.contains("'self' 'wasm-unsafe-eval' 'sha256-"), "{scripts}");
        // Written once: a second pass changes nothing.
        assert_eq!(with_policy(&out).unwrap(), out);
    }

    #[test]
    fn the_hash_is_csps_base64_sha256() {
        // printf 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert_eq!(hash_source("alert(1)"), "sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=");
    }
}
