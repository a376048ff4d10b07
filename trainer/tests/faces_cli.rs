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
