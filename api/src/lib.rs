//! Jiebang's HTTP API (actix-web), its web interface (`web`) and the `jiebang` binary.

pub mod accounts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod cursor;
pub mod demo;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod outbox;
pub mod public_cache;
pub mod request_id;
pub mod scheduler;
pub mod search;
pub mod state;
pub mod views;
pub mod web;

pub use app::Application;
pub use config::Config;
