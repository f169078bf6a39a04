//! Slice-level kernels shared by [`Tensor`](crate::Tensor) methods and tape operations.
//!
//! Kernels write into caller-provided buffers, so the tape can run them on recycled memory.

pub mod broadcast;
pub mod matmul;
pub mod reduce;
mod sgemm;
