//! The inference worker: holds the loaded models and answers the page's requests, off the
//! page's thread so the page stays responsive while a model runs.

use std::collections::HashMap;

use candle_core::Device;
use gloo_worker::{HandlerId, Worker, WorkerScope};
use ocellus::face_detection::{detect, DetectOptions, CAMERA_SIDE};
use ocellus::forward_timing::time_forward;
use ocellus::ops::kernel_choice::{set_kernels, Kernels};
use ocellus::proposals::{selective_search, Mode};
use ocellus::{Task, TaskKind, TrainedModel};

use crate::clock::now_ms;
use crate::protocol::{Reply, Request, Slot, TOP_LABELS};

/// The worker's state: one model per section.
#[derive(Default)]
pub struct Inference {
    models: HashMap<Slot, TrainedModel>,
}

impl Inference {
    /// Answers one request (the whole of the worker's logic, testable natively).
    pub fn handle(&mut self, request: Request) -> Reply {
        match request {
            Request::Load { slot, follow_task, source, bytes } => self.load(slot, follow_task, source, &bytes),
            Request::Answer { slot, job, name, image } => match self.models.get(&slot) {
                Some(model) => answer(model, slot, job, &name, &image),
                None => Reply::Failed { slot, job, message: "no model is loaded yet".into() },
            },
            Request::DetectFrame { slot, job, width, height, rgba } => {
                let Some(model) = self.models.get(&slot) else {
                    return Reply::FrameFailed { slot, job, message: "no face model is loaded yet".into() };
                };
                let start = now_ms();
                let found = ocellus::image_input::rgb_from_rgba(width, height, &rgba).and_then(|frame| {
                    let options = DetectOptions { threshold: f32::NEG_INFINITY, side: Some(CAMERA_SIDE), ..Default::default() };
                    detect(model, &frame, options, now_ms)
                });
                match found {
                    Ok(d) => Reply::FrameFaces { slot, job, candidates: d.candidates, ms: now_ms() - start },
                    Err(e) => Reply::FrameFailed { slot, job, message: format!("camera frame: {e}") },
                }
            }
            Request::BenchProposals { name, image, runs } => match ocellus::image_input::decode_rgb(&image) {
                Ok(img) => {
                    let mut boxes = 0;
                    let ms = (0..runs)
                        .map(|_| {
                            let start = now_ms();
                            boxes = selective_search(&img, Mode::Fast, 2000, 1).len();
                            now_ms() - start
                        })
                        .collect();
                    Reply::ProposalsTimed { boxes, size: img.dimensions(), ms }
                }
                Err(e) => Reply::LoadFailed { slot: Slot::Bench, message: format!("{name}: {e}") },
            },
            Request::Bench { slot, runs, kernels } => {
                let Some(model) = self.models.get(&slot) else {
                    return Reply::LoadFailed { slot, message: "no model to time".into() };
                };
                set_kernels(kernels);
                let ms = time_forward(model, runs, now_ms).unwrap_or_default();
                set_kernels(Kernels::Ocellus);
                Reply::Benched { slot, ms }
            }
        }
    }

    fn load(&mut self, slot: Slot, follow_task: bool, source: String, bytes: &[u8]) -> Reply {
        let start = now_ms();
        let model = TrainedModel::from_bytes(bytes, &Device::Cpu);
        let slot = match (&model, follow_task) {
            (Ok(m), true) => slot_of(&m.card.task),
            _ => slot,
        };
        let model = model.and_then(|m| match slot {
            Slot::Classify => m.expect_task(TaskKind::Classify),
            Slot::Captcha => m.expect_task(TaskKind::Captcha),
            Slot::Faces => m.expect_task(TaskKind::Faces),
            Slot::Bench => Ok(m),
        });
        match model {
            Ok(model) => {
                let card = model.card.clone();
                self.models.insert(slot, model);
                Reply::Loaded { slot, source, card, ms: now_ms() - start }
            }
            Err(e) => Reply::LoadFailed { slot, message: format!("{source} cannot be used: {e}") },
        }
    }
}

