//! Hand-made awkward inputs for tests, here and in the trainer (feature `fixtures`).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};

/// CRC-32 as PNG chunks use it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A real 1x1 PNG whose header is patched to claim `width` x `height` pixels: the shape of
/// a decompression bomb, without its size.
pub fn png_claiming_size(width: u32, height: u32) -> Vec<u8> {
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(RgbImage::new(1, 1))
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .expect("a 1x1 PNG encodes");
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// The weights file of an untrained model for `card` (candle's random initialisation).
pub fn untrained_model_bytes(card: &crate::ModelCard) -> Vec<u8> {
    use candle_core::{DType, Device};
    use candle_nn::{VarBuilder, VarMap};
    let varmap = VarMap::new();
    crate::Network::for_card(card, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).expect("the card describes a network");
    let tensors = varmap.data().lock().expect("varmap lock").iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect();
    crate::weights::to_bytes(card, &tensors).expect("weights serialise")
}

/// An untrained Fast-RCNN face model (width 1) for photos letterboxed to `side`, its offset
/// head zeroed so that its boxes are the proposals themselves (random offsets may move every
/// box out of the photo).
pub fn face_model_bytes(side: u32) -> Vec<u8> {
    use crate::{Arch, InputSize, ModelCard, Task};
    let card = ModelCard::new(Task::Faces { side }, Arch::FastRcnn { width: 1 }, InputSize::square(side), crate::model_card::face_labels());
    let (card, mut tensors) = crate::weights::read(&untrained_model_bytes(&card), &candle_core::Device::Cpu).expect("weights read back");
    for (name, t) in tensors.iter_mut() {
        if name.starts_with("offsets.3.") {
            *t = t.zeros_like().expect("zeros");
        }
    }
    crate::weights::to_bytes(&card, &tensors).expect("weights serialise")
}
