//! Parameters: named, trainable tensors that live across steps (as opposed to constants, which
//! a tape records for one step only).
//!
//! A tape holds a parameter by shared reference for the duration of a recording, so the
//! parameter cannot change under it: [`Parameters::value_mut`] fails until the tape is reset.

use crate::error::{Result, TensorError};
use crate::{Float, Tensor};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Identifies a parameter within its [`Parameters`] store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(pub(crate) usize);

impl ParamId {
    /// The position of the parameter in its store (insertion order).
    pub fn index(self) -> usize {
        self.0
    }
}

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// One named parameter.
#[derive(Clone)]
struct Entry<T: Float> {
    name: String,
    value: Arc<Tensor<T>>,
    trainable: bool,
}

/// A store of named parameters in insertion order.
///
/// Names are the canonical `<layer>.weight`, `<layer>.bias`, `<bn>.gamma`, ... used in reports
/// and weight files. Frozen parameters (`trainable = false`) are recorded as constants.
pub struct Parameters<T: Float> {
    id: u64,
    entries: Vec<Entry<T>>,
}

impl<T: Float> Default for Parameters<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Clone for Parameters<T> {
    /// A deep copy: a new store with its own identity and its own tensors.
    fn clone(&self) -> Self {
        Parameters {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            entries: self
                .entries
                .iter()
                .map(|e| Entry {
                    name: e.name.clone(),
                    value: Arc::new((*e.value).clone()),
                    trainable: e.trainable,
                })
                .collect(),
        }
    }
}

impl<T: Float> Parameters<T> {
    /// An empty store.
    pub fn new() -> Self {
        Parameters {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            entries: Vec::new(),
        }
    }

    /// A unique identity of this store, so a tape can refuse ids from another store.
    pub(crate) fn store_id(&self) -> u64 {
        self.id
    }

    /// Adds a trainable parameter; fails if the name is taken.
    pub fn add(&mut self, name: impl Into<String>, value: Tensor<T>) -> Result<ParamId> {
        self.add_with(name, value, true)
    }

    /// Adds a parameter that is trainable or frozen; fails if the name is taken.
    pub fn add_with(
        &mut self,
        name: impl Into<String>,
        value: Tensor<T>,
        trainable: bool,
    ) -> Result<ParamId> {
        let name = name.into();
        if self.find(&name).is_some() {
            return Err(TensorError::DuplicateParameter { name });
        }
        self.entries.push(Entry {
            name,
            value: Arc::new(value),
            trainable,
        });
        Ok(ParamId(self.entries.len() - 1))
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if the store holds no parameter.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The id of the parameter called `name`.
    pub fn find(&self, name: &str) -> Option<ParamId> {
        self.entries
            .iter()
            .position(|e| e.name == name)
            .map(ParamId)
    }

    /// All ids in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = ParamId> + use<T> {
        (0..self.entries.len()).map(ParamId)
    }

    /// The parameter's canonical name.
    pub fn name(&self, id: ParamId) -> &str {
        &self.entries[id.0].name
    }

    /// The parameter's current value.
    pub fn value(&self, id: ParamId) -> &Tensor<T> {
        &self.entries[id.0].value
    }

    /// The shared handle a tape records (internal).
    pub(crate) fn shared(&self, id: ParamId) -> Option<&Arc<Tensor<T>>> {
        self.entries.get(id.0).map(|e| &e.value)
    }

    /// Whether the parameter is updated by training.
    pub fn is_trainable(&self, id: ParamId) -> bool {
        self.entries[id.0].trainable
    }

    /// Freezes or unfreezes a parameter.
    pub fn set_trainable(&mut self, id: ParamId, trainable: bool) {
        self.entries[id.0].trainable = trainable;
    }

    /// The parameter's value for updating; fails while a tape still holds it.
    pub fn value_mut(&mut self, id: ParamId) -> Result<&mut Tensor<T>> {
        let e = &mut self.entries[id.0];
        Arc::get_mut(&mut e.value).ok_or_else(|| TensorError::ParameterInUse {
            name: e.name.clone(),
        })
    }

    /// Replaces a parameter's value (same shape); fails while a tape still holds it.
    pub fn set(&mut self, id: ParamId, value: Tensor<T>) -> Result<()> {
        let slot = self.value_mut(id)?;
        if slot.shape() != value.shape() {
            return Err(TensorError::mismatch("set", slot.shape(), value.shape()));
        }
        *slot = value;
        Ok(())
    }

    /// Total number of scalar values over all parameters.
    pub fn numel(&self) -> usize {
        self.entries.iter().map(|e| e.value.numel()).sum()
    }

    /// A copy of the store in another float type (e.g. f64 for gradient checks).
    pub fn cast<U: Float>(&self) -> Parameters<U> {
        Parameters {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            entries: self
                .entries
                .iter()
                .map(|e| Entry {
                    name: e.name.clone(),
                    value: Arc::new(e.value.cast()),
                    trainable: e.trainable,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let mut p = Parameters::<f32>::new();
        let w = p.add("fc.weight", Tensor::zeros(&[2, 2])).unwrap();
        let b = p.add("fc.bias", Tensor::zeros(&[2])).unwrap();
        assert_eq!(p.find("fc.bias"), Some(b));
        assert_eq!(p.name(w), "fc.weight");
        assert_eq!(p.numel(), 6);
        assert_eq!(
            p.add("fc.weight", Tensor::zeros(&[1])).unwrap_err(),
            TensorError::DuplicateParameter {
                name: "fc.weight".into()
            }
        );
    }
}