/// The answer `model` gives for `image`, as its card's task asks.
fn answer(model: &TrainedModel, slot: Slot, job: u64, name: &str, image: &[u8]) -> Reply {
    let start = now_ms();
    let answered = match model.card.task.kind() {
        TaskKind::Classify => model.classify(image, TOP_LABELS).map(|top| Reply::Classified { slot, job, top, ms: now_ms() - start }),
        TaskKind::Captcha => model.read_captcha(image).map(|read| Reply::CodeRead { slot, job, read, ms: now_ms() - start }),
        TaskKind::Faces => ocellus::image_input::decode_rgb(image).and_then(|photo| {
            // The page thresholds itself: keep every scored region.
            let options = DetectOptions { threshold: f32::NEG_INFINITY, ..Default::default() };
            let d = detect(model, &photo, options, now_ms)?;
            Ok(Reply::FacesFound { slot, job, size: photo.dimensions(), candidates: d.candidates, proposals_ms: d.proposals_ms, model_ms: d.model_ms })
        }),
    };
    answered.unwrap_or_else(|e| Reply::Failed { slot, job, message: format!("{name}: {e}") })
}

/// The section that serves a task.
fn slot_of(task: &Task) -> Slot {
    match task {
        Task::Classify => Slot::Classify,
        Task::Captcha { .. } => Slot::Captcha,
        Task::Faces { .. } => Slot::Faces,
    }
}

impl Worker for Inference {
    type Message = ();
    type Input = Request;
    type Output = Reply;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        Self::default()
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    fn received(&mut self, scope: &WorkerScope<Self>, request: Request, id: HandlerId) {
        let reply = self.handle(request);
        scope.respond(id, reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped_lenet() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../static/models/lenet-cifar10.safetensors")).unwrap()
    }

    fn png() -> Vec<u8> {
        let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 6) as u8, (y * 8) as u8, 128]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn loads_classifies_and_times_like_the_shared_core() {
        let mut worker = Inference::default();
        let reply = worker.handle(Request::Load { slot: Slot::Classify, follow_task: false, source: "lenet".into(), bytes: shipped_lenet() });
        assert!(matches!(&reply, Reply::Loaded { card, .. } if card.labels.len() == 10), "{reply:?}");
        let Reply::Classified { top, job: 7, .. } =
            worker.handle(Request::Answer { slot: Slot::Classify, job: 7, name: "x.png".into(), image: png() })
        else {
            panic!("no answer")
        };
        let native = TrainedModel::from_bytes(&shipped_lenet(), &Device::Cpu).unwrap().classify(&png(), 5).unwrap();
        assert_eq!(top, native);
        let Reply::Benched { ms, .. } = worker.handle(Request::Bench { slot: Slot::Classify, runs: 3, kernels: Kernels::Candle }) else { panic!() };
        assert_eq!(ms.len(), 3);
    }

    #[test]
    fn bad_inputs_are_named_and_keep_the_model() {
        let mut worker = Inference::default();
        let reply = worker.handle(Request::Answer { slot: Slot::Classify, job: 1, name: "a.png".into(), image: png() });
        assert!(matches!(reply, Reply::Failed { ref message, .. } if message.contains("no model")), "{reply:?}");
        worker.handle(Request::Load { slot: Slot::Classify, follow_task: false, source: "lenet".into(), bytes: shipped_lenet() });
        let reply = worker.handle(Request::Load { slot: Slot::Classify, follow_task: false, source: "notes.safetensors".into(), bytes: b"hello".to_vec() });
        assert!(matches!(reply, Reply::LoadFailed { ref message, .. } if message.contains("notes.safetensors")), "{reply:?}");
        let reply = worker.handle(Request::Answer { slot: Slot::Classify, job: 2, name: "cv.pdf".into(), image: b"%PDF".to_vec() });
        assert!(matches!(reply, Reply::Failed { ref message, job: 2, .. } if message.starts_with("cv.pdf")), "{reply:?}");
        let reply = worker.handle(Request::Answer { slot: Slot::Classify, job: 3, name: "ok.png".into(), image: png() });
        assert!(matches!(reply, Reply::Classified { .. }), "the earlier model is still there: {reply:?}");
        // A classifier refuses to read captchas, and a captcha slot refuses a classifier.
        let reply = worker.handle(Request::Load { slot: Slot::Captcha, follow_task: false, source: "lenet".into(), bytes: shipped_lenet() });
        assert!(matches!(reply, Reply::LoadFailed { ref message, .. } if message.contains("captcha")), "{reply:?}");
        // Dropped anywhere, a model goes to the section of its task.
        let reply = worker.handle(Request::Load { slot: Slot::Captcha, follow_task: true, source: "lenet".into(), bytes: shipped_lenet() });
        assert!(matches!(reply, Reply::Loaded { slot: Slot::Classify, .. }), "{reply:?}");
    }

