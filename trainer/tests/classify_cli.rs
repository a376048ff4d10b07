//! End-to-end tests of `ocellus train|eval|test classify` on generated data.

mod common;

use common::*;

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn lenet_learns_the_patterns_end_to_end() {
    let data = tempfile::tempdir().unwrap();
    let images = write_tutorial(data.path(), 100, 1);
    let runs = tempfile::tempdir().unwrap();
    let out = runs.path().join("lenet.safetensors");
    // The tutorial's recipe: the fast one's rate is set for batches of 128 CIFAR images, and
    // LeNet (no BatchNorm) stalls with it on batches of 16 from this tiny set.
    let log = ok(&[
        "train", "classify", "--data", s(data.path()), "--arch", "lenet", "--out", s(&out),
        "--epochs", "12", "--batch-size", "16", "--seed", "3", "--recipe", "tutorial",
    ]);
    assert!(log.contains("tutorial layout"), "{log}");
    assert!(log.contains("split: 320 train, 40 validation, 40 test"), "{log}");
    assert!(log.contains("test: top-1"), "{log}");
    for suffix in ["history.csv", "accuracy.png", "ckpt.safetensors"] {
        assert!(runs.path().join(format!("lenet.{suffix}")).is_file(), "{suffix} missing");
    }
    let history = std::fs::read_to_string(runs.path().join("lenet.history.csv")).unwrap();
    assert!(history.starts_with("epoch,lr,train_loss,train_accuracy,train_top3,val_loss,val_accuracy"));

    // The learning test: a working gradient path learns stripe orientation; a broken one
    // (e.g. frozen convolutions) stays far below this.
    let report = ok(&["test", "classify", "--model", s(&out), "--data", s(data.path()), "--split", "test", "--json"]);
    let json = last_json(&report);
    assert_eq!(json["count"], 40);
    let top1 = json["top1"].as_f64().unwrap();
    assert!(top1 >= 0.9, "held-out top-1 {top1}\n{log}\n{report}");
    assert!(report.contains("horizontal"), "per-class table: {report}");

    // eval prints the tutorial's `label: NN.NN%` lines, and JSON on request.
    let text = ok(&["eval", "classify", "--model", s(&out), "--top", "3", s(&images[1])]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].trim().ends_with('%') && lines[1].contains(": "), "{text}");
    let json = last_json(&ok(&["eval", "classify", "--model", s(&out), "--json", s(&images[1])]));
    assert_eq!(json["top"].as_array().unwrap().len(), 4, "4 classes, top 5 asked: all 4");
    assert_eq!(json["top"][0]["label"], "vertical");

    // The weights file carries its training facts.
    let card = ocellus::weights::read_card(&std::fs::read(&out).unwrap()).unwrap();
    let facts = card.training.unwrap();
    assert_eq!(facts.seed, 3);
    assert!(facts.metrics.contains_key("test_top1"));
    assert_eq!(card.labels, LABELS);
}

#[test]
fn resume_continues_and_refuses_other_settings() {
    let data = tempfile::tempdir().unwrap();
    write_class_folders(data.path(), 20, 2);
    let runs = tempfile::tempdir().unwrap();
    let out = runs.path().join("m.safetensors");
    let base = ["train", "classify", "--data", s(data.path()), "--arch", "resnet18", "--width", "4", "--out", s(&out), "--batch-size", "16"];
    let first = ok(&[&base[..], &["--epochs", "2"]].concat());
    assert!(first.contains("class-folder layout"), "{first}");
    let second = ok(&[&base[..], &["--epochs", "4", "--resume"]].concat());
    assert!(second.contains("resuming from") && second.contains("at epoch 3"), "{second}");
    assert!(!second.contains("epoch   1/4"), "epochs 1-2 are not run again: {second}");
    let history = std::fs::read_to_string(runs.path().join("m.history.csv")).unwrap();
    assert_eq!(history.lines().count(), 5, "header + 4 epochs:\n{history}");

    let err = fails(&["train", "classify", "--data", s(data.path()), "--arch", "resnet18", "--width", "4", "--out", s(&out), "--batch-size", "8", "--epochs", "5", "--resume"]);
    assert!(err.contains("--batch-size was 16"), "{err}");
    let err = fails(&[&base[..], &["--epochs", "5", "--resume", "--seed", "9"]].concat());
    assert!(err.contains("--seed was 42"), "{err}");

    // A fresh run never silently replaces an earlier one's checkpoint.
    let err = fails(&[&base[..], &["--epochs", "1"]].concat());
    assert!(err.contains("pass --resume to continue it, or --restart"), "{err}");
    let again = ok(&[&base[..], &["--epochs", "1", "--restart"]].concat());
    assert!(again.contains("epoch   1/1"), "{again}");
}

