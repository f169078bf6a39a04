//! The first batch of a model file, its gradient report (what `nnc grad` prints) and its
//! gradient check (what `nnc gradcheck` prints).

use super::{ModelFile, ModelFileError};
use nnc_data::{BatchSize, Batcher, Dataset};
use nnc_ops::{Activation, ForwardCtx, LayerSpec, Loss, Penalty, RowShard, Sequential};
use nnc_tape::collective::{self, Collective};
use nnc_tape::{Float, GradcheckOptions, GradcheckReport, GradientReport, Tape, Tensor};
use nnc_train::trainer::step_rng;
use std::sync::Arc;

/// A model with a batch of inputs and labels.
pub type ModelAndBatch<T> = (Sequential<T>, Tensor<T>, Vec<usize>);

/// Rows of the batch used when the file has no `train` section.
pub const DEFAULT_BATCH: usize = 32;

/// One forward/backward pass of a model on a batch: the report and the named gradients.
#[derive(Debug, Clone)]
pub struct GradientPass<T: Float> {
    /// The gradient report (untitled): loss, data loss, then every parameter's gradient.
    pub report: GradientReport,
    /// Each parameter's gradient under its canonical name.
    pub grads: Vec<(String, Tensor<T>)>,
}

impl ModelFile {
    /// The row indices of the first training batch: what step 0 of `nnc run` sees (the
    /// file's batch size and seed; [`DEFAULT_BATCH`] rows without a `train` section).
    pub fn first_batch_rows(&self) -> Result<Vec<usize>, ModelFileError> {
        let train = &self.parts.compiled.data.splits.train;
        let (size, seed) = match &self.parts.compiled.train {
            Some(c) => (c.batch, c.seed),
            None => (BatchSize::Rows(DEFAULT_BATCH), self.parts.compiled.seed),
        };
        let mut batcher = Batcher::new(train.len(), size, true, seed)?;
        Ok(batcher
            .epoch(0)
            .next()
            .map(<[usize]>::to_vec)
            .unwrap_or_default())
    }

    /// The first training batch in `T`: inputs `[b, features]` and labels.
    pub fn first_batch<T: Float>(&self) -> Result<(Tensor<T>, Vec<usize>), ModelFileError> {
        let rows = self.first_batch_rows()?;
        batch_rows(&self.parts.compiled.data.splits.train, &rows)
    }

    /// The weight penalty of the `train` section, if any.
    pub fn penalty(&self) -> Option<Penalty> {
        self.parts.compiled.train.as_ref().and_then(|c| c.penalty)
    }

    /// The gradient report of the model's initial weights on its first batch, in `T`,
    /// titled exactly as `nnc grad --dtype <T>` prints it (its `Display` is that output).
    pub fn gradient_report<T: Float>(&self) -> Result<GradientReport, ModelFileError> {
        let (model, x, y) = self.initial_model_and_batch::<T>()?;
        let mut model = model;
        let pass = gradient_pass(
            &mut model,
            &x,
            &y,
            self.parts.compiled.model.loss,
            self.penalty(),
            self.parts.compiled.seed,
        )?;
        Ok(pass.report.title(self.gradient_title::<T>(y.len())))
    }

    /// The title `nnc grad` gives the report of `examples` rows in `T`.
    pub fn gradient_title<T: Float>(&self, examples: usize) -> String {
        format!(
            "gradients of `{}` on its first batch ({examples} examples, {}, seed {})",
            self.parts.checked.experiment.name,
            T::DTYPE,
            self.parts.compiled.seed
        )
    }

    /// The initial model in `T` (built in f32 from the seed, then converted) and the first
    /// batch.
    pub fn initial_model_and_batch<T: Float>(&self) -> Result<ModelAndBatch<T>, ModelFileError> {
        let model = self.build()?.cast::<T>();
        let (x, y) = self.first_batch::<T>()?;
        Ok((model, x, y))
    }

    /// Every parameter's analytic gradient against f64 central differences on the first
    /// `examples` rows of the first batch (what `nnc gradcheck` prints), checking at most
    /// `options.max_elements` elements per tensor.
    pub fn gradcheck(
        &self,
        examples: usize,
        options: GradcheckOptions,
    ) -> Result<GradcheckReport, ModelFileError> {
        let mut rows = self.first_batch_rows()?;
        rows.truncate(examples);
        let (x, y) = batch_rows::<f64>(&self.parts.compiled.data.splits.train, &rows)?;
        let mut model = self.build()?.to_f64();
        Ok(model.gradcheck(
            &x,
            &y,
            self.parts.compiled.model.loss,
            self.penalty(),
            options,
            self.parts.compiled.seed,
        )?)
    }

