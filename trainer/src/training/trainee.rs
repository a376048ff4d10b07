//! A network being trained: its card, its variables and the network built on them.

use std::collections::HashMap;

use candle_core::{DType, Device, Result, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use ocellus::models::is_running_stat;
use ocellus::{weights, ModelCard, Network};

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
    /// A randomly initialised model for `card`.
    pub fn new(card: ModelCard, device: &Device) -> Result<Self> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
        let network = Network::build(card.arch, card.input, card.outputs(), vb)?;
        Ok(Trainee { card, varmap, network, device: device.clone() })
    }

    /// The variables the optimiser updates (everything but running statistics), by name.
    pub fn trainable(&self) -> Vec<(String, Var)> {
        let data = self.varmap.data().lock().expect("varmap lock");
        let mut vars: Vec<(String, Var)> =
            data.iter().filter(|(n, _)| !is_running_stat(n)).map(|(n, v)| (n.clone(), v.clone())).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
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
