//! `nnc doctor`: the babysitting protocol of the CS231n notes, run before a long training,
//! each step with a verdict and the evidence. A step that does not pass leads with the data
//! finding that explains it ([`Causes`]).
//!
//! 0. **Data**: the [data checks](mod@crate::babysit::data_checks) (printed as step 1).
//! 1. **Initial loss** with regularisation off: `ln C` for softmax, `(C − 1)·Δ` for the SVM.
//! 2. **Regularisation raises the loss**: the same loss with a strong penalty must be higher.
//! 3. **Overfit a tiny subset**: 20 examples, no regularisation, must be fitted to 100 %.
//! 4. **Learning-rate range test**: an exponential sweep; the configured rate should lie in the
//!    suggested range.
//! 5. **Gradient check**: the whole model in f64 against central differences.
//! 6. **Activation statistics at initialisation**: mean/std per layer through depth; collapse
//!    or explosion, dead and saturated units.

mod depth;
mod lr_range;
mod overfit;
mod probe;

pub use depth::{DepthStats, activation_statistics};
pub use lr_range::{LrRange, analyse, lr_range_test};
pub use overfit::{OverfitResult, OverfitSettings, overfit_tiny_subset};
pub(crate) use probe::initial_scores;

use crate::babysit::{
    Causes, CheckKind, DataFacts, Finding, Severity, data_checks, initial_loss_check_with,
};
use crate::trainer::{TrainConfig, TrainData, TrainError};
use nnc_data::Dataset;
use nnc_ops::{Loss, Penalty, Sequential};
use nnc_tape::{GradcheckOptions, Verdict as GradVerdict, rng};
use rand::seq::SliceRandom;
use std::fmt;

/// The verdict of one doctor step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// The check passed.
    Pass,
    /// Likely a problem.
    Warn,
    /// A definite problem.
    Fail,
    /// Not applicable to this model or data.
    Skipped,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
            Verdict::Skipped => "SKIP",
        })
    }
}

/// One step of the protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct DoctorStep {
    /// The check.
    pub check: CheckKind,
    /// Its verdict.
    pub verdict: Verdict,
    /// One line with the numbers.
    pub summary: String,
    /// Details (a table), if any.
    pub details: String,
    /// What the babysitter found, if anything.
    pub findings: Vec<Finding>,
    /// A curve to plot, if the step has one (the LR range test: `(lr, smoothed loss)`; the
    /// overfit test: `(step, loss)`).
    pub curve: Vec<(f64, f64)>,
}

/// The whole protocol's result.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DoctorReport {
    /// The steps in order.
    pub steps: Vec<DoctorStep>,
}

impl DoctorReport {
    /// The worst verdict of any step that ran.
    pub fn overall(&self) -> Verdict {
        self.steps
            .iter()
            .map(|s| s.verdict)
            .filter(|v| *v != Verdict::Skipped)
            .max()
            .unwrap_or(Verdict::Skipped)
    }

    /// The step of a check.
    pub fn step(&self, check: CheckKind) -> Option<&DoctorStep> {
        self.steps.iter().find(|s| s.check == check)
    }
}

impl fmt::Display for DoctorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.steps.iter().enumerate() {
            writeln!(
                f,
                "{}. [{}] {}: {}",
                i + 1,
                s.verdict,
                s.check.title(),
                s.summary
            )?;
            for line in s.details.lines() {
                writeln!(f, "     {line}")?;
            }
            for finding in &s.findings {
                if finding.severity >= Severity::Warning && !finding.advice.is_empty() {
                    writeln!(f, "     advice: {}", finding.advice)?;
                }
            }
        }
        let overall = self.overall();
        let words = match overall {
            Verdict::Pass => "every check passed: ready to train",
            Verdict::Warn => "some checks need a look before a long run",
            Verdict::Fail => "fix the failing checks before training",
            Verdict::Skipped => "nothing was checked",
        };
        write!(f, "overall: {overall}: {words}")
    }
}

