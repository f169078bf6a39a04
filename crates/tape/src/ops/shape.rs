//! Shape changes: `reshape` (same elements, new shape; the gradient is reshaped back).

use crate::Float;
use crate::error::{Result, TensorError};
use crate::shape::numel;
use crate::tape::{Op, Tape, Var};

impl<T: Float> Tape<T> {
    /// The same elements with a new shape of equal element count.
    pub fn reshape(&mut self, x: Var, shape: &[usize]) -> Result<Var> {
        self.check("reshape", x)?;
        let xv = self.values[x.index()].get();
        if numel(shape) != xv.numel() {
            return Err(TensorError::ShapeMismatch {
                op: "reshape",
                lhs: xv.shape().into(),
                rhs: shape.into(),
                hint: ": the element counts differ".into(),
            });
        }
        let out = self.pool.copy_of(xv.data(), shape);
        Ok(self.push_result(Op::Reshape(x), out, &[x]))
    }
}
