//! # nnc-tape: tensors and reverse-mode automatic differentiation
//!
//! The foundation of nnc: a contiguous row-major [`Tensor`] over `f32` and `f64` (one code
//! path, via the sealed [`Float`] trait), and a [`Tape`] that records operations as a Wengert
//! list and differentiates them in one reverse walk.
//!
//! * **Recording** appends a node per operation; values are computed at once.
//! * **Backward** walks the list in reverse (no sort, no recursion): each node's gradient is
//!   complete when reached, used once and its buffer recycled. Every contribution goes through
//!   one accumulate function (add, never assign), and only inputs that need a gradient get one.
//! * **Parameters** ([`Parameters`]) are named, trainable tensors shared with the tape for one
//!   step; [`Gradients`] come back keyed by parameter.
//! * **Fused ops** from other crates plug in through [`FusedOp`] with a closed-form backward
//!   (see the [`tape::FusedOp`] docs for an example).
//! * **Checks**: [`gradcheck()`] compares backward with f64 central differences, and
//!   [`GradientReport`] prints gradients stably for snapshot tests.
//!
//! ```
//! use nnc_tape::{Parameters, Tape, Tensor, GradientReport};
//!
//! let mut params = Parameters::<f64>::new();
//! let w = params.add("fc.weight", Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25], &[2, 2])?)?;
//! let b = params.add("fc.bias", Tensor::from_vec(vec![0.1, -0.2], &[2])?)?;
//!
//! let mut tape = Tape::new();
//! let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2])?);
//! let (wv, bv) = (tape.param(&params, w)?, tape.param(&params, b)?);
//! let xw = tape.matmul(x, wv)?;
//! let y = tape.add(xw, bv)?; // bias broadcast over rows
//! let loss = tape.mean(y)?;
//! let grads = tape.backward(loss)?;
//! grads.check_complete(&params)?;
//! println!("{}", GradientReport::from_gradients(&params, &grads));
//! # Ok::<(), nnc_tape::TensorError>(())
//! ```

pub mod alloc_counter;
pub mod collective;
pub mod error;
pub mod float;
pub mod gradcheck;
pub mod kernels;
mod ops;
pub mod params;
pub mod report;
pub mod shape;
pub mod tape;
pub mod tensor;
pub mod workers;

pub use error::{Result, TensorError};
pub use float::{DType, Float};
pub use gradcheck::{
    GradcheckOptions, GradcheckReport, TensorCheck, Verdict, gradcheck, gradcheck_params,
    gradcheck_with,
};
pub use params::{ParamId, Parameters};
pub use report::GradientReport;
pub use shape::{Shape, shape};
pub use tape::{FusedGrad, FusedOp, FusedView, Gradients, Tape, Var};
pub use tensor::{Rng, Tensor, rng};
