//! Face detection training: choosing training regions from proposals (RCNN and Fast-RCNN
//! share the rule), caching them on disk, the photos in memory and their split, and the
//! lessons: Fast-RCNN's regions with the split loss, RCNN's crops.

pub mod average_precision;
pub mod crop_lesson;
pub mod loss;
pub mod peer_detections;
pub mod photo_crop;
pub mod photo_set;
pub mod point_loss;
pub mod point_targets;
pub mod region_lesson;
pub mod region_preparation;
pub mod sample_cache;
pub mod sampling;
pub mod single_shot_lesson;
pub mod threshold_choice;
