//! nnc used as an outside Rust user would use it: the tests in `tests/` call only public API
//! through path dependencies, and the README's Rust examples run here as doctests.

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;
