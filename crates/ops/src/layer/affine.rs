//! Affine layers: [`Dense`] and [`Maxout`], whose parameters are a weight `[in, cols]` and an
//! optional bias `[cols]`.

use super::{Layer, LayerKind, check_width};
use crate::activation::Activation;
use crate::dense::{dense, dense_activation};
use crate::error::{OpsError, Result};
use crate::init::Init;
use crate::maxout::maxout;
use crate::mode::ForwardCtx;
use nnc_tape::{Float, ParamId, Parameters, Rng, Tape, Var};

/// Adds the weight and optional bias of an affine map; returns `[weight, bias?]`.
#[allow(clippy::too_many_arguments)]
fn add_affine_params<T: Float>(
    params: &mut Parameters<T>,
    name: &str,
    in_width: usize,
    cols: usize,
    init: Init,
    bias: Option<Init>,
    rng: &mut Rng,
) -> Result<Vec<ParamId>> {
    let w = init.weight::<T>(in_width, cols, rng)?;
    let mut ids = vec![params.add(format!("{name}.weight"), w)?];
    if let Some(b) = bias {
        let b = b.bias::<T>(cols, in_width, rng)?;
        ids.push(params.add(format!("{name}.bias"), b)?);
    }
    Ok(ids)
}

/// Records the parameters `[w, b?]` and returns their handles.
fn record_affine<T: Float>(
    tape: &mut Tape<T>,
    params: &Parameters<T>,
    ids: &[ParamId],
) -> Result<(Var, Option<Var>)> {
    let w = tape.param(params, ids[0])?;
    let b = ids.get(1).map(|&id| tape.param(params, id)).transpose()?;
    Ok((w, b))
}

/// A fully connected layer `x W + b` ([`crate::dense()`]); parameters `<name>.weight`
/// `[in, units]` and optionally `<name>.bias` `[units]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    name: String,
    in_width: usize,
    units: usize,
    ids: Vec<ParamId>,
}

impl Dense {
    /// Adds the layer's parameters to `params` (weight from `init`, bias from `bias` if any).
    pub fn new<T: Float>(
        params: &mut Parameters<T>,
        name: &str,
        in_width: usize,
        units: usize,
        init: Init,
        bias: Option<Init>,
        rng: &mut Rng,
    ) -> Result<Self> {
        if units == 0 || in_width == 0 {
            return Err(OpsError::config(
                "dense",
                format!("widths must be at least 1, got {in_width} inputs and {units} units"),
            ));
        }
        let ids = add_affine_params(params, name, in_width, units, init, bias, rng)?;
        Ok(Dense {
            name: name.to_string(),
            in_width,
            units,
            ids,
        })
    }

    /// The weight's id.
    pub fn weight(&self) -> ParamId {
        self.ids[0]
    }

    /// The bias's id, if the layer has one.
    pub fn bias(&self) -> Option<ParamId> {
        self.ids.get(1).copied()
    }
}

impl<T: Float> Layer<T> for Dense {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> LayerKind {
        LayerKind::Dense
    }
    fn forward(
        &mut self,
        tape: &mut Tape<T>,
        params: &Parameters<T>,
        x: Var,
        _: &mut ForwardCtx<'_>,
    ) -> Result<Var> {
        let (w, b) = record_affine(tape, params, &self.ids)?;
        dense(tape, x, w, b)
    }
    fn forward_with_activation(
        &mut self,
        tape: &mut Tape<T>,
        params: &Parameters<T>,
        x: Var,
        act: Activation,
        _: &mut ForwardCtx<'_>,
    ) -> Result<Option<Var>> {
        let (w, b) = record_affine(tape, params, &self.ids)?;
        dense_activation(tape, x, w, b, act).map(Some)
    }
    fn param_ids(&self) -> &[ParamId] {
        &self.ids
    }
    fn weight_ids(&self) -> &[ParamId] {
        &self.ids[..1]
    }
    fn output_width(&self, input_width: usize) -> Result<usize> {
        check_width(&self.name, self.in_width, input_width)?;
        Ok(self.units)
    }
    fn to_f64(&self) -> Box<dyn Layer<f64>> {
        Box::new(self.clone())
    }
    fn to_f32(&self) -> Box<dyn Layer<f32>> {
        Box::new(self.clone())
    }
}

