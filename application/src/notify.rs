//! Enqueuing notifications: an in-app entry and an outbox e-mail per recipient, written in the
//! transaction of the change that causes them (so a change that commits always has its
//! messages, and one that rolls back has none).

use crate::error::Result;
use chrono::{DateTime, Utc};
use jiebang_db::notifications::{Notification, OutboxEmail};
use jiebang_db::DbConnection;
use jiebang_notifications::{render, Event, Locale};

/// The host part of Message-IDs.
pub const MESSAGE_HOST: &str = "jiebang.local";

/// Tells every user in `user_ids` (deduplicated, inactive users skipped) about `event`.
pub fn notify(
    conn: &mut DbConnection,
    base_url: &str,
    user_ids: &[String],
    event: &Event,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<&str> = user_ids
        .iter()
        .map(String::as_str)
        .filter(|id| seen.insert(*id))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut users = jiebang_db::users::find_many(conn, &ids)?;
    // in the order asked for (the order their messages are written in)
    users.sort_by_key(|u| ids.iter().position(|id| *id == u.id));
    users.retain(|u| u.active);
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let off = jiebang_db::settings::email_disabled_for(conn, &ids, event.kind())?;
    let users: Vec<_> = users
        .into_iter()
        .map(|u| {
            let email = !off.contains(&u.id);
            (u, email)
        })
        .collect();
    notify_users(conn, base_url, &users, event, now)
}

/// Tells the active users of the organisations `orgs` about `event` (the users read in the same
/// query that finds them).
pub fn notify_organizations<S: AsRef<str>>(
    conn: &mut DbConnection,
    base_url: &str,
    orgs: &[S],
    event: &Event,
    now: DateTime<Utc>,
) -> Result<()> {
    let (notifications, emails) = for_organizations(conn, base_url, orgs, event, now)?;
    write(conn, &notifications, &emails)
}

/// The notifications and e-mails [`notify_organizations`] writes, for a change that writes them
/// itself (with its other appended rows, `jiebang_db::appends`): the recipients are read here.
pub fn for_organizations<S: AsRef<str>>(
    conn: &mut DbConnection,
    base_url: &str,
    orgs: &[S],
    event: &Event,
    now: DateTime<Utc>,
) -> Result<(Vec<Notification>, Vec<OutboxEmail>)> {
    let orgs: Vec<&str> = orgs.iter().map(AsRef::as_ref).collect();
    if orgs.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut users =
        jiebang_db::users::active_in_organizations_with_email(conn, &orgs, event.kind())?;
    in_organization_order(&mut users, &orgs, |(u, _)| u);
    Ok(messages(base_url, &users, event, now))
}

/// Tells each of `users` about `event`: an in-app notification each, and an e-mail to each whose
/// flag says they take this kind by e-mail — in two statements however many they are.
fn notify_users(
    conn: &mut DbConnection,
    base_url: &str,
    users: &[(jiebang_db::models::User, bool)],
    event: &Event,
    now: DateTime<Utc>,
) -> Result<()> {
    let (notifications, emails) = messages(base_url, users, event, now);
    write(conn, &notifications, &emails)
}

fn write(
    conn: &mut DbConnection,
    notifications: &[Notification],
    emails: &[OutboxEmail],
) -> Result<()> {
    jiebang_db::notifications::insert_notifications(conn, notifications)?;
    jiebang_db::notifications::insert_emails(conn, emails)?;
    Ok(())
}

/// The in-app notification for each of `users`, and the e-mail for each whose flag says they
/// take this kind by e-mail, rendered in each user's language.
fn messages(
    base_url: &str,
    users: &[(jiebang_db::models::User, bool)],
    event: &Event,
    now: DateTime<Utc>,
) -> (Vec<Notification>, Vec<OutboxEmail>) {
    let mut notifications = Vec::with_capacity(users.len());
    let mut emails = Vec::with_capacity(users.len());
    for (user, email) in users {
        let r = render(event, Locale::parse(&user.locale), base_url);
        notifications.push(Notification {
            id: jiebang_db::new_id(),
            user_id: user.id.clone(),
            kind: event.kind().to_owned(),
            title: r.subject.clone(),
            body: r.text.clone(),
            link: r.link.clone(),
            read_at: None,
            created_at: now.naive_utc(),
        });
        // in-app always; e-mail unless the user turned this kind off
        if !email {
            continue;
        }
        let outbox_id = jiebang_db::new_id();
        emails.push(OutboxEmail {
            message_id: jiebang_notifications::message_id(&outbox_id, MESSAGE_HOST),
            id: outbox_id,
            user_id: Some(user.id.clone()),
            kind: event.kind().to_owned(),
            to_address: user.email.clone(),
            subject: r.subject,
            body_text: r.text,
            body_html: r.html,
            status: "pending".to_owned(),
            attempts: 0,
            next_attempt_at: now.naive_utc(),
            claimed_until: None,
            last_error: None,
            created_at: now.naive_utc(),
            sent_at: None,
        });
    }
    (notifications, emails)
}

