//! End-to-end tests of `ocellus captcha generate` and `train|eval|test captcha` on generated
//! captchas.

mod common;

use common::*;

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn generation_is_deterministic_named_and_checked() {
    let root = tempfile::tempdir().unwrap();
    let (a, b, c) = (root.path().join("a"), root.path().join("b"), root.path().join("c"));
    let log = ok(&["captcha", "generate", "--out", s(&a), "--count", "30", "--seed", "5"]);
    assert!(log.contains("wrote 30 captchas") && log.contains("images/s"), "{log}");
    ok(&["captcha", "generate", "--out", s(&b), "--count", "30", "--seed", "5"]);
    ok(&["captcha", "generate", "--out", s(&c), "--count", "30", "--seed", "6"]);
    let (fa, fb, fc) = (files(&a), files(&b), files(&c));
    assert_eq!(fa, fb, "the same seed must write the same files");
    assert_ne!(fa, fc, "another seed must write other captchas");
    for (name, bytes) in &fa {
        let code = ocellus::captcha_code::code_from_file_name(name).unwrap();
        assert_eq!(code.len(), 4, "{name}");
        // Letters are drawn (and named) in random case; the symbols are the default alphabet's.
        assert!(code.to_lowercase().chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit()), "{name}");
        let img = image::load_from_memory(bytes).unwrap();
        assert_eq!((img.width(), img.height()), (120, 50), "{name}");
    }
    let err = fails(&["captcha", "generate", "--out", s(&c), "--alphabet", "ab-c"]);
    assert!(err.contains("file names"), "{err}");
}

#[test]
fn a_captcha_reader_learns_end_to_end() {
    let root = tempfile::tempdir().unwrap();
    let (train, fresh) = (root.path().join("train"), root.path().join("fresh"));
    let style = ["--length", "2", "--alphabet", "ab12", "--size", "60x25", "--lines", "0", "--curves", "0"];
    let gen = |dir: &std::path::Path, count: &str, seed: &str| {
        let mut args = vec!["captcha", "generate", "--out", s(dir), "--count", count, "--seed", seed];
        args.extend(style);
        ok(&args);
    };
    gen(&train, "2000", "1");
    gen(&fresh, "100", "2");
    // Files whose codes do not fit are named and skipped, and upper case is read as lower case.
    image::RgbImage::new(60, 25).save(train.join("x-abc.png")).unwrap();
    image::RgbImage::new(60, 25).save(train.join("y-a_.png")).unwrap();
    image::RgbImage::new(60, 25).save(train.join("z-AB.png")).unwrap();
    let out = root.path().join("reader.safetensors");
    let run = ocellus(&[
        "train", "captcha", "--data", s(&train), "--alphabet", "ab12", "--width", "8", "--input", "32x16", "--out", s(&out),
        "--epochs", "8", "--batch-size", "20", "--seed", "3", "--augment", "on", "--head", "positions",
    ]);
    // Progress goes to stdout, skipped files to stderr: read both.
    let log = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "{log}");
    assert!(log.contains("codes: 2 characters from 4 symbols (ab12)"), "{log}");
    assert!(log.contains("x-abc.png") && log.contains("3 characters, not 2"), "{log}");
    assert!(log.contains("y-a_.png") && log.contains("'_'"), "{log}");
    assert!(log.contains("test: code"), "{log}");
    let history = std::fs::read_to_string(root.path().join("reader.history.csv")).unwrap();
    assert!(history.starts_with("epoch,lr,train_loss,train_code,train_char,val_loss,val_code,val_char"), "{history}");

    // The learning test, on captchas of another seed that training never saw.
    let report = ok(&["test", "captcha", "--model", s(&out), "--data", s(&fresh), "--json"]);
    let json = last_json(&report);
    assert_eq!(json["count"], 100);
    let (full, char) = (json["full"].as_f64().unwrap(), json["char"].as_f64().unwrap());
    assert!(char >= 0.8 && full >= 0.6, "fresh captchas: full {full}, per character {char}\n{log}");

    let one = files(&fresh)[0].0.clone();
    let text = ok(&["eval", "captcha", "--model", s(&out), s(&fresh.join(&one))]);
    assert!(text.starts_with("code: ") && text.trim().len() == "code: ".len() + 2, "{text}");
    let json = last_json(&ok(&["eval", "captcha", "--model", s(&out), "--json", s(&fresh.join(&one))]));
    assert_eq!(json["confidence"].as_array().unwrap().len(), 2);
    let card = ocellus::weights::read_card(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(card.task, ocellus::Task::Captcha { length: 2 });
    assert_eq!(card.code_head, ocellus::CodeHead::Positions);
    assert!(card.training.unwrap().metrics.contains_key("test_char"));
}

