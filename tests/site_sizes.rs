//! The README's `.wasm` sizes are the built page's: a figure that drifts by more than 5% from
//! `target/site` fails here (they had gone stale by a fifth before this test).

use ocellus_e2e::chrome::site_or_skip;

/// The raw size the README's table gives in the row starting with `row`, in bytes.
fn readme_size(row: &str) -> f64 {
    let readme = std::fs::read_to_string(ocellus_e2e::repo_root().join("README.md")).unwrap();
    let line = readme.lines().find(|l| l.starts_with(row)).unwrap_or_else(|| panic!("no README row {row}"));
    let value = line.split('|').nth(2).expect("a value column").trim();
    let mut words = value.split_whitespace();
    let number: f64 = words.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no number in {value:?}"));
    match words.next() {
        Some("KB") => number * 1e3,
        Some("MB") => number * 1e6,
        other => panic!("unit {other:?} in {value:?}"),
    }
}

/// The size of the built file whose name starts with `prefix` and ends in `.wasm`.
fn built_size(site: &std::path::Path, prefix: &str) -> f64 {
    let file = std::fs::read_dir(site)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(".wasm")))
        .unwrap_or_else(|| panic!("no {prefix}*.wasm in {}", site.display()));
    std::fs::metadata(file).unwrap().len() as f64
}

#[test]
fn the_readme_gives_the_built_wasm_sizes() {
    let Some(site) = site_or_skip("the_readme_gives_the_built_wasm_sizes") else { return };
    for (row, prefix) in [("| page `.wasm`", "ocellus-web-"), ("| worker `.wasm`", "worker_bg")] {
        let (said, built) = (readme_size(row), built_size(&site, prefix));
        assert!((said / built - 1.0).abs() < 0.05, "README says {said} bytes for {prefix}*.wasm; the build is {built} bytes: update the table");
    }
}
