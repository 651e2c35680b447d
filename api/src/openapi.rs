//! The OpenAPI document, generated from the handlers' annotations.

use crate::handlers::{
    admin, agreements, auth, bids, challenges, consortia, evaluation, inbox, matching, me, ops,
    organizations, questions, stats,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Jiebang 揭榜挂帅 API",
        description = "Open-competition technology projects: challenges, bids, evaluation, agreements. \
Errors are application/problem+json with a stable `code` (docs/api.md).",
        version = "1"
    ),
    paths(
        ops::healthz, ops::readyz, ops::openapi,
        auth::register, auth::login, auth::refresh, auth::logout, me::me, me::update,
        organizations::read, organizations::update, organizations::verify, organizations::members,
        organizations::add_member, organizations::history,
        admin::create_user, admin::list_users, admin::update_user,
        challenges::create, challenges::list, challenges::read, challenges::update, challenges::submit,
        challenges::review, challenges::cancel, challenges::extend, challenges::history,
        questions::ask, questions::list, questions::answer,
        bids::create, bids::list, bids::read, bids::update, bids::submit, bids::withdraw,
        evaluation::put_rubric, evaluation::get_rubric, evaluation::assign_experts, evaluation::list_experts,
        evaluation::put_scores, evaluation::get_scores, evaluation::ranking, evaluation::select, evaluation::confirm,
        inbox::list, inbox::mark_read, inbox::mark_all_read, inbox::get_preferences, inbox::put_preferences,
        inbox::get_subscriptions, inbox::put_subscriptions, inbox::outbox, inbox::retry,
        agreements::list, agreements::read, agreements::update, agreements::sign, agreements::register,
        agreements::report, agreements::confirm, agreements::pay, agreements::terminate, agreements::complete, agreements::history,
        consortia::create, consortia::list, consortia::read, consortia::file, consortia::revoke,
        stats::overview, stats::funnel, stats::agreements_csv, stats::ocds,
        matching::put_profile, matching::get_profile, matching::my_recommendations, matching::recommended_organizations,
    ),
    components(schemas(crate::error::Problem, crate::error::ProblemFieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "organizations", description = "Organisations (单位)"),
        (name = "admin", description = "Platform users"),
        (name = "challenges", description = "Challenges (榜单) and their lifecycle"),
        (name = "questions", description = "Questions and answers (答疑)"),
        (name = "bids", description = "Bids (揭榜申报), sealed until the deadline"),
        (name = "evaluation", description = "Expert evaluation (专家评审) and award (立项)"),
        (name = "notifications", description = "In-app notifications, e-mail preferences, subscriptions"),
        (name = "agreements", description = "Agreements (协议/任务书): signing, registration, milestones, payments"),
        (name = "consortia", description = "Innovation consortia (创新联合体) and their filing (备案)"),
        (name = "stats", description = "Officials' statistics and exports"),
        (name = "matching", description = "Capability profiles and recommendations"),
        (name = "operations", description = "Health and documentation"),
    )
)]
pub struct ApiDoc;

/// The document as JSON.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("OpenAPI serialises")
}
