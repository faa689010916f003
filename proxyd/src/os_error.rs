//! The C library's wording of an OS error, which HAProxy prints where it reports one
//! (`Connection refused` in `last_chk`, `No such file or directory` for a file it cannot open).

use std::io;

/// `strerror()` of the error's errno; errors without one keep Rust's wording.
pub fn strerror(e: &io::Error) -> String {
    match e.raw_os_error() {
        // Rust renders OS errors as "<strerror> (os error N)"; keep only the C part.
        Some(code) => {
            let text = io::Error::from_raw_os_error(code).to_string();
            match text.rfind(" (os error ") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
        None => e.to_string(),
    }
}
