//! The outbox worker of this instance: delivers queued e-mails (jiebang_notifications::delivery)
//! every `JIEBANG_OUTBOX_INTERVAL_MS`, off the request path. Several instances may run it on one
//! PostgreSQL: claims make each message go out once.

use crate::state::AppState;
use actix_web::web;
use jiebang_notifications::delivery::{self, DeliveryConfig, Mailer};
use std::time::Duration;

/// The mailer and delivery settings this configuration asks for.
pub fn mailer(config: &crate::config::Config) -> Result<(Mailer, DeliveryConfig), String> {
    let mailer = Mailer::from_config(config.smtp_url.as_deref(), config.data_dir.join("outbox"))?;
    let from = config
        .mail_from
        .parse()
        .map_err(|e| format!("JIEBANG_MAIL_FROM: {e}"))?;
    Ok((
        mailer,
        DeliveryConfig {
            from,
            max_attempts: config.mail_max_attempts.max(1),
            base_backoff: chrono::Duration::seconds(config.mail_retry_seconds.max(1)),
            claim_for: chrono::Duration::from_std(jiebang_notifications::delivery::CLAIM_FOR)
                .expect("a small duration"),
            batch: 50,
            // four sends at once; a send holds a database connection only to claim and to mark
            // its message, never while it talks to the SMTP server
            parallel: 4,
        },
    ))
}

/// One pass (also used by tests): batches until the queue has nothing due, or for at most a
/// few seconds, so that a backlog drains quickly.
pub fn tick(state: &AppState) -> delivery::Report {
    let start = std::time::Instant::now();
    let mut total = delivery::Report::default();
    loop {
        match delivery::deliver_due(&state.db, &state.mailer, &state.delivery, || state.now()) {
            Ok(r) => {
                let handled = r.sent + r.retried + r.failed;
                total.sent += r.sent;
                total.retried += r.retried;
                total.failed += r.failed;
                if (handled as i64) < state.delivery.batch
                    || start.elapsed() > std::time::Duration::from_secs(5)
                {
                    return total;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "outbox: delivery pass failed");
                return total;
            }
        }
    }
}

pub fn spawn(state: web::Data<AppState>) {
    let interval = Duration::from_millis(state.config.outbox_interval_ms.max(10));
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let st = state.clone();
            if let Err(e) = web::block(move || tick(&st)).await {
                tracing::error!(error = %e, "outbox tick failed");
            }
        }
    });
}
