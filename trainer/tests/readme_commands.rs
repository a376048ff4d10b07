//! The README's command lines cannot drift from the program: every `ocellus ...` line in it is
//! parsed by the real command line (a renamed flag or subcommand fails here), and the files it
//! names as outputs of a seed are the ones that seed writes.

mod common;

use clap::Parser;
use ocellus_trainer::cli::Cli;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README.md beside the workspace")
}

/// The README's `ocellus` command lines, continuation lines joined and comments dropped, with
/// the line they start on. Lines with `...` stand for "the command above, and" and are skipped.
fn command_lines(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut in_code = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            continue;
        }
        let code = match line.find(" #") {
            Some(at) => &line[..at],
            None => line,
        };
        let (start, mut joined) = pending.take().unwrap_or((i + 1, String::new()));
        joined.push_str(code.trim_end().trim_end_matches('\\'));
        joined.push(' ');
        if code.trim_end().ends_with('\\') {
            pending = Some((start, joined));
            continue;
        }
        let words: Vec<String> = joined.split_whitespace().map(String::from).collect();
        let args = match words.iter().position(|w| w == "--") {
            Some(at) if words.first().is_some_and(|w| w == "cargo") && words.iter().any(|w| w == "ocellus-trainer") => words[at + 1..].to_vec(),
            _ if words.first().is_some_and(|w| w == "ocellus") => words[1..].to_vec(),
            _ => continue,
        };
        if !args.iter().any(|w| w == "...") {
            out.push((start, args));
        }
    }
    out
}

#[test]
fn every_command_line_in_the_readme_parses() {
    let lines = command_lines(&readme());
    assert!(lines.len() >= 40, "only {} command lines found: the README's code blocks changed shape?", lines.len());
    let mut failures = Vec::new();
    for (line, args) in &lines {
        let argv = std::iter::once("ocellus".to_string()).chain(args.iter().cloned());
        if let Err(e) = Cli::try_parse_from(argv) {
            failures.push(format!("README.md:{line}: ocellus {}\n{}", args.join(" "), e.render()));
        }
    }
    assert!(failures.is_empty(), "{} README command lines no longer parse:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_captcha_the_readme_reads_is_the_one_its_seed_writes() {
    let text = readme();
    // `ocellus captcha generate --out data/fresh ... --seed 2`, then `eval captcha ... data/fresh/NAME`.
    let named = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("data/fresh/").filter(|n| n.ends_with(".png")))
        .expect("the README reads one fresh captcha by name");
    let dir = tempfile::tempdir().unwrap();
    common::ok(&["captcha", "generate", "--out", dir.path().to_str().unwrap(), "--count", "1", "--seed", "2"]);
    let written: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(written, [named.to_string()], "the README names {named}; seed 2 writes {written:?}");
}
