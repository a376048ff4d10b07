//! Camera mode's state: whether it runs, the frame in flight (one at most: frames that arrive
//! while one is being processed are dropped, never queued), the latest answer, and the rate.

use std::collections::VecDeque;
use std::rc::Rc;

use ocellus::boxes::merge::Scored;

/// How many recent answers the frame rate is averaged over.
const RATE_WINDOW: usize = 15;

/// What the camera view tells the page.
#[derive(Clone, Debug, PartialEq)]
pub enum CameraEvent {
    /// The visitor asked for the camera; the browser is asking them.
    Asking,
    /// The camera is on.
    Started,
    /// The camera is off again: stopped by the visitor (`None`) or refused (why).
    Stopped(Option<String>),
    /// A frame grabbed: width, height and RGBA pixels, for the worker.
    Frame { width: u32, height: u32, rgba: Vec<u8> },
}

/// The answer for one frame.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameAnswer {
    /// The frame's number.
    pub job: u64,
    /// The frame's size in pixels.
    pub size: (u32, u32),
    /// Every scored region (the view thresholds and merges them).
    pub candidates: Rc<Vec<Scored>>,
    /// The worker's ms for the frame (pixels to boxes).
    pub worker_ms: f64,
    /// From grabbing the frame to its answer arriving, in ms.
    pub round_ms: f64,
}

/// Camera mode.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CameraRun {
    /// The camera is on.
    pub running: bool,
    /// Waiting for the camera to answer the request.
    pub asking: bool,
    /// Why the camera is not available, for the visitor.
    pub error: Option<String>,
    /// Frames sent so far (the number of the latest one).
    pub sent: u64,
    /// The frame in flight: its number, size and when it was grabbed (ms).
    pub in_flight: Option<(u64, (u32, u32), f64)>,
    /// The latest answer.
    pub latest: Option<FrameAnswer>,
    /// Answers received.
    pub answered: u64,
    /// When the recent answers arrived (ms), for the rate.
    arrivals: VecDeque<f64>,
}

impl CameraRun {
    /// Whether a new frame may be sent now (the camera is on and none is in flight).
    pub fn wants_frame(&self) -> bool {
        self.running && self.in_flight.is_none()
    }

    /// Records frame `job` (numbered by the sender, above every earlier one) sent at `now`.
    pub fn sent_frame_as(&mut self, job: u64, size: (u32, u32), now: f64) {
        self.sent = job;
        self.in_flight = Some((job, size, now));
    }

    /// Records the answer for frame `job` arriving at `now`; an answer for any other frame
    /// (one from before a restart) is ignored.
    pub fn answered_frame(&mut self, job: u64, candidates: Vec<Scored>, worker_ms: f64, now: f64) -> bool {
        match self.in_flight {
            Some((j, size, grabbed)) if j == job => {
                self.in_flight = None;
                self.answered += 1;
                self.latest = Some(FrameAnswer { job, size, candidates: Rc::new(candidates), worker_ms, round_ms: now - grabbed });
                self.arrivals.push_back(now);
                if self.arrivals.len() > RATE_WINDOW {
                    self.arrivals.pop_front();
                }
                true
            }
            _ => false,
        }
    }

    /// Frame `job` failed: it is no longer in flight; the message is kept for the visitor.
    pub fn failed_frame(&mut self, job: u64, message: String) {
        if matches!(self.in_flight, Some((j, ..)) if j == job) {
            self.in_flight = None;
            self.error = Some(message);
        }
    }

    /// Answered frames per second over the recent answers (`None` before two).
    pub fn fps(&self) -> Option<f64> {
        let (first, last) = (self.arrivals.front()?, self.arrivals.back()?);
        (self.arrivals.len() >= 2 && last > first).then(|| (self.arrivals.len() - 1) as f64 * 1000.0 / (last - first))
    }

    /// The camera started.
    pub fn started(&mut self) {
        *self = CameraRun { running: true, sent: self.sent, ..Default::default() };
    }

    /// The camera stopped (by the visitor or on an error): the last answer stays shown, and
    /// the frame in flight still gets its answer.
    pub fn stopped(&mut self, error: Option<String>) {
        self.running = false;
        self.asking = false;
        self.error = error;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends the next frame as the page does, numbered above every earlier one.
    fn send(run: &mut CameraRun, size: (u32, u32), now: f64) -> u64 {
        let job = run.sent + 1;
        run.sent_frame_as(job, size, now);
        job
    }

    #[test]
    fn one_frame_in_flight_and_the_rate_of_answers() {
        let mut run = CameraRun::default();
        assert!(!run.wants_frame());
        run.started();
        assert!(run.wants_frame());
        let job = send(&mut run, (640, 480), 0.0);
        assert!(!run.wants_frame(), "a second frame must wait for the first");
        assert!(!run.answered_frame(job + 1, vec![], 5.0, 10.0), "an answer to another frame is ignored");
        assert!(run.answered_frame(job, vec![], 20.0, 40.0));
        assert_eq!(run.latest.as_ref().map(|a| (a.size, a.round_ms)), Some(((640, 480), 40.0)));
        assert_eq!(run.fps(), None);
        for k in 1..=4 {
            let j = send(&mut run, (640, 480), 40.0 + 50.0 * (k - 1) as f64);
            run.answered_frame(j, vec![], 20.0, 40.0 + 50.0 * k as f64);
        }
        assert!((run.fps().unwrap() - 20.0).abs() < 1e-9, "{:?}", run.fps());
        let last = send(&mut run, (640, 480), 300.0);
        run.stopped(None);
        assert!(!run.wants_frame() && run.latest.is_some());
        assert!(run.answered_frame(last, vec![], 20.0, 330.0), "the frame in flight at the stop is still answered");
        assert!(!run.wants_frame());
        // A restart numbers frames on, so a late answer from before is not taken for a new one.
        run.started();
        let j = send(&mut run, (640, 480), 0.0);
        assert!(j > job && run.latest.is_none());
    }

    #[test]
    fn a_failed_frame_frees_the_loop_and_says_why() {
        let mut run = CameraRun::default();
        run.started();
        let job = send(&mut run, (4, 4), 0.0);
        run.failed_frame(job, "camera frame: bad".into());
        assert!(run.wants_frame());
        assert_eq!(run.error.as_deref(), Some("camera frame: bad"));
    }
}
