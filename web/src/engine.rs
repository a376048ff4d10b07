//! The page's handle on its inference worker.

use std::rc::Rc;

use gloo_worker::{Spawnable, WorkerBridge};

use crate::inference::Inference;
use crate::protocol::{Reply, Request};

/// Where trunk puts the worker's script, relative to the page (so sub-paths work).
const WORKER_JS: &str = "./worker.js";

/// A running inference worker; clones share it.
#[derive(Clone)]
pub struct Engine(Rc<WorkerBridge<Inference>>);

impl Engine {
    /// Starts the worker; `on_reply` receives each of its answers.
    pub fn spawn(on_reply: impl Fn(Reply) + 'static) -> Self {
        // trunk builds workers for wasm-bindgen's no-modules target: a classic worker.
        let bridge = Inference::spawner().callback(on_reply).spawn(WORKER_JS);
        Self(Rc::new(bridge))
    }

    /// Sends a request; the worker queues it until it has started.
    pub fn send(&self, request: Request) {
        self.0.send(request);
    }
}

impl PartialEq for Engine {
    /// The same worker.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
