//! Request paths from the network, percent-decoded and validated into a list of safe
//! file-name components, so that path traversal is impossible by construction.

use percent_encoding::percent_decode_str;

/// Longest request path accepted, in bytes.
pub const MAX_PATH_BYTES: usize = 2048;
/// Most components a request path may have.
pub const MAX_COMPONENTS: usize = 16;

/// Why a request path was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Longer than [`MAX_PATH_BYTES`] or deeper than [`MAX_COMPONENTS`].
    #[error("path too long")]
    TooLong,
    /// Does not start with `/`.
    #[error("path is not absolute")]
    NotAbsolute,
    /// Percent-decoding produced invalid UTF-8.
    #[error("path is not valid UTF-8 after decoding")]
    NotUtf8,
    /// A component is `.`, `..`, holds a separator, a NUL or a control character, or is hidden.
    #[error("path component is not allowed")]
    ForbiddenComponent,
}

/// A validated request path: each component is a plain file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafePath {
    components: Vec<String>,
}

impl SafePath {
    /// Validates the path part of a request target (no query string).
    pub fn parse(raw: &str) -> Result<Self, PathError> {
        if raw.len() > MAX_PATH_BYTES {
            return Err(PathError::TooLong);
        }
        let rest = raw.strip_prefix('/').ok_or(PathError::NotAbsolute)?;
        let mut components = Vec::new();
        for part in rest.split('/') {
            if part.is_empty() {
                continue; // "//" and a trailing "/" carry no meaning here.
            }
            let decoded = percent_decode_str(part).decode_utf8().map_err(|_| PathError::NotUtf8)?;
            if !is_plain_name(&decoded) {
                return Err(PathError::ForbiddenComponent);
            }
            if components.len() == MAX_COMPONENTS {
                return Err(PathError::TooLong);
            }
            components.push(decoded.into_owned());
        }
        Ok(Self { components })
    }

    /// The components in order; empty for `/`.
    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// The components joined with `/`, relative (no leading slash).
    pub fn relative(&self) -> String {
        self.components.join("/")
    }
}

/// A name that is safe to join onto a directory: no separators, no `.`/`..`, not hidden,
/// no NUL or control characters.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\']) && !name.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_paths() {
        assert!(SafePath::parse("/").unwrap().components().is_empty());
        let p = SafePath::parse("/hls//seg-00000001.ts").unwrap();
        assert_eq!(p.components(), ["hls", "seg-00000001.ts"]);
        assert_eq!(SafePath::parse("/assets/a%20b.js").unwrap().relative(), "assets/a b.js");
    }

    #[test]
    fn rejects_traversal_in_every_spelling() {
        for bad in [
            "/..",
            "/../etc/passwd",
            "/hls/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/..%2fetc",
            "/hls/%2e%2e%5c%2e%2e%5cwin.ini",
            "/.env",
            "/a/./b",
            "/%00",
            "/a%0ab",
            "/..\\..\\x",
            "/hls%2f..%2f..%2fetc",
        ] {
            assert_eq!(SafePath::parse(bad), Err(PathError::ForbiddenComponent), "{bad}");
        }
        assert_eq!(SafePath::parse("etc/passwd"), Err(PathError::NotAbsolute));
        assert_eq!(SafePath::parse("//etc/passwd").unwrap().relative(), "etc/passwd");
        assert_eq!(SafePath::parse("/%ff"), Err(PathError::NotUtf8));
        assert_eq!(SafePath::parse(&"/a".repeat(17)), Err(PathError::TooLong));
        assert_eq!(
            SafePath::parse(&format!("/{}", "a".repeat(MAX_PATH_BYTES))),
            Err(PathError::TooLong)
        );
    }

    proptest::proptest! {
        #[test]
        fn no_accepted_path_can_escape(raw in "/[a-z./%0-9A-F\\\\]{0,40}") {
            if let Ok(p) = SafePath::parse(&raw) {
                for c in p.components() {
                    proptest::prop_assert!(c != ".." && c != "." && !c.contains('/') && !c.contains('\\'));
                }
            }
        }
    }
}
