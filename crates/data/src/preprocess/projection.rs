//! The steps built on the eigendecomposition of the training covariance: `pca`, `whiten`
//! (PCA whitening) and `zca`.
//!
//! With the training mean `μ` and covariance `C = (1/n)(X − μ)ᵀ(X − μ) = U Λ Uᵀ` (eigenvalues
//! `λ_1 ≥ λ_2 ≥ ...`, eigenvectors the columns of `U`, from faer's self-adjoint
//! eigendecomposition), each step maps a row `x` to
//!
//! * `pca`:    `y = (x − μ) U_k` — the first `k` principal components;
//! * `whiten`: `y = (x − μ) U / sqrt(Λ + ε)` — every component divided by its standard
//!   deviation, so the training covariance becomes `Λ / (Λ + ε) ≈ I`;
//! * `zca`:    `y = (x − μ) U / sqrt(Λ + ε) Uᵀ` — whitening rotated back to the original axes
//!   (it keeps the feature layout, so images stay images).
//!
//! Every step subtracts the training mean it was fitted with: a `center` before it is
//! harmless (the mean is then zero up to rounding), and leaving it out is not a silent error.
//! Each eigenvector's sign is fixed so that its largest-magnitude entry is positive, which
//! makes the result independent of the solver's sign choice.

use super::stats;
use crate::error::{DataError, Result};
use faer::{Mat, Side};
use nnc_tape::Tensor;
use serde::{Deserialize, Serialize};

/// How many principal components `pca` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PcaKeep {
    /// Exactly this many (`pca(components: k)`).
    Components(usize),
    /// The fewest whose eigenvalues explain at least this fraction of the total variance,
    /// `Σ_{i≤k} λ_i / Σ_i λ_i ≥ v` (`pca(variance: v)`, `0 < v ≤ 1`).
    Variance(f64),
}

/// Which projection a [`Projection`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectionKind {
    /// Principal components, unscaled.
    Pca,
    /// Principal components divided by their standard deviations.
    Whiten,
    /// Whitening rotated back to the original axes.
    Zca,
}

/// A fitted `pca`, `whiten` or `zca` step (see the module docs for the formulas).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// Which step this is.
    pub kind: ProjectionKind,
    /// The training mean `μ` (`d` values).
    pub mean: Vec<f64>,
    /// The eigenvalues `λ` of the kept components, largest first (`k` values).
    pub eigenvalues: Vec<f64>,
    /// Eigenvalues of all components, largest first (`d` values), for variance reports.
    pub all_eigenvalues: Vec<f64>,
    /// The kept eigenvectors `U_k`, row-major `d × k` (column `j` is component `j`).
    pub components: Vec<f64>,
    /// The factor applied to each component: 1 for `pca`, `1 / sqrt(λ_j + ε)` otherwise.
    pub scale: Vec<f64>,
    /// The `ε` added to the eigenvalues (0 for `pca`).
    pub eps: f64,
}

impl Projection {
    /// Fits the step on the rows of `x` (`[n, d]`). `keep` is used by `pca` only; `whiten` and
    /// `zca` keep every component.
    pub fn fit(x: &Tensor<f64>, kind: ProjectionKind, keep: PcaKeep, eps: f64) -> Result<Self> {
        let what = match kind {
            ProjectionKind::Pca => "pca",
            ProjectionKind::Whiten => "whiten",
            ProjectionKind::Zca => "zca",
        };
        let (n, d) = x.dims2(what)?;
        if n == 0 || d == 0 {
            return Err(DataError::invalid(
                what,
                "needs at least one row and one feature",
            ));
        }
        let mean = stats::column_means(x.data(), n, d);
        let cov = stats::covariance(x.data(), n, d, &mean)?;
        let (values, vectors) = eigen(&cov, d, what)?;
        let total: f64 = values.iter().sum();
        let k = match (kind, keep) {
            (ProjectionKind::Pca, PcaKeep::Components(k)) => {
                if k == 0 || k > d {
                    return Err(DataError::invalid(
                        what,
                        format!("components must be between 1 and the {d} features, got {k}"),
                    ));
                }
                k
            }
            (ProjectionKind::Pca, PcaKeep::Variance(v)) => {
                if total <= 0.0 {
                    return Err(DataError::invalid(
                        what,
                        "the training features have no variance: every row is the same",
                    ));
                }
                let mut acc = 0.0;
                values
                    .iter()
                    .position(|l| {
                        acc += l;
                        acc / total >= v - 1e-12
                    })
                    .map_or(d, |i| i + 1)
            }
            _ => d,
        };
        let scale: Vec<f64> = match kind {
            ProjectionKind::Pca => vec![1.0; k],
            _ => values[..k]
                .iter()
                .enumerate()
                .map(|(j, l)| {
                    let s = l + eps;
                    if s > 0.0 {
                        Ok(1.0 / s.sqrt())
                    } else {
                        Err(DataError::invalid(
                            what,
                            format!(
                                "component {j} has variance {l:e}: dividing by sqrt({l:e} + eps {eps:e}) is undefined; use eps > 0 or drop flat components with pca first"
                            ),
                        ))
                    }
                })
                .collect::<Result<_>>()?,
        };
        let components = (0..d)
            .flat_map(|r| vectors[r * d..r * d + k].to_vec())
            .collect();
        Ok(Projection {
            kind,
            mean,
            eigenvalues: values[..k].to_vec(),
            all_eigenvalues: values,
            components,
            scale,
            eps,
        })
    }

