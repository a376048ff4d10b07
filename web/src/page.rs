//! The page's state and what changes it: a pure reducer. What the page does about a change
//! (asking the worker, freeing preview URLs) follows from the state, in `app`; fetching and
//! reading files, in `loading`.

use std::rc::Rc;

use ocellus::example_images::ExampleList;
use ocellus::manifest::Manifest;
use yew::prelude::*;

use crate::camera_run::{CameraEvent, CameraRun};
use crate::clock::now_ms;
use crate::model_fetch::Progress;
use crate::protocol::{Reply, Slot};
use crate::section::{Answer, GivenImage, LoadedModel, ModelStatus, Section};

/// Everything the page shows.
#[derive(Clone, PartialEq)]
pub struct Page {
    /// The shipped models, once read.
    pub manifest: Option<Manifest>,
    /// Why the manifest could not be read.
    pub manifest_error: Option<String>,
    /// The example images, once read.
    pub examples: ExampleList,
    /// Why the example list could not be read.
    pub examples_error: Option<String>,
    /// The Classify section.
    pub classify: Section,
    /// The Captcha section.
    pub captcha: Section,
    /// The Faces section.
    pub faces: Section,
    /// The section a paste goes to: the last one used.
    pub active: Slot,
    /// The Faces section's camera mode.
    pub camera: CameraRun,
}

/// What changes the page.
pub enum Action {
    /// The manifest arrived (or failed).
    Manifest(Result<Manifest, String>),
    /// The example list arrived (or failed).
    Examples(Result<ExampleList, String>),
    /// A shipped model started downloading.
    Fetching { slot: Slot, name: String },
    /// Download progress.
    Progress { slot: Slot, progress: Progress },
    /// The worker is building a model for the section.
    Building { slot: Slot, name: String },
    /// A model file could not be had.
    ModelUnavailable { slot: Slot, message: String },
    /// The user gave an image.
    Image { slot: Slot, image: GivenImage },
    /// A file the user gave could not be read.
    Unreadable { slot: Slot, message: String },
    /// The worker answered.
    Reply(Reply),
    /// Camera mode changed.
    Camera(CameraEvent),
    /// Camera frame `job` of this size is going to the worker.
    FrameSent { job: u64, size: (u32, u32) },
}

impl Page {
    /// A page with nothing loaded yet.
    pub fn new() -> Self {
        Page {
            manifest: None,
            manifest_error: None,
            examples: ExampleList::default(),
            examples_error: None,
            classify: Section::new(Slot::Classify),
            captcha: Section::new(Slot::Captcha),
            faces: Section::new(Slot::Faces),
            active: Slot::Classify,
            camera: CameraRun::default(),
        }
    }

    /// The three task sections.
    pub fn sections(&self) -> [&Section; 3] {
        [&self.classify, &self.captcha, &self.faces]
    }

    fn section_mut(&mut self, slot: Slot) -> Option<&mut Section> {
        match slot {
            Slot::Classify => Some(&mut self.classify),
            Slot::Captcha => Some(&mut self.captcha),
            Slot::Faces => Some(&mut self.faces),
            Slot::Bench => None,
        }
    }

    fn on_reply(&mut self, reply: Reply) {
        match reply {
            Reply::FrameFaces { job, candidates, ms, .. } => {
                self.camera.answered_frame(job, candidates, ms, now_ms());
                return;
            }
            Reply::FrameFailed { job, message, .. } => return self.camera.failed_frame(job, message),
            _ => {}
        }
        let Some(section) = self.section_mut(reply.slot()) else { return };
        match reply {
            Reply::Loaded { source, card, ms, .. } => {
                section.model = Some(LoadedModel { name: source, card, ready_at_ms: now_ms(), build_ms: ms });
                section.status = ModelStatus::Idle;
                // The image given asks the new model afresh.
                section.ask_again();
            }
            Reply::LoadFailed { message, .. } => section.status = ModelStatus::Failed(message),
            Reply::Classified { job, top, ms, .. } if job == section.job => section.answer = Answer::Labels { top, ms, at_ms: now_ms() },
            Reply::CodeRead { job, read, ms, .. } if job == section.job => section.answer = Answer::Code { read, ms, at_ms: now_ms() },
            Reply::FacesFound { job, size, candidates, proposals_ms, model_ms, .. } if job == section.job => {
                section.answer = Answer::Faces { size, candidates: Rc::new(candidates), proposals_ms, model_ms, at_ms: now_ms() }
            }
            Reply::Failed { job, message, .. } if job == section.job => section.answer = Answer::Failed(message),
            _ => {}
        }
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::new()
    }
}

impl Reducible for Page {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut page = (*self).clone();
        match action {
            Action::Manifest(Ok(m)) => page.manifest = Some(m),
            Action::Manifest(Err(e)) => page.manifest_error = Some(e),
            Action::Examples(Ok(list)) => page.examples = list,
            Action::Examples(Err(e)) => page.examples_error = Some(e),
            Action::Fetching { slot, name } => {
                if let Some(s) = page.section_mut(slot) {
                    s.status = ModelStatus::Fetching { name, progress: None };
                }
            }
            Action::Progress { slot, progress } => {
                if let Some(Section { status: ModelStatus::Fetching { progress: p, .. }, .. }) = page.section_mut(slot) {
                    *p = Some(progress);
                }
            }
            Action::Building { slot, name } => {
                if let Some(s) = page.section_mut(slot) {
                    s.status = ModelStatus::Building { name };
                }
                page.active = slot;
            }
            Action::ModelUnavailable { slot, message } => {
                if let Some(s) = page.section_mut(slot) {
                    s.status = ModelStatus::Failed(message);
                }
            }
            Action::Image { slot, image } => {
                page.active = slot;
                if let Some(s) = page.section_mut(slot) {
                    s.give_image(image);
                }
            }
            Action::Unreadable { slot, message } => {
                if let Some(s) = page.section_mut(slot) {
                    s.answer = Answer::Failed(message);
                }
            }
            Action::Reply(reply) => page.on_reply(reply),
            Action::Camera(event) => match event {
                CameraEvent::Asking => {
                    page.camera.asking = true;
                    page.camera.error = None;
                }
                CameraEvent::Started => page.camera.started(),
                CameraEvent::Stopped(error) => page.camera.stopped(error),
                // The app sends frames to the worker itself (see `FrameSent`).
                CameraEvent::Frame { .. } => {}
            },
            Action::FrameSent { job, size } => {
                page.active = Slot::Faces;
                page.camera.sent_frame_as(job, size, now_ms());
            }
        }
        Rc::new(page)
    }
}