    /// Whether the function has kinks (ReLU family, maxout, hinge loss), where relative
    /// errors up to 1e-4 are expected from a gradient check.
    pub fn has_kinks(&self) -> bool {
        matches!(self.parts.compiled.model.loss, Loss::Svm { .. })
            || self.parts.compiled.model.layers.iter().any(|(_, s)| {
                matches!(
                    s,
                    LayerSpec::Maxout { .. }
                        | LayerSpec::Activation(Activation::Relu | Activation::LeakyRelu { .. })
                )
            })
    }
}

/// Inputs and labels of `rows` of `data`, converted to `T`.
pub fn batch_rows<T: Float>(
    data: &Dataset,
    rows: &[usize],
) -> Result<(Tensor<T>, Vec<usize>), ModelFileError> {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    data.fill_batch(rows, &mut x, &mut y)?;
    let x: Vec<T> = x.iter().map(|&v| T::from_f64(f64::from(v))).collect();
    Ok((Tensor::from_vec(x, &[rows.len(), data.features()])?, y))
}

/// One training-mode forward/backward pass of `model` on `(x, y)` as step 0 of a run takes
/// it (dropout masks from `step_rng(seed, 0)`, batch-norm running statistics untouched):
/// the loss `data loss + penalty` and every parameter's gradient.
pub fn gradient_pass<T: Float>(
    model: &mut Sequential<T>,
    x: &Tensor<T>,
    y: &[usize],
    loss: Loss,
    penalty: Option<Penalty>,
    seed: u64,
) -> Result<GradientPass<T>, ModelFileError> {
    gradient_pass_on(model, x, y, loss, penalty, seed, None)
}

/// [`gradient_pass`] data-parallel with the ranks of `parallel` (every rank makes the call
/// with the whole batch): each rank computes its contiguous shard of the rows, and the loss,
/// batch norm's statistics and the gradients are summed across the ranks, so every rank
/// returns the pass of the whole batch, up to the rounding of the sums.
pub fn gradient_pass_on<T: Float>(
    model: &mut Sequential<T>,
    x: &Tensor<T>,
    y: &[usize],
    loss: Loss,
    penalty: Option<Penalty>,
    seed: u64,
    parallel: Option<Arc<dyn Collective>>,
) -> Result<GradientPass<T>, ModelFileError> {
    let mut tape = Tape::<T>::new();
    let mut r = step_rng(seed, 0);
    let mut ctx = ForwardCtx::train(&mut r).frozen_buffers();
    let (rows, features) = (x.shape()[0], x.numel() / x.shape()[0].max(1));
    let part = match &parallel {
        Some(c) => {
            let part = collective::shard(rows, c.rank(), c.size());
            ctx = ctx.sharded(RowShard {
                start: part.start,
                global_rows: rows,
            });
            part
        }
        None => 0..rows,
    };
    let mut shape = x.shape().to_vec();
    shape[0] = part.len();
    let xv = tape.constant_from_slice(
        &x.data()[part.start * features..part.end * features],
        &shape,
    )?;
    let y = &y[part.clone()];
    let scores = collective::within(parallel.as_ref(), || model.forward(&mut tape, xv, &mut ctx))?;
    let mut data_loss = loss.apply(&mut tape, scores, y)?;
    if parallel.is_some() {
        data_loss = tape.scale(data_loss, part.len() as f64 / rows as f64)?;
    }
    let total = match penalty {
        Some(p) if parallel.as_ref().is_none_or(|c| c.rank() == 0) => {
            let ids = model.weight_ids();
            let r = p.apply(&mut tape, model.params(), &ids)?;
            tape.add(data_loss, r)?
        }
        _ => data_loss,
    };
    let mut values = [
        tape.value(data_loss).item()?.to_f64(),
        tape.value(total).item()?.to_f64(),
    ];
    let mut grads = collective::within(parallel.as_ref(), || tape.backward(total))?;
    if let Some(c) = &parallel {
        c.sum(&mut values);
        collective::sum_gradients(&**c, model.params(), &mut grads, &mut Vec::new());
    }
    let [data_value, total_value] = values;
    let mut report = GradientReport::from_gradients(model.params(), &grads);
    report.scalar("loss", total_value);
    report.scalar("data_loss", data_value);
    let params = model.params();
    let named = params
        .ids()
        .filter_map(|id| {
            grads
                .param(id)
                .map(|g| (params.name(id).to_string(), g.clone()))
        })
        .collect();
    Ok(GradientPass {
        report,
        grads: named,
    })
}
