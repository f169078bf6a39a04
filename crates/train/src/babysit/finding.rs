//! Findings: what the babysitter noticed, as structured values a CLI can print and a test can
//! assert on.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information (a passed check, a statistic).
    Info,
    /// Likely a problem; training continues.
    Warning,
    /// A definite problem; training stopped or the result cannot be trusted.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// The check that produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The loss before training compared with its expected value for random scores.
    InitialLoss,
    /// The loss rises when regularisation is switched on (doctor).
    RegularizationRaisesLoss,
    /// A tiny training subset can be fitted to 100 % (doctor).
    OverfitTinySubset,
    /// A learning-rate range test (doctor).
    LearningRateRange,
    /// Analytic gradients against finite differences (doctor).
    GradientCheck,
    /// The loss became non-finite or exploded.
    Divergence,
    /// The loss stopped decreasing.
    FlatLoss,
    /// Parameter updates too large or too small relative to the parameters.
    UpdateRatio,
    /// ReLU units that never activate.
    DeadUnits,
    /// Sigmoid/tanh units stuck in their flat tails.
    Saturation,
    /// Activation mean/std through depth.
    ActivationStatistics,
    /// Training accuracy far above validation accuracy.
    Overfitting,
    /// Training accuracy no better than guessing: the model learned nothing.
    ChanceLevel,
    /// Identical examples in more than one split.
    DataLeakage,
    /// A search's best value lies at the edge of its range.
    RangeEdge,
    /// One search trial is far better than all the others.
    OutlierTrial,
    /// Input features on very different or very large scales (not centred and normalised).
    FeatureScales,
    /// Features with one value on every training row.
    ConstantFeatures,
    /// A split whose class proportions differ far from the whole data's.
    SplitBalance,
    /// Rows grouped by label and split in file order (`shuffle: false`).
    SortedRows,
    /// One class holds most of the rows.
    ClassImbalance,
    /// Far more parameters than training rows.
    ModelSize,
    /// A feature that is the label in another form.
    LabelInFeatures,
    /// The data checks together (the doctor's first step).
    DataChecks,
}

impl CheckKind {
    /// A short human name of the check.
    pub fn title(self) -> &'static str {
        match self {
            CheckKind::InitialLoss => "initial loss",
            CheckKind::RegularizationRaisesLoss => "regularization raises the loss",
            CheckKind::OverfitTinySubset => "overfit a tiny subset",
            CheckKind::LearningRateRange => "learning-rate range",
            CheckKind::GradientCheck => "gradient check",
            CheckKind::Divergence => "divergence",
            CheckKind::FlatLoss => "flat loss",
            CheckKind::UpdateRatio => "update/weight ratio",
            CheckKind::DeadUnits => "dead units",
            CheckKind::Saturation => "saturation",
            CheckKind::ActivationStatistics => "activation statistics",
            CheckKind::Overfitting => "overfitting",
            CheckKind::ChanceLevel => "chance level",
            CheckKind::DataLeakage => "data leakage",
            CheckKind::RangeEdge => "search range edge",
            CheckKind::OutlierTrial => "outlier trial",
            CheckKind::FeatureScales => "feature scales",
            CheckKind::ConstantFeatures => "constant features",
            CheckKind::SplitBalance => "split balance",
            CheckKind::SortedRows => "sorted rows",
            CheckKind::ClassImbalance => "class imbalance",
            CheckKind::ModelSize => "model size",
            CheckKind::LabelInFeatures => "label in the features",
            CheckKind::DataChecks => "data",
        }
    }
}

/// One observation of the babysitter: what was measured, against what threshold, what it
/// means, and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The check that fired.
    pub check: CheckKind,
    /// How serious it is.
    pub severity: Severity,
    /// The layer or parameter concerned, if any.
    pub subject: Option<String>,
    /// The training step at which it was observed, if during training.
    pub step: Option<u64>,
    /// The measured figures, by name (e.g. `("loss", 4.1)`, `("expected", 2.303)`).
    pub measured: Vec<(String, f64)>,
    /// The threshold that was crossed, in words (e.g. "within 10 % of ln(C)").
    pub threshold: String,
    /// What happened, in plain words with the numbers.
    pub message: String,
    /// What to do about it.
    pub advice: String,
    /// For a symptom (initial loss, divergence, flat loss, chance level, overfitting, ...):
    /// the data check whose finding explains it, which the message and advice lead with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<CheckKind>,
}

impl Finding {
    /// A finding with no figures yet.
    pub fn new(check: CheckKind, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            check,
            severity,
            subject: None,
            step: None,
            measured: Vec::new(),
            threshold: String::new(),
            message: message.into(),
            advice: String::new(),
            cause: None,
        }
    }

    /// Sets the subject (layer or parameter name).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the step.
    pub fn at_step(mut self, step: u64) -> Self {
        self.step = Some(step);
        self
    }

    /// Adds a measured figure.
    pub fn measure(mut self, name: impl Into<String>, value: f64) -> Self {
        self.measured.push((name.into(), value));
        self
    }

    /// Sets the threshold description.
    pub fn threshold(mut self, threshold: impl Into<String>) -> Self {
        self.threshold = threshold.into();
        self
    }

    /// Sets the advice.
    pub fn advice(mut self, advice: impl Into<String>) -> Self {
        self.advice = advice.into();
        self
    }

    /// A measured figure by name.
    pub fn figure(&self, name: &str) -> Option<f64> {
        self.measured
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }
}

impl Finding {
    /// The word a finding starts with: `ok` for a passed check, `note` for information that
    /// comes with advice (a fact about the data), else the severity (`warning`, `error`).
    pub fn label(&self) -> &'static str {
        match self.severity {
            Severity::Info if self.advice.is_empty() => "ok",
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Finding {
    /// The finding in plain words, as `nnc run` prints it:
    /// `warning [dead units] relu1, step 40: … \n  advice: …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.label(), self.check.title())?;
        match (&self.subject, self.step) {
            (Some(subject), Some(step)) => write!(f, " {subject}, step {step}")?,
            (Some(subject), None) => write!(f, " {subject}")?,
            (None, Some(step)) => write!(f, " step {step}")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)?;
        if !self.advice.is_empty() {
            write!(f, "\n  advice: {}", self.advice)?;
        }
        Ok(())
    }
}
