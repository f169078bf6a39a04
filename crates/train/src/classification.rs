//! Per-class metrics from a confusion matrix, as scikit-learn's `classification_report`
//! computes them.
//!
//! For class `c` with `tp` rows of class `c` predicted `c`, `predicted` rows predicted `c`
//! and `support` rows of class `c`:
//!
//! * precision = tp / predicted, recall = tp / support,
//! * F1 = 2 · precision · recall / (precision + recall),
//!
//! each 0 when its denominator is 0 (scikit-learn's `zero_division=0`; such classes are
//! listed in [`ClassificationReport::undefined`]). The macro average is the plain mean over
//! classes, the weighted average weights each class by its support.

use crate::metrics::ConfusionMatrix;
use serde::{Deserialize, Serialize};

/// Precision, recall, F1 and support of one class (or an average of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    /// The class name (or `macro avg`, `weighted avg`).
    pub name: String,
    /// tp / predicted.
    pub precision: f64,
    /// tp / support.
    pub recall: f64,
    /// The harmonic mean of precision and recall.
    pub f1: f64,
    /// Rows of the class (for an average: all rows).
    pub support: usize,
}

/// Per-class scores with their macro and weighted averages and the accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    /// One entry per class, in class order.
    pub classes: Vec<ClassScores>,
    /// The unweighted mean over classes.
    pub macro_avg: ClassScores,
    /// The mean over classes weighted by support.
    pub weighted_avg: ClassScores,
    /// Correct predictions over all rows.
    pub accuracy: f64,
    /// Classes whose precision or recall had a zero denominator (never predicted, or no
    /// rows), scored 0.
    pub undefined: Vec<String>,
}

/// `num / den`, or 0 when `den` is 0.
fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// 2pr / (p + r), or 0 when both are 0.
fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

impl ClassificationReport {
    /// The report of `confusion` (`counts[true][predicted]`) with class `c` named
    /// `names[c]` (its index when `names` is short).
    pub fn new(confusion: &ConfusionMatrix, names: &[String]) -> Self {
        let k = confusion.counts.len();
        let total: usize = confusion.counts.iter().flatten().sum();
        let mut undefined = Vec::new();
        let classes: Vec<ClassScores> = (0..k)
            .map(|c| {
                let tp = confusion.counts[c][c];
                let support: usize = confusion.counts[c].iter().sum();
                let predicted: usize = confusion.counts.iter().map(|row| row[c]).sum();
                let name = names.get(c).cloned().unwrap_or_else(|| c.to_string());
                if support == 0 || predicted == 0 {
                    undefined.push(name.clone());
                }
                let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
                ClassScores {
                    name,
                    precision,
                    recall,
                    f1: f1(precision, recall),
                    support,
                }
            })
            .collect();
        let average = |name: &str, weight: &dyn Fn(&ClassScores) -> f64| {
            let w: f64 = classes.iter().map(weight).sum();
            let mean = |f: fn(&ClassScores) -> f64| {
                if w == 0.0 {
                    0.0
                } else {
                    classes.iter().map(|c| weight(c) * f(c)).sum::<f64>() / w
                }
            };
            ClassScores {
                name: name.to_string(),
                precision: mean(|c| c.precision),
                recall: mean(|c| c.recall),
                f1: mean(|c| c.f1),
                support: total,
            }
        };
        let macro_avg = average("macro avg", &|_| 1.0);
        let weighted_avg = average("weighted avg", &|c| c.support as f64);
        ClassificationReport {
            classes,
            macro_avg,
            weighted_avg,
            accuracy: confusion.accuracy(),
            undefined,
        }
    }

    /// The report as a text table in scikit-learn's layout (two decimals).
    pub fn render(&self) -> String {
        let w = self
            .classes
            .iter()
            .map(|c| c.name.chars().count())
            .chain([12])
            .max()
            .unwrap_or(12);
        let row = |c: &ClassScores| {
            format!(
                "{:>w$} {:>9.2} {:>9.2} {:>9.2} {:>9}\n",
                c.name, c.precision, c.recall, c.f1, c.support
            )
        };
        let mut s = format!(
            "{:>w$} {:>9} {:>9} {:>9} {:>9}\n\n",
            "", "precision", "recall", "f1-score", "support"
        );
        for c in &self.classes {
            s.push_str(&row(c));
        }
        s.push('\n');
        s.push_str(&format!(
            "{:>w$} {:>9} {:>9} {:>9.2} {:>9}\n",
            "accuracy", "", "", self.accuracy, self.macro_avg.support
        ));
        s.push_str(&row(&self.macro_avg));
        s.push_str(&row(&self.weighted_avg));
        if !self.undefined.is_empty() {
            s.push_str(&format!(
                "\nprecision or recall of {} is undefined (no rows, or never predicted) and \
                 scored 0\n",
                self.undefined.join(", ")
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from scikit-learn 1.9.1 (`classification_report(y_true, y_pred,
    /// output_dict=True, zero_division=0)`) for
    /// y_true = [0,0,0,0,1,1,1,2,2,3], y_pred = [0,0,1,2,1,1,0,2,2,0]:
    /// class 3 is never predicted.
    #[test]
    fn matches_scikit_learn() {
        let y_true = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3];
        let y_pred = [0, 0, 1, 2, 1, 1, 0, 2, 2, 0];
        let mut cm = ConfusionMatrix::new(4);
        cm.add(&y_pred, &y_true);
        let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let r = ClassificationReport::new(&cm, &names);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        // Class a: tp 2, predicted 4, support 4.
        assert!(close(r.classes[0].precision, 0.5) && close(r.classes[0].recall, 0.5));
        // Class b: tp 2, predicted 3, support 3.
        assert!(close(r.classes[1].precision, 2.0 / 3.0) && close(r.classes[1].recall, 2.0 / 3.0));
        // Class c: tp 2, predicted 3, support 2.
        assert!(close(r.classes[2].precision, 2.0 / 3.0) && close(r.classes[2].recall, 1.0));
        assert!(close(r.classes[2].f1, 0.8));
        assert_eq!(r.undefined, vec!["d".to_string()]);
        assert!(close(r.accuracy, 0.6));
        // sklearn: macro avg precision 0.4583333, recall 0.5416667, f1 0.4916667.
        assert!(close(r.macro_avg.precision, 0.458_333_333_333_333_3));
        assert!(close(r.macro_avg.recall, 0.541_666_666_666_666_6));
        assert!(close(r.macro_avg.f1, 0.491_666_666_666_666_6));
        // sklearn: weighted avg precision 0.5333333, recall 0.6, f1 0.56.
        assert!(close(r.weighted_avg.precision, 0.533_333_333_333_333_3));
        assert!(close(r.weighted_avg.recall, 0.6));
        assert!(close(r.weighted_avg.f1, 0.56));
        assert_eq!(r.weighted_avg.support, 10);
        let text = r.render();
        assert!(
            text.contains("weighted avg") && text.contains("0.56"),
            "{text}"
        );
    }
}
