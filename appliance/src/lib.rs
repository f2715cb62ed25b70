//! The VenueBox appliance service: ingest, the segment window, the HTTP server and the parts
//! that deliver the stream to a venue's viewers. The binary (`main.rs`) is a thin shell.
#![deny(missing_docs)]

pub mod admin;
pub mod atomic_file;
pub mod config;
pub mod discovery;
pub mod http;
pub mod ingest;
pub mod logging;
pub mod report;
pub mod seeder;
pub mod service;
pub mod signal;
pub mod state;
pub mod systemd;
pub mod tracker;
pub mod update;
pub mod uplink;
pub mod watcher;
pub mod web;
pub mod window;
