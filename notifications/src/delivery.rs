//! Delivery of the outbox: a worker claims due messages, sends them over SMTP (or writes `.eml`
//! files when no SMTP server is configured), and records the outcome. Failures are retried with
//! exponential backoff up to a maximum number of attempts, then the message is `failed` with its
//! last error (admins can put it back in the queue).
//!
//! Every message carries the Message-ID fixed when it was enqueued, so a crash between the SMTP
//! server's acceptance and marking it sent produces at most a duplicate with the same Message-ID.
//! Claims are conditional updates: two workers on one PostgreSQL never hold the same message.

use chrono::{DateTime, Duration, Utc};
use jiebang_db::notifications::OutboxEmail;
use jiebang_db::Database;
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};
use std::path::PathBuf;

/// How long one SMTP read or write may wait. A send is a handful of exchanges (connect,
/// greeting, MAIL, RCPT, DATA, the message, QUIT), so it ends well within [`CLAIM_FOR`].
pub const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long a worker's claim keeps other workers off a message: longer than any send can take
/// (seven exchanges of at most [`SMTP_TIMEOUT`]), so that no message is sent twice while its
/// sender is alive; after a crash it is also how long the message being sent waits before
/// another worker (or the restarted one) retries it.
pub const CLAIM_FOR: std::time::Duration = std::time::Duration::from_secs(75);

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp(SmtpTransport),
    /// `.eml` files in a directory (the default install, with no mail server).
    Files(PathBuf),
}

#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub from: Mailbox,
    /// Attempts before a message is `failed`.
    pub max_attempts: i64,
    /// The first retry's delay; each later one doubles, up to an hour.
    pub base_backoff: Duration,
    /// How long a claim protects a message from other workers.
    pub claim_for: Duration,
    pub batch: i64,
    /// Messages sent at once by one worker, each over its own connection (at least 1). Sending
    /// is latency, not work: an SMTP exchange mostly waits for the server.
    pub parallel: usize,
}

impl Mailer {
    /// An SMTP mailer from a URL: `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS). Without a URL, files under `outbox_dir`.
    pub fn from_config(smtp_url: Option<&str>, outbox_dir: PathBuf) -> Result<Mailer, String> {
        match smtp_url.filter(|u| !u.trim().is_empty()) {
            // `tls=starttls` is what most people call it; lettre calls it `tls=required`
            Some(url) => SmtpTransport::from_url(&url.replace("tls=starttls", "tls=required"))
                .map(|b| Mailer::Smtp(b.timeout(Some(SMTP_TIMEOUT)).build()))
                .map_err(|e| format!("JIEBANG_SMTP_URL: {e}")),
            None => {
                std::fs::create_dir_all(&outbox_dir)
                    .map_err(|e| format!("cannot create {}: {e}", outbox_dir.display()))?;
                Ok(Mailer::Files(outbox_dir))
            }
        }
    }

    fn send(&self, id: &str, message: &Message) -> Result<(), String> {
        match self {
            Mailer::Smtp(t) => t.send(message).map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Files(dir) => write_eml(dir, id, &message.formatted())
                .map_err(|e| format!("cannot write {id}.eml: {e}")),
        }
    }
}

