//! Face detection training: choosing training regions from proposals (RCNN and Fast-RCNN
//! share the rule) and Fast-RCNN's split loss and metrics.

pub mod loss;
pub mod sampling;
