//! Matrix product and transpose.
//!
//! For `C = A·B` with `A: m×k`, `B: k×n`: `Ā += Ḡ·Bᵀ` and `B̄ += Aᵀ·Ḡ`, computed by `gemm`
//! straight into the gradient buffers (no temporary, no explicit transpose). For `Y = Xᵀ`:
//! `X̄ += Ḡᵀ`.

use crate::error::{Result, TensorError};
use crate::kernels::matmul::{MatRef, matmul_accumulate_into, matmul_into};
use crate::tape::{GradSink, Op, Tape, Var};
use crate::tensor::transpose_into;
use crate::{Float, Tensor};

impl<T: Float> Tape<T> {
    /// Matrix product `[m, k] · [k, n] → [m, n]`.
    pub fn matmul(&mut self, a: Var, b: Var) -> Result<Var> {
        self.check("matmul", a)?;
        self.check("matmul", b)?;
        let av = self.values[a.index()].get();
        let bv = self.values[b.index()].get();
        let (m, k) = av.dims2("matmul")?;
        let (k2, n) = bv.dims2("matmul")?;
        if k != k2 {
            return Err(TensorError::ShapeMismatch {
                op: "matmul",
                lhs: av.shape().into(),
                rhs: bv.shape().into(),
                hint: format!(": the left has {k} columns but the right has {k2} rows"),
            });
        }
        let mut out = self.pool.for_overwrite(&[m, n]);
        matmul_into(
            out.data_mut(),
            MatRef::new(av.data(), m, k),
            MatRef::new(bv.data(), k, n),
            false,
        );
        Ok(self.push_result(Op::MatMul(a, b), out, &[a, b]))
    }

    /// Transpose of a rank-2 tensor.
    pub fn transpose(&mut self, x: Var) -> Result<Var> {
        self.check("transpose", x)?;
        let xv = self.values[x.index()].get();
        let (r, c) = xv.dims2("transpose")?;
        let mut out = self.pool.for_overwrite(&[c, r]);
        transpose_into(xv.data(), r, c, out.data_mut());
        Ok(self.push_result(Op::Transpose(x), out, &[x]))
    }
}

pub(super) fn backward_matmul<T: Float>(a: Var, b: Var, g: Tensor<T>, sink: &mut GradSink<'_, T>) {
    let values = sink.values;
    let av = values[a.index()].get();
    let bv = values[b.index()].get();
    let (m, k) = (av.shape()[0], av.shape()[1]);
    let n = bv.shape()[1];
    let gm = MatRef::new(g.data(), m, n);
    sink.accumulate_or_write(a, |da, fresh| {
        matmul_accumulate_into(da, gm, MatRef::new(bv.data(), k, n).t(), fresh)
    });
    sink.accumulate_or_write(b, |db, fresh| {
        matmul_accumulate_into(db, MatRef::new(av.data(), m, k).t(), gm, fresh)
    });
    sink.pool.give(g);
}

pub(super) fn backward_transpose<T: Float>(x: Var, g: Tensor<T>, sink: &mut GradSink<'_, T>) {
    let xv = sink.values[x.index()].get();
    let (r, c) = (xv.shape()[0], xv.shape()[1]);
    let gd = g.data();
    sink.accumulate(x, |dx| {
        for i in 0..r {
            for j in 0..c {
                dx[i * c + j] += gd[j * r + i];
            }
        }
    });
    sink.pool.give(g);
}
