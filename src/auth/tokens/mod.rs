//! Access tokens (JWT, verified with the algorithm pinned), opaque refresh tokens, and
//! the one-time tokens of password-reset and verification links.
mod access;
mod one_time;
mod refresh;
#[cfg(test)]
mod tests;

pub use access::*;
pub use one_time::*;
pub use refresh::*;