/// Settings of the protocol.
#[derive(Debug, Clone)]
pub struct DoctorOptions {
    /// Examples in the tiny subset.
    pub tiny_subset: usize,
    /// Step budget to overfit it.
    pub overfit_steps: u64,
    /// Range of the learning-rate sweep.
    pub lr_range: (f64, f64),
    /// Steps of the sweep.
    pub lr_steps: u64,
    /// Examples in the gradient check.
    pub gradcheck_examples: usize,
    /// Elements checked per parameter tensor.
    pub gradcheck_elements: usize,
    /// Rows used for the initial loss and the activation statistics.
    pub probe_rows: usize,
    /// Seed of the subset choice, dropout masks and batch order.
    pub seed: u64,
}

impl Default for DoctorOptions {
    fn default() -> Self {
        DoctorOptions {
            tiny_subset: 20,
            overfit_steps: 2000,
            lr_range: (1e-7, 10.0),
            lr_steps: 200,
            gradcheck_examples: 8,
            gradcheck_elements: 24,
            probe_rows: 1024,
            seed: 0,
        }
    }
}

/// Runs the protocol. `build` makes a fresh, untrained model each time it is called (every
/// step starts from initialisation).
pub fn run(
    build: &dyn Fn() -> Result<Sequential<f32>, TrainError>,
    loss: Loss,
    data: TrainData<'_>,
    config: &TrainConfig,
    options: &DoctorOptions,
) -> Result<DoctorReport, TrainError> {
    let train = data.train;
    let classes = build()?.output_width();
    let probe: Vec<usize> = (0..train.len().min(options.probe_rows)).collect();
    let (x, y) = probe::rows(train, &probe)?;
    let mut report = DoctorReport::default();

    // 0. The data checks: the causes the other steps lead with.
    let model = build()?;
    let found = data_checks(&DataFacts {
        train,
        val: data.val,
        context: data.context,
        parameters: model.num_params(),
    });
    let causes = Causes::new(&found);
    report.steps.push(data_step(found));

    // 1. Initial loss, regularisation off.
    let (l0, scores) = probe::initial_scores(&mut build()?, loss, &x, &y, options.seed)?;
    report.steps.push(
        match initial_loss_check_with(l0, crate::trainer::loss_kind(loss), classes, &scores) {
            Some(f) => DoctorStep {
                check: CheckKind::InitialLoss,
                verdict: if f.severity >= Severity::Warning {
                    Verdict::Fail
                } else {
                    Verdict::Pass
                },
                summary: f.message.clone(),
                details: String::new(),
                findings: vec![f],
                curve: Vec::new(),
            },
            None => skipped(CheckKind::InitialLoss, "no expected value for this loss"),
        },
    );

    // 2. Regularisation raises the loss.
    report.steps.push(regularization_step(
        build, loss, config, &x, &y, l0, options,
    )?);

    // 3. Overfit a tiny subset.
    report
        .steps
        .push(overfit_step(build, loss, train, config, options)?);

    // 4. Learning-rate range test.
    report
        .steps
        .push(lr_step(build, loss, train, config, options)?);

    // 5. Gradient check in f64.
    report
        .steps
        .push(gradcheck_step(build, loss, train, config, options)?);

    // 6. Activation statistics at initialisation.
    let stats = activation_statistics(&mut build()?, &x, &y, options.seed)?;
    report.steps.push(stats.into_step());
    lead_with_causes(&mut report, &causes);
    Ok(report)
}

/// The data checks as the protocol's first step: WARN when any of them warns.
fn data_step(found: Vec<Finding>) -> DoctorStep {
    let warnings = found
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .count();
    let summary = match warnings {
        0 => "the features, splits and classes look sound for training".to_string(),
        1 => found
            .iter()
            .find(|f| f.severity >= Severity::Warning)
            .map(|f| f.message.clone())
            .unwrap_or_default(),
        n => format!("{n} problems with the data (below)"),
    };
    let details = if warnings > 1 {
        found
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .map(|f| format!("[{}] {}", f.check.title(), f.message))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        String::new()
    };
    DoctorStep {
        check: CheckKind::DataChecks,
        verdict: if warnings > 0 {
            Verdict::Warn
        } else {
            Verdict::Pass
        },
        summary,
        details,
        findings: found,
        curve: Vec::new(),
    }
}

