//! The `jiebang` command line: `serve` (default), `migrate`, `demo`, `backup`, `user create`,
//! `verify FILE`, `audit verify|seal`, `keys rotate-platform|reseal`.

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
    /// Check an agreement's evidence document (`GET /api/v1/agreements/{id}/evidence`) offline:
    /// the terms' hashes, every SM2 signature and countersignature. Needs no database and no
    /// configuration. Exits 0 when every check passes, 1 otherwise.
    Verify {
        /// The evidence JSON file.
        file: std::path::PathBuf,
        /// A platform key id (from /.well-known/jiebang-keys.json) the countersignatures must be
        /// made with; repeat for several. Without it, any key that verifies is accepted.
        #[arg(long = "platform-key")]
        platform_keys: Vec<String>,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit chain and its signed checkpoints; name the first entry that does not fit.
    /// Exits 0 when the chain is intact, 1 otherwise.
    Verify {
        /// A platform key id the checkpoints must be signed with; repeat for several.
        #[arg(long = "platform-key")]
        platform_keys: Vec<String>,
    },
    /// Chain every entry not chained yet and sign a checkpoint of the head now (the service's
    /// scheduler does this every few seconds).
    Seal,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Retire the platform's signing key and make a new one; what the old key signed stays
    /// verifiable. Running instances pick the new key up within 30 seconds.
    RotatePlatform,
    /// Seal every key the platform keeps again under the current master key (after a master
    /// key rotation; the previous ones are given in JIEBANG_MASTER_KEYS_PREVIOUS).
    Reseal,
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
                let keys = cli.config.keyring()?;
                crate::demo::run(&db, &rules, &keys)
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
        Command::Verify {
            file,
            platform_keys,
        } => return verify_file(&file, &platform_keys),
        Command::Audit {
            command: AuditCommand::Verify { platform_keys },
        } => return audit_verify(&cli.config, &platform_keys),
        Command::Audit {
            command: AuditCommand::Seal,
        } => audit_seal(&cli.config),
        Command::Keys { command } => keys_command(&cli.config, command),
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

/// `jiebang verify FILE`: prints every check with ✓ or ✗.
pub fn verify_file(file: &std::path::Path, platform_keys: &[String]) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let evidence: jiebang_domain::evidence::Evidence = match serde_json::from_str(&text) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {} is not an evidence document: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let pinned = (!platform_keys.is_empty()).then_some(platform_keys);
    let report = jiebang_domain::evidence::verify(&evidence, pinned);
    println!("agreement {} ({})", evidence.agreement_id, evidence.status);
    println!("  terms SM3     {}", evidence.terms_sm3);
    println!("  terms SHA-256 {}", evidence.terms_sha256);
    for c in &report.checks {
        match &c.outcome {
            Ok(()) => println!("✓ {}", c.what),
            Err(why) => println!("✗ {}: {why}", c.what),
        }
    }
    if report.ok() {
        println!("verified: every hash and signature checks / 验证通过");
        ExitCode::SUCCESS
    } else {
        println!("NOT verified / 验证未通过");
        ExitCode::FAILURE
    }
}

/// `jiebang audit verify`.
fn audit_verify(config: &Config, platform_keys: &[String]) -> ExitCode {
    let report = match open_database(config) {
        Ok(db) => db.read(|conn| {
            let pinned = (!platform_keys.is_empty()).then_some(platform_keys);
            jiebang_application::signing::verify_chain(conn, pinned)
        }),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {}", e.code, e.detail);
            return ExitCode::from(2);
        }
    };
    println!(
        "audit chain: {} entries walked, head {} at seq {}, {} signed checkpoints, {} entries not chained yet",
        report.entries, report.head.1, report.head.0, report.checkpoints, report.unchained
    );
    match report.fault {
        None => {
            println!("intact / 审计链完整");
            ExitCode::SUCCESS
        }
        Some(f) => {
            println!("TAMPERED / 审计链被篡改: {f}");
            if let Some(id) = f.entry_id() {
                println!("first entry that does not fit: audit_log.id = {id}");
            }
            ExitCode::FAILURE
        }
    }
}

/// `jiebang audit seal`: chains every entry not chained yet, 10 000 per transaction, then signs
/// one checkpoint of the head.
fn audit_seal(config: &Config) -> Result<(), String> {
    let db = open_database(config).map_err(|e| e.to_string())?;
    let keys = config.keyring()?;
    let now = chrono::Utc::now();
    let pass = |batch: i64, every: chrono::TimeDelta| {
        db.write(|conn| jiebang_application::signing::chain_pending(conn, &keys, now, every, batch))
            .map_err(|e: jiebang_application::Error| format!("{}: {}", e.code, e.detail))
    };
    let mut total = 0;
    loop {
        // no checkpoint between passes (one is signed if the chain has none yet)
        let done = pass(10_000, chrono::TimeDelta::MAX)?;
        total += done.entries;
        if done.entries < 10_000 {
            break;
        }
    }
    // the head's checkpoint, unless the last one already is
    let done = pass(0, chrono::TimeDelta::zero())?;
    println!(
        "chained {total} entries; checkpoint at seq {:?}",
        done.checkpoint
    );
    Ok(())
}

fn keys_command(config: &Config, command: KeysCommand) -> Result<(), String> {
    let db = open_database(config).map_err(|e| e.to_string())?;
    let keys = config.keyring()?;
    let now = chrono::Utc::now();
    let out = db
        .write(|conn| match command {
            KeysCommand::RotatePlatform => {
                jiebang_application::signing::rotate_platform_key(conn, &keys, now)
                    .map(|k| format!("platform key is now {}", k.id))
            }
            KeysCommand::Reseal => jiebang_application::signing::reseal(conn, &keys)
                .map(|n| format!("{n} keys sealed under master key {}", keys.current_id())),
        })
        .map_err(|e: jiebang_application::Error| format!("{}: {}", e.code, e.detail))?;
    println!("{out}");
    Ok(())
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
