//! HTTP handlers, one module per area. Handlers are thin: parse, call the domain and the
//! database in one transaction, map the result.

pub mod access;
pub mod admin;
pub mod agreements;
pub mod auth;
pub mod bids;
pub mod challenges;
pub mod consortia;
pub mod evaluation;
pub mod inbox;
pub mod keys;
pub mod matching;
pub mod me;
pub mod ops;
pub mod organizations;
pub mod questions;
pub mod stats;

use actix_web::web;

/// Registers every route of the `/api/v1` scope. Each path is one `resource`, so that a wrong
/// method on a known path is 405, not 404.
pub fn api_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(web::resource("/auth/register").route(web::post().to(auth::register)))
            .service(web::resource("/auth/login").route(web::post().to(auth::login)))
            .service(web::resource("/auth/refresh").route(web::post().to(auth::refresh)))
            .service(web::resource("/auth/logout").route(web::post().to(auth::logout)))
            .service(
                web::resource("/me")
                    .route(web::get().to(me::me))
                    .route(web::patch().to(me::update)),
            )
            .service(
                web::resource("/me/recommendations")
                    .route(web::get().to(matching::my_recommendations)),
            )
            .service(
                web::resource("/organizations/{id}/profile")
                    .route(web::get().to(matching::get_profile))
                    .route(web::put().to(matching::put_profile)),
            )
            .service(
                web::resource("/challenges/{id}/recommended-organizations")
                    .route(web::get().to(matching::recommended_organizations)),
            )
            .service(web::resource("/me/bids").route(web::get().to(me::bids)))
            .service(web::resource("/me/assignments").route(web::get().to(me::assignments)))
            .service(web::resource("/me/notifications").route(web::get().to(inbox::list)))
            .service(
                web::resource("/me/notifications/read-all")
                    .route(web::post().to(inbox::mark_all_read)),
            )
            .service(
                web::resource("/me/notifications/{id}/read")
                    .route(web::post().to(inbox::mark_read)),
            )
            .service(
                web::resource("/me/notification-preferences")
                    .route(web::get().to(inbox::get_preferences))
                    .route(web::put().to(inbox::put_preferences)),
            )
            .service(
                web::resource("/me/subscriptions")
                    .route(web::get().to(inbox::get_subscriptions))
                    .route(web::put().to(inbox::put_subscriptions)),
            )
            .service(web::resource("/admin/outbox").route(web::get().to(inbox::outbox)))
            .service(web::resource("/admin/outbox/{id}/retry").route(web::post().to(inbox::retry)))
            .service(web::resource("/organizations").route(web::get().to(organizations::list)))
            .service(
                web::resource("/organizations/{id}")
                    .route(web::get().to(organizations::read))
                    .route(web::patch().to(organizations::update)),
            )
            .service(
                web::resource("/organizations/{id}/verify")
                    .route(web::post().to(organizations::verify)),
            )
            .service(
                web::resource("/organizations/{id}/return")
                    .route(web::post().to(organizations::return_registration)),
            )
            .service(
                web::resource("/organizations/{id}/members")
                    .route(web::get().to(organizations::members))
                    .route(web::post().to(organizations::add_member)),
            )
            .service(
                web::resource("/organizations/{id}/history")
                    .route(web::get().to(organizations::history)),
            )
            .service(
                web::resource("/admin/users")
                    .route(web::get().to(admin::list_users))
                    .route(web::post().to(admin::create_user)),
            )
            .service(
                web::resource("/challenges")
                    .route(web::get().to(challenges::list))
                    .route(web::post().to(challenges::create)),
            )
            .service(
                web::resource("/challenges/{id}")
                    .route(web::get().to(challenges::read))
                    .route(web::patch().to(challenges::update)),
            )
            .service(
                web::resource("/challenges/{id}/submit").route(web::post().to(challenges::submit)),
            )
            .service(
                web::resource("/challenges/{id}/review").route(web::post().to(challenges::review)),
            )
            .service(
                web::resource("/challenges/{id}/cancel").route(web::post().to(challenges::cancel)),
            )
            .service(
                web::resource("/challenges/{id}/extend").route(web::post().to(challenges::extend)),
            )
            .service(
                web::resource("/challenges/{id}/history").route(web::get().to(challenges::history)),
            )
            .service(
                web::resource("/challenges/{id}/questions")
                    .route(web::get().to(questions::list))
                    .route(web::post().to(questions::ask)),
            )
            .service(
                web::resource("/challenges/{id}/bids")
                    .route(web::get().to(bids::list))
                    .route(web::post().to(bids::create)),
            )
            .service(
                web::resource("/bids/{id}")
                    .route(web::get().to(bids::read))
                    .route(web::patch().to(bids::update)),
            )
            .service(
                web::resource("/challenges/{id}/rubric")
                    .route(web::get().to(evaluation::get_rubric))
                    .route(web::put().to(evaluation::put_rubric)),
            )
            .service(
                web::resource("/challenges/{id}/experts")
                    .route(web::get().to(evaluation::list_experts))
                    .route(web::post().to(evaluation::assign_experts)),
            )
            .service(
                web::resource("/bids/{id}/scores")
                    .route(web::get().to(evaluation::get_scores))
                    .route(web::put().to(evaluation::put_scores)),
            )
            .service(
                web::resource("/bids/{id}/scores/draft")
                    .route(web::get().to(evaluation::get_draft))
                    .route(web::put().to(evaluation::put_draft)),
            )
            .service(
                web::resource("/challenges/{id}/recusals")
                    .route(web::get().to(evaluation::list_recusals))
                    .route(web::post().to(evaluation::recuse)),
            )
            .service(
                web::resource("/challenges/{id}/ranking").route(web::get().to(evaluation::ranking)),
            )
            .service(
                web::resource("/challenges/{id}/awards")
                    .route(web::get().to(evaluation::selection))
                    .route(web::post().to(evaluation::select)),
            )
            .service(
                web::resource("/challenges/{id}/awards/confirm")
                    .route(web::post().to(evaluation::confirm)),
            )
            .service(
                web::resource("/consortia")
                    .route(web::get().to(consortia::list))
                    .route(web::post().to(consortia::create)),
            )
            .service(web::resource("/consortia/{id}").route(web::get().to(consortia::read)))
            .service(
                web::resource("/consortia/{id}/history").route(web::get().to(consortia::history)),
            )
            .service(web::resource("/bids/{id}/history").route(web::get().to(bids::history)))
            .service(web::resource("/consortia/{id}/file").route(web::post().to(consortia::file)))
            .service(
                web::resource("/consortia/{id}/revoke").route(web::post().to(consortia::revoke)),
            )
            .service(web::resource("/stats/overview").route(web::get().to(stats::overview)))
            .service(web::resource("/stats/funnel").route(web::get().to(stats::funnel)))
            .service(
                web::resource("/exports/agreements.csv")
                    .route(web::get().to(stats::agreements_csv)),
            )
            .service(web::resource("/exports/ocds").route(web::get().to(stats::ocds)))
            .service(web::resource("/agreements").route(web::get().to(agreements::list)))
            .service(
                web::resource("/agreements/{id}")
                    .route(web::get().to(agreements::read))
                    .route(web::patch().to(agreements::update)),
            )
            .service(web::resource("/agreements/{id}/sign").route(web::post().to(agreements::sign)))
            .service(
                web::resource("/agreements/{id}/register")
                    .route(web::post().to(agreements::register)),
            )
            .service(
                web::resource("/agreements/{id}/milestones/{mid}/report")
                    .route(web::post().to(agreements::report)),
            )
            .service(
                web::resource("/agreements/{id}/milestones/{mid}/confirm")
                    .route(web::post().to(agreements::confirm)),
            )
            .service(
                web::resource("/agreements/{id}/payments").route(web::post().to(agreements::pay)),
            )
            .service(
                web::resource("/agreements/{id}/terminate")
                    .route(web::post().to(agreements::terminate)),
            )
            .service(
                web::resource("/agreements/{id}/complete")
                    .route(web::post().to(agreements::complete)),
            )
            .service(
                web::resource("/agreements/{id}/history").route(web::get().to(agreements::history)),
            )
            .service(
                web::resource("/agreements/{id}/evidence")
                    .route(web::get().to(agreements::evidence)),
            )
            .service(
                web::resource("/organizations/{id}/keys")
                    .route(web::get().to(keys::of_organization))
                    .route(web::post().to(keys::add)),
            )
            .service(web::resource("/keys/{key_id}").route(web::get().to(keys::read)))
            .service(web::resource("/bids/{id}/submit").route(web::post().to(bids::submit)))
            .service(web::resource("/bids/{id}/withdraw").route(web::post().to(bids::withdraw)))
            .service(
                web::resource("/questions/{qid}/answer").route(web::post().to(questions::answer)),
            )
            .service(web::resource("/admin/users/{id}").route(web::patch().to(admin::update_user)))
            .service(
                web::resource("/admin/users/{id}/history")
                    .route(web::get().to(admin::user_history)),
            ),
    );
}