    fn face_model() -> Vec<u8> {
        ocellus::fixtures::face_model_bytes(64)
    }

    #[test]
    fn a_face_model_goes_to_the_faces_section_and_scores_regions_like_the_shared_core() {
        let mut worker = Inference::default();
        let bytes = face_model();
        let reply = worker.handle(Request::Load { slot: Slot::Classify, follow_task: true, source: "faces".into(), bytes: bytes.clone() });
        assert!(matches!(reply, Reply::Loaded { slot: Slot::Faces, .. }), "{reply:?}");
        let Reply::FacesFound { candidates, size, job: 3, .. } = worker.handle(Request::Answer { slot: Slot::Faces, job: 3, name: "p.png".into(), image: png() }) else {
            panic!("no faces reply")
        };
        assert_eq!(size, (40, 30));
        let model = TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap();
        let photo = ocellus::image_input::decode_rgb(&png()).unwrap();
        let native = detect(&model, &photo, DetectOptions { threshold: f32::NEG_INFINITY, ..Default::default() }, || 0.0).unwrap();
        assert!(!candidates.is_empty());
        // The same boxes and scores (to rounding: the thread pool may split sums differently).
        assert_eq!(candidates.len(), native.candidates.len());
        for (a, b) in candidates.iter().zip(&native.candidates) {
            assert!(a.bounds == b.bounds && (a.score - b.score).abs() < 1e-5, "{a:?} vs {b:?}");
        }
        // A camera frame (RGBA) gets the boxes its RGB pixels get at the camera's side.
        let rgba: Vec<u8> = photo.pixels().flat_map(|p| [p[0], p[1], p[2], 255]).collect();
        let candidates = detect(&model, &photo, DetectOptions { threshold: f32::NEG_INFINITY, side: Some(CAMERA_SIDE), ..Default::default() }, || 0.0).unwrap().candidates;
        let Reply::FrameFaces { candidates: from_frame, job: 8, .. } =
            worker.handle(Request::DetectFrame { slot: Slot::Faces, job: 8, width: 40, height: 30, rgba: rgba.clone() })
        else {
            panic!("no frame reply")
        };
        assert_eq!(from_frame.len(), candidates.len());
        for (a, b) in from_frame.iter().zip(&candidates) {
            assert!(a.bounds == b.bounds && (a.score - b.score).abs() < 1e-5, "{a:?} vs {b:?}");
        }
        let reply = worker.handle(Request::DetectFrame { slot: Slot::Faces, job: 9, width: 41, height: 30, rgba });
        assert!(matches!(reply, Reply::FrameFailed { ref message, job: 9, .. } if message.contains("needs")), "{reply:?}");
        // A face model is not a classifier, and a broken photo is named.
        let reply = worker.handle(Request::Load { slot: Slot::Classify, follow_task: false, source: "faces.safetensors".into(), bytes: face_model() });
        assert!(matches!(reply, Reply::LoadFailed { ref message, .. } if message.contains("faces.safetensors")), "{reply:?}");
        let reply = worker.handle(Request::Answer { slot: Slot::Faces, job: 4, name: "broken.jpg".into(), image: b"nope".to_vec() });
        assert!(matches!(reply, Reply::Failed { ref message, job: 4, .. } if message.starts_with("broken.jpg")), "{reply:?}");
    }
}
