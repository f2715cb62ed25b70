//! The VenueBox appliance service library: the subsystems the `venuebox` binary runs.
#![deny(missing_docs)]

pub mod seeder;
