//! The batch-norm layer: parameters γ/β, buffers for the running statistics.

use super::{Buffer, Layer, LayerKind, check_width};
use crate::activation::Activation;
use crate::batchnorm::{BatchNormConfig, batch_norm, batch_norm_train_activation};
use crate::error::{OpsError, Result};
use crate::mode::{ForwardCtx, Mode};
use nnc_tape::{Float, ParamId, Parameters, Tape, Tensor, Var};

/// A batch-norm layer ([`crate::batchnorm`]): parameters `<name>.gamma` (ones) and
/// `<name>.beta` (zeros) unless not affine; buffers `<name>.running_mean` (zeros) and
/// `<name>.running_var` (ones).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNorm<T: Float> {
    name: String,
    width: usize,
    config: BatchNormConfig,
    ids: Vec<ParamId>,
    buffers: [Buffer<T>; 2],
}

impl<T: Float> BatchNorm<T> {
    /// Adds γ and β to `params` when `affine`, and creates the running statistics.
    pub fn new(
        params: &mut Parameters<T>,
        name: &str,
        width: usize,
        config: BatchNormConfig,
        affine: bool,
    ) -> Result<Self> {
        config.validate()?;
        if width == 0 {
            return Err(OpsError::config(
                "batchnorm",
                "the width must be at least 1",
            ));
        }
        let mut ids = Vec::new();
        if affine {
            ids.push(params.add(format!("{name}.gamma"), Tensor::ones(&[width]))?);
            ids.push(params.add(format!("{name}.beta"), Tensor::zeros(&[width]))?);
        }
        let buffers = [
            Buffer {
                name: format!("{name}.running_mean"),
                value: Tensor::zeros(&[width]),
            },
            Buffer {
                name: format!("{name}.running_var"),
                value: Tensor::ones(&[width]),
            },
        ];
        Ok(BatchNorm {
            name: name.to_string(),
            width,
            config,
            ids,
            buffers,
        })
    }

    /// The settings.
    pub fn config(&self) -> BatchNormConfig {
        self.config
    }

    /// The running mean.
    pub fn running_mean(&self) -> &Tensor<T> {
        &self.buffers[0].value
    }

    /// The running (unbiased) variance.
    pub fn running_var(&self) -> &Tensor<T> {
        &self.buffers[1].value
    }

    fn cast<U: Float>(&self) -> BatchNorm<U> {
        BatchNorm {
            name: self.name.clone(),
            width: self.width,
            config: self.config,
            ids: self.ids.clone(),
            buffers: [self.buffers[0].cast(), self.buffers[1].cast()],
        }
    }
}

impl<T: Float> Layer<T> for BatchNorm<T> {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> LayerKind {
        LayerKind::BatchNorm
    }
    fn forward(
        &mut self,
        tape: &mut Tape<T>,
        params: &Parameters<T>,
        x: Var,
        ctx: &mut ForwardCtx<'_>,
    ) -> Result<Var> {
        let affine = match self.ids[..] {
            [g, b] => Some((tape.param(params, g)?, tape.param(params, b)?)),
            _ => None,
        };
        let [mean, var] = &mut self.buffers;
        batch_norm(
            tape,
            x,
            affine,
            self.config,
            &mut mean.value,
            &mut var.value,
            ctx,
        )
    }
    /// In Train mode, batch norm and the activation run as one fused node
    /// ([`batch_norm_train_activation`]); in Eval mode they stay separate.
    fn forward_with_activation(
        &mut self,
        tape: &mut Tape<T>,
        params: &Parameters<T>,
        x: Var,
        act: Activation,
        ctx: &mut ForwardCtx<'_>,
    ) -> Result<Option<Var>> {
        if ctx.mode != Mode::Train {
            return Ok(None);
        }
        let affine = match self.ids[..] {
            [g, b] => Some((tape.param(params, g)?, tape.param(params, b)?)),
            _ => None,
        };
        let [mean, var] = &mut self.buffers;
        let running = ctx
            .update_buffers
            .then_some((&mut mean.value, &mut var.value));
        batch_norm_train_activation(tape, x, affine, self.config, running, act).map(Some)
    }
    fn param_ids(&self) -> &[ParamId] {
        &self.ids
    }
    fn buffers(&self) -> &[Buffer<T>] {
        &self.buffers
    }
    fn buffers_mut(&mut self) -> &mut [Buffer<T>] {
        &mut self.buffers
    }
    fn output_width(&self, input_width: usize) -> Result<usize> {
        check_width(&self.name, self.width, input_width)?;
        Ok(self.width)
    }
    fn to_f64(&self) -> Box<dyn Layer<f64>> {
        Box::new(self.cast::<f64>())
    }
    fn to_f32(&self) -> Box<dyn Layer<f32>> {
        Box::new(self.cast::<f32>())
    }
}
