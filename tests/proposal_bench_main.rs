//! `cargo run --release -p ocellus-e2e --bin proposal-bench -- [IMAGES] [--mode fast|quality] [--seed N]`:
//! recall of the real face boxes in `../shared/data/faces` by our selective search, at IoU 0.5
//! and 0.7 with the first 100, 500 and 2,000 proposals, and the time per image. Prints one
//! JSON line, which `scripts/bench-proposals.sh` sets beside OpenCV's figures. Not part of CI.

use std::collections::BTreeMap;
use std::time::Instant;

use ocellus::boxes::BoxXyxy;
use ocellus::image_input::decode_rgb;
use ocellus::proposals::{selective_search, Mode};
use ocellus_e2e::shared_data;

/// The proposal counts recall is measured at.
const COUNTS: [usize; 3] = [100, 500, 2000];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let images: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(50);
    let mode: Mode = args.iter().position(|a| a == "--mode").and_then(|i| args.get(i + 1)).map_or(Mode::Fast, |m| m.parse().unwrap());
    let seed: u64 = args.iter().position(|a| a == "--seed").and_then(|i| args.get(i + 1)).map_or(1, |s| s.parse().unwrap());
    let faces = shared_data().map(|d| d.join("faces")).filter(|d| d.is_dir()).expect("no ../shared/data/faces (set OCELLUS_DATA)");
    let csv = std::fs::read_to_string(faces.join("bbox.csv")).unwrap();
    let mut truth: BTreeMap<String, Vec<BoxXyxy>> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let n = |i: usize| f[i].trim().parse::<f32>().unwrap();
        truth.entry(f[0].to_string()).or_default().push(BoxXyxy { x0: n(3), y0: n(4), x1: n(5), y1: n(6) });
    }
    let (mut found, mut total, mut ms) = ([[0usize; 3]; 2], 0usize, Vec::new());
    for (name, boxes) in truth.iter().take(images) {
        let img = decode_rgb(&std::fs::read(faces.join("images").join(name)).unwrap()).unwrap();
        let start = Instant::now();
        let proposals = selective_search(&img, mode, 2000, seed);
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
        let proposals: Vec<BoxXyxy> = proposals.iter().map(|p| BoxXyxy::from_xywh(p.x as f32, p.y as f32, p.w as f32, p.h as f32)).collect();
        for face in boxes {
            total += 1;
            for (c, &count) in COUNTS.iter().enumerate() {
                let best = proposals.iter().take(count).map(|p| p.iou(face)).fold(0f32, f32::max);
                found[0][c] += (best >= 0.5) as usize;
                found[1][c] += (best >= 0.7) as usize;
            }
        }
    }
    let recall = |t: usize, c: usize| found[t][c] as f64 / total.max(1) as f64;
    let mean_ms = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
    println!(
        "{{\"impl\":\"ocellus\",\"mode\":\"{mode:?}\",\"images\":{},\"faces\":{total},\"ms_per_image\":{mean_ms:.1},\
         \"recall50\":[{:.4},{:.4},{:.4}],\"recall70\":[{:.4},{:.4},{:.4}]}}",
        ms.len(),
        recall(0, 0), recall(0, 1), recall(0, 2), recall(1, 0), recall(1, 1), recall(1, 2)
    );
}
