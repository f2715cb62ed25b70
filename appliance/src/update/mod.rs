//! Firmware updates with RAUC: `venuebox update <bundle>` (install into the other slot) and
//! `venuebox healthz` (the probe that decides whether a freshly booted slot is good).

pub mod healthz;
pub mod install;
