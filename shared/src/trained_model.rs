//! A trained model: its card and its network, ready to answer.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use crate::captcha_code::{read_code, Alphabet, ReadCode};
use crate::ctc_reading::read_ctc_code;
use crate::image_input::image_tensor;
use crate::prediction::{top_k, Prediction};
use crate::{weights, CodeHead, Error, ModelCard, Network, Result, Task, TaskKind};

/// A network rebuilt from a weights file, in evaluation mode.
#[derive(Debug, Clone)]
pub struct TrainedModel {
    /// What the file says about the model.
    pub card: ModelCard,
    /// The network with the file's weights.
    pub network: Network,
    device: Device,
}

impl TrainedModel {
    /// Rebuilds a model from a weights file's bytes.
    pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<Self> {
        let (card, tensors) = weights::read(bytes, device)?;
        Self::from_tensors(card, tensors, device)
    }

    /// Rebuilds a model from its card and named tensors.
    pub fn from_tensors(card: ModelCard, tensors: HashMap<String, Tensor>, device: &Device) -> Result<Self> {
        let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
        let network = Network::for_card(&card, vb).map_err(|e| {
            Error::ArchMismatch { arch: card.arch.to_string(), reason: e.to_string() }
        })?;
        Ok(TrainedModel { card, network, device: device.clone() })
    }

    /// Fails with a clear error unless the model is for `task`.
    pub fn expect_task(self, task: TaskKind) -> Result<Self> {
        if self.card.task.kind() != task {
            return Err(Error::WrongTask { expected: task.name().into(), found: self.card.task.name().into() });
        }
        Ok(self)
    }

    /// The device the model's tensors live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Logits for a preprocessed (N, 3, H, W) batch, averaged over the card's test-time views.
    pub fn logits(&self, batch: &Tensor) -> Result<Tensor> {
        Ok(crate::test_views::logits(&self.network, batch, self.card.views)?)
    }

    /// A fixed, deterministic input of the model's size (batch 1), for timing the forward pass
    /// the same way natively and in the browser.
    pub fn bench_input(&self) -> Result<Tensor> {
        let (w, h) = (self.card.input.width as usize, self.card.input.height as usize);
        let values: Vec<f32> = (0..3 * w * h).map(|i| (i * 37 % 256) as f32 / 255.0).collect();
        Ok(Tensor::from_vec(values, (1, 3, h, w), &self.device)?)
    }

    /// Class probabilities (softmax of the logits) for one encoded image.
    pub fn probabilities(&self, image_bytes: &[u8]) -> Result<Vec<f32>> {
        if self.card.task != Task::Classify {
            return Err(Error::WrongTask { expected: "classify".into(), found: self.card.task.name().into() });
        }
        let x = image_tensor(image_bytes, self.card.input, &self.device)?;
        let logits = self.logits(&x)?;
        let probs = candle_nn::ops::softmax_last_dim(&logits)?;
        Ok(probs.squeeze(0)?.to_vec1::<f32>()?)
    }

    /// The code in one encoded captcha image, with each character's probability (a softmax
    /// per position, or per column of the map read by CTC's best path).
    pub fn read_captcha(&self, image_bytes: &[u8]) -> Result<ReadCode> {
        let Task::Captcha { length } = self.card.task else {
            return Err(Error::WrongTask { expected: "captcha".into(), found: self.card.task.name().into() });
        };
        let x = image_tensor(image_bytes, self.card.input, &self.device)?;
        let alphabet = Alphabet::from_labels(&self.card.labels);
        let logits = self.logits(&x)?;
        // A row per position, or per column of the map (the symbols and the blank).
        let logits = match self.card.code_head {
            CodeHead::Positions => logits.reshape((length, alphabet.len()))?,
            CodeHead::Ctc => logits.reshape(((), alphabet.len() + 1))?,
        };
        let probs = candle_nn::ops::softmax_last_dim(&logits)?.flatten_all()?.to_vec1::<f32>()?;
        Ok(match self.card.code_head {
            CodeHead::Positions => read_code(&probs, &alphabet),
            CodeHead::Ctc => read_ctc_code(&probs, &alphabet),
        })
    }

