//! Cause before symptom: a symptom finding (a bad initial loss, divergence, a flat loss, chance
//! level, overfitting, a learning-rate range, dead units) that a data finding explains leads
//! with that cause and its fix, instead of advice about the initialisation or learning rate
//! that would treat the symptom.
//!
//! Data findings state their cause first, as a phrase before the first `": "` of the message
//! ("the inputs are not normalised: …"); that phrase is what a symptom quotes.

use super::finding::{CheckKind, Finding, Severity};

/// The data findings known before training, consulted by every symptom.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Causes {
    findings: Vec<Finding>,
}

/// The data checks that can explain `symptom`, most fundamental first.
fn explanations(symptom: &Finding) -> &'static [CheckKind] {
    use CheckKind::*;
    let too_high = match (symptom.figure("loss"), symptom.figure("expected")) {
        (Some(l), Some(e)) => l > e || !l.is_finite(),
        _ => true,
    };
    match symptom.check {
        InitialLoss if too_high => &[FeatureScales],
        InitialLoss => &[],
        Divergence | Saturation => &[FeatureScales],
        LearningRateRange | DeadUnits | OverfitTinySubset => &[ConstantFeatures, FeatureScales],
        // Dead units learn nothing: the loss goes flat and the updates vanish because of them,
        // and raising the learning rate (the symptoms' own advice) would kill more.
        UpdateRatio | FlatLoss => &[ConstantFeatures, FeatureScales, DeadUnits],
        // A run that learned nothing: the data first, then what the run itself showed (a flat
        // loss, updates far too small: the learning rate).
        ChanceLevel => &[
            ConstantFeatures,
            SortedRows,
            SplitBalance,
            FeatureScales,
            ClassImbalance,
            DeadUnits,
            FlatLoss,
            UpdateRatio,
        ],
        Overfitting => &[SortedRows, SplitBalance, ModelSize],
        _ => &[],
    }
}

impl Causes {
    /// The causes among `findings` (warnings of the data checks; other findings are ignored).
    pub fn new(findings: &[Finding]) -> Self {
        Causes {
            findings: findings
                .iter()
                .filter(|f| f.severity >= Severity::Warning)
                .cloned()
                .collect(),
        }
    }

    /// Whether no cause is known.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// Adds a finding of the run itself that can explain a later symptom (a flat loss explains
    /// chance-level accuracy at the end of the run).
    pub fn add(&mut self, finding: &Finding) {
        if finding.severity >= Severity::Warning {
            self.findings.push(finding.clone());
        }
    }

    /// The data finding that explains `symptom`, if any.
    pub fn cause_of(&self, symptom: &Finding) -> Option<&Finding> {
        explanations(symptom)
            .iter()
            .find_map(|kind| self.findings.iter().find(|f| f.check == *kind))
    }

    /// `symptom`, leading with the data finding that explains it: the cause's phrase before the
    /// symptom's own message, the cause's fix before the symptom's advice, and
    /// [`Finding::cause`] set. Unchanged when nothing explains it.
    pub fn explain(&self, mut symptom: Finding) -> Finding {
        // A passed check needs no cause.
        if symptom.severity < Severity::Warning {
            return symptom;
        }
        let Some(cause) = self.cause_of(&symptom) else {
            return symptom;
        };
        let phrase = headline(&cause.message);
        // A train/validation gap between splits that hold different classes is not overfitting:
        // the verdict and its advice (regularise) would be wrong, not only secondary.
        let split_gap = symptom.check == CheckKind::Overfitting
            && matches!(cause.check, CheckKind::SortedRows | CheckKind::SplitBalance);
        if split_gap {
            symptom.message = symptom.message.replace(
                ": the model is overfitting",
                ": the splits hold different classes, so the gap is not overfitting",
            );
        }
        // The cause's fix covers the symptom's own advice (regularise, for a model too large
        // for its rows; anything, for a gap between splits of different classes).
        if split_gap
            || (symptom.check == CheckKind::Overfitting && cause.check == CheckKind::ModelSize)
            || cause.check == CheckKind::DeadUnits
        {
            symptom.advice.clear();
        }
        symptom.message = format!(
            "{phrase} (see [{}]): {}",
            cause.check.title(),
            symptom.message
        );
        symptom.advice = if symptom.advice.is_empty() {
            cause.advice.clone()
        } else {
            format!(
                "first, {}. If it persists after that: {}",
                cause.advice, symptom.advice
            )
        };
        symptom.cause = Some(cause.check);
        symptom
    }
}

