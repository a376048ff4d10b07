//! Every pass against candle's reference convolution on random shapes with fresh random
//! inputs (the seed is printed on failure), and a finite-difference check of the gradients.

use candle_core::{Device, Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::Conv2dOp;

/// Largest |a - b| over the largest |b| (the reference's scale).
fn relative_error(a: &Tensor, b: &Tensor) -> f32 {
    let a: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
    let b: Vec<f32> = b.flatten_all().unwrap().to_vec1().unwrap();
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    a.iter().zip(&b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

fn random(rng: &mut StdRng, dims: &[usize]) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

/// (batch, cin, h, w, cout, k, stride, pad)
type Case = (usize, usize, usize, usize, usize, usize, usize, usize);

/// The models' own shapes, then odd ones.
const FIXED: [Case; 11] = [
    (2, 3, 32, 32, 6, 5, 1, 0),   // LeNet conv1
    (3, 6, 14, 14, 16, 5, 1, 0),  // LeNet conv2
    (2, 16, 16, 16, 32, 3, 2, 1), // ResNet stage entry
    (2, 16, 16, 16, 32, 1, 2, 0), // ResNet shortcut
    (1, 8, 24, 56, 8, 3, 1, 1),   // captcha stem, batch 1
    (1, 4, 7, 5, 3, 1, 1, 0),     // pointwise
    (2, 3, 9, 7, 5, 3, 2, 1),     // odd sizes, stride 2
    (1, 2, 5, 6, 3, 5, 1, 2),     // kernel as large as the image
    (5, 1, 1, 1, 2, 3, 1, 1),     // 1x1 image, padding only around it
    (4, 5, 11, 13, 7, 3, 3, 2),   // stride 3, odd everything
    (4, 2, 10, 10, 3, 3, 1, 1),   // chunks of 3 images and a last one of 1
];

fn check(case: Case, rng: &mut StdRng, seed: u64) {
    let (n, cin, h, w, cout, k, stride, pad) = case;
    let x = Var::from_tensor(&random(rng, &[n, cin, h, w])).unwrap();
    let wt = Var::from_tensor(&random(rng, &[cout, cin, k, k])).unwrap();
    let probe = random(rng, &[n, cout, (h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1]);

    let ours = x.as_tensor().apply_op2(wt.as_tensor(), Conv2dOp { stride, pad }).unwrap();
    let reference = x.as_tensor().conv2d(wt.as_tensor(), pad, stride, 1, 1).unwrap();
    let e = relative_error(&ours, &reference);
    assert!(e < 1e-4, "forward {case:?} seed {seed}: relative error {e}");

    // Gradients of sum(y * probe), i.e. an arbitrary output gradient, against the definition.
    let g_ours = (ours * &probe).unwrap().sum_all().unwrap().backward().unwrap();
    let (dx, dw) = naive_grads(case, &x, &wt, &probe);
    for (name, var, want) in [("input", &x, &dx), ("weight", &wt, &dw)] {
        let e = relative_error(g_ours.get(var).unwrap(), want);
        assert!(e < 1e-4, "{name} gradient {case:?} seed {seed}: relative error {e} against the definition");
    }
    // And against candle's backward, where it works: it pads its transposed convolution by one
    // amount for both axes, so it fails when (h + 2p - k) and (w + 2p - k) leave different
    // remainders modulo the stride.
    if (h + 2 * pad - k) % stride == (w + 2 * pad - k) % stride {
        let g_ref = (reference * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        for (name, var) in [("input", &x), ("weight", &wt)] {
            let e = relative_error(g_ours.get(var).unwrap(), g_ref.get(var).unwrap());
            assert!(e < 1e-4, "{name} gradient {case:?} seed {seed}: relative error {e} against candle");
        }
    }
}

/// Input and weight gradients of sum(conv(x, w) * probe) straight from the definition, in f64.
fn naive_grads(case: Case, x: &Tensor, w: &Tensor, probe: &Tensor) -> (Tensor, Tensor) {
    let (n, cin, h, wd, cout, k, s, p) = case;
    let (oh, ow) = ((h + 2 * p - k) / s + 1, (wd + 2 * p - k) / s + 1);
    let xv: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
    let wv: Vec<f32> = w.flatten_all().unwrap().to_vec1().unwrap();
    let gv: Vec<f32> = probe.flatten_all().unwrap().to_vec1().unwrap();
    let (mut dx, mut dw) = (vec![0f64; xv.len()], vec![0f64; wv.len()]);
    for b in 0..n {
        for o in 0..cout {
            for oy in 0..oh {
                for ox in 0..ow {
                    let g = gv[((b * cout + o) * oh + oy) * ow + ox] as f64;
                    for c in 0..cin {
                        for i in 0..k {
                            for j in 0..k {
                                let (iy, ix) = ((oy * s + i) as isize - p as isize, (ox * s + j) as isize - p as isize);
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                    continue;
                                }
                                let xi = ((b * cin + c) * h + iy as usize) * wd + ix as usize;
                                let wi = ((o * cin + c) * k + i) * k + j;
                                dx[xi] += g * wv[wi] as f64;
                                dw[wi] += g * xv[xi] as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    let t = |v: Vec<f64>, like: &Tensor| Tensor::from_vec(v.into_iter().map(|a| a as f32).collect::<Vec<_>>(), like.shape(), &Device::Cpu).unwrap();
    (t(dx, x), t(dw, w))
}

#[test]
fn every_pass_matches_candle_on_the_models_shapes_and_odd_ones() {
    let seed: u64 = rand::rng().random();
    let mut rng = StdRng::seed_from_u64(seed);
    for case in FIXED {
        check(case, &mut rng, seed);
    }
}

#[test]
fn every_pass_matches_candle_on_random_shapes() {
    let seed: u64 = rand::rng().random();
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..25 {
        let k: usize = [1, 3, 5][rng.random_range(0..3)];
        let pad = rng.random_range(0..=k / 2 + 1);
        let stride = rng.random_range(1..=2);
        let (h, w) = (rng.random_range(k.saturating_sub(2 * pad).max(1)..20), rng.random_range(k.saturating_sub(2 * pad).max(1)..20));
        // Output channels on both sides of the weight gradient's transposed form (16).
        let cout = if rng.random_bool(0.5) { rng.random_range(1..9) } else { rng.random_range(16..40) };
        let case = (rng.random_range(1..6), rng.random_range(1..9), h, w, cout, k, stride, pad);
        check(case, &mut rng, seed);
    }
}

#[test]
fn gradients_agree_with_finite_differences() {
    let seed: u64 = rand::rng().random();
    let mut rng = StdRng::seed_from_u64(seed);
    let (stride, pad) = (2, 1);
    let x = Var::from_tensor(&random(&mut rng, &[2, 2, 5, 4])).unwrap();
    let w = Var::from_tensor(&random(&mut rng, &[3, 2, 3, 3])).unwrap();
    let probe = random(&mut rng, &[2, 3, 3, 2]);
    let loss = |x: &Tensor, w: &Tensor| -> f64 {
        let y = x.apply_op2(w, Conv2dOp { stride, pad }).unwrap();
        // Sums in f64 so that the difference quotient is not drowned in rounding.
        let y: Vec<f32> = y.flatten_all().unwrap().to_vec1().unwrap();
        let p: Vec<f32> = probe.flatten_all().unwrap().to_vec1().unwrap();
        y.iter().zip(&p).map(|(a, b)| *a as f64 * *b as f64).sum()
    };
    let y = x.as_tensor().apply_op2(w.as_tensor(), Conv2dOp { stride, pad }).unwrap();
    let grads = (y * &probe).unwrap().sum_all().unwrap().backward().unwrap();
    let eps = 1e-2f32;
    for (var, other_is_w) in [(&x, true), (&w, false)] {
        let base: Vec<f32> = var.flatten_all().unwrap().to_vec1().unwrap();
        let analytic: Vec<f32> = grads.get(var).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        for i in 0..base.len() {
            let nudged = |d: f32| {
                let mut v = base.clone();
                v[i] += d;
                let t = Tensor::from_vec(v, var.shape(), &Device::Cpu).unwrap();
                if other_is_w {
                    loss(&t, w.as_tensor())
                } else {
                    loss(x.as_tensor(), &t)
                }
            };
            let numeric = (nudged(eps) - nudged(-eps)) / (2.0 * eps as f64);
            // The loss is linear in each variable, so the central difference is exact up to
            // f32 rounding of the forward pass.
            assert!((numeric - analytic[i] as f64).abs() < 2e-3, "element {i} seed {seed}: numeric {numeric} vs analytic {}", analytic[i]);
        }
    }
}

#[test]
fn the_layer_keeps_candle_nn_names_and_adds_the_bias() {
    let varmap = candle_nn::VarMap::new();
    let vb = candle_nn::VarBuilder::from_varmap(&varmap, candle_core::DType::F32, &Device::Cpu);
    let layer = super::Conv2d::new(3, 4, 3, 1, 1, true, vb.pp("conv")).unwrap();
    let names: Vec<String> = varmap.data().lock().unwrap().keys().cloned().collect();
    assert!(names.contains(&"conv.weight".to_string()) && names.contains(&"conv.bias".to_string()), "{names:?}");
    let x = random(&mut StdRng::seed_from_u64(1), &[2, 3, 6, 6]);
    let cfg = candle_nn::Conv2dConfig { padding: 1, ..Default::default() };
    let reference = candle_nn::Conv2d::new(
        varmap.get((4, 3, 3, 3), "conv.weight", candle_nn::Init::Const(0.), candle_core::DType::F32, &Device::Cpu).unwrap(),
        Some(varmap.get(4, "conv.bias", candle_nn::Init::Const(0.), candle_core::DType::F32, &Device::Cpu).unwrap()),
        cfg,
    );
    use candle_core::Module;
    let e = relative_error(&layer.forward(&x).unwrap(), &reference.forward(&x).unwrap());
    assert!(e < 1e-5, "{e}");
}

#[test]
fn an_untracked_input_gets_no_gradient_and_the_kernel_the_same_one() {
    let seed: u64 = rand::rng().random();
    let mut rng = StdRng::seed_from_u64(seed);
    let x = random(&mut rng, &[3, 2, 6, 5]);
    let w = Var::from_tensor(&random(&mut rng, &[4, 2, 3, 3])).unwrap();
    let probe = random(&mut rng, &[3, 4, 6, 5]);
    let grad_w = |x: &Tensor| {
        let y = x.apply_op2(w.as_tensor(), Conv2dOp { stride: 1, pad: 1 }).unwrap();
        let grads = (y * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        (grads.get(x).is_some(), grads.get(&w).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap())
    };
    let (plain_has_grad, plain) = grad_w(&x);
    let tracked = Var::from_tensor(&x).unwrap();
    let (tracked_has_grad, with_input) = grad_w(tracked.as_tensor());
    assert!(!plain_has_grad, "seed {seed}");
    assert!(tracked_has_grad, "seed {seed}");
    assert_eq!(plain, with_input, "seed {seed}");
}
