//! Fuzz target: the S3 error document parser never panics and only returns well-formed codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuebox_proto::s3_error;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = s3_error::parse(data) {
        assert!(!e.code.is_empty() && e.code.len() <= s3_error::MAX_CODE_LEN);
        assert!(e.code.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'));
        assert!(e.message.map_or(true, |m| m.chars().count() <= s3_error::MAX_MESSAGE_LEN));
    }
});
