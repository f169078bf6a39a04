//! Integration tests of the nnc workspace live in `tests/`.
