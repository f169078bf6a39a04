//! Per-parameter optimiser state: one optional tensor per parameter id and slot kind.

use nnc_tape::{Float, ParamId, Parameters, Result, Tensor, TensorError};

/// One state tensor per parameter (e.g. the momentum of each), created as zeros on first use.
#[derive(Debug, Clone)]
pub(crate) struct Slots<T: Float> {
    /// The slot's name in checkpoints (`<param>.<name>`).
    pub(crate) name: &'static str,
    tensors: Vec<Option<Tensor<T>>>,
}

impl<T: Float> Slots<T> {
    pub(crate) fn new(name: &'static str) -> Self {
        Slots {
            name,
            tensors: Vec::new(),
        }
    }

    /// The slot of `id`, zeros of `shape` if it does not exist yet.
    pub(crate) fn get(&mut self, id: ParamId, shape: &[usize]) -> &mut Tensor<T> {
        self.get_new(id, shape).0
    }

    /// The slot of `id` (zeros of `shape` if it does not exist yet) and whether it was just
    /// created: this parameter's first update.
    pub(crate) fn get_new(&mut self, id: ParamId, shape: &[usize]) -> (&mut Tensor<T>, bool) {
        let i = id.index();
        if self.tensors.len() <= i {
            self.tensors.resize_with(i + 1, || None);
        }
        let created = self.tensors[i].is_none();
        (
            self.tensors[i].get_or_insert_with(|| Tensor::zeros(shape)),
            created,
        )
    }

    /// The named tensors of all existing slots.
    pub(crate) fn export(&self, params: &Parameters<T>, out: &mut Vec<(String, Tensor<T>)>) {
        for (i, t) in self.tensors.iter().enumerate() {
            if let Some(t) = t
                && let Some(id) = params.ids().nth(i)
            {
                out.push((format!("{}.{}", params.name(id), self.name), t.clone()));
            }
        }
    }

    /// Restores the slots named `<param>.<name>` from `tensors`.
    pub(crate) fn import(
        &mut self,
        params: &Parameters<T>,
        tensors: &[(String, Tensor<T>)],
    ) -> Result<()> {
        self.tensors.clear();
        for id in params.ids() {
            let key = format!("{}.{}", params.name(id), self.name);
            if let Some((_, t)) = tensors.iter().find(|(k, _)| *k == key) {
                if t.shape() != params.value(id).shape() {
                    return Err(TensorError::mismatch(
                        "optimizer state",
                        t.shape(),
                        params.value(id).shape(),
                    ));
                }
                *self.get(id, t.shape()) = t.clone();
            }
        }
        Ok(())
    }
}
