//! The babysitter: automatic checks of the learning process, each with a threshold, the
//! evidence and advice (the "babysitting the learning process" of the CS231n notes).

pub mod activations;
pub mod finding;
pub mod loss_checks;
pub mod training_checks;

pub use activations::{ActivationMonitor, LayerStats, UnitKind};
pub use finding::{CheckKind, Finding, Severity};
pub use loss_checks::{
    DivergenceMonitor, FlatLossMonitor, LossKind, expected_initial_loss, initial_loss_check,
};
pub use training_checks::{
    UpdateRatioMonitor, chance_level_check, leakage_check, overfitting_check,
};
