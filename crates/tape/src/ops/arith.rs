//! Elementwise arithmetic: `a + b`, `a − b`, `a ⊙ b`, `a / b` (with the right operand
//! broadcast as a bias row, a column or a scalar), `−x`, `c·x`, `x + c`.
//!
//! Backward, with `ḡ = ∂L/∂out` and `Σ_bc` summing over the broadcast positions:
//! `∂(a+b)`: `ā += ḡ`, `b̄ += Σ_bc ḡ`; `∂(a−b)`: `ā += ḡ`, `b̄ −= Σ_bc ḡ`;
//! `∂(a⊙b)`: `ā += ḡ⊙b`, `b̄ += Σ_bc ḡ⊙a`; `∂(a/b)`: `ā += ḡ/b`, `b̄ −= Σ_bc ḡ⊙out/b`.

use crate::error::Result;
use crate::kernels::broadcast::Broadcast;
use crate::tape::{BinaryKind, GradSink, Op, Tape, Var};
use crate::{Float, Tensor};

impl<T: Float> Tape<T> {
    /// `a + b`; `b` may be a row `[n]` (a bias), a column `[m, 1]` or a scalar.
    pub fn add(&mut self, a: Var, b: Var) -> Result<Var> {
        self.binary(BinaryKind::Add, a, b)
    }

    /// `a − b`; `b` may broadcast as in [`Tape::add`].
    pub fn sub(&mut self, a: Var, b: Var) -> Result<Var> {
        self.binary(BinaryKind::Sub, a, b)
    }

    /// `a ⊙ b` (elementwise product); `b` may broadcast as in [`Tape::add`].
    pub fn mul(&mut self, a: Var, b: Var) -> Result<Var> {
        self.binary(BinaryKind::Mul, a, b)
    }

    /// `a / b` (elementwise); `b` may broadcast as in [`Tape::add`].
    pub fn div(&mut self, a: Var, b: Var) -> Result<Var> {
        self.binary(BinaryKind::Div, a, b)
    }

    fn binary(&mut self, kind: BinaryKind, a: Var, b: Var) -> Result<Var> {
        let name = match kind {
            BinaryKind::Add => "add",
            BinaryKind::Sub => "sub",
            BinaryKind::Mul => "mul",
            BinaryKind::Div => "div",
        };
        self.check(name, a)?;
        self.check(name, b)?;
        let av = self.values[a.index()].get();
        let bv = self.values[b.index()].get();
        let bc = Broadcast::infer(name, av.shape(), bv.shape())?;
        let mut out = self.pool.for_overwrite(av.shape());
        let (x, y, o) = (av.data(), bv.data(), out.data_mut());
        match kind {
            BinaryKind::Add => bc.zip(x, y, o, |p, q| p + q),
            BinaryKind::Sub => bc.zip(x, y, o, |p, q| p - q),
            BinaryKind::Mul => bc.zip(x, y, o, |p, q| p * q),
            BinaryKind::Div => bc.zip(x, y, o, |p, q| p / q),
        }
        Ok(self.push_result(Op::Binary { kind, a, b, bc }, out, &[a, b]))
    }

    /// `−x`.
    pub fn neg(&mut self, x: Var) -> Result<Var> {
        self.unary_map("neg", x, Op::Neg(x), |v| -v)
    }

    /// `c · x` for a constant `c`.
    pub fn scale(&mut self, x: Var, c: f64) -> Result<Var> {
        let ct = T::from_f64(c);
        self.unary_map("scale", x, Op::Scale(x, c), |v| ct * v)
    }

    /// `x + c` for a constant `c`.
    pub fn add_scalar(&mut self, x: Var, c: f64) -> Result<Var> {
        let ct = T::from_f64(c);
        self.unary_map("add_scalar", x, Op::AddScalar(x), |v| v + ct)
    }

    /// Records `f` applied elementwise to `x` as `op` (shared by the unary primitives).
    pub(crate) fn unary_map(
        &mut self,
        name: &'static str,
        x: Var,
        op: Op<T>,
        f: impl Fn(T) -> T,
    ) -> Result<Var> {
        self.check(name, x)?;
        let xv = self.values[x.index()].get();
        let out = self
            .pool
            .collect(xv.shape(), xv.data().iter().map(|&v| f(v)));
        Ok(self.push_result(op, out, &[x]))
    }
}

pub(super) fn backward_binary<T: Float>(
    kind: BinaryKind,
    a: Var,
    b: Var,
    bc: Broadcast,
    out: &Tensor<T>,
    g: Tensor<T>,
    sink: &mut GradSink<'_, T>,
) {
    let values = sink.values;
    let av = values[a.index()].get().data();
    let bv = values[b.index()].get().data();
    let gd = g.data();
    let n = gd.len();
    match kind {
        BinaryKind::Add | BinaryKind::Sub => {
            let sign = if kind == BinaryKind::Add {
                T::ONE
            } else {
                -T::ONE
            };
            sink.accumulate(b, |db| bc.reduce_into(n, db, |i| sign * gd[i]));
            sink.accumulate_owned(a, g);
        }
        BinaryKind::Mul => {
            sink.accumulate(b, |db| bc.reduce_into(n, db, |i| gd[i] * av[i]));
            sink.accumulate(a, |da| {
                for (i, d) in da.iter_mut().enumerate() {
                    *d += gd[i] * bv[bc.rhs_index(i)];
                }
            });
            sink.pool.give(g);
        }
        BinaryKind::Div => {
            let od = out.data();
            sink.accumulate(b, |db| {
                bc.reduce_into(n, db, |i| -gd[i] * od[i] / bv[bc.rhs_index(i)])
            });
            sink.accumulate(a, |da| {
                for (i, d) in da.iter_mut().enumerate() {
                    *d += gd[i] / bv[bc.rhs_index(i)];
                }
            });
            sink.pool.give(g);
        }
    }
}

/// `x̄ += c · ḡ` (for `neg` with `c = −1` and `scale`).
pub(super) fn backward_scale<T: Float>(x: Var, c: f64, g: Tensor<T>, sink: &mut GradSink<'_, T>) {
    let c = T::from_f64(c);
    sink.accumulate(x, |dx| {
        for (d, &gv) in dx.iter_mut().zip(g.data()) {
            *d += c * gv;
        }
    });
    sink.pool.give(g);
}