/// The ids of an organisation's active users.
pub fn organization_users(conn: &mut DbConnection, org: &str) -> Result<Vec<String>> {
    users_of(conn, [org])
}

/// The ids of the active users of several organisations (organisation by organisation, each
/// oldest first), in one query.
pub fn users_of<S: AsRef<str>>(
    conn: &mut DbConnection,
    orgs: impl IntoIterator<Item = S>,
) -> Result<Vec<String>> {
    let orgs: Vec<S> = orgs.into_iter().collect();
    let orgs: Vec<&str> = orgs.iter().map(AsRef::as_ref).collect();
    Ok(active_users_of(conn, &orgs)?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

/// The active users of `orgs`, organisation by organisation, each oldest first.
fn active_users_of(
    conn: &mut DbConnection,
    orgs: &[&str],
) -> Result<Vec<jiebang_db::models::User>> {
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let mut users = jiebang_db::users::active_in_organizations(conn, orgs)?;
    in_organization_order(&mut users, orgs, |u| u);
    Ok(users)
}

/// Sorts users organisation by organisation in the order of `orgs`; stable, so within an
/// organisation they stay as read (oldest first).
fn in_organization_order<T>(
    users: &mut [T],
    orgs: &[&str],
    user: impl Fn(&T) -> &jiebang_db::models::User,
) {
    users.sort_by_key(|t| {
        let org = user(t).organization_id.as_deref();
        orgs.iter().position(|o| org == Some(*o))
    });
}

/// The organisations a bid speaks for: its lead and its consortium members (`members`, read by
/// the caller), told of its submission, its formal check and the award.
pub fn bid_organizations(
    bid: &jiebang_db::bids::Bid,
    members: &[jiebang_domain::bid::Member],
) -> Vec<String> {
    std::iter::once(bid.lead_organization_id.clone())
        .chain(members.iter().map(|m| m.organization_id.clone()))
        .collect()
}

/// The ids of the active users of the organisations a bid speaks for ([`bid_organizations`]).
pub fn bid_users(conn: &mut DbConnection, bid: &jiebang_db::bids::Bid) -> Result<Vec<String>> {
    let members = jiebang_db::bids::members(conn, &bid.id)?;
    users_of(conn, bid_organizations(bid, &members))
}

/// The ids of the active users of the parties to an agreement.
pub fn party_users(
    conn: &mut DbConnection,
    terms: &jiebang_domain::agreement::Terms,
) -> Result<Vec<String>> {
    users_of(
        conn,
        terms.parties.iter().map(|p| p.organization_id.as_str()),
    )
}

/// The ids of every active official.
pub fn officials(conn: &mut DbConnection) -> Result<Vec<String>> {
    Ok(jiebang_db::users::list_by_role(conn, "official", false)?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

/// Tells the subscribers whose industries or keywords match a newly published challenge
/// (never the publisher's own users; for a directed challenge only users of invited
/// organisations).
pub fn notify_subscribers(
    conn: &mut DbConnection,
    base_url: &str,
    c: &jiebang_db::challenges::Challenge,
    now: DateTime<Utc>,
) -> Result<()> {
    let invited = jiebang_db::challenges::invitations(conn, &c.id)?;
    let mut recipients = Vec::new();
    for s in jiebang_db::settings::all_subscriptions(conn)? {
        let matches = s.industries().contains(&c.industry)
            || s.keywords()
                .iter()
                .any(|k| c.search_text.contains(k.as_str()));
        if !matches {
            continue;
        }
        let Some(user) = jiebang_db::users::find(conn, &s.user_id)? else {
            continue;
        };
        // the publisher's own users are not told; others only if they may see it
        // (a directed challenge: users of an invited organisation, not experts linked to one)
        let Some(role) = jiebang_domain::Role::parse(&user.role) else {
            continue;
        };
        let viewer = jiebang_domain::visibility::Viewer {
            role,
            organization_id: user.organization_id.as_deref(),
        };
        let seen = jiebang_domain::visibility::visibility::<std::convert::Infallible>(
            &crate::visibility::facts(c),
            Some(&viewer),
            |org| Ok(invited.iter().any(|i| i == org)),
        )
        .unwrap_or(jiebang_domain::visibility::Visibility::Hidden);
        use jiebang_domain::visibility::Visibility;
        if user.organization_id.as_deref() == Some(c.organization_id.as_str())
            || !matches!(seen, Visibility::Public | Visibility::Staff)
        {
            continue;
        }
        recipients.push(user.id);
    }
    let event = Event::ChallengeMatchesSubscription {
        challenge_id: c.id.clone(),
        title: c.title.clone(),
        industry: c.industry.clone(),
        deadline: c.bidding_deadline.and_utc(),
    };
    notify(conn, base_url, &recipients, &event, now)
}
