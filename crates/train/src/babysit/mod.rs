//! The babysitter: automatic checks of the learning process, each with a threshold, the
//! evidence and advice (the "babysitting the learning process" of the CS231n notes).

pub mod activations;
pub mod causes;
pub mod data_checks;
pub mod finding;
pub mod loss_checks;
pub mod training_checks;

pub use activations::{ActivationMonitor, LayerStats, UnitKind};
pub use causes::Causes;
pub use data_checks::{DataContext, DataFacts, FeatureStats, data_checks, leakage_check};
pub use finding::{CheckKind, Finding, Severity};
pub use loss_checks::{
    DivergenceMonitor, FlatLossMonitor, LossKind, ScoreFacts, expected_initial_loss,
    initial_loss_check, initial_loss_check_with,
};
pub use training_checks::{UpdateRatioMonitor, chance_level_check, overfitting_check};