/// A maxout layer ([`crate::maxout()`]): `units` outputs, each the max of `pieces` affine
/// pieces; parameters `<name>.weight` `[in, units·pieces]` and optionally `<name>.bias`
/// `[units·pieces]` — `pieces` times the parameters of a dense layer of the same width.
#[derive(Debug, Clone, PartialEq)]
pub struct Maxout {
    name: String,
    in_width: usize,
    units: usize,
    pieces: usize,
    ids: Vec<ParamId>,
}

impl Maxout {
    /// Adds the layer's parameters to `params`. The weight's fans are `in` and `units·pieces`.
    #[allow(clippy::too_many_arguments)]
    pub fn new<T: Float>(
        params: &mut Parameters<T>,
        name: &str,
        in_width: usize,
        units: usize,
        pieces: usize,
        init: Init,
        bias: Option<Init>,
        rng: &mut Rng,
    ) -> Result<Self> {
        if pieces < 2 {
            return Err(OpsError::config(
                "maxout",
                format!("needs at least 2 pieces per unit, got {pieces}"),
            ));
        }
        if units == 0 || in_width == 0 {
            return Err(OpsError::config(
                "maxout",
                format!("widths must be at least 1, got {in_width} inputs and {units} units"),
            ));
        }
        let ids = add_affine_params(params, name, in_width, units * pieces, init, bias, rng)?;
        Ok(Maxout {
            name: name.to_string(),
            in_width,
            units,
            pieces,
            ids,
        })
    }

    /// The weight's id.
    pub fn weight(&self) -> ParamId {
        self.ids[0]
    }

    /// The bias's id, if the layer has one.
    pub fn bias(&self) -> Option<ParamId> {
        self.ids.get(1).copied()
    }
}

impl<T: Float> Layer<T> for Maxout {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> LayerKind {
        LayerKind::Maxout {
            pieces: self.pieces,
        }
    }
    fn forward(
        &mut self,
        tape: &mut Tape<T>,
        params: &Parameters<T>,
        x: Var,
        _: &mut ForwardCtx<'_>,
    ) -> Result<Var> {
        let (w, b) = record_affine(tape, params, &self.ids)?;
        maxout(tape, x, w, b, self.pieces)
    }
    fn param_ids(&self) -> &[ParamId] {
        &self.ids
    }
    fn weight_ids(&self) -> &[ParamId] {
        &self.ids[..1]
    }
    fn output_width(&self, input_width: usize) -> Result<usize> {
        check_width(&self.name, self.in_width, input_width)?;
        Ok(self.units)
    }
    fn to_f64(&self) -> Box<dyn Layer<f64>> {
        Box::new(self.clone())
    }
    fn to_f32(&self) -> Box<dyn Layer<f32>> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnc_tape::rng;

    #[test]
    fn maxout_has_k_times_the_parameters_of_a_dense_layer() {
        for pieces in [2, 3, 5] {
            let mut d = Parameters::<f32>::new();
            Dense::new(
                &mut d,
                "d",
                20,
                7,
                Init::Xavier,
                Some(Init::Zeros),
                &mut rng(0),
            )
            .unwrap();
            let mut m = Parameters::<f32>::new();
            let mo = Maxout::new(
                &mut m,
                "m",
                20,
                7,
                pieces,
                Init::Xavier,
                Some(Init::Zeros),
                &mut rng(0),
            )
            .unwrap();
            assert_eq!(m.numel(), pieces * d.numel());
            assert_eq!(m.value(mo.weight()).shape(), &[20, 7 * pieces]);
            assert_eq!(m.name(mo.bias().unwrap()), "m.bias");
        }
    }

    #[test]
    fn dense_names_and_shapes() {
        let mut p = Parameters::<f64>::new();
        let d = Dense::new(&mut p, "fc1", 4, 3, Init::He, None, &mut rng(1)).unwrap();
        assert_eq!(p.name(d.weight()), "fc1.weight");
        assert_eq!(p.value(d.weight()).shape(), &[4, 3]);
        assert!(d.bias().is_none());
        assert_eq!(Layer::<f64>::weight_ids(&d), &[d.weight()]);
        assert!(Layer::<f64>::output_width(&d, 5).is_err());
        assert_eq!(Layer::<f64>::output_width(&d, 4).unwrap(), 3);
    }
}