    /// Features in.
    pub fn inputs(&self) -> usize {
        self.mean.len()
    }

    /// Components kept (`k`).
    pub fn kept(&self) -> usize {
        self.scale.len()
    }

    /// Features out: `k` for `pca` and `whiten`, `d` for `zca`.
    pub fn outputs(&self) -> usize {
        match self.kind {
            ProjectionKind::Zca => self.inputs(),
            _ => self.kept(),
        }
    }

    /// Fraction of the training variance the kept components explain.
    pub fn explained_variance(&self) -> f64 {
        let total: f64 = self.all_eigenvalues.iter().sum();
        if total > 0.0 {
            self.eigenvalues.iter().sum::<f64>() / total
        } else {
            1.0
        }
    }

    fn basis(&self) -> Result<Tensor<f64>> {
        Ok(Tensor::from_vec(
            self.components.clone(),
            &[self.inputs(), self.kept()],
        )?)
    }

    /// Applies the step to the rows of `x` (`[n, d]` → `[n, outputs]`).
    pub fn apply(&self, x: &Tensor<f64>) -> Result<Tensor<f64>> {
        let (_, d) = x.dims2("preprocess")?;
        if d != self.inputs() {
            return Err(DataError::invalid(
                "preprocess",
                format!(
                    "the step was fitted on {} features but the rows have {d}",
                    self.inputs()
                ),
            ));
        }
        let mut centred = x.clone();
        for row in centred.data_mut().chunks_exact_mut(d) {
            row.iter_mut().zip(&self.mean).for_each(|(v, m)| *v -= m);
        }
        let basis = self.basis()?;
        let mut z = centred.matmul(&basis)?;
        for row in z.data_mut().chunks_exact_mut(self.kept()) {
            row.iter_mut().zip(&self.scale).for_each(|(v, s)| *v *= s);
        }
        if self.kind == ProjectionKind::Zca {
            z = z.matmul(&basis.transpose()?)?;
        }
        Ok(z)
    }

    /// Maps rows back to the original features: exact when every component is kept, the
    /// closest point in the span of the kept components otherwise.
    pub fn invert(&self, y: &Tensor<f64>) -> Result<Tensor<f64>> {
        let (_, w) = y.dims2("inverse preprocess")?;
        if w != self.outputs() {
            return Err(DataError::invalid(
                "inverse preprocess",
                format!(
                    "the step outputs {} features but the rows have {w}",
                    self.outputs()
                ),
            ));
        }
        let basis = self.basis()?;
        let mut z = if self.kind == ProjectionKind::Zca {
            y.matmul(&basis)?
        } else {
            y.clone()
        };
        for row in z.data_mut().chunks_exact_mut(self.kept()) {
            row.iter_mut().zip(&self.scale).for_each(|(v, s)| *v /= s);
        }
        let mut x = z.matmul(&basis.transpose()?)?;
        for row in x.data_mut().chunks_exact_mut(self.inputs()) {
            row.iter_mut().zip(&self.mean).for_each(|(v, m)| *v += m);
        }
        Ok(x)
    }

