//! The clock is a dependency: production reads the system clock, tests move a manual one.

use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;

/// A source of the current time (UTC).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that follows real time plus an offset that tests move forward, so that deadlines can
/// pass without sleeping. Time never goes backwards.
#[derive(Debug, Default)]
pub struct ManualClock {
    offset: Mutex<Duration>,
}

impl ManualClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by` (negative durations are ignored).
    pub fn advance(&self, by: Duration) {
        if by > Duration::zero() {
            let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
            *offset += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().unwrap_or_else(|e| e.into_inner());
        Utc::now() + offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_forward_only() {
        let clock = ManualClock::new();
        let before = clock.now();
        clock.advance(Duration::days(3));
        let after = clock.now();
        assert!(after - before >= Duration::days(3));
        clock.advance(Duration::days(-10));
        assert!(clock.now() >= after);
    }
}