#[test]
fn ctrl_c_saves_a_checkpoint_that_resumes() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().unwrap();
    write_class_folders(data.path(), 150, 4);
    let runs = tempfile::tempdir().unwrap();
    let out = runs.path().join("m.safetensors");
    let args = ["train", "classify", "--data", s(data.path()), "--arch", "lenet", "--out", s(&out), "--batch-size", "4", "--epochs", "50"];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ocellus"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().starts_with("epoch   1/") {
            break;
        }
    }
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    assert!(child.wait().unwrap().success(), "a clean stop exits 0: {rest:?}");
    assert!(rest.iter().any(|l| l.contains("--resume")), "{rest:?}");
    assert!(out.is_file() && runs.path().join("m.ckpt.safetensors").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(runs.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let resumed = ok(&[&args[..8], &["--batch-size", "4", "--epochs", "2", "--resume"]].concat());
    assert!(resumed.contains("resuming from"), "{resumed}");
    assert!(resumed.contains("test: top-1"), "{resumed}");
}

#[test]
fn bad_inputs_get_clear_errors_naming_the_file() {
    let data = tempfile::tempdir().unwrap();
    let images = write_tutorial(data.path(), 5, 5);
    std::fs::write(data.path().join("a/99_vertical.png"), b"not a png at all").unwrap();
    std::fs::write(data.path().join("a/98_unicorn.png"), b"").unwrap();
    let runs = tempfile::tempdir().unwrap();
    let out = runs.path().join("m.safetensors");
    let train = common::ocellus(&["train", "classify", "--data", s(data.path()), "--arch", "lenet", "--out", s(&out), "--epochs", "1", "--batch-size", "8"]);
    assert!(train.status.success());
    let err = String::from_utf8_lossy(&train.stderr);
    assert!(err.contains("99_vertical.png: cannot decode image"), "{err}");
    assert!(err.contains("98_unicorn.png: label 'unicorn' is not in labels.txt"), "{err}");
    assert!(err.contains("2 file(s) skipped"), "{err}");

    // An image that is not one: named, and the others are still classified.
    let bogus = data.path().join("notes.txt");
    std::fs::write(&bogus, "hello").unwrap();
    let run = common::ocellus(&["eval", "classify", "--model", s(&out), s(&bogus), s(&images[0])]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("notes.txt: cannot decode image"), "{err}");
    assert!(String::from_utf8_lossy(&run.stdout).contains(images[0].to_str().unwrap()));

    // A weights file that is not a model, and a truncated one.
    let err = fails(&["eval", "classify", "--model", s(&bogus), s(&images[0])]);
    assert!(err.contains("notes.txt") && err.contains("not an Ocellus model"), "{err}");
    let bytes = std::fs::read(&out).unwrap();
    let cut = runs.path().join("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = fails(&["eval", "classify", "--model", s(&cut), s(&images[0])]);
    assert!(err.contains("cut.safetensors") && err.contains("truncated"), "{err}");

    // Data folders with nothing to learn from.
    let empty = tempfile::tempdir().unwrap();
    let err = fails(&["train", "classify", "--data", s(empty.path()), "--arch", "lenet", "--out", s(&out)]);
    assert!(err.contains("no labelled images"), "{err}");
    let err = fails(&["train", "classify", "--data", "/no/such/folder", "--arch", "lenet", "--out", s(&out)]);
    assert!(err.contains("/no/such/folder does not exist"), "{err}");
    let err = fails(&["train", "classify", "--data", s(data.path()), "--arch", "lenet", "--out", s(&out), "--device", "cuda:0"]);
    assert!(err.contains("cargo xtask build-cuda") || err.contains("CUDA device"), "{err}");
}

#[test]
fn class_folders_with_a_test_folder_keep_it_as_the_test_split() {
    let data = tempfile::tempdir().unwrap();
    write_class_folders(&data.path().join("train"), 18, 6);
    write_class_folders(&data.path().join("test"), 5, 7);
    let runs = tempfile::tempdir().unwrap();
    let out = runs.path().join("m.safetensors");
    let log = ok(&["train", "classify", "--data", s(data.path()), "--arch", "lenet", "--out", s(&out), "--epochs", "1"]);
    assert!(log.contains("split: 64 train, 8 validation, 20 test"), "{log}");
}

#[test]
fn prepare_reports_classes_splits_and_unreadable_files() {
    let data = tempfile::tempdir().unwrap();
    write_tutorial(data.path(), 10, 8);
    std::fs::write(data.path().join("a/77_checker.png"), b"garbage").unwrap();
    let out = common::ocellus(&["prepare", "classify", "--data", s(data.path())]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("41 labelled images, 4 classes"), "{stdout}");
    assert!(stdout.contains("split: 32 train, 4 validation, 4 test"), "{stdout}");
    let row = stdout.lines().find(|l| l.starts_with("checker")).unwrap();
    let counts: usize = row.split_whitespace().skip(1).map(|n| n.parse::<usize>().unwrap()).sum();
    assert_eq!(counts, 10, "the garbage file is not counted: {row}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("77_checker.png: cannot decode image"));
}

#[test]
fn killing_training_at_any_moment_leaves_loadable_files() {
    let data = tempfile::tempdir().unwrap();
    write_class_folders(data.path(), 60, 10);
    let runs = tempfile::tempdir().unwrap();
    let out = runs.path().join("m.safetensors");
    let ckpt = runs.path().join("m.ckpt.safetensors");
    let args = ["train", "classify", "--data", s(data.path()), "--arch", "lenet", "--out", s(&out), "--batch-size", "2", "--epochs", "100"];
    // Kill without warning at several moments; each time, whatever is on disk must load.
    for (round, wait_ms) in [700u64, 1300, 400, 1900].into_iter().enumerate() {
        let mut run_args = args.to_vec();
        if ckpt.exists() {
            run_args.push("--resume");
        }
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ocellus"))
            .args(&run_args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        if out.exists() {
            let bytes = std::fs::read(&out).unwrap();
            ocellus::TrainedModel::from_bytes(&bytes, &candle_core::Device::Cpu)
                .unwrap_or_else(|e| panic!("round {round}: weights file is damaged: {e}"));
        }
        if ckpt.exists() {
            let bytes = std::fs::read(&ckpt).unwrap();
            ocellus::weights::read_metadata(&bytes).unwrap_or_else(|e| panic!("round {round}: checkpoint is damaged: {e}"));
        }
    }
}

#[test]
fn bench_prints_a_table() {
    let out = ok(&["bench", "--quick", "--iters", "1"]);
    assert!(out.contains("| model | train b100 |"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("| lenet |")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("| resnet18 (width 16) |")), "{out}");
}

#[test]
fn the_same_seed_trains_the_same_weights() {
    let data = tempfile::tempdir().unwrap();
    write_class_folders(data.path(), 12, 11);
    let runs = tempfile::tempdir().unwrap();
    let train = |name: &str, seed: &str| {
        let out = runs.path().join(name);
        ok(&["train", "classify", "--data", s(data.path()), "--arch", "lenet", "--out", s(&out), "--epochs", "2", "--batch-size", "8", "--augment", "on", "--seed", seed]);
        let (_, tensors) = ocellus::weights::read(&std::fs::read(&out).unwrap(), &candle_core::Device::Cpu).unwrap();
        let mut flat: Vec<(String, Vec<f32>)> =
            tensors.into_iter().map(|(k, v)| (k, v.flatten_all().unwrap().to_vec1::<f32>().unwrap())).collect();
        flat.sort_by(|a, b| a.0.cmp(&b.0));
        flat
    };
    let a = train("a.safetensors", "5");
    assert_eq!(a, train("b.safetensors", "5"), "initialisation, shuffles, augmentation and dropout all follow the seed");
    assert_ne!(a, train("c.safetensors", "6"));
}
