//! The join banner on the console (stdout; the HDMI console on the image): viewer URLs and a
//! QR code of the address form, which every phone can open.

use super::{By, Discovery};
use std::io::Write as _;

/// The banner text.
pub fn join_banner(discovery: &Discovery) -> String {
    let (ip, name) = (discovery.viewer_url(By::Ip), discovery.viewer_url(By::Name));
    let qr = super::qr::text(&ip).unwrap_or_else(|e| format!("({e})\n"));
    format!("\nVenueBox: viewers join at\n  {ip}\n  {name}\n{qr}\n")
}

/// Prints the banner to stdout in one write.
pub fn print_join(discovery: &Discovery) {
    print_text(&join_banner(discovery));
}

/// Writes `text` to stdout in one write, ignoring a closed stdout (never panics, unlike print!).
pub fn print_text(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
