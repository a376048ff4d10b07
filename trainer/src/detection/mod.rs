//! Face detection training: choosing training regions from proposals (RCNN and Fast-RCNN
//! share the rule).

pub mod sampling;
