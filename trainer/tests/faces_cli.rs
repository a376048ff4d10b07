//! `ocellus prepare faces` end to end on a generated folder in the tutorial's layout: bad CSV
//! rows are named by line, the regions land in the cache, and a second run resumes.

mod common;

use common::{ocellus, ok};
use image::{Rgb, RgbImage};

/// A 160x120 photo with a bright 40x40 "face" at (x, y) on a dark, textured background.
fn photo(x: u32, y: u32) -> RgbImage {
    RgbImage::from_fn(160, 120, |px, py| {
        if (x..x + 40).contains(&px) && (y..y + 40).contains(&py) {
            Rgb([230, 190, 150])
        } else {
            Rgb([((px * 7 + py * 3) % 60) as u8, 40, ((px + py) % 50) as u8])
        }
    })
}

#[test]
fn prepare_faces_reports_bad_rows_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("images");
    std::fs::create_dir(&images).unwrap();
    for (i, (x, y)) in [(20, 30), (90, 50), (60, 10)].into_iter().enumerate() {
        photo(x, y).save(images.join(format!("p{i}.png"))).unwrap();
    }
    let csv = "Name,width,height,xmin,ymin,xmax,ymax\n\
               p0.png,160,120,20,30,60,70\n\
               p1.png,160,120,90,50,130,90\n\
               p2.png,160,120,60,10,100,50\n\
               p2.png,160,120,150,100,170,130\n\
               gone.png,160,120,1,1,5,5\n";
    std::fs::write(dir.path().join("bbox.csv"), csv).unwrap();
    let cache = dir.path().join("regions.jsonl");
    let (data, cache_s) = (dir.path().to_str().unwrap(), cache.to_str().unwrap());

    let first = ocellus(&["prepare", "faces", "--data", data, "--cache", cache_s, "--limit", "2"]);
    let (stdout, stderr) = (String::from_utf8_lossy(&first.stdout), String::from_utf8_lossy(&first.stderr));
    assert!(first.status.success(), "{stderr}");
    assert!(stderr.contains("bbox.csv:5") && stderr.contains("outside the 160x120 image"), "{stderr}");
    assert!(stderr.contains("bbox.csv:6") && stderr.contains("gone.png not found"), "{stderr}");
    assert!(stdout.contains("prepared: 2 photos"), "{stdout}");

    let second = ok(&["prepare", "faces", "--data", data, "--cache", cache_s]);
    assert!(second.contains("resuming: 2 of 3 photos"), "{second}");
    assert!(second.contains("prepared: 3 photos"), "{second}");
    // Every image found its face among the proposals: a face region with an offset per photo.
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&cache).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        let labels = line["labels"].as_array().unwrap();
        assert!(labels.iter().any(|l| l == 1), "no face region for {}", line["image"]);
        assert_eq!(labels.len(), line["regions"].as_array().unwrap().len());
    }
}

/// A folder of `n` generated photos with one "face" each, in the tutorial's layout.
fn write_face_folder(dir: &std::path::Path, n: u32) {
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    let mut csv = String::from("Name,width,height,xmin,ymin,xmax,ymax\n");
    for i in 0..n {
        let (x, y) = ((i * 37) % 110 + 5, (i * 23) % 70 + 5);
        photo(x, y).save(images.join(format!("f{i:02}.png"))).unwrap();
        csv.push_str(&format!("f{i:02}.png,160,120,{x},{y},{},{}\n", x + 40, y + 40));
    }
    std::fs::write(dir.join("bbox.csv"), csv).unwrap();
}

/// The IoU of box `b` (x0, y0, x1, y1) with the fresh photo's face at (70, 40)-(110, 80).
fn iou_with_fresh_face(b: &[f64]) -> f64 {
    let inter = (b[2].min(110.0) - b[0].max(70.0)).max(0.0) * (b[3].min(80.0) - b[1].max(40.0)).max(0.0);
    inter / ((b[2] - b[0]) * (b[3] - b[1]) + 1600.0 - inter)
}

