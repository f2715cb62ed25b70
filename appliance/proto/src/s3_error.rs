//! The error document an S3-compatible server (Cloudflare R2, AWS S3, s3s) sends with a failed
//! request: `<Error><Code>NoSuchBucket</Code><Message>...</Message>...</Error>`. Only the code
//! and a cleaned message are kept: other elements (`CanonicalRequest`, `StringToSign`) can echo
//! the request's access key ID and are never read.

/// Largest error document read.
pub const MAX_ERROR_BODY: usize = 64 << 10;
/// Longest error code accepted.
pub const MAX_CODE_LEN: usize = 64;
/// Longest message kept (longer ones are cut).
pub const MAX_MESSAGE_LEN: usize = 200;

/// Why a body is not a usable S3 error document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3ErrorBodyError {
    /// Larger than [`MAX_ERROR_BODY`].
    #[error("error document larger than {MAX_ERROR_BODY} bytes")]
    TooLarge,
    /// Not UTF-8 text.
    #[error("error document is not UTF-8")]
    NotUtf8,
    /// No `<Code>` element.
    #[error("error document has no <Code>")]
    NoCode,
    /// The code is empty, too long or has characters other than letters, digits and dots.
    #[error("error document has a malformed <Code>")]
    BadCode,
}

/// A parsed S3 error document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3ErrorBody {
    /// The machine-readable code, e.g. `SignatureDoesNotMatch`.
    pub code: String,
    /// The human message, control characters removed, at most [`MAX_MESSAGE_LEN`] characters.
    pub message: Option<String>,
}

/// Parses an S3 error document.
pub fn parse(body: &[u8]) -> Result<S3ErrorBody, S3ErrorBodyError> {
    if body.len() > MAX_ERROR_BODY {
        return Err(S3ErrorBodyError::TooLarge);
    }
    let text = std::str::from_utf8(body).map_err(|_| S3ErrorBodyError::NotUtf8)?;
    let code = element(text, "Code").ok_or(S3ErrorBodyError::NoCode)?.trim();
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '.';
    if code.is_empty() || code.len() > MAX_CODE_LEN || !code.chars().all(valid) {
        return Err(S3ErrorBodyError::BadCode);
    }
    let message = element(text, "Message").map(clean).filter(|m| !m.is_empty());
    Ok(S3ErrorBody {
        code: code.to_owned(),
        message,
    })
}

/// The text between the first `<name>` and the following `</name>`.
fn element<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&close)?;
    Some(&text[start..start + len])
}

fn clean(message: &str) -> String {
    message
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_MESSAGE_LEN)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_code_and_message_of_a_real_document() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><CanonicalRequest>PUT /b/k X-Amz-Credential=AKIDSECRETISH</CanonicalRequest></Error>"#;
        let e = parse(body).unwrap();
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert!(e.message.unwrap().starts_with("The request signature"));
    }

    #[test]
    fn never_keeps_other_elements() {
        let body = b"<Error><Code>AccessDenied</Code><StringToSign>AKIDSECRETISH</StringToSign></Error>";
        let e = parse(body).unwrap();
        assert_eq!(
            e,
            S3ErrorBody {
                code: "AccessDenied".into(),
                message: None
            }
        );
    }

    #[test]
    fn rejects_garbage_with_typed_errors() {
        assert_eq!(parse(b"\xff\xfe"), Err(S3ErrorBodyError::NotUtf8));
        assert_eq!(parse(b"<html>502 Bad Gateway</html>"), Err(S3ErrorBodyError::NoCode));
        assert_eq!(parse(b"<Code></Code>"), Err(S3ErrorBodyError::BadCode));
        assert_eq!(parse(b"<Code>a b</Code>"), Err(S3ErrorBodyError::BadCode));
        assert_eq!(parse(b"<Code>NoEnd"), Err(S3ErrorBodyError::NoCode));
        assert_eq!(parse(&vec![b'a'; MAX_ERROR_BODY + 1]), Err(S3ErrorBodyError::TooLarge));
        let long = format!("<Code>{}</Code>", "A".repeat(MAX_CODE_LEN + 1));
        assert_eq!(parse(long.as_bytes()), Err(S3ErrorBodyError::BadCode));
    }

    #[test]
    fn messages_are_cleaned_and_cut() {
        let body = format!("<Code>X</Code><Message>a\u{1b}[31mb\n{}</Message>", "z".repeat(500));
        let m = parse(body.as_bytes()).unwrap().message.unwrap();
        assert!(m.starts_with("a[31mb") && m.chars().count() == MAX_MESSAGE_LEN, "{m}");
    }

    #[test]
    fn every_split_of_a_document_is_handled_without_panic() {
        let body = b"<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>";
        for i in 0..body.len() {
            let _ = parse(&body[..i]);
        }
    }
}
