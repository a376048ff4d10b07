//! Face detection training: choosing training regions from proposals (RCNN and Fast-RCNN
//! share the rule), caching them on disk, and Fast-RCNN's split loss and metrics.

pub mod loss;
pub mod sample_cache;
pub mod sampling;