#[test]
fn fast_rcnn_learns_generated_faces_and_eval_and_test_find_them() {
    let dir = tempfile::tempdir().unwrap();
    write_face_folder(dir.path(), 30);
    let data = dir.path().to_str().unwrap();
    let out = dir.path().join("fr.safetensors");
    let out_s = out.to_str().unwrap();
    let common = ["train", "faces", "--data", data, "--side", "96", "--proposals", "300", "--batch-size", "4", "--lr", "0.003", "--augment", "on", "--out", out_s];
    let first = ok(&[&common[..], &["--epochs", "2"]].concat());
    assert!(first.contains("photos: 24 train, 3 validation, 3 test"), "{first}");
    assert!(first.contains("fast-rcnn (width 1) with 38570 parameters"), "{first}");
    // A second run continues from the checkpoint instead of starting again.
    let second = ok(&[&common[..], &["--epochs", "14", "--resume"]].concat());
    assert!(second.contains("resuming") && second.contains("2 epochs done"), "{second}");
    let card = ocellus::weights::read_card(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(card.task, ocellus::Task::Faces { side: 96 });
    let facts = card.training.unwrap();
    assert!(facts.metrics["val_label_accuracy"] >= 0.8, "did not learn: {:?}", facts.metrics);
    // The threshold was chosen on the validation photos and kept in the card.
    assert!(second.contains("threshold:") && facts.metrics.contains_key("threshold"), "{second}");

    // eval: the face of a new photo is found and drawn.
    let fresh = dir.path().join("fresh.png");
    photo(70, 40).save(&fresh).unwrap();
    let drawn = dir.path().join("drawn");
    let eval = ok(&["eval", "faces", "--model", out_s, "--threshold", "0.5", "--proposals", "300", "--draw", drawn.to_str().unwrap(), "--json", fresh.to_str().unwrap()]);
    eprintln!("{second}\n{eval}");
    let found = common::last_json(&eval);
    let best = &found["faces"][0]["box"];
    let b: Vec<f64> = (0..4).map(|i| best[i].as_f64().unwrap()).collect();
    let iou = iou_with_fresh_face(&b);
    assert!(iou > 0.8, "best face {b:?} misses (70,40)-(110,80): IoU {iou}");
    assert!(image::open(drawn.join("fresh.faces.png")).is_ok());
    assert!(!dir.path().join("fresh.faces.png").exists(), "nothing is written beside the photo");

    // test: AP and precision/recall on the held-out photos, as JSON last.
    let test = ok(&["test", "faces", "--model", out_s, "--data", data, "--threshold", "0.5", "--proposals", "300", "--json"]);
    eprintln!("{test}");
    let q = common::last_json(&test);
    assert_eq!(q["images"], 3);
    assert!(q["ap50"].as_f64().unwrap() >= 0.5, "{test}");
    for key in ["precision", "recall", "ms_per_image"] {
        assert!(q[key].as_f64().is_some(), "{key} missing: {test}");
    }
    // The validation photos, for choices that must not see the test photos.
    let val = ok(&["test", "faces", "--model", out_s, "--data", data, "--split", "validation", "--proposals", "300", "--json"]);
    assert!(val.contains("(validation split)"), "{val}");
    assert_eq!(common::last_json(&val)["images"], 3);
}

#[test]
fn rcnn_trains_on_crops_and_face_commands_refuse_other_models() {
    let dir = tempfile::tempdir().unwrap();
    write_face_folder(dir.path(), 20);
    let data = dir.path().to_str().unwrap();
    let out = dir.path().join("rc.safetensors");
    let out_s = out.to_str().unwrap();
    let log = ok(&["train", "faces", "--arch", "rcnn", "--width", "4", "--data", data, "--side", "96", "--proposals", "300", "--epochs", "1", "--out", out_s]);
    assert!(log.contains("crops:") && log.contains("resnet18 (width 4)"), "{log}");
    let card = ocellus::weights::read_card(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((card.task, card.input), (ocellus::Task::Faces { side: 96 }, ocellus::InputSize::square(32)));
    let test = ok(&["test", "faces", "--model", out_s, "--data", data, "--split", "all", "--limit", "2", "--proposals", "100", "--json"]);
    assert_eq!(common::last_json(&test)["images"], 2);

    // A classifier is not a face model; a face model does not classify.
    let lenet = concat!(env!("CARGO_MANIFEST_DIR"), "/../static/models/lenet-cifar10.safetensors");
    let err = common::fails(&["eval", "faces", "--model", lenet, "x.png"]);
    assert!(err.contains("lenet-cifar10.safetensors") && err.contains("faces"), "{err}");
    let err = common::fails(&["eval", "classify", "--model", out_s, "x.png"]);
    assert!(err.contains("rc.safetensors") && err.contains("classify"), "{err}");
    // A photo that is not an image is named.
    std::fs::write(dir.path().join("notes.png"), b"hello").unwrap();
    let err = common::fails(&["eval", "faces", "--model", out_s, dir.path().join("notes.png").to_str().unwrap()]);
    assert!(err.contains("notes.png"), "{err}");
}

#[test]
fn the_single_shot_detector_learns_generated_faces_and_answers_any_photo() {
    let dir = tempfile::tempdir().unwrap();
    write_face_folder(dir.path(), 40);
    let data = dir.path().to_str().unwrap();
    let out = dir.path().join("ss.safetensors");
    let out_s = out.to_str().unwrap();
    let log = ok(&["train", "faces", "--arch", "single-shot", "--data", data, "--side", "160", "--crop", "96", "--batch-size", "8", "--lr", "0.003", "--cosine", "--augment", "on", "--epochs", "60", "--out", out_s]);
    eprintln!("{log}");
    assert!(log.contains("photos: 32 train, 4 validation, 4 test") && log.contains("single-shot (width 1)"), "{log}");
    assert!(log.contains("threshold:"), "the threshold is chosen on the validation photos: {log}");
    let card = ocellus::weights::read_card(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((card.task, card.input), (ocellus::Task::Faces { side: 160 }, ocellus::InputSize::square(96)));
    let facts = card.training.unwrap();
    assert!(facts.augment, "the card records the random views");
    assert!(facts.metrics["val_f1"] >= 0.75, "did not learn: {:?}", facts.metrics);
    assert!((0.05..=0.95).contains(&facts.metrics["threshold"]), "{:?}", facts.metrics);

    // A new photo's face is found where it is, at the model's own threshold.
    let fresh = dir.path().join("fresh.png");
    photo(70, 40).save(&fresh).unwrap();
    let drawn = dir.path().join("drawn");
    let eval = ok(&["eval", "faces", "--model", out_s, "--draw", drawn.to_str().unwrap(), "--json", fresh.to_str().unwrap()]);
    let b: Vec<f64> = (0..4).map(|i| common::last_json(&eval)["faces"][0]["box"][i].as_f64().unwrap()).collect();
    let iou = iou_with_fresh_face(&b);
    assert!(iou > 0.6, "best face {b:?} misses (70,40)-(110,80): IoU {iou}\n{eval}");

    // test: AP at 0.5 and over 0.5:0.95 on the held-out photos (the default split for the
    // data the model was trained on).
    let q = common::last_json(&ok(&["test", "faces", "--model", out_s, "--data", data, "--json"]));
    assert_eq!(q["images"], 4);
    assert!(q["ap50"].as_f64().unwrap() >= 0.75 && q["ap50_95"].as_f64().unwrap() > 0.0, "{q}");

    // Photos of any size and colour type get an answer: 1x1, very wide, grey JPEG.
    let tiny = dir.path().join("tiny.png");
    RgbImage::new(1, 1).save(&tiny).unwrap();
    let wide = dir.path().join("wide.png");
    RgbImage::from_fn(3000, 40, |x, _| Rgb([(x % 255) as u8, 9, 9])).save(&wide).unwrap();
    let grey = dir.path().join("grey.jpg");
    image::DynamicImage::ImageRgb8(photo(20, 20)).to_luma8().save(&grey).unwrap();
    for p in [&tiny, &wide, &grey] {
        let eval = ok(&["eval", "faces", "--model", out_s, "--draw", drawn.to_str().unwrap(), "--json", p.to_str().unwrap()]);
        assert!(common::last_json(&eval)["faces"].is_array(), "{eval}");
    }
}

#[test]
fn the_pyramid_fast_rcnn_starts_from_the_shipped_single_shot_model_and_learns() {
    let dir = tempfile::tempdir().unwrap();
    write_face_folder(dir.path(), 30);
    let data = dir.path().to_str().unwrap();
    let out = dir.path().join("pfr.safetensors");
    let out_s = out.to_str().unwrap();
    let donor = concat!(env!("CARGO_MANIFEST_DIR"), "/../static/models/single-shot-faces.safetensors");
    let err = common::fails(&["train", "faces", "--arch", "pyramid-fast-rcnn", "--data", data, "--side", "100", "--out", out_s]);
    assert!(err.contains("multiple of 32"), "{err}");
    let log = ok(&[
        "train", "faces", "--arch", "pyramid-fast-rcnn", "--init-from", donor, "--data", data, "--side", "160", "--proposals", "300", "--sampling", "broad",
        "--batch-size", "4", "--lr", "0.001", "--augment", "on", "--epochs", "8", "--out", out_s,
    ]);
    eprintln!("{log}");
    assert!(log.contains("pyramid-fast-rcnn (width 1)") && log.contains("tensors from") && log.contains("single-shot-faces.safetensors"), "{log}");
    let card = ocellus::weights::read_card(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((card.task, card.arch), (ocellus::Task::Faces { side: 160 }, ocellus::Arch::PyramidFastRcnn { width: 1 }));
    let facts = card.training.unwrap();
    assert!(facts.metrics["val_label_accuracy"] >= 0.8, "did not learn: {:?}", facts.metrics);

    // A new photo's face is found where it is, at the model's own threshold.
    let fresh = dir.path().join("fresh.png");
    photo(70, 40).save(&fresh).unwrap();
    let drawn = dir.path().join("drawn");
    let eval = ok(&["eval", "faces", "--model", out_s, "--proposals", "300", "--draw", drawn.to_str().unwrap(), "--json", fresh.to_str().unwrap()]);
    let b: Vec<f64> = (0..4).map(|i| common::last_json(&eval)["faces"][0]["box"][i].as_f64().unwrap()).collect();
    let iou = iou_with_fresh_face(&b);
    assert!(iou > 0.6, "best face {b:?} misses (70,40)-(110,80): IoU {iou}\n{eval}");

    // The threshold can be chosen again on the validation photos; other data is refused.
    let chosen = ok(&["choose-threshold", "--model", out_s, "--data", data]);
    assert!(chosen.contains("choosing on 3 validation photos") && chosen.contains("threshold:"), "{chosen}");
    assert!(ocellus::weights::read_card(&std::fs::read(&out).unwrap()).unwrap().training.unwrap().metrics.contains_key("threshold"));
    let elsewhere = tempfile::tempdir().unwrap();
    write_face_folder(elsewhere.path(), 5);
    let err = common::fails(&["choose-threshold", "--model", out_s, "--data", elsewhere.path().to_str().unwrap()]);
    assert!(err.contains("pfr.safetensors") && err.contains("not in this data"), "{err}");
}
