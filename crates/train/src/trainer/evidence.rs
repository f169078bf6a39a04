//! The last steps of a run, kept so that a run that blows up between two logged steps still
//! reports the curve up to the blow-up.

/// One step's losses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct StepLoss {
    /// Steps completed after this one (its 1-based number).
    pub(super) step: u64,
    /// Epochs completed after it.
    pub(super) epoch: f64,
    /// The data loss of its batch.
    pub(super) loss: f64,
    /// The regularisation penalty.
    pub(super) penalty: f64,
    /// The learning rate.
    pub(super) lr: f64,
}

/// A ring of the last [`RecentSteps::CAPACITY`] steps (no allocation after the first fill).
#[derive(Debug, Clone, Default)]
pub(super) struct RecentSteps {
    ring: Vec<StepLoss>,
    next: usize,
    /// The last step already reported as an event.
    pub(super) last_reported: u64,
}

impl RecentSteps {
    /// Steps kept.
    pub(super) const CAPACITY: usize = 64;

    /// Remembers a step.
    pub(super) fn push(&mut self, s: StepLoss) {
        if self.ring.len() < Self::CAPACITY {
            self.ring.push(s);
        } else {
            self.ring[self.next] = s;
        }
        self.next = (self.next + 1) % Self::CAPACITY;
    }

    /// The remembered steps not reported yet, oldest first.
    pub(super) fn unreported(&self) -> Vec<StepLoss> {
        let mut v: Vec<StepLoss> = self
            .ring
            .iter()
            .copied()
            .filter(|s| s.step > self.last_reported)
            .collect();
        v.sort_by_key(|s| s.step);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_steps_in_order() {
        let mut r = RecentSteps::default();
        for step in 1..=100 {
            r.push(StepLoss {
                step,
                epoch: 0.0,
                loss: step as f64,
                penalty: 0.0,
                lr: 0.1,
            });
        }
        r.last_reported = 90;
        let steps: Vec<u64> = r.unreported().iter().map(|s| s.step).collect();
        assert_eq!(steps, (91..=100).collect::<Vec<_>>());
        r.last_reported = 0;
        assert_eq!(r.unreported().len(), RecentSteps::CAPACITY);
        assert_eq!(r.unreported()[0].step, 37);
    }
}
