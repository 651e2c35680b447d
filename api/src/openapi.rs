//! The OpenAPI document, generated from the handlers' annotations.

use crate::handlers::{
    admin, agreements, auth, bids, challenges, consortia, evaluation, inbox, keys, matching, me,
    ops, organizations, questions, stats,
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

/// Every error response is a problem document (`application/problem+json`, schema `Problem`),
/// and every operation documents the statuses the shared machinery can answer besides its own:
/// 400/413/415/422 where it takes a JSON body (malformed, too large, not JSON, invalid fields),
/// 422 where it takes query parameters, 404 where its path names an object, 401 and 403 for every
/// operation of the API that reads a bearer token (a bad token is refused even where a token is
/// optional; roles are checked), and 503 for all (the database pool or the hashing pool is
/// exhausted).
struct ProblemResponses;

const PROBLEM_JSON: &str = "application/problem+json";

fn problem_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::RefOr;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/api/v1/");
            let takes_token = api && !path.starts_with("/api/v1/auth/");
            let names_object = path.contains('{');
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let has_body = op.request_body.is_some();
                let has_query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Query));
                let mut add = |status: &str, description: &str, when: bool| {
                    if when {
                        op.responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| problem_response(description));
                    }
                };
                add(
                    "400",
                    "Malformed JSON (`malformed_json`, `malformed_body`)",
                    has_body,
                );
                add(
                    "401",
                    "Missing, invalid or expired token (`unauthenticated`, `invalid_token`)",
                    takes_token,
                );
                add(
                    "403",
                    "The role or relation does not allow this (see `code`)",
                    takes_token,
                );
                add(
                    "404",
                    "No such object, or one the caller may not know exists",
                    names_object,
                );
                add(
                    "413",
                    "The body is too large (`payload_too_large`)",
                    has_body,
                );
                add(
                    "415",
                    "The body is not `application/json` (`unsupported_media_type`)",
                    has_body,
                );
                add(
                    "422",
                    "Invalid fields or parameters (`validation_failed`, see `errors`)",
                    has_body || has_query,
                );
                add(
                    "503",
                    "The server is busy; retry after `Retry-After` (`server_busy`)",
                    api,
                );
                // error responses are problem documents, whatever the annotation said
                for (status, response) in op.responses.responses.iter_mut() {
                    if !(status.starts_with('4') || status.starts_with('5')) {
                        continue;
                    }
                    if let RefOr::T(r) = response {
                        if let Some(content) = r.content.shift_remove("application/json") {
                            r.content.insert(PROBLEM_JSON.to_owned(), content);
                        }
                    }
                }
            }
        }
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
        ops::healthz, ops::readyz, ops::openapi, ops::metrics,
        auth::register, auth::login, auth::refresh, auth::logout, me::me, me::update, me::bids, me::assignments,
        organizations::list, organizations::read, organizations::update, organizations::verify, organizations::return_registration, organizations::members,
        organizations::add_member, organizations::history,
        admin::create_user, admin::list_users, admin::update_user, admin::user_history,
        challenges::create, challenges::list, challenges::read, challenges::update, challenges::submit,
        challenges::review, challenges::cancel, challenges::extend, challenges::history,
        questions::ask, questions::list, questions::answer,
        bids::create, bids::list, bids::read, bids::history, bids::update, bids::submit, bids::withdraw,
        evaluation::put_rubric, evaluation::get_rubric, evaluation::assign_experts, evaluation::list_experts,
        evaluation::put_scores, evaluation::get_scores, evaluation::put_draft, evaluation::get_draft,
        evaluation::recuse, evaluation::list_recusals, evaluation::ranking, evaluation::selection, evaluation::select, evaluation::confirm,
        inbox::list, inbox::mark_read, inbox::mark_all_read, inbox::get_preferences, inbox::put_preferences,
        inbox::get_subscriptions, inbox::put_subscriptions, inbox::outbox, inbox::retry,
        agreements::list, agreements::read, agreements::update, agreements::sign, agreements::register,
        agreements::report, agreements::confirm, agreements::pay, agreements::terminate, agreements::complete, agreements::history, agreements::evidence,
        keys::well_known, keys::read, keys::of_organization, keys::add,
        consortia::create, consortia::list, consortia::read, consortia::history, consortia::file, consortia::revoke,
        stats::overview, stats::funnel, stats::agreements_csv, stats::ocds,
        matching::put_profile, matching::get_profile, matching::my_recommendations, matching::recommended_organizations,
    ),
    components(schemas(crate::error::Problem, crate::error::ProblemFieldError)),
    modifiers(&BearerAuth, &ProblemResponses),
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
        (name = "keys", description = "SM2 signing keys (签名密钥) of the platform and organisations"),
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
