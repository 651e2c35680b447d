//! Stored responses of requests made with an `Idempotency-Key`.

use crate::schema::idempotency_keys::dsl as k;
use crate::{DbConnection, DbError};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::idempotency_keys)]
pub struct StoredResponse {
    pub user_id: String,
    pub key: String,
    pub request_hash: String,
    pub status_code: i64,
    pub response_body: String,
    pub created_at: chrono::NaiveDateTime,
}

pub fn find(
    conn: &mut DbConnection,
    user: &str,
    key: &str,
) -> Result<Option<StoredResponse>, DbError> {
    k::idempotency_keys
        .find((user, key))
        .select(StoredResponse::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, r: &StoredResponse) -> Result<(), DbError> {
    diesel::insert_into(k::idempotency_keys)
        .values(r)
        .execute(conn)
        .map(|_| ())
}