/// Writes `<id>.eml` whole or not at all: the message goes to a hidden temporary file, is flushed
/// to disk, and is renamed into place (a rename within one directory is atomic), so that a
/// crash never leaves an empty or cut-off `.eml`. Named by the outbox id, a message delivered
/// again after a crash replaces its own file instead of making a second one.
pub fn write_eml(dir: &std::path::Path, id: &str, raw: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!(".{id}.eml.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(raw)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, dir.join(format!("{id}.eml")))
}

/// Builds the MIME message of an outbox row: plain text and HTML alternatives, the stored
/// Message-ID. Addresses are parsed (a malformed one is a permanent failure); the subject was
/// made header-safe when it was rendered and lettre encodes it.
pub fn build_message(row: &OutboxEmail, from: &Mailbox) -> Result<Message, String> {
    let to: Mailbox = row
        .to_address
        .parse()
        .map_err(|e| format!("bad recipient address: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(crate::header_safe(&row.subject))
        .message_id(Some(row.message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(
            row.body_text.clone(),
            row.body_html.clone(),
        ))
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// The delay before attempt `attempts + 1`: base · 2^attempts, at most an hour.
pub fn backoff(base: Duration, attempts: i64) -> Duration {
    let factor = 1_i64 << attempts.clamp(0, 16);
    std::cmp::min(base * factor as i32, Duration::hours(1))
}

/// One pass of the worker: claims the due messages and delivers them, `config.parallel` at a
/// time. Blocking: run it on a blocking thread. `now` is read from the caller's clock.
pub fn deliver_due(
    db: &Database,
    mailer: &Mailer,
    config: &DeliveryConfig,
    now: impl Fn() -> DateTime<Utc> + Sync,
) -> Result<Report, jiebang_db::DbError> {
    let start = now();
    let due =
        db.read(|c| jiebang_db::notifications::due_emails(c, start.naive_utc(), config.batch))?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<Report, jiebang_db::DbError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..config.parallel.clamp(1, due.len().max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut report = Report::default();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(id) = due.get(i) else { break };
                        deliver_one(db, mailer, config, &now, id, &mut report)?;
                    }
                    Ok(report)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| Ok(Report::default())))
            .collect()
    });
    let mut report = Report::default();
    for r in results {
        let r = r?;
        report.sent += r.sent;
        report.retried += r.retried;
        report.failed += r.failed;
    }
    Ok(report)
}

/// Claims one message and delivers it; a message another worker holds is skipped.
fn deliver_one(
    db: &Database,
    mailer: &Mailer,
    config: &DeliveryConfig,
    now: &impl Fn() -> DateTime<Utc>,
    id: &str,
    report: &mut Report,
) -> Result<(), jiebang_db::DbError> {
    let t = now();
    let claimed = db.read(|c| {
        jiebang_db::notifications::claim_email(
            c,
            id,
            t.naive_utc(),
            (t + config.claim_for).naive_utc(),
        )
    })?;
    let Some(row) = claimed else { return Ok(()) };
    // a message that cannot be built (a malformed address) will never go out: fail it now
    let (result, permanent) = match build_message(&row, &config.from) {
        Ok(m) => (mailer.send(&row.id, &m), false),
        Err(e) => (Err(e), true),
    };
    let t = now();
    match result {
        Ok(()) => {
            db.read(|c| jiebang_db::notifications::mark_sent(c, &row.id, t.naive_utc()))?;
            tracing::info!(outbox_id = %row.id, kind = %row.kind, to = %jiebang_domain::email::mask(&row.to_address), "e-mail sent");
            report.sent += 1;
        }
        Err(e) => {
            let give_up = permanent || row.attempts + 1 >= config.max_attempts;
            let next = t + backoff(config.base_backoff, row.attempts);
            db.read(|c| {
                jiebang_db::notifications::mark_attempt_failed(
                    c,
                    &row.id,
                    &e,
                    next.naive_utc(),
                    give_up,
                )
            })?;
            tracing::warn!(outbox_id = %row.id, attempt = row.attempts + 1, give_up, error = %e, "e-mail delivery failed");
            if give_up {
                report.failed += 1;
            } else {
                report.retried += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eml_files_appear_whole_and_once_per_message() {
        let dir = std::env::temp_dir().join(format!("jiebang-eml-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // what a kill in the middle of a write leaves behind: a partial temporary file only
        std::fs::write(dir.join(".m1.eml.tmp"), b"From: cut").unwrap();
        write_eml(&dir, "m1", b"From: a\r\n\r\nbody").unwrap();
        write_eml(&dir, "m1", b"From: a\r\n\r\nbody").unwrap();
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["m1.eml"]);
        assert_eq!(
            std::fs::read(dir.join("m1.eml")).unwrap(),
            b"From: a\r\n\r\nbody"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Duration::seconds(5);
        assert_eq!(backoff(b, 0), Duration::seconds(5));
        assert_eq!(backoff(b, 3), Duration::seconds(40));
        assert_eq!(backoff(b, 30), Duration::hours(1));
    }

    fn row(to: &str, subject: &str) -> OutboxEmail {
        let now = Utc::now().naive_utc();
        OutboxEmail {
            id: "m1".into(),
            user_id: None,
            kind: "challenge_published".into(),
            to_address: to.into(),
            subject: subject.into(),
            body_text: "正文".into(),
            body_html: "<p>正文</p>".into(),
            message_id: "<m1@jiebang.local>".into(),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            claimed_until: None,
            last_error: None,
            created_at: now,
            sent_at: None,
        }
    }

    #[test]
    fn messages_carry_the_stored_message_id_and_cannot_inject_headers() {
        let from: Mailbox = "揭榜挂帅平台 <noreply@jiebang.local>".parse().unwrap();
        let m = build_message(&row("zhang@imu.edu.cn", "标题\r\nBcc: evil@x.cn"), &from).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <m1@jiebang.local>"), "{raw}");
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(build_message(&row("not an address\r\nBcc: x@y.cn", "x"), &from).is_err());
    }
}
