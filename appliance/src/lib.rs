//! The VenueBox appliance service: ingest, the segment window, the HTTP server and the parts
//! that deliver the stream to a venue's viewers. The binary (`main.rs`) is a thin shell.
#![deny(missing_docs)]

pub mod tracker;
