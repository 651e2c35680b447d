//! The scheduler: a loop in every instance that closes challenges whose bidding deadline passed
//! (published → evaluating), within seconds and without any request. Each close is a
//! conditional state change, so with several instances on one PostgreSQL every deadline is
//! closed exactly once; after a restart the first tick catches up with deadlines that passed
//! while the service was down. Each tick also chains the audit entries appended since the last
//! one (the tamper-evident audit log, docs/security.md).

use crate::state::AppState;
use actix_web::web;
use jiebang_application::challenges::close_if_due;
use jiebang_domain::agreement::MilestoneStatus;
use jiebang_domain::bid::BidStatus;
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
        match state
            .db
            .write_checked(|conn| close_if_due(conn, &state.ctx, &id, now))
        {
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

/// Chains the audit entries appended since the last pass and signs a checkpoint when one is due
/// (`jiebang_application::signing::chain_pending`). Returns how many entries it chained.
pub fn chain_audit(state: &AppState) -> usize {
    let every = chrono::TimeDelta::seconds(state.config.audit_checkpoint_seconds.max(0));
    let mut total = 0;
    loop {
        match state.db.write_quiet(|conn| {
            jiebang_application::signing::chain_pending(
                conn,
                &state.ctx.keys,
                state.now(),
                every,
                1000,
            )
        }) {
            Ok(done) => {
                total += done.entries;
                if done.entries < 1000 {
                    return total;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "scheduler: audit entries not chained this time");
                return total;
            }
        }
    }
}

/// Starts the loop on the current actix system.
pub fn spawn(state: web::Data<AppState>) {
    let interval = Duration::from_millis(state.config.scheduler_interval_ms.max(10));
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // login attempts that left the throttle's window are forgotten every few minutes
        let mut pruned = std::time::Instant::now();
        loop {
            ticker.tick().await;
            let st = state.clone();
            let prune = pruned.elapsed() > Duration::from_secs(300);
            if prune {
                pruned = std::time::Instant::now();
            }
            if let Err(e) = web::block(move || {
                chain_audit(&st);
                tick(&st);
                remind(&st);
                milestone_notices(&st);
                if prune {
                    if let Err(e) = st.throttle.prune(st.now()) {
                        tracing::warn!(error = %e, "scheduler: old login attempts not pruned this time");
                    }
                }
                st.metrics.scheduler_ticked(st.now());
            })
            .await
            {
                tracing::error!(error = %e, "scheduler tick failed");
            }
        }
    });
}

/// Milestone notices to both parties of a registered agreement: a week before a milestone falls
/// due, and once when it is past due and not met — each once, like the deadline reminders.
pub fn milestone_notices(state: &AppState) -> usize {
    let now = state.now();
    let due = match state.db.read(|conn| {
        jiebang_db::agreements::open_milestones_due_before(
            conn,
            (now + chrono::Duration::days(7)).naive_utc(),
        )
    }) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "scheduler: cannot list milestones");
            return 0;
        }
    };
    let mut sent = 0;
    for m in due {
        let due_at = crate::views::utc(m.due_at);
        let overdue = due_at <= now;
        if !overdue && m.status() != MilestoneStatus::Scheduled {
            continue;
        }
        let key = format!(
            "{}:{}",
            if overdue {
                "milestone-overdue"
            } else {
                "milestone-due"
            },
            m.id
        );
        let result = state
            .db
            .write_checked(|conn| -> crate::error::ApiResult<bool> {
                if !jiebang_db::settings::record_reminder(conn, &key, now.naive_utc())? {
                    return Ok(false);
                }
                let Some(a) = jiebang_db::agreements::find(conn, &m.agreement_id)? else {
                    return Ok(false);
                };
                let terms: jiebang_domain::agreement::Terms =
                    serde_json::from_str(&a.terms_json)
                        .map_err(crate::error::ApiError::internal)?;
                let users = crate::notify::party_users(conn, &terms)?;
                let (agreement_id, title, deliverable, due) = (
                    a.id.clone(),
                    terms.title.clone(),
                    m.deliverable.clone(),
                    due_at,
                );
                let event = if overdue {
                    jiebang_notifications::Event::MilestoneOverdue {
                        agreement_id,
                        title,
                        deliverable,
                        due,
                    }
                } else {
                    jiebang_notifications::Event::MilestoneDue {
                        agreement_id,
                        title,
                        deliverable,
                        due,
                    }
                };
                crate::notify::notify(conn, &state.config.public_url, &users, &event, now)?;
                Ok(true)
            });
        match result {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(milestone = %m.id, error = %e, "scheduler: milestone notice not sent this time")
            }
        }
    }
    sent
}

/// Deadline reminders (截止提醒): 3 days and 1 day before the bidding deadline, the author of each
/// draft bid is told, once per bid and reminder — the record of sent reminders is written in the
/// same transaction as the message, and a second instance's attempt fails on its primary key.
pub fn remind(state: &AppState) -> usize {
    let now = state.now();
    let soon = match state.db.read(|conn| {
        jiebang_db::challenges::closing_between(
            conn,
            now.naive_utc(),
            (now + chrono::Duration::days(3)).naive_utc(),
        )
    }) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "scheduler: cannot list closing challenges");
            return 0;
        }
    };
    let mut sent = 0;
    for c in soon {
        let deadline = crate::views::utc(c.bidding_deadline);
        let days = if deadline - now <= chrono::Duration::days(1) {
            1
        } else {
            3
        };
        let result = state
            .db
            .write_checked(|conn| -> crate::error::ApiResult<usize> {
                let mut n = 0;
                for b in jiebang_db::bids::for_challenge(conn, &c.id, None)? {
                    if b.status() != BidStatus::Draft
                        || !jiebang_db::settings::record_reminder(
                            conn,
                            &format!("deadline-{days}d:{}", b.id),
                            now.naive_utc(),
                        )?
                    {
                        continue;
                    }
                    let event = jiebang_notifications::Event::DeadlineReminder {
                        challenge_id: c.id.clone(),
                        title: c.title.clone(),
                        deadline,
                        days,
                    };
                    crate::notify::notify(
                        conn,
                        &state.config.public_url,
                        std::slice::from_ref(&b.created_by),
                        &event,
                        now,
                    )?;
                    n += 1;
                }
                Ok(n)
            });
        match result {
            Ok(n) => sent += n,
            Err(e) => {
                tracing::warn!(challenge_id = %c.id, error = %e, "scheduler: reminders not sent this time")
            }
        }
    }
    sent
}
