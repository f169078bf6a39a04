//! A babysitter finding in plain words, as `run`, `search` and the run report print it.

use nnc_train::babysit::{Finding, Severity};

/// A finding in plain words: `warning [dead units] relu1, step 40: … \n  advice: …`.
pub fn finding_text(f: &Finding) -> String {
    let label = match f.severity {
        // A passed check says so; other information (a note about the data) comes with advice.
        Severity::Info if f.advice.is_empty() => "ok",
        Severity::Info => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
    };
    let mut s = format!("{label} [{}]", f.check.title());
    match (&f.subject, f.step) {
        (Some(subject), Some(step)) => s.push_str(&format!(" {subject}, step {step}")),
        (Some(subject), None) => s.push_str(&format!(" {subject}")),
        (None, Some(step)) => s.push_str(&format!(" step {step}")),
        (None, None) => {}
    }
    s.push_str(&format!(": {}", f.message));
    if !f.advice.is_empty() {
        s.push_str(&format!("\n  advice: {}", f.advice));
    }
    s
}