    /// The `k` most likely labels for one encoded image, most likely first.
    pub fn classify(&self, image_bytes: &[u8], k: usize) -> Result<Vec<Prediction>> {
        Ok(top_k(&self.probabilities(image_bytes)?, &self.card.labels, k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Arch, InputSize};
    use candle_nn::VarMap;

    fn random_model(arch: Arch) -> (ModelCard, HashMap<String, Tensor>) {
        let card = ModelCard::new(Task::Classify, arch, InputSize::square(32), vec!["a".into(), "b".into(), "c".into()]);
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        Network::build(card.arch, card.input, 3, vb).unwrap();
        let tensors = varmap.data().lock().unwrap().iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect();
        (card, tensors)
    }

    #[test]
    fn save_load_round_trip_gives_identical_logits() {
        for arch in [Arch::LeNet, Arch::ResNet18 { width: 8 }, Arch::WhitenedCnn { width: 8 }] {
            let (card, tensors) = random_model(arch);
            let bytes = weights::to_bytes(&card, &tensors).unwrap();
            let direct = TrainedModel::from_tensors(card.clone(), tensors, &Device::Cpu).unwrap();
            let loaded = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap();
            assert_eq!(loaded.card, card);
            let x = Tensor::rand(0f32, 1f32, (4, 3, 32, 32), &Device::Cpu).unwrap();
            let a = direct.logits(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let b = loaded.logits(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(a, b, "{arch}");
        }
    }

    #[test]
    fn half_precision_weights_load_as_f32_and_answer_nearly_the_same() {
        let (mut card, tensors) = random_model(Arch::WhitenedCnn { width: 8 });
        card.views = crate::test_views::TestViews::MirrorShift;
        let half: HashMap<String, Tensor> = tensors.iter().map(|(n, t)| (n.clone(), t.to_dtype(DType::F16).unwrap())).collect();
        let full = TrainedModel::from_bytes(&weights::to_bytes(&card, &tensors).unwrap(), &Device::Cpu).unwrap();
        let bytes = weights::to_bytes(&card, &half).unwrap();
        let loaded = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap();
        assert!(bytes.len() < weights::to_bytes(&card, &tensors).unwrap().len() * 6 / 10, "about half the bytes");
        let x = Tensor::rand(0f32, 1f32, (2, 3, 32, 32), &Device::Cpu).unwrap();
        let a = full.logits(&x).unwrap();
        let b = loaded.logits(&x).unwrap();
        assert_eq!(b.dtype(), DType::F32);
        let err = (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(err < 1e-2, "{err}");
    }

    #[test]
    fn a_captcha_model_reads_one_symbol_per_position_and_refuses_to_classify() {
        let labels: Vec<String> = "ab12x".chars().map(String::from).collect();
        let card = ModelCard::new(Task::Captcha { length: 4 }, Arch::ResNet18 { width: 4 }, InputSize { width: 56, height: 24 }, labels);
        let varmap = VarMap::new();
        Network::for_card(&card, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
        // The head sees one pooled column of 32 features per character.
        assert_eq!(varmap.data().lock().unwrap()["linear.weight"].dims(), &[20, 32 * 4]);
        let tensors = varmap.data().lock().unwrap().iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect();
        let model = TrainedModel::from_bytes(&weights::to_bytes(&card, &tensors).unwrap(), &Device::Cpu).unwrap();
        let img = image::RgbImage::from_fn(120, 50, |x, y| image::Rgb([(x * 2) as u8, (y * 5) as u8, 99]));
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let read = model.read_captcha(png.get_ref()).unwrap();
        assert_eq!(read.code.chars().count(), 4);
        assert!(read.code.chars().all(|c| "ab12x".contains(c)), "{}", read.code);
        assert!(read.confidence.iter().all(|p| (0.2..=1.0).contains(p)), "{:?}", read.confidence);
        assert!(matches!(model.classify(png.get_ref(), 3), Err(Error::WrongTask { .. })));
    }

    #[test]
    fn a_ctc_captcha_model_scores_every_column_of_its_map() {
        let labels: Vec<String> = "ab12x".chars().map(String::from).collect();
        let mut card = ModelCard::new(Task::Captcha { length: 4 }, Arch::ResNet18 { width: 4 }, InputSize { width: 76, height: 32 }, labels);
        card.code_head = CodeHead::Ctc;
        let varmap = VarMap::new();
        let net = Network::for_card(&card, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
        // One linear layer shared by the columns: 32 features to the 5 symbols and the blank.
        assert_eq!(varmap.data().lock().unwrap()["linear.weight"].dims(), &[6, 32]);
        // 76 pixels wide: 38, 19, then 10 columns.
        let x = Tensor::rand(0f32, 1f32, (2, 3, 32, 76), &Device::Cpu).unwrap();
        assert_eq!(net.forward_t(&x, false).unwrap().dims(), &[2, 10 * 6]);
        assert_eq!(crate::models::ResNet18::map_columns(76), 10);
        let tensors = varmap.data().lock().unwrap().iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect();
        let bytes = weights::to_bytes(&card, &tensors).unwrap();
        let model = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap();
        assert_eq!(model.card.code_head, CodeHead::Ctc);
        let img = image::RgbImage::from_fn(120, 50, |x, y| image::Rgb([(x * 2) as u8, (y * 5) as u8, 99]));
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        // Untrained, it reads at most one symbol a column.
        let read = model.read_captcha(png.get_ref()).unwrap();
        assert!(read.code.chars().count() <= 10 && read.code.chars().all(|c| "ab12x".contains(c)), "{}", read.code);
        assert_eq!(read.confidence.len(), read.code.chars().count());
    }

    #[test]
    fn truncated_file_is_a_clear_error() {
        let (card, tensors) = random_model(Arch::LeNet);
        let bytes = weights::to_bytes(&card, &tensors).unwrap();
        let err = TrainedModel::from_bytes(&bytes[..bytes.len() - 10], &Device::Cpu).unwrap_err();
        assert!(matches!(err, Error::NotAModel(_)), "{err}");
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn weights_of_another_architecture_are_a_clear_error() {
        let (mut card, tensors) = random_model(Arch::LeNet);
        card.arch = Arch::ResNet18 { width: 16 };
        let bytes = weights::to_bytes(&card, &tensors).unwrap();
        let err = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap_err();
        assert!(matches!(err, Error::ArchMismatch { .. }), "{err}");

        let (mut card, tensors) = random_model(Arch::ResNet18 { width: 8 });
        card.arch = Arch::ResNet18 { width: 16 };
        let bytes = weights::to_bytes(&card, &tensors).unwrap();
        let err = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap_err();
        assert!(err.to_string().contains("shape"), "{err}");
    }

    /// A safetensors file from its header JSON and data bytes, with a LeNet card.
    fn hand_made(tensors_json: &str, header_len: Option<u64>, data: &[u8]) -> Vec<u8> {
        let card = serde_json::to_string(&ModelCard::new(Task::Classify, Arch::LeNet, InputSize::square(32), vec!["a".into()])).unwrap();
        let meta = serde_json::json!({ "ocellus": card }).to_string();
        let header = format!("{{\"__metadata__\":{meta}{tensors_json}}}");
        let mut bytes = header_len.unwrap_or(header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.extend(data);
        bytes
    }

    #[test]
    fn hostile_headers_are_refused_before_anything_is_allocated() {
        let cases = [
            // A header that claims terabytes.
            ("a header of a terabyte", hand_made("", Some(1 << 40), &[])),
            // A tensor whose bytes lie beyond the end of the file, claiming 10^12 values.
            ("data outside the file", hand_made(r#","x":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}"#, None, &[0; 16])),
            // Two tensors on the same bytes.
            ("overlapping tensors", hand_made(r#","x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"y":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}"#, None, &[0; 16])),
            // A shape that does not match its bytes.
            ("a shape larger than its bytes", hand_made(r#","x":{"dtype":"F32","shape":[4096,4096],"data_offsets":[0,16]}"#, None, &[0; 16])),
        ];
        for (what, bytes) in cases {
            let err = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap_err();
            assert!(matches!(err, Error::NotAModel(_) | Error::Candle(_)), "{what}: {err}");
            eprintln!("{what}: {err}");
        }
    }

    #[test]
    fn plain_safetensors_without_card_is_not_a_model() {
        let t = Tensor::zeros(3, DType::F32, &Device::Cpu).unwrap();
        let bytes = safetensors::serialize([("x", &t)], None).unwrap();
        let err = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap_err();
        assert!(err.to_string().contains("without the 'ocellus' metadata"), "{err}");
    }
}
