//! The scheduler: a loop in every instance that closes challenges whose bidding deadline passed
//! (published → evaluating), within seconds and without any request. Each close is a
//! conditional state change, so with several instances on one PostgreSQL every deadline is
//! closed exactly once; after a restart the first tick catches up with deadlines that passed
//! while the service was down.

use crate::handlers::challenges::close_if_due;
use crate::state::AppState;
use actix_web::web;
use std::time::Duration;

/// Runs one pass: closes every due challenge. Returns how many this instance closed.
pub fn tick(state: &AppState) -> usize {
    let now = state.now();
    let due = match state
        .db
        .read(|conn| jiebang_db::challenges::due_for_closing(conn, now.naive_utc(), 100))
    {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "scheduler: cannot list due challenges");
            return 0;
        }
    };
    tracing::debug!(due = due.len(), "scheduler tick");
    let mut closed = 0;
    for id in due {
        match state.db.write(|conn| close_if_due(conn, state, &id, now)) {
            Ok(true) => {
                closed += 1;
                tracing::info!(challenge_id = %id, "bidding closed");
            }
            Ok(false) => {}
            Err(e) => tracing::error!(challenge_id = %id, error = %e, "scheduler: close failed"),
        }
    }
    closed
}

/// Starts the loop on the current actix system.
pub fn spawn(state: web::Data<AppState>) {
    let interval = Duration::from_millis(state.config.scheduler_interval_ms.max(10));
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let st = state.clone();
            if let Err(e) = web::block(move || tick(&st)).await {
                tracing::error!(error = %e, "scheduler tick failed");
            }
        }
    });
}