    /// The fitted statistics as named tensors: `<prefix>.mean` `[d]`, `<prefix>.components`
    /// `[d, k]`, `<prefix>.eigenvalues` `[k]`, `<prefix>.scale` `[k]`.
    pub fn statistics(&self, prefix: &str) -> Result<Vec<(String, Tensor<f64>)>> {
        let v = |x: &[f64]| Tensor::from_vec(x.to_vec(), &[x.len()]);
        Ok(vec![
            (format!("{prefix}.mean"), v(&self.mean)?),
            (format!("{prefix}.components"), self.basis()?),
            (format!("{prefix}.eigenvalues"), v(&self.eigenvalues)?),
            (format!("{prefix}.scale"), v(&self.scale)?),
        ])
    }
}

/// Eigenvalues (largest first, negatives from rounding clamped to 0) and eigenvectors (the
/// columns of a row-major `d × d` matrix, in the same order, signs fixed) of the symmetric
/// row-major matrix `c`.
fn eigen(c: &[f64], d: usize, what: &'static str) -> Result<(Vec<f64>, Vec<f64>)> {
    let m = Mat::<f64>::from_fn(d, d, |i, j| c[i * d + j]);
    let evd = m.self_adjoint_eigen(Side::Lower).map_err(|e| {
        DataError::invalid(
            what,
            format!("the eigendecomposition of the covariance did not converge ({e:?})"),
        )
    })?;
    let u = evd.U();
    let s = evd.S().column_vector();
    // faer sorts ascending; reverse to largest first.
    // Eigenvalues below 1e-12 of the largest are rounding noise of a zero eigenvalue.
    let order: Vec<usize> = (0..d).rev().collect();
    let tol = s[d - 1].abs() * 1e-12;
    let values = order
        .iter()
        .map(|&i| if s[i] > tol { s[i] } else { 0.0 })
        .collect();
    let mut vectors = vec![0.0; d * d];
    for (col, &i) in order.iter().enumerate() {
        let mut sign = 1.0;
        let mut biggest = 0.0;
        for r in 0..d {
            let v: f64 = u[(r, i)];
            if v.abs() > biggest {
                biggest = v.abs();
                sign = v.signum();
            }
        }
        for r in 0..d {
            vectors[r * d + col] = sign * u[(r, i)];
        }
    }
    Ok((values, vectors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_of_a_known_matrix() {
        // [[2, 1], [1, 2]]: eigenvalues 3 (along (1, 1)) and 1 (along (1, -1)).
        let (values, vectors) = eigen(&[2.0, 1.0, 1.0, 2.0], 2, "test").unwrap();
        assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12);
        let h = 0.5f64.sqrt();
        assert!((vectors[0] - h).abs() < 1e-12 && (vectors[2] - h).abs() < 1e-12);
        assert!((vectors[1].abs() - h).abs() < 1e-12);
        assert!(vectors[1] * vectors[3] < 0.0);
    }

    #[test]
    fn pca_on_a_line_keeps_one_component() {
        // Points on y = 2x: all variance on one axis.
        let x = Tensor::from_vec(vec![0., 0., 1., 2., 2., 4., 3., 6.], &[4, 2]).unwrap();
        let p = Projection::fit(&x, ProjectionKind::Pca, PcaKeep::Variance(0.99), 0.0).unwrap();
        assert_eq!(p.kept(), 1);
        assert!((p.explained_variance() - 1.0).abs() < 1e-12);
        let y = p.apply(&x).unwrap();
        let back = p.invert(&y).unwrap();
        for (a, b) in back.data().iter().zip(x.data()) {
            assert!((a - b).abs() < 1e-12);
        }
        let e = Projection::fit(&x, ProjectionKind::Pca, PcaKeep::Components(3), 0.0).unwrap_err();
        assert!(
            e.to_string().contains("between 1 and the 2 features"),
            "{e}"
        );
        let e =
            Projection::fit(&x, ProjectionKind::Whiten, PcaKeep::Variance(1.0), 0.0).unwrap_err();
        assert!(e.to_string().contains("use eps > 0"), "{e}");
    }
}
