//! The tamper-evident audit log (防篡改审计链): every entry carries its place in the chain
//! (`seq`, from 1), the SM3 hash of the entry before it and its own hash over its content and
//! both; at intervals the platform signs a checkpoint of the chain's head. Editing, deleting or
//! reordering entries breaks a hash or a link, and [`Walk`] names the first entry that does not
//! fit; rewriting the whole chain from some entry on cannot be hidden from a checkpoint signed
//! before it, because the platform's private key is not in the database.

use crate::agreement::canonical_json;
use crate::signing::sm3_hex;
use chrono::NaiveDateTime;
use serde_json::json;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry's content, as stored.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<&'a str>,
    pub actor_organization_id: Option<&'a str>,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub action: &'a str,
    pub before_json: Option<&'a str>,
    pub after_json: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

/// The hash of the entry at `seq` after `prev_hash`: SM3 over the canonical JSON of its content,
/// its place and the previous hash (docs/security.md spells the fields out).
pub fn entry_hash(seq: i64, prev_hash: &str, c: &Content<'_>) -> String {
    sm3_hex(
        canonical_json(&json!({
            "seq": seq,
            "prev_hash": prev_hash,
            "id": c.id,
            "at": c.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            "actor_user_id": c.actor_user_id,
            "actor_organization_id": c.actor_organization_id,
            "object_type": c.object_type,
            "object_id": c.object_id,
            "action": c.action,
            "before_json": c.before_json,
            "after_json": c.after_json,
            "comment": c.comment,
            "request_id": c.request_id,
        }))
        .as_bytes(),
    )
}

/// The statement the platform signs for a checkpoint: the chain's head at `seq` is `head_hash`.
pub fn checkpoint_statement(seq: i64, head_hash: &str, at: &str) -> String {
    canonical_json(&json!({
        "type": "jiebang.audit-checkpoint.v1",
        "seq": seq,
        "head_hash": head_hash,
        "at": at,
    }))
}

/// The first thing in the chain that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    #[error("entry {id} is at seq {found}, expected {expected}: entries {expected}..{found} are missing (deleted)")]
    Missing { expected: i64, found: i64, id: i64 },
    #[error("entry {id} (seq {seq}) does not follow the entry before it: moved, or the entry before it replaced")]
    Link { seq: i64, id: i64 },
    #[error("entry {id} (seq {seq}) does not match its hash: its content was changed")]
    Content { seq: i64, id: i64 },
    #[error("entry {id} (seq {seq}) has no hash or link although it is chained")]
    Incomplete { seq: i64, id: i64 },
    #[error("checkpoint at seq {seq}: {why}")]
    Checkpoint { seq: i64, why: String },
    #[error("the chain ends at seq {last}, but a checkpoint was signed at seq {seq}: entries after {last} were deleted")]
    Truncated { last: i64, seq: i64 },
    #[error(
        "entry {id} carries chain values outside the chain (seq {seq:?}): written or moved by hand"
    )]
    Stray { id: i64, seq: Option<i64> },
}

impl Fault {
    /// The audit entry at fault, where one is.
    pub fn entry_id(&self) -> Option<i64> {
        match self {
            Fault::Missing { id, .. }
            | Fault::Link { id, .. }
            | Fault::Content { id, .. }
            | Fault::Incomplete { id, .. }
            | Fault::Stray { id, .. } => Some(*id),
            Fault::Checkpoint { .. } | Fault::Truncated { .. } => None,
        }
    }
}

/// Walks the chained entries in `seq` order, one at a time (so a large log is streamed).
#[derive(Debug, Clone)]
pub struct Walk {
    next_seq: i64,
    prev: String,
}

impl Default for Walk {
    fn default() -> Self {
        Walk {
            next_seq: 1,
            prev: GENESIS.to_owned(),
        }
    }
}

