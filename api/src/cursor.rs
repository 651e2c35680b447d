//! Cursors of paged lists: an opaque token naming the last row of a page by its sort time and id.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::DateTime;

/// The time is kept to the nanosecond: SQLite stores what it is given, and a cursor rounded to
/// the microsecond would put its own row after itself.
pub fn encode(t: chrono::NaiveDateTime, id: &str) -> String {
    let nanos = t
        .and_utc()
        .timestamp_nanos_opt()
        .unwrap_or_else(|| t.and_utc().timestamp_micros().saturating_mul(1000));
    URL_SAFE_NO_PAD.encode(format!("{nanos}|{id}"))
}

pub fn decode(s: &str) -> Option<(chrono::NaiveDateTime, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
    let (t, id) = raw.split_once('|')?;
    let t = DateTime::from_timestamp_nanos(t.parse().ok()?).naive_utc();
    Some((t, id.to_owned()))
}