/// Every step that did not pass leads with the data finding that explains it.
fn lead_with_causes(report: &mut DoctorReport, causes: &Causes) {
    for step in &mut report.steps {
        if step.check == CheckKind::DataChecks || step.verdict == Verdict::Pass {
            continue;
        }
        let mut explained = false;
        for f in &mut step.findings {
            let e = causes.explain(f.clone());
            explained |= e.cause.is_some();
            *f = e;
        }
        if explained && let Some(f) = step.findings.first() {
            step.summary = f.message.clone();
        }
    }
}

fn skipped(check: CheckKind, why: &str) -> DoctorStep {
    DoctorStep {
        check,
        verdict: Verdict::Skipped,
        summary: why.into(),
        details: String::new(),
        findings: Vec::new(),
        curve: Vec::new(),
    }
}

/// The penalty used to test that regularisation is wired in: the configured one made strong
/// (λ at least 1), or L2(1) when none is configured.
fn strong_penalty(config: &TrainConfig) -> Penalty {
    match config.penalty {
        Some(Penalty::L2(l)) => Penalty::L2(l.max(1.0)),
        Some(Penalty::L1(l)) => Penalty::L1(l.max(1.0)),
        Some(Penalty::Elastic { l1, l2 }) => Penalty::Elastic {
            l1: l1.max(1.0),
            l2: l2.max(1.0),
        },
        None => Penalty::L2(1.0),
    }
}

fn regularization_step(
    build: &dyn Fn() -> Result<Sequential<f32>, TrainError>,
    loss: Loss,
    config: &TrainConfig,
    x: &[f32],
    y: &[usize],
    l0: f64,
    options: &DoctorOptions,
) -> Result<DoctorStep, TrainError> {
    let mut model = build()?;
    if model.weight_ids().is_empty() {
        return Ok(skipped(
            CheckKind::RegularizationRaisesLoss,
            "the model has no weights",
        ));
    }
    let penalty = strong_penalty(config);
    let l1 = probe::loss_on(&mut model, loss, Some(penalty), x, y, options.seed)?;
    let raised = l1 > l0;
    let f = Finding::new(
        CheckKind::RegularizationRaisesLoss,
        if raised {
            Severity::Info
        } else {
            Severity::Error
        },
        format!("loss {l0:.6} without regularisation, {l1:.6} with {penalty:?}"),
    )
    .measure("loss", l0)
    .measure("loss_regularized", l1)
    .threshold("the regularised loss must be higher")
    .advice(if raised {
        ""
    } else {
        "the penalty does not reach the loss: check that it is added and applies to the weights"
    });
    Ok(DoctorStep {
        check: CheckKind::RegularizationRaisesLoss,
        verdict: if raised { Verdict::Pass } else { Verdict::Fail },
        summary: f.message.clone(),
        details: String::new(),
        findings: vec![f],
        curve: Vec::new(),
    })
}

/// A stratified-ish tiny subset: `n` rows drawn from a seeded shuffle.
fn tiny_subset(train: &Dataset, n: usize, seed: u64) -> Result<Dataset, TrainError> {
    let mut idx: Vec<usize> = (0..train.len()).collect();
    idx.shuffle(&mut rng(seed ^ 0x7111));
    idx.truncate(n.min(train.len()));
    Ok(train.subset(&idx)?)
}

fn overfit_step(
    build: &dyn Fn() -> Result<Sequential<f32>, TrainError>,
    loss: Loss,
    train: &Dataset,
    config: &TrainConfig,
    options: &DoctorOptions,
) -> Result<DoctorStep, TrainError> {
    let subset = tiny_subset(train, options.tiny_subset, options.seed)?;
    let r = overfit_tiny_subset(
        &mut build()?,
        loss,
        &subset,
        &OverfitSettings {
            optimizer: config.optimizer.clone(),
            lr: config.schedule.base_lr,
            max_steps: options.overfit_steps,
            seed: options.seed,
        },
        |_, y, out| out.extend_from_slice(y),
    )?;
    let passed = r.passed();
    let summary = format!(
        "{} examples, no regularisation: {:.0} % training accuracy, loss {:.4} after {} steps at lr {:e}",
        subset.len(),
        r.accuracy * 100.0,
        r.loss,
        r.steps,
        config.schedule.base_lr
    );
    let f = Finding::new(
        CheckKind::OverfitTinySubset,
        if passed {
            Severity::Info
        } else {
            Severity::Error
        },
        summary.clone(),
    )
    .measure("accuracy", r.accuracy)
    .measure("loss", r.loss)
    .measure("steps", r.steps as f64)
    .threshold(format!("100 % within {} steps", options.overfit_steps))
    .advice(if passed {
        ""
    } else {
        "a model that cannot memorise 20 examples has a bug: check that labels match inputs, \
         that the loss decreases at all (learning rate), and that gradients are right"
    });
    Ok(DoctorStep {
        check: CheckKind::OverfitTinySubset,
        verdict: if passed { Verdict::Pass } else { Verdict::Fail },
        summary,
        details: String::new(),
        findings: vec![f],
        curve: r.curve,
    })
}

