//! Layers without parameters: dropout and activations.

use super::{Layer, LayerKind};
use crate::activation::Activation;
use crate::dropout::{check_rate, dropout};
use crate::error::Result;
use crate::mode::ForwardCtx;
use nnc_tape::{Float, ParamId, Parameters, Tape, Var};

/// An inverted-dropout layer ([`crate::dropout()`]) with drop probability `rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropout {
    name: String,
    rate: f64,
}

impl Dropout {
    /// A dropout layer; fails unless `rate ∈ [0, 1)`.
    pub fn new(name: &str, rate: f64) -> Result<Self> {
        check_rate(rate)?;
        Ok(Dropout {
            name: name.to_string(),
            rate,
        })
    }

    /// The drop probability.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

impl<T: Float> Layer<T> for Dropout {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> LayerKind {
        LayerKind::Dropout
    }
    fn forward(
        &mut self,
        tape: &mut Tape<T>,
        _: &Parameters<T>,
        x: Var,
        ctx: &mut ForwardCtx<'_>,
    ) -> Result<Var> {
        dropout(tape, x, self.rate, ctx)
    }
    fn param_ids(&self) -> &[ParamId] {
        &[]
    }
    fn output_width(&self, input_width: usize) -> Result<usize> {
        Ok(input_width)
    }
    fn to_f64(&self) -> Box<dyn Layer<f64>> {
        Box::new(self.clone())
    }
    fn to_f32(&self) -> Box<dyn Layer<f32>> {
        Box::new(self.clone())
    }
}

/// An elementwise activation as a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivationLayer {
    name: String,
    activation: Activation,
}

impl ActivationLayer {
    /// An activation layer; fails for an invalid parameter (negative leaky slope, ...).
    pub fn new(name: &str, activation: Activation) -> Result<Self> {
        activation.validate()?;
        Ok(ActivationLayer {
            name: name.to_string(),
            activation,
        })
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

impl<T: Float> Layer<T> for ActivationLayer {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> LayerKind {
        LayerKind::Activation(self.activation)
    }
    fn forward(
        &mut self,
        tape: &mut Tape<T>,
        _: &Parameters<T>,
        x: Var,
        _: &mut ForwardCtx<'_>,
    ) -> Result<Var> {
        self.activation.apply(tape, x)
    }
    fn param_ids(&self) -> &[ParamId] {
        &[]
    }
    fn output_width(&self, input_width: usize) -> Result<usize> {
        Ok(input_width)
    }
    fn to_f64(&self) -> Box<dyn Layer<f64>> {
        Box::new(self.clone())
    }
    fn to_f32(&self) -> Box<dyn Layer<f32>> {
        Box::new(self.clone())
    }
}
