//! A network being trained: its card, its variables and the network built on them.

use std::collections::HashMap;

use candle_core::{DType, Device, Result, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use ocellus::models::fast_rcnn::head_initial_std;
use ocellus::models::{is_running_stat, single_shot, whitened_cnn};
use ocellus::{weights, Arch, ModelCard, Network};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// A model under training, whose variables live in a `VarMap`.
pub struct Trainee {
    /// What the model is.
    pub card: ModelCard,
    /// All its tensors, parameters and BatchNorm running statistics alike.
    pub varmap: VarMap,
    /// The network built on `varmap`.
    pub network: Network,
    /// Where the tensors live.
    pub device: Device,
}

impl Trainee {
    /// A model for `card`, initialised from `seed` (so that runs are reproducible).
    pub fn new(card: ModelCard, device: &Device, seed: u64) -> Result<Self> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
        let network = Network::for_card(&card, vb)?;
        let trainee = Trainee { card, varmap, network, device: device.clone() };
        trainee.initialise(seed)?;
        Ok(trainee)
    }

    /// Redraws the weights as candle initialises them (Kaiming-normal weights, uniform
    /// biases within 1/sqrt(fan-in)), but from a seeded generator: candle's own CPU
    /// generator cannot be seeded. BatchNorm's constants are left as built; Fast-RCNN's heads
    /// end as Fast R-CNN initialises them (`head_initial_std`).
    fn initialise(&self, seed: u64) -> Result<()> {
        let data = self.varmap.data().lock().expect("varmap lock");
        let fan_in = |dims: &[usize]| dims[1..].iter().product::<usize>().max(1) as f32;
        for (name, var) in data.iter() {
            let dims = var.dims().to_vec();
            // Each tensor draws from its own stream, so the order of iteration does not matter.
            let stream = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
            let mut rng = StdRng::seed_from_u64(seed ^ stream);
            let n = var.elem_count();
            let head_std = match self.card.arch {
                Arch::FastRcnn { .. } | Arch::PyramidFastRcnn { .. } => head_initial_std(name),
                _ => None,
            };
            let special = match self.card.arch {
                Arch::SingleShot { .. } => single_shot::initial_values(name, n, &mut |std| Normal::new(0.0, std).expect("non-negative std").sample(&mut rng)),
                Arch::WhitenedCnn { .. } => whitened_cnn::initial_values(name, &dims, &mut |bound| rng.random_range(-bound..bound)),
                _ => None,
            };
            let values: Vec<f32> = if let Some(values) = special {
                values
            } else if let Some(std) = head_std {
                let normal = Normal::new(0.0, std).expect("non-negative std");
                (0..n).map(|_| normal.sample(&mut rng)).collect()
            } else if dims.len() >= 2 {
                let normal = Normal::new(0.0, (2.0 / fan_in(&dims)).sqrt()).expect("positive std");
                (0..n).map(|_| normal.sample(&mut rng)).collect()
            } else if let Some(weight) = name.strip_suffix(".bias").and_then(|p| data.get(&format!("{p}.weight"))) {
                if weight.rank() < 2 {
                    continue;
                }
                let bound = 1.0 / fan_in(weight.dims()).sqrt();
                (0..n).map(|_| rng.random_range(-bound..bound)).collect()
            } else {
                continue;
            };
            var.set(&Tensor::from_vec(values, dims, &self.device)?)?;
        }
        Ok(())
    }

    /// The variables the optimiser updates, by name: everything but running statistics and
    /// what the architecture keeps fixed (the whitened CNN's whitening filters and BatchNorm scales).
    pub fn trainable(&self) -> Vec<(String, Var)> {
        let frozen = |name: &str| match self.card.arch {
            Arch::WhitenedCnn { .. } => name == whitened_cnn::WHITEN_WEIGHT || whitened_cnn::is_frozen_scale(name),
            _ => false,
        };
        self.all_vars().into_iter().filter(|(n, _)| !is_running_stat(n) && !frozen(n)).collect()
    }

    /// Every variable, running statistics included, by name.
    pub fn all_vars(&self) -> Vec<(String, Var)> {
        let data = self.varmap.data().lock().expect("varmap lock");
        let mut vars: Vec<(String, Var)> = data.iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }

    /// Sets the variable `name` to `values`.
    pub fn set(&self, name: &str, values: &Tensor) -> Result<()> {
        let data = self.varmap.data().lock().expect("varmap lock");
        let var = data.get(name).ok_or_else(|| candle_core::Error::Msg(format!("the model has no tensor {name}")))?;
        var.set(&values.to_device(&self.device)?.reshape(var.shape())?)
    }

    /// Number of trainable parameters.
    pub fn parameter_count(&self) -> usize {
        self.trainable().iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Copies of all tensors, by name.
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        let data = self.varmap.data().lock().expect("varmap lock");
        data.iter().map(|(n, v)| (n.clone(), v.as_detached_tensor())).collect()
    }

    /// Sets every variable from `tensors` (names as in [`Trainee::tensors`]).
    pub fn restore(&self, tensors: &HashMap<String, Tensor>) -> Result<()> {
        let data = self.varmap.data().lock().expect("varmap lock");
        for (name, var) in data.iter() {
            let t = tensors
                .get(name)
                .ok_or_else(|| candle_core::Error::Msg(format!("saved state has no tensor {name}")))?;
            var.set(&t.to_device(&self.device)?)?;
        }
        Ok(())
    }

    /// The model as the bytes of a weights file.
    pub fn weights_bytes(&self) -> ocellus::Result<Vec<u8>> {
        weights::to_bytes(&self.card, &self.tensors())
    }
}