fn lr_step(
    build: &dyn Fn() -> Result<Sequential<f32>, TrainError>,
    loss: Loss,
    train: &Dataset,
    config: &TrainConfig,
    options: &DoctorOptions,
) -> Result<DoctorStep, TrainError> {
    let r = lr_range_test(
        &mut build()?,
        loss,
        train,
        config.batch,
        &config.optimizer,
        options.lr_range,
        options.lr_steps,
        options.seed,
    )?;
    let lr = config.schedule.base_lr;
    let (lo, hi) = r.suggested;
    let (verdict, severity, words) = if lr < lo {
        (Verdict::Warn, Severity::Warning, "too low")
    } else if lr > hi {
        (Verdict::Warn, Severity::Warning, "too high")
    } else {
        (Verdict::Pass, Severity::Info, "in range")
    };
    let summary = format!(
        "suggested learning rates {lo:.2e} .. {hi:.2e} (the loss falls fastest at {:.2e} and \
         bottoms out at {hi:.2e}); the configured {lr:e} is {words}",
        r.steepest
    );
    let f = Finding::new(CheckKind::LearningRateRange, severity, summary.clone())
        .measure("suggested_low", lo)
        .measure("suggested_high", hi)
        .measure("lr", lr)
        .threshold("within the suggested range")
        .advice(match words {
            "too low" => "raise the learning rate into the suggested range",
            "too high" => "lower the learning rate into the suggested range",
            _ => "",
        });
    Ok(DoctorStep {
        check: CheckKind::LearningRateRange,
        verdict,
        summary,
        details: String::new(),
        findings: vec![f],
        curve: r.curve,
    })
}

fn gradcheck_step(
    build: &dyn Fn() -> Result<Sequential<f32>, TrainError>,
    loss: Loss,
    train: &Dataset,
    config: &TrainConfig,
    options: &DoctorOptions,
) -> Result<DoctorStep, TrainError> {
    let model = build()?;
    let mut m64 = model.to_f64();
    // A seeded random handful of examples (the first rows of a file can be special, e.g. the
    // spiral's first point is the origin, exactly on every ReLU kink when biases start at 0).
    let sub = tiny_subset(train, options.gradcheck_examples, options.seed ^ 0x9c)?;
    let x = sub.inputs_f64();
    let opts = GradcheckOptions {
        max_elements: Some(options.gradcheck_elements),
        ..GradcheckOptions::default()
    };
    let report = m64.gradcheck(&x, sub.labels(), loss, config.penalty, opts, options.seed)?;
    let worst = report.max_relative_error();
    let (verdict, severity) = match GradVerdict::of(worst) {
        GradVerdict::Good | GradVerdict::AcceptableWithKinks => (Verdict::Pass, Severity::Info),
        GradVerdict::Suspicious => (Verdict::Warn, Severity::Warning),
        GradVerdict::Wrong => (Verdict::Fail, Severity::Error),
    };
    let summary = format!(
        "worst relative error {worst:.2e} over {} parameter tensors ({}; > 1e-2 wrong, <= 1e-7 good, <= 1e-4 fine with kinks)",
        report.tensors.len(),
        GradVerdict::of(worst)
    );
    let f = Finding::new(CheckKind::GradientCheck, severity, summary.clone())
        .measure("max_relative_error", worst)
        .threshold("relative error <= 1e-4")
        .advice(if verdict == Verdict::Pass {
            ""
        } else {
            "the analytic gradient disagrees with finite differences: a backward pass is wrong"
        });
    Ok(DoctorStep {
        check: CheckKind::GradientCheck,
        verdict,
        summary,
        details: report.to_string(),
        findings: vec![f],
        curve: Vec::new(),
    })
}
