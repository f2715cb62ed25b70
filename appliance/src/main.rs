//! `venuebox`: the service binary.
fn main() {}
