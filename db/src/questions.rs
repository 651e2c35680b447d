//! Questions and answers on a challenge (答疑).

use crate::schema::questions::dsl as q;
use crate::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::questions)]
pub struct Question {
    pub id: String,
    pub challenge_id: String,
    pub organization_id: String,
    pub user_id: String,
    pub question: String,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &Question) -> Result<(), DbError> {
    diesel::insert_into(q::questions)
        .values(new)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Question>, DbError> {
    q::questions
        .find(id)
        .select(Question::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConnection, challenge: &str) -> Result<Vec<Question>, DbError> {
    q::questions
        .filter(q::challenge_id.eq(challenge))
        .order((q::created_at.asc(), q::id.asc()))
        .select(Question::as_select())
        .load(conn)
}

pub fn answer(
    conn: &mut DbConnection,
    id: &str,
    text: &str,
    by: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(q::questions.find(id))
        .set((
            q::answer.eq(Some(text)),
            q::answered_by.eq(Some(by)),
            q::answered_at.eq(Some(at)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The users who asked questions on a challenge (to tell them an answer was published).
pub fn askers(conn: &mut DbConnection, challenge: &str) -> Result<Vec<String>, DbError> {
    q::questions
        .filter(q::challenge_id.eq(challenge))
        .select(q::user_id)
        .distinct()
        .load(conn)
}
