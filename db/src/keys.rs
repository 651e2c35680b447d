//! SM2 signing keys (签名密钥) of the platform, organisations and officials, and the audit
//! chain's signed checkpoints. Keys are never deleted: rotating retires the active key.

use crate::schema::audit_checkpoints::dsl as cp;
use crate::schema::signing_keys::dsl as k;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A key. `private_sealed` is the PKCS#8 PEM sealed under the master key when the platform keeps
/// the key (`custody = 'platform'`); it never leaves the service.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::signing_keys)]
pub struct KeyRow {
    pub id: String,
    /// `platform` | `organization` | `user`
    pub owner_type: String,
    /// The organisation's or user's id; empty for the platform.
    pub owner_id: String,
    /// `own` (the owner registered its public key and signs on its side) | `platform`
    pub custody: String,
    pub public_pem: String,
    pub private_sealed: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
    pub retired_at: Option<NaiveDateTime>,
}

/// The owner's active key, if any.
pub fn active(
    conn: &mut DbConnection,
    owner_type: &str,
    owner_id: &str,
) -> Result<Option<KeyRow>, DbError> {
    k::signing_keys
        .filter(k::owner_type.eq(owner_type))
        .filter(k::owner_id.eq(owner_id))
        .filter(k::retired_at.is_null())
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
}

/// Every key of an owner, newest first (the active one and the retired ones).
pub fn of_owner(
    conn: &mut DbConnection,
    owner_type: &str,
    owner_id: &str,
) -> Result<Vec<KeyRow>, DbError> {
    k::signing_keys
        .filter(k::owner_type.eq(owner_type))
        .filter(k::owner_id.eq(owner_id))
        .order((k::created_at.desc(), k::id.desc()))
        .select(KeyRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<KeyRow>, DbError> {
    k::signing_keys
        .find(id)
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
}

/// Every key the platform keeps, for sealing them again under a new master key.
pub fn kept(conn: &mut DbConnection) -> Result<Vec<KeyRow>, DbError> {
    k::signing_keys
        .filter(k::private_sealed.is_not_null())
        .order(k::id.asc())
        .select(KeyRow::as_select())
        .load(conn)
}

/// Retires the owner's active key (if any), then adds `key` as its active one. On a race the
/// unique index on active keys refuses the second insert (the caller's transaction fails).
pub fn rotate(conn: &mut DbConnection, key: &KeyRow, at: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(
        k::signing_keys
            .filter(k::owner_type.eq(&key.owner_type))
            .filter(k::owner_id.eq(&key.owner_id))
            .filter(k::retired_at.is_null()),
    )
    .set(k::retired_at.eq(at))
    .execute(conn)?;
    diesel::insert_into(k::signing_keys)
        .values(key)
        .execute(conn)
        .map(|_| ())
}

/// Adds the owner's first key unless another transaction just did; `false` if one exists.
pub fn insert_first(conn: &mut DbConnection, key: &KeyRow) -> Result<bool, DbError> {
    match conn {
        DbConnection::Postgresql(pg) => diesel::insert_into(k::signing_keys)
            .values(key)
            .on_conflict_do_nothing()
            .execute(pg)
            .map(|n| n == 1),
        DbConnection::Sqlite(lite) => diesel::insert_or_ignore_into(k::signing_keys)
            .values(key)
            .execute(lite)
            .map(|n| n == 1),
    }
}

/// Replaces the sealed private key (after sealing it under a new master key).
pub fn reseal(conn: &mut DbConnection, id: &str, sealed: &str) -> Result<(), DbError> {
    diesel::update(k::signing_keys.find(id))
        .set(k::private_sealed.eq(sealed))
        .execute(conn)
        .map(|_| ())
}

/// A signed checkpoint of the audit chain's head.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::audit_checkpoints)]
pub struct Checkpoint {
    pub seq: i64,
    pub head_hash: String,
    pub at: NaiveDateTime,
    pub statement: String,
    pub key_id: String,
    pub signature: String,
}

pub fn add_checkpoint(conn: &mut DbConnection, c: &Checkpoint) -> Result<(), DbError> {
    diesel::insert_into(cp::audit_checkpoints)
        .values(c)
        .execute(conn)
        .map(|_| ())
}

/// Every checkpoint, in chain order.
pub fn checkpoints(conn: &mut DbConnection) -> Result<Vec<Checkpoint>, DbError> {
    cp::audit_checkpoints
        .order(cp::seq.asc())
        .select(Checkpoint::as_select())
        .load(conn)
}

/// The newest checkpoint.
pub fn last_checkpoint(conn: &mut DbConnection) -> Result<Option<Checkpoint>, DbError> {
    cp::audit_checkpoints
        .order(cp::seq.desc())
        .select(Checkpoint::as_select())
        .first(conn)
        .optional()
}
