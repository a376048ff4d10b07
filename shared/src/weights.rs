//! The weights format: one `.safetensors` file per model, whose metadata holds the
//! [`ModelCard`] as JSON under the key [`CARD_KEY`].

use std::collections::HashMap;

use candle_core::{Device, Tensor};
use safetensors::SafeTensors;

use crate::model_card::CARD_FORMAT;
use crate::{Error, ModelCard, Result};

/// The safetensors metadata key that holds the model card.
pub const CARD_KEY: &str = "ocellus";

/// Serialises named tensors and the card into the bytes of a `.safetensors` file.
pub fn to_bytes(card: &ModelCard, tensors: &HashMap<String, Tensor>) -> Result<Vec<u8>> {
    to_bytes_with(card, tensors, HashMap::new())
}

/// Like [`to_bytes`], with more metadata entries (the trainer's checkpoints use this).
pub fn to_bytes_with(
    card: &ModelCard,
    tensors: &HashMap<String, Tensor>,
    mut metadata: HashMap<String, String>,
) -> Result<Vec<u8>> {
    let json = serde_json::to_string(card).expect("a model card always serialises");
    metadata.insert(CARD_KEY.to_string(), json);
    // Sorted names make the file byte-for-byte reproducible.
    let mut named: Vec<(&String, &Tensor)> = tensors.iter().collect();
    named.sort_by(|a, b| a.0.cmp(b.0));
    safetensors::serialize(named, Some(metadata))
        .map_err(|e| Error::Candle(candle_core::Error::Msg(format!("cannot serialise weights: {e}"))))
}

/// Reads the safetensors metadata of a file's bytes, checking that the file is complete.
pub fn read_metadata(bytes: &[u8]) -> Result<HashMap<String, String>> {
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| {
        Error::NotAModel(format!("not a complete safetensors file ({e}); it may be truncated or of another format"))
    })?;
    Ok(meta.metadata().clone().unwrap_or_default())
}

/// Reads the model card from a weights file's bytes.
pub fn read_card(bytes: &[u8]) -> Result<ModelCard> {
    let meta = read_metadata(bytes)?;
    let json = meta.get(CARD_KEY).ok_or_else(|| {
        Error::NotAModel(format!(
            "a safetensors file without the '{CARD_KEY}' metadata (task, architecture, labels); \
             was it written by `ocellus train`?"
        ))
    })?;
    let card: ModelCard = serde_json::from_str(json)
        .map_err(|e| Error::NotAModel(format!("its model card cannot be read: {e}")))?;
    if card.format > CARD_FORMAT {
        return Err(Error::NotAModel(format!(
            "written by a newer Ocellus (card format {}, this build reads up to {CARD_FORMAT})",
            card.format
        )));
    }
    Ok(card)
}

/// Reads the card and all tensors of a weights file; tensors stored as 16-bit floats (a
/// smaller download) are widened to f32, which the networks compute in.
pub fn read(bytes: &[u8], device: &Device) -> Result<(ModelCard, HashMap<String, Tensor>)> {
    let card = read_card(bytes)?;
    let tensors = candle_core::safetensors::load_buffer(bytes, device)?
        .into_iter()
        .map(|(name, t)| match t.dtype() {
            candle_core::DType::F16 | candle_core::DType::BF16 => Ok((name, t.to_dtype(candle_core::DType::F32)?)),
            _ => Ok((name, t)),
        })
        .collect::<candle_core::Result<_>>()?;
    Ok((card, tensors))
}
