//! The `jiebang` command line: `serve` (default), `migrate`, `demo`, `backup`, `user create`.

use crate::accounts::NewAccount;
use crate::app::{open_database, Application};
use crate::audit::Actor;
use crate::config::Config;
use clap::{Parser, Subcommand};
use jiebang_db::models::User;
use jiebang_db::Database;
use jiebang_domain::{Email, Password, Role, SystemClock};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "jiebang",
    version,
    about = "Jiebang 揭榜挂帅 — open-competition technology projects for a science department",
    long_about = "Jiebang runs 揭榜挂帅 programmes: enterprises publish technical challenges, universities \
and institutes bid, experts score, the parties sign agreements and officials register them.\n\n\
With no configuration it serves on 127.0.0.1:8080 with an embedded SQLite database in ./data.\n\
Every option can also be set through the JIEBANG_* environment variable shown beside it."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default). Its options are the top-level ones, given before
    /// the command or as JIEBANG_* variables: see `jiebang --help`.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill an empty database with demonstration data (applies migrations first). Every demo
    /// account's password is Jiebang-Demo-2026.
    Demo,
    /// Copy the SQLite database to FILE while the service runs (a consistent snapshot; FILE
    /// must not exist). To restore, stop the service and put the file in place of the database
    /// (docs/operations.md). PostgreSQL is backed up with pg_dump.
    Backup {
        /// Where to write the copy.
        file: std::path::PathBuf,
    },
    /// Manage platform users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an official, expert or admin user.
    Create {
        /// official | expert | admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: String,
        /// For experts: id of the organisation that employs them.
        #[arg(long)]
        organization: Option<String>,
    },
}

pub fn init_tracing(format: &str, default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // the service logs its requests; one-off commands say only what went wrong (RUST_LOG overrides)
    let serving = matches!(cli.command, None | Some(Command::Serve));
    init_tracing(
        &cli.config.log_format,
        if serving { "info" } else { "warn" },
    );
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config),
        Command::Migrate => open_database(&cli.config)
            .map(|_| println!("migrations are up to date"))
            .map_err(|e| e.to_string()),
        Command::Demo => open_database(&cli.config)
            .map_err(|e| e.to_string())
            .and_then(|db| {
                let rules = cli.config.challenge_rules()?;
                crate::demo::run(&db, &rules)
            })
            .map(|summary| println!("{summary}")),
        Command::Backup { file } => backup(&cli.config, &file),
        Command::User {
            command:
                UserCommand::Create {
                    role,
                    email,
                    password,
                    name,
                    organization,
                },
        } => create_user(&cli.config, &role, &email, &password, &name, organization),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config.clone(), Arc::new(SystemClock)).map_err(|e| e.to_string())?;
        tracing::info!(bind = %config.bind, port = app.port(), database = app.state().db.backend().as_str(), "jiebang is serving");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

/// `jiebang backup FILE`: the database named by the configuration, copied to `file`.
pub fn backup(config: &Config, file: &std::path::Path) -> Result<(), String> {
    let db = Database::connect(&config.database_url(), 2).map_err(|e| e.to_string())?;
    db.backup_to(file)?;
    println!("backed up to {}", file.display());
    Ok(())
}

fn create_user(
    config: &Config,
    role: &str,
    email: &str,
    password: &str,
    name: &str,
    organization: Option<String>,
) -> Result<(), String> {
    let db = open_database(config).map_err(|e| e.to_string())?;
    let user = create_platform_user(
        &db,
        role,
        email,
        password,
        name,
        organization,
        crate::auth::hashing::HashCost::Owasp,
    )?;
    println!("created {} {} ({})", user.role, user.email, user.id);
    Ok(())
}

/// Creates an official, expert or admin with the same rules as `POST /admin/users`
/// (`jiebang user create`, demo data, tests).
pub fn create_platform_user(
    db: &Database,
    role: &str,
    email: &str,
    password: &str,
    name: &str,
    organization: Option<String>,
    cost: crate::auth::hashing::HashCost,
) -> Result<User, String> {
    let role = match Role::parse(role) {
        Some(r @ (Role::Official | Role::Expert | Role::Admin)) => r,
        _ => return Err("--role must be official, expert or admin".into()),
    };
    if organization.is_some() && role != Role::Expert {
        return Err("--organization is only for experts".into());
    }
    let email = Email::parse(email).map_err(|e| format!("--email: {}", e.message))?;
    let password = Password::parse(password, &[email.as_str(), name])
        .map_err(|e| format!("--password: {}", e.message))?;
    let name = jiebang_domain::validation::bounded_text(name, 1, 50)
        .map_err(|e| format!("--name: {}", e.message))?;
    let hash = crate::auth::hashing::hash_with(cost, password.expose());
    let now = chrono::Utc::now();
    db.write(|conn| {
        jiebang_application::accounts::create_platform_user(
            conn,
            &Actor::system(),
            role,
            NewAccount {
                email,
                name,
                role,
                organization_id: None,
                password_hash: String::new(),
                fields: Vec::new(),
            },
            hash,
            organization,
            now,
        )
    })
    .map_err(|e: jiebang_application::Error| format!("{}: {}", e.code, e.detail))
}