#[test]
fn a_ctc_reader_learns_end_to_end() {
    let root = tempfile::tempdir().unwrap();
    let (train, fresh) = (root.path().join("train"), root.path().join("fresh"));
    let style = ["--length", "2", "--alphabet", "ab12", "--size", "60x25", "--lines", "0", "--curves", "0"];
    for (dir, count, seed) in [(&train, "2000", "1"), (&fresh, "100", "2")] {
        let mut args = vec!["captcha", "generate", "--out", s(dir), "--count", count, "--seed", seed];
        args.extend(style);
        ok(&args);
    }
    let out = root.path().join("ctc.safetensors");
    // No --head: CTC is the default.
    let common = ["train", "captcha", "--data", s(&train), "--width", "8", "--out", s(&out), "--batch-size", "20", "--seed", "3", "--augment", "on"];
    // 16 pixels wide gives the map 2 columns: too few for every 2-character code.
    let narrow = ocellus(&[&common[..], &["--input", "16x16", "--epochs", "1"]].concat());
    let err = String::from_utf8_lossy(&narrow.stderr);
    assert!(!narrow.status.success() && err.contains("2 columns") && err.contains("need 3"), "{err}");
    let run = ocellus(&[&common[..], &["--input", "32x16", "--epochs", "8"]].concat());
    let log = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "{log}");
    let card = ocellus::weights::read_card(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(card.code_head, ocellus::CodeHead::Ctc);
    // The learning test, on captchas of another seed, read by best path.
    let json = last_json(&ok(&["test", "captcha", "--model", s(&out), "--data", s(&fresh), "--json"]));
    let (full, char) = (json["full"].as_f64().unwrap(), json["char"].as_f64().unwrap());
    assert!(char >= 0.8 && full >= 0.6, "fresh captchas: full {full}, per character {char}\n{log}");
    let one = files(&fresh)[0].0.clone();
    let read = last_json(&ok(&["eval", "captcha", "--model", s(&out), "--json", s(&fresh.join(&one))]));
    assert!(read["code"].as_str().is_some_and(|c| c.chars().all(|ch| "ab12".contains(ch))), "{read}");
}

#[test]
fn captcha_commands_refuse_other_models_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let lenet = concat!(env!("CARGO_MANIFEST_DIR"), "/../static/models/lenet-cifar10.safetensors");
    image::RgbImage::new(60, 25).save(dir.path().join("1-ab.png")).unwrap();
    let err = fails(&["eval", "captcha", "--model", lenet, s(&dir.path().join("1-ab.png"))]);
    assert!(err.contains("lenet-cifar10.safetensors") && err.contains("captcha"), "{err}");
    let err = fails(&["train", "captcha", "--data", s(&dir.path().join("none")), "--out", s(&dir.path().join("m.safetensors"))]);
    assert!(err.contains("does not exist"), "{err}");
    std::fs::write(dir.path().join("notes.png"), "text").unwrap();
    let err = fails(&["train", "captcha", "--data", s(dir.path()), "--length", "3", "--out", s(&dir.path().join("m.safetensors"))]);
    assert!(err.contains("no usable captcha images") && err.contains("3-character"), "{err}");
}
