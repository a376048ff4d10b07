//! ROI pooling: Ocellus's batched op against the tutorial's way (a loop over regions, each
//! cropped and adaptive-max-pooled bin by bin with ordinary tensor ops), forward and backward,
//! on Fast-RCNN's feature map (8 channels, 256x256). Prints a table; not part of CI.
//!
//! `cargo bench -p ocellus --bench roi_pool`

use std::time::Instant;

use candle_core::{Device, IndexOp, Tensor, Var};
use ocellus::ops::roi_pool::roi_pool;

/// The tutorial's per-region pooling, written with candle's tensor ops.
fn looped(features: &Tensor, rois: &[[f32; 5]], out: usize) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = features.dims4()?;
    let mut pooled = Vec::with_capacity(rois.len());
    for r in rois {
        let x0 = (r[1].floor().max(0.0) as usize).min(w - 1);
        let y0 = (r[2].floor().max(0.0) as usize).min(h - 1);
        let x1 = (r[3].ceil() as usize).clamp(x0 + 1, w);
        let y1 = (r[4].ceil() as usize).clamp(y0 + 1, h);
        let crop = features.i(r[0] as usize)?.narrow(1, y0, y1 - y0)?.narrow(2, x0, x1 - x0)?;
        let (rh, rw) = (y1 - y0, x1 - x0);
        let mut rows = Vec::with_capacity(out);
        for by in 0..out {
            let (ys, ye) = (by * rh / out, ((by + 1) * rh).div_ceil(out));
            let mut bins = Vec::with_capacity(out);
            for bx in 0..out {
                let (xs, xe) = (bx * rw / out, ((bx + 1) * rw).div_ceil(out));
                bins.push(crop.narrow(1, ys, ye - ys)?.narrow(2, xs, xe - xs)?.flatten_from(1)?.max_keepdim(1)?);
            }
            rows.push(Tensor::cat(&bins, 1)?);
        }
        pooled.push(Tensor::stack(&rows, 1)?);
    }
    Tensor::stack(&pooled, 0)
}

/// Median milliseconds of `runs` calls.
fn time(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let ms: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ocellus::forward_timing::median(&ms)
}

fn main() {
    let device = Device::Cpu;
    let features = Var::from_tensor(&Tensor::rand(0f32, 1f32, (1, 8, 256, 256), &device).unwrap()).unwrap();
    println!("ROI pooling to 5x5 on a (1, 8, 256, 256) feature map, median ms (forward; forward + backward)");
    println!();
    println!("| regions | Ocellus op | loop of tensor ops | loop / op | Ocellus op, with backward | loop, with backward | loop / op |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for count in [100usize, 700, 2000] {
        let rois: Vec<[f32; 5]> = (0..count)
            .map(|i| {
                let (x, y) = ((i * 37 % 200) as f32, (i * 53 % 200) as f32);
                let s = 12.0 + (i * 7 % 44) as f32;
                [0.0, x, y, x + s, y + s * 1.2]
            })
            .collect();
        let roi_tensor = Tensor::from_vec(rois.concat(), (count, 5), &device).unwrap();
        // Both give the same values (checked here so the comparison is fair).
        let a = roi_pool(features.as_tensor(), &roi_tensor, 5).unwrap();
        let b = looped(features.as_tensor(), &rois, 5).unwrap();
        let diff = (a - &b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(diff == 0.0, "the two poolings differ by {diff}");
        let runs = if count > 700 { 3 } else { 5 };
        let op = time(runs, || {
            roi_pool(features.as_tensor(), &roi_tensor, 5).unwrap();
        });
        let lp = time(runs, || {
            looped(features.as_tensor(), &rois, 5).unwrap();
        });
        let op_bwd = time(runs, || {
            roi_pool(features.as_tensor(), &roi_tensor, 5).unwrap().sum_all().unwrap().backward().unwrap();
        });
        let lp_bwd = time(runs, || {
            looped(features.as_tensor(), &rois, 5).unwrap().sum_all().unwrap().backward().unwrap();
        });
        println!("| {count} | {op:.2} | {lp:.1} | {:.0}x | {op_bwd:.2} | {lp_bwd:.1} | {:.0}x |", lp / op, lp_bwd / op_bwd);
    }
}
