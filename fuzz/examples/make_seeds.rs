//! Writes the fuzz targets' seed inputs into `fuzz/seeds/<target>/`: small real files of each
//! kind (every image format and colour type the decoders take, a tiny weights file, CSV rows,
//! captcha names, the shipped manifest). Run once; the seeds are committed.
//! `cargo run -p ocellus-fuzz --example make_seeds`

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use ocellus::{weights, Arch, InputSize, ModelCard, Network, Task};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn main() {
    let rgb = RgbImage::from_fn(16, 12, |x, y| Rgb([(x * 16) as u8, (y * 20) as u8, ((x + y) * 8) as u8]));
    let img = DynamicImage::ImageRgb8(rgb);
    let images = [
        ("rgb.png", encode(&img, ImageFormat::Png)),
        ("gray.png", encode(&DynamicImage::ImageLuma8(img.to_luma8()), ImageFormat::Png)),
        ("rgba.png", encode(&DynamicImage::ImageRgba8(img.to_rgba8()), ImageFormat::Png)),
        ("rgb16.png", encode(&DynamicImage::ImageRgb16(img.to_rgb16()), ImageFormat::Png)),
        ("rgb.jpg", encode(&img, ImageFormat::Jpeg)),
        ("gray.jpg", encode(&DynamicImage::ImageLuma8(img.to_luma8()), ImageFormat::Jpeg)),
        ("rgba.gif", encode(&DynamicImage::ImageRgba8(img.to_rgba8()), ImageFormat::Gif)),
        ("rgb.bmp", encode(&img, ImageFormat::Bmp)),
        ("rgb.tiff", encode(&img, ImageFormat::Tiff)),
        ("rgba.webp", encode(&DynamicImage::ImageRgba8(img.to_rgba8()), ImageFormat::WebP)),
    ];
    for (name, bytes) in &images {
        write("decode_image", name, bytes);
        write("model_forward", name, bytes);
    }
    let jpeg = &images[4].1;
    write("decode_image", "truncated.jpg", &jpeg[..jpeg.len() / 2]);

    // A tiny but complete model (ResNet-18 at width 1, 8x8 input), and one whose card and
    // tensors disagree.
    let card = ModelCard::new(Task::Classify, Arch::ResNet18 { width: 1 }, InputSize::square(8), vec!["a".into(), "b".into()]);
    let varmap = VarMap::new();
    Network::for_card(&card, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
    let tensors: HashMap<String, Tensor> = varmap.data().lock().unwrap().iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect();
    write("weights_file", "resnet18-w1-8x8.safetensors", &weights::to_bytes(&card, &tensors).unwrap());
    let lenet = ModelCard::new(Task::Classify, Arch::LeNet, InputSize::square(32), vec!["a".into()]);
    write("weights_file", "lenet-card-resnet-tensors.safetensors", &weights::to_bytes(&lenet, &tensors).unwrap());

    write("face_csv", "rows.csv", b"Name,width,height,xmin,ymin,xmax,ymax\nCargo.toml,100,80,10,10,40,50\nCargo.toml,100,80,50,5,90,70\nCargo.toml,100,90,1,1,2,2\nmissing.jpg,10,10,0,0,5,5\nCargo.toml,100,80,40,10,10,50\nbad,row\n");
    write("face_csv", "header-only.csv", b"Name,width,height,xmin,ymin,xmax,ymax\n");
    for (i, name) in ["00001-aB3x.png", "17-ZZZZ.jpg", "no-code", "9-.png", "-abc.png", "5-a-b.png"].iter().enumerate() {
        write("captcha_name", &format!("{i}.txt"), name.as_bytes());
    }
    let manifest = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/models/manifest.json")).unwrap();
    write("manifest", "shipped.json", &manifest);
    write("manifest", "empty.json", br#"{"models": []}"#);
    let mut pixels = vec![20u8, 14];
    pixels.extend((0..20 * 14 * 3).map(|i| if (i / 3) % 20 < 10 { 30 } else { 220 }));
    write("selective_search", "halves", &pixels);
    write("selective_search", "flat", &[5, 5, 128]);
}