impl Walk {
    /// The next entry: its stored place, links and hash, and its content.
    pub fn step(
        &mut self,
        seq: i64,
        prev_hash: Option<&str>,
        hash: Option<&str>,
        c: &Content<'_>,
    ) -> Result<(), Fault> {
        if seq != self.next_seq {
            return Err(Fault::Missing {
                expected: self.next_seq,
                found: seq,
                id: c.id,
            });
        }
        let (Some(prev_hash), Some(hash)) = (prev_hash, hash) else {
            return Err(Fault::Incomplete { seq, id: c.id });
        };
        if prev_hash != self.prev {
            return Err(Fault::Link { seq, id: c.id });
        }
        if entry_hash(seq, prev_hash, c) != hash {
            return Err(Fault::Content { seq, id: c.id });
        }
        self.next_seq += 1;
        self.prev = hash.to_owned();
        Ok(())
    }

    /// The last entry walked: `(seq, hash)`, `(0, GENESIS)` before the first.
    pub fn head(&self) -> (i64, &str) {
        (self.next_seq - 1, &self.prev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(id: i64, action: &str) -> Content<'_> {
        Content {
            id,
            at: chrono::DateTime::from_timestamp(1_764_000_000 + id, 123_456_000)
                .unwrap()
                .naive_utc(),
            actor_user_id: Some("u1"),
            actor_organization_id: None,
            object_type: "bid",
            object_id: "b1",
            action,
            before_json: None,
            after_json: Some("\"submitted\""),
            comment: None,
            request_id: None,
        }
    }

    /// (seq, prev, hash, content) of a chain of `n` entries.
    fn chain(actions: &[&'static str]) -> Vec<(i64, String, String, Content<'static>)> {
        let mut prev = GENESIS.to_owned();
        let mut out = Vec::new();
        for (i, a) in actions.iter().enumerate() {
            let seq = i as i64 + 1;
            let c = content(seq * 10, a);
            let h = entry_hash(seq, &prev, &c);
            out.push((seq, prev.clone(), h.clone(), c));
            prev = h;
        }
        out
    }

    fn walk(entries: &[(i64, String, String, Content<'_>)]) -> Result<(i64, String), Fault> {
        let mut w = Walk::default();
        for (seq, prev, hash, c) in entries {
            w.step(*seq, Some(prev), Some(hash), c)?;
        }
        let (s, h) = w.head();
        Ok((s, h.to_owned()))
    }

    #[test]
    fn an_intact_chain_walks_to_its_head() {
        let entries = chain(&["submit", "withdraw", "submit", "award"]);
        assert_eq!(walk(&entries).unwrap(), (4, entries[3].2.clone()));
        assert_eq!(walk(&[]).unwrap(), (0, GENESIS.to_owned()));
    }

    #[test]
    fn each_kind_of_edit_is_named_at_the_first_entry_that_does_not_fit() {
        let entries = chain(&["submit", "withdraw", "submit", "award"]);
        // content edited
        let mut edited = entries.clone();
        edited[1].3.action = "submit";
        assert_eq!(walk(&edited), Err(Fault::Content { seq: 2, id: 20 }));
        // one entry deleted
        let mut deleted = entries.clone();
        deleted.remove(1);
        assert_eq!(
            walk(&deleted),
            Err(Fault::Missing {
                expected: 2,
                found: 3,
                id: 30
            })
        );
        // two entries swapped, their seq exchanged
        let mut swapped = entries.clone();
        swapped.swap(1, 2);
        swapped[1].0 = 2;
        swapped[2].0 = 3;
        assert_eq!(walk(&swapped), Err(Fault::Link { seq: 2, id: 30 }));
        // an entry deleted and the rest renumbered
        let mut renumbered = entries.clone();
        renumbered.remove(1);
        for (i, e) in renumbered.iter_mut().enumerate() {
            e.0 = i as i64 + 1;
        }
        assert_eq!(walk(&renumbered), Err(Fault::Link { seq: 2, id: 30 }));
        // the time moved by a microsecond
        let mut retimed = entries.clone();
        retimed[3].3.at += chrono::Duration::microseconds(1);
        assert_eq!(walk(&retimed), Err(Fault::Content { seq: 4, id: 40 }));
        assert_eq!(Fault::Content { seq: 4, id: 40 }.entry_id(), Some(40));
    }
}
