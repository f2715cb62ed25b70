//! Fuzz target: request-path validation never panics and never accepts a component that could
//! leave the served folder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuebox_proto::http_path::SafePath;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = SafePath::parse(text) {
        for c in p.components() {
            assert!(c != ".." && c != "." && !c.contains('/') && !c.contains('\\') && !c.contains('\0'));
        }
    }
});
