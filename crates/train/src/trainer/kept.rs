//! The weights a run ends with: the best validation evaluation's (`keep best`, kept in memory
//! as it happens) or the last step's (`keep last`), and after a divergence the last finite ones.

use super::TrainError;
use nnc_ops::Sequential;
use nnc_tape::Tensor;
use serde::{Deserialize, Serialize};

/// Which weights a run ended with, and from when: what `weights.safetensors` holds and what the
/// final metrics were measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptWeights {
    /// `best` (the best validation evaluation), `last` (the last step) or `last_finite` (the
    /// weights the diverging step started from, the last ones known to be finite).
    pub which: String,
    /// Steps completed when these weights were current.
    pub step: u64,
    /// Epochs completed when these weights were current.
    pub epoch: f64,
    /// Why these weights, in words.
    pub reason: String,
}

/// A copy of a model's parameters and buffers at one step.
#[derive(Debug, Clone)]
pub(super) struct Snapshot {
    pub(super) step: u64,
    pub(super) epoch: f64,
    params: Vec<Tensor<f32>>,
    buffers: Vec<Tensor<f32>>,
}

impl Snapshot {
    /// Copies `model`'s state, reusing `into`'s storage when given.
    pub(super) fn take(
        model: &Sequential<f32>,
        step: u64,
        epoch: f64,
        into: Option<Snapshot>,
    ) -> Snapshot {
        let mut s = into.unwrap_or(Snapshot {
            step,
            epoch,
            params: Vec::new(),
            buffers: Vec::new(),
        });
        s.step = step;
        s.epoch = epoch;
        let p = model.params();
        copy_all(&mut s.params, p.ids().map(|id| p.value(id)));
        copy_all(&mut s.buffers, model.buffers().map(|b| &b.value));
        s
    }

    /// Puts the copied state back into `model` (the model it was taken from).
    pub(super) fn restore(&self, model: &mut Sequential<f32>) -> Result<(), TrainError> {
        let ids: Vec<_> = model.params().ids().collect();
        for (id, t) in ids.into_iter().zip(&self.params) {
            model.params_mut().set(id, t.clone())?;
        }
        let names: Vec<String> = model.buffers().map(|b| b.name.to_string()).collect();
        for (name, t) in names.iter().zip(&self.buffers) {
            model.set_buffer(name, t.clone())?;
        }
        Ok(())
    }
}

/// Copies each source tensor into `dst`, allocating only when the shapes change.
fn copy_all<'a>(dst: &mut Vec<Tensor<f32>>, src: impl Iterator<Item = &'a Tensor<f32>>) {
    let mut n = 0;
    for (i, t) in src.enumerate() {
        match dst.get_mut(i) {
            Some(d) if d.shape() == t.shape() => d.data_mut().copy_from_slice(t.data()),
            Some(d) => *d = t.clone(),
            None => dst.push(t.clone()),
        }
        n = i + 1;
    }
    dst.truncate(n);
}