/// The part of a data finding's message before its first `": "` outside backticks (a
/// statement such as `` `shuffle: false` `` may appear in the headline).
fn headline(message: &str) -> &str {
    let mut quoted = false;
    for (i, c) in message.char_indices() {
        match c {
            '`' => quoted = !quoted,
            ':' if !quoted && message[i + 1..].starts_with(' ') => return &message[..i],
            _ => {}
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headline_ends_at_the_first_colon_outside_backticks() {
        assert_eq!(
            headline("rows sorted and `shuffle: false` used: class 2 is absent"),
            "rows sorted and `shuffle: false` used"
        );
        assert_eq!(headline("no colon"), "no colon");
    }

    #[test]
    fn a_symptom_leads_with_the_data_finding_that_explains_it() {
        let scales = Finding::new(
            CheckKind::FeatureScales,
            Severity::Warning,
            "the inputs are not normalised: `proline` is 313x the median",
        )
        .advice("write `preprocess center, normalize`");
        let causes = Causes::new(&[scales]);
        let diverged = Finding::new(CheckKind::Divergence, Severity::Error, "the loss exploded")
            .advice("lower the learning rate");
        let f = causes.explain(diverged);
        assert_eq!(f.cause, Some(CheckKind::FeatureScales));
        assert!(
            f.message
                .starts_with("the inputs are not normalised (see [feature scales])")
        );
        assert!(
            f.advice
                .starts_with("first, write `preprocess center, normalize`")
        );
        assert!(f.advice.ends_with("lower the learning rate"));
        // A loss that starts too low is not explained by the feature scales.
        let low = Finding::new(CheckKind::InitialLoss, Severity::Warning, "too low")
            .measure("loss", 0.1)
            .measure("expected", 1.1);
        assert_eq!(causes.explain(low).cause, None);
        // Overfitting is not explained by the scales.
        let over = Finding::new(CheckKind::Overfitting, Severity::Warning, "gap");
        assert_eq!(causes.explain(over).cause, None);
    }

    /// Dead units explain the flat loss, the vanishing updates and the chance-level accuracy
    /// that follow them, whose own advice (raise the learning rate) would kill more units: the
    /// symptoms lead with the dead units and carry their advice alone. A dead-units finding is
    /// not its own cause.
    #[test]
    fn dead_units_explain_what_follows_without_contradicting_advice() {
        let mut causes = Causes::new(&[]);
        let dead = Finding::new(
            CheckKind::DeadUnits,
            Severity::Warning,
            "100 % of the ReLU units of `relu1` never activated: they will not recover",
        )
        .advice("lower `lr`");
        causes.add(&dead);
        for check in [
            CheckKind::FlatLoss,
            CheckKind::UpdateRatio,
            CheckKind::ChanceLevel,
        ] {
            let symptom = Finding::new(check, Severity::Warning, "nothing moves")
                .advice("raise `lr` about 10x");
            let f = causes.explain(symptom);
            assert_eq!(f.cause, Some(CheckKind::DeadUnits), "{check:?}");
            assert!(
                f.message.starts_with(
                    "100 % of the ReLU units of `relu1` never activated (see [dead units])"
                ),
                "{}",
                f.message
            );
            assert_eq!(f.advice, "lower `lr`", "{check:?}");
        }
        assert_eq!(causes.explain(dead.clone()).cause, None);
    }
}
