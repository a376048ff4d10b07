//! The fused training pass against candle-nn's composed one on fresh random inputs (seed
//! printed on failure): outputs, running statistics and all three gradients.

use candle_core::{DType, Device, ModuleT, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::BatchNorm;

fn relative_error(a: &Tensor, b: &Tensor) -> f32 {
    let a: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
    let b: Vec<f32> = b.flatten_all().unwrap().to_vec1().unwrap();
    let scale = b.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    a.iter().zip(&b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

fn random(rng: &mut StdRng, dims: &[usize], offset: f32) -> Tensor {
    let n: usize = dims.iter().product();
    Tensor::from_vec((0..n).map(|_| rng.random_range(-1.0..1.0) * 3.0 + offset).collect::<Vec<f32>>(), dims, &Device::Cpu).unwrap()
}

/// A layer with random affine parameters and running statistics, and candle-nn's twin sharing
/// nothing but copies of them.
fn layers(channels: usize, rng: &mut StdRng) -> (BatchNorm, VarMap, candle_nn::BatchNorm, VarMap) {
    let ours = VarMap::new();
    let layer = BatchNorm::new(channels, VarBuilder::from_varmap(&ours, DType::F32, &Device::Cpu)).unwrap();
    let theirs = VarMap::new();
    let config = candle_nn::BatchNormConfig { eps: 1e-5, momentum: 0.1, ..Default::default() };
    let twin = candle_nn::batch_norm(channels, config, VarBuilder::from_varmap(&theirs, DType::F32, &Device::Cpu)).unwrap();
    for name in ["weight", "bias", "running_mean", "running_var"] {
        let values = random(rng, &[channels], 1.5).abs().unwrap();
        ours.data().lock().unwrap()[name].set(&values).unwrap();
        theirs.data().lock().unwrap()[name].set(&values).unwrap();
    }
    (layer, ours, twin, theirs)
}

#[test]
fn fused_training_pass_matches_candle_nn() {
    let seed: u64 = rand::rng().random();
    let mut rng = StdRng::seed_from_u64(seed);
    for dims in [[4usize, 3, 5, 7], [1, 2, 3, 3], [7, 5, 1, 1], [16, 8, 8, 8]] {
        let (layer, ours, twin, theirs) = layers(dims[1], &mut rng);
        let x = Var::from_tensor(&random(&mut rng, &dims, 2.0)).unwrap();
        let probe = random(&mut rng, &dims, 0.0);
        let (a, b) = (layer.forward_t(&x, true).unwrap(), twin.forward_t(&x, true).unwrap());
        let e = relative_error(&a, &b);
        assert!(e < 1e-4, "{dims:?} seed {seed}: output error {e}");
        for name in ["running_mean", "running_var"] {
            let (p, q) = (ours.data().lock().unwrap()[name].as_tensor().clone(), theirs.data().lock().unwrap()[name].as_tensor().clone());
            let e = relative_error(&p, &q);
            assert!(e < 1e-4, "{dims:?} seed {seed}: {name} error {e}");
        }
        let ga = (a * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let gb = (b * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let e = relative_error(ga.get(&x).unwrap(), gb.get(&x).unwrap());
        assert!(e < 1e-4, "{dims:?} seed {seed}: input gradient error {e}");
        for name in ["weight", "bias"] {
            let (p, q) = (ours.data().lock().unwrap()[name].clone(), theirs.data().lock().unwrap()[name].clone());
            let e = relative_error(ga.get(&p).unwrap(), gb.get(&q).unwrap());
            assert!(e < 1e-4, "{dims:?} seed {seed}: {name} gradient error {e}");
        }
    }
}

#[test]
fn evaluation_uses_the_running_statistics() {
    let mut rng = StdRng::seed_from_u64(3);
    let (layer, _, twin, _) = layers(3, &mut rng);
    let x = random(&mut rng, &[2, 3, 4, 4], 0.0);
    let e = relative_error(&layer.forward_t(&x, false).unwrap(), &twin.forward_t(&x, false).unwrap());
    assert!(e < 1e-6, "{e}");
}

#[test]
fn fused_relu_gelu_and_residual_epilogues_match_candle_nn_composed() {
    let seed: u64 = rand::rng().random();
    let mut rng = StdRng::seed_from_u64(seed);
    for dims in [[4usize, 3, 5, 7], [1, 2, 3, 3], [7, 5, 1, 1], [16, 8, 8, 8], [3, 4, 17, 19]] {
        let (layer, ours, twin, theirs) = layers(dims[1], &mut rng);
        let x = Var::from_tensor(&random(&mut rng, &dims, 2.0)).unwrap();
        let skip = Var::from_tensor(&random(&mut rng, &dims, 0.0)).unwrap();
        let probe = random(&mut rng, &dims, 0.0);
        let cases: [(&str, Tensor, Tensor); 3] = [
            ("relu", layer.forward_relu_t(&x, true).unwrap(), twin.forward_t(&x, true).unwrap().relu().unwrap()),
            ("gelu", layer.forward_gelu_t(&x, true).unwrap(), twin.forward_t(&x, true).unwrap().gelu().unwrap()),
            ("add-relu", layer.forward_add_relu_t(&x, &skip, true).unwrap(), (twin.forward_t(&x, true).unwrap() + skip.as_tensor()).unwrap().relu().unwrap()),
        ];
        for (what, a, b) in cases {
            let e = relative_error(&a, &b);
            assert!(e < 1e-4, "{what} {dims:?} seed {seed}: output error {e}");
            let ga = (a * &probe).unwrap().sum_all().unwrap().backward().unwrap();
            let gb = (b * &probe).unwrap().sum_all().unwrap().backward().unwrap();
            let e = relative_error(ga.get(&x).unwrap(), gb.get(&x).unwrap());
            assert!(e < 1e-4, "{what} {dims:?} seed {seed}: input gradient error {e}");
            if what == "add-relu" {
                let e = relative_error(ga.get(&skip).unwrap(), gb.get(&skip).unwrap());
                assert!(e < 1e-4, "{what} {dims:?} seed {seed}: skip gradient error {e}");
            }
            for name in ["weight", "bias"] {
                let (p, q) = (ours.data().lock().unwrap()[name].clone(), theirs.data().lock().unwrap()[name].clone());
                let e = relative_error(ga.get(&p).unwrap(), gb.get(&q).unwrap());
                assert!(e < 1e-4, "{what} {dims:?} seed {seed}: {name} gradient error {e}");
            }
        }
    }
}

#[test]
fn evaluation_epilogues_compose_the_running_statistics() {
    let mut rng = StdRng::seed_from_u64(4);
    let (layer, _, twin, _) = layers(3, &mut rng);
    let (x, skip) = (random(&mut rng, &[2, 3, 4, 4], 0.0), random(&mut rng, &[2, 3, 4, 4], 0.0));
    let e = relative_error(&layer.forward_add_relu_t(&x, &skip, false).unwrap(), &(twin.forward_t(&x, false).unwrap() + &skip).unwrap().relu().unwrap());
    assert!(e < 1e-6, "{e}");
}
