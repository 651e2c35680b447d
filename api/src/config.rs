//! Configuration: `JIEBANG_*` environment variables (or the matching flags), with defaults that
//! need no configuration at all. `jiebang --help` lists them.

use clap::Args;
use std::path::PathBuf;

/// Its `Debug` output names every setting but shows no secret: the JWT secret and the master
/// keys as `<redacted>`, and the password inside the database and SMTP URLs.
#[derive(derive_more::Debug, Clone, Args)]
pub struct Config {
    /// Database URL: a SQLite path (`sqlite://data/jiebang.db`) or `postgres://user@host/db`.
    /// Default: SQLite at `<data dir>/jiebang.db`.
    #[arg(long, env = "JIEBANG_DATABASE_URL", global = true)]
    #[debug("{:?}", url_shown(database_url))]
    pub database_url: Option<String>,
    /// The cost of new password hashes: OWASP in every deployment; the end-to-end tests lower it
    /// in code. Not settable from the environment or the command line.
    #[arg(skip)]
    pub password_hash_cost: crate::auth::hashing::HashCost,

    /// Address to listen on.
    #[arg(long, env = "JIEBANG_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Directory for the SQLite database, the generated JWT secret and outgoing mail files.
    #[arg(
        long,
        env = "JIEBANG_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Secret for signing access tokens (at least 32 bytes). Default: generated on first start
    /// and kept in `<data dir>/jwt-secret` (mode 0600). Set it when instances share no data dir.
    #[arg(long, env = "JIEBANG_JWT_SECRET", hide_env_values = true)]
    #[debug("{:?}", secret_shown(jwt_secret))]
    pub jwt_secret: Option<String>,

    /// Master key (at least 32 bytes) sealing the SM2 private keys the platform keeps for
    /// itself, organisations and officials (SM4-GCM). Default: generated on first start and kept
    /// in `<data dir>/master-key` (mode 0600). Set it — the same on every instance — when
    /// instances share no data dir. Never logged, never in a response (docs/security.md).
    #[arg(long, env = "JIEBANG_MASTER_KEY", hide_env_values = true)]
    #[debug("{:?}", secret_shown(master_key))]
    pub master_key: Option<String>,

    /// Previous master keys, comma-separated, after a rotation: they still open the keys they
    /// sealed until `jiebang keys reseal` seals those under the current master key.
    #[arg(long, env = "JIEBANG_MASTER_KEYS_PREVIOUS", hide_env_values = true)]
    #[debug("{:?}", secret_shown(master_keys_previous))]
    pub master_keys_previous: Option<String>,

    /// How often the platform signs a checkpoint of the audit chain's head, in seconds (when
    /// entries were added since the last one).
    #[arg(long, env = "JIEBANG_AUDIT_CHECKPOINT_SECONDS", default_value_t = 60)]
    pub audit_checkpoint_seconds: i64,

    /// SMTP server for e-mail (`smtp://host:25`, `smtp://user:pass@host:587?tls=starttls`,
    /// `smtps://user:pass@host:465`). Without it e-mails are written as `.eml` files to
    /// `<data dir>/outbox/`.
    #[arg(long, env = "JIEBANG_SMTP_URL", hide_env_values = true)]
    #[debug("{:?}", url_shown(smtp_url))]
    pub smtp_url: Option<String>,

    /// Public base URL of the platform, used in links inside e-mails.
    #[arg(
        long,
        env = "JIEBANG_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,

    /// Behind a reverse proxy: take the client address for login throttling from
    /// `X-Forwarded-For` / `Forwarded` (only set this when the proxy overwrites those headers).
    #[arg(long, env = "JIEBANG_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,

    /// A bearer token that opens `GET /metrics` to callers other than loopback (e.g. a
    /// Prometheus server on another host). Without it, only loopback may scrape.
    #[arg(long, env = "JIEBANG_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Largest accepted request body, in bytes.

    #[arg(long, env = "JIEBANG_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,

    /// Database connections in the pool.
    #[arg(long, env = "JIEBANG_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: u32,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "JIEBANG_WORKERS")]
    pub workers: Option<usize>,

    /// Password hashes computed at once (argon2id, 19 MiB each); requests beyond wait briefly,
    /// then get 503.
    #[arg(long, env = "JIEBANG_HASH_CONCURRENCY")]
    pub hash_concurrency: Option<usize>,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "JIEBANG_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl: i64,

    /// Lifetime of refresh tokens, in days.
    #[arg(long, env = "JIEBANG_REFRESH_TOKEN_DAYS", default_value_t = 30)]
    pub refresh_token_days: i64,

    /// Minimum hours between publication and the bidding deadline (0 allowed, for demos and tests).
    #[arg(long, env = "JIEBANG_MIN_BIDDING_HOURS", default_value_t = 72)]
    pub min_bidding_hours: i64,

    /// Minimum ratio of enterprise funds to fiscal support, as `E:F`.
    #[arg(long, env = "JIEBANG_MIN_FUNDING_RATIO", default_value = "2:1")]
    pub min_funding_ratio: String,

    /// The industries (产业领域) challenges may name, comma-separated. Default: the programme's
    /// list (种业, 农牧业, 装备制造, 新能源, 中医药(蒙医药), …).
    #[arg(long, env = "JIEBANG_INDUSTRIES")]
    pub industries: Option<String>,

    /// 限项: how many live (draft or submitted) bids one organisation may lead at once.
    #[arg(long, env = "JIEBANG_MAX_LIVE_BIDS", default_value_t = 3)]
    pub max_live_bids: i64,

    /// The programme's home region (GB/T 2260): members inside it count as in-region in the
    /// formal check (`150000`: Inner Mongolia).
    #[arg(long, env = "JIEBANG_HOME_REGION", default_value = "150000")]
    pub home_region: String,

    /// Sender of e-mails.
    #[arg(
        long,
        env = "JIEBANG_MAIL_FROM",
        default_value = "揭榜挂帅平台 <noreply@jiebang.local>"
    )]
    pub mail_from: String,

    /// Delivery attempts before an e-mail is marked failed.
    #[arg(long, env = "JIEBANG_MAIL_MAX_ATTEMPTS", default_value_t = 8)]
    pub mail_max_attempts: i64,

    /// Delay before the first retry of a failed e-mail, in seconds (doubling, at most an hour).
    #[arg(long, env = "JIEBANG_MAIL_RETRY_SECONDS", default_value_t = 30)]
    pub mail_retry_seconds: i64,

    /// How often the outbox worker looks for e-mails to send, in milliseconds.
    #[arg(long, env = "JIEBANG_OUTBOX_INTERVAL_MS", default_value_t = 1000)]
    pub outbox_interval_ms: u64,

    /// How often the matching index checks the database for changes made through other
    /// instances, in milliseconds.
    #[arg(long, env = "JIEBANG_INDEX_REFRESH_MS", default_value_t = 5000)]
    pub index_refresh_ms: u64,

    /// How often the scheduler looks for deadlines that passed, in milliseconds.

    #[arg(long, env = "JIEBANG_SCHEDULER_INTERVAL_MS", default_value_t = 1000)]
    pub scheduler_interval_ms: u64,

    /// Log format: `text` or `json`. The level is set with `RUST_LOG` (default: `info` when serving, `warn` for the other commands).
    #[arg(
        long,
        env = "JIEBANG_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    pub log_format: String,
}

impl Config {
    /// A configuration with every default, for tests and tools.
    pub fn defaults() -> Config {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        Wrapper::parse_from(["jiebang"]).config
    }

    /// The master keys: the configured (or kept) current one, then the previous ones.
    pub fn keyring(&self) -> Result<jiebang_application::signing::Keyring, String> {
        use jiebang_domain::sealing::MasterKey;
        let current = crate::auth::secret::load_or_create_named(
            self.master_key.as_deref(),
            &self.data_dir,
            crate::auth::secret::MASTER_KEY_FILE,
            "JIEBANG_MASTER_KEY",
        )?;
        let mut previous = Vec::new();
        for s in self
            .master_keys_previous
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if s.len() < 32 {
                return Err(
                    "each of JIEBANG_MASTER_KEYS_PREVIOUS must be at least 32 bytes".into(),
                );
            }
            previous.push(MasterKey::from_secret(s.as_bytes()));
        }
        Ok(jiebang_application::signing::Keyring::new(
            MasterKey::from_secret(&current),
            previous,
        ))
    }

    /// The effective database URL.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => format!("sqlite://{}", self.data_dir.join("jiebang.db").display()),
        }
    }

    pub fn workers(&self) -> usize {
        self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        })
    }

    /// The challenge rules this configuration sets.
    pub fn challenge_rules(&self) -> Result<jiebang_domain::challenge::Rules, String> {
        let home = jiebang_domain::RegionCode::parse(&self.home_region)
            .map_err(|e| format!("JIEBANG_HOME_REGION: {}", e.message))?;
        if home.region().level == jiebang_domain::region::RegionLevel::County {
            return Err("JIEBANG_HOME_REGION must be a province or prefecture code".into());
        }

        let mut rules = jiebang_domain::challenge::Rules {
            min_bidding_hours: self.min_bidding_hours.max(0),
            ..Default::default()
        };
        let (e, f) = self
            .min_funding_ratio
            .split_once(':')
            .and_then(|(e, f)| Some((e.trim().parse::<i64>().ok()?, f.trim().parse::<i64>().ok()?)))
            .filter(|(e, f)| *e >= 0 && *f > 0)
            .ok_or_else(|| {
                format!(
                    "JIEBANG_MIN_FUNDING_RATIO must look like 2:1, not {:?}",
                    self.min_funding_ratio
                )
            })?;
        rules.min_ratio = (e, f);
        if let Some(list) = &self.industries {
            let list: Vec<String> = list
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            if list.is_empty() {
                return Err("JIEBANG_INDUSTRIES names no industry".into());
            }
            rules.industries = list;
        }
        Ok(rules)
    }

    pub fn hash_concurrency(&self) -> usize {
        self.hash_concurrency
            .unwrap_or_else(|| self.workers().max(2))
    }
}

/// A secret setting as `Debug` shows it: whether it is set, never its value.
#[allow(
    dead_code,
    reason = "used by the derived Debug, which dead-code analysis does not count"
)]
fn secret_shown(v: &Option<String>) -> Option<&'static str> {
    v.as_ref().map(|_| "<redacted>")
}

/// A URL setting as `Debug` shows it: the password of its user part (`scheme://user:password@…`)
/// and a `password=` parameter (libpq's URLs take one) replaced by `<redacted>`.
#[allow(
    dead_code,
    reason = "used by the derived Debug, which dead-code analysis does not count"
)]
fn url_shown(v: &Option<String>) -> Option<String> {
    let mut url = v.clone()?;
    if let Some((scheme, rest)) = url.split_once("://") {
        // the user part ends at the authority's last `@`
        let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
        if let Some((user, _)) = authority.rsplit_once('@') {
            if let Some((name, _)) = user.split_once(':') {
                url = format!("{scheme}://{name}:<redacted>{}", &rest[user.len()..]);
            }
        }
    }
    if let Some((head, tail)) = url.split_once("password=") {
        let rest = tail.find('&').map(|i| &tail[i..]).unwrap_or("");
        url = format!("{head}password=<redacted>{rest}");
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_no_secret() {
        let mut c = Config::defaults();
        c.database_url = Some("postgres://jiebang:db-Passw0rd@db.internal:5432/jiebang".into());
        c.jwt_secret = Some("jwt-secret-0123456789abcdef0123456789".into());
        c.master_key = Some("master-key-0123456789abcdef0123456789".into());
        c.master_keys_previous = Some("old-master-0123456789abcdef0123456789".into());
        c.smtp_url = Some("smtps://notice:smtp-P@ssw0rd@mail.example.cn:465".into());
        let shown = format!("{c:?}");
        for secret in [
            "db-Passw0rd",
            "jwt-secret-0123",
            "master-key-0123",
            "old-master-0123",
            "smtp-P",
            "ssw0rd",
        ] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
        // every setting is still named, and what is not secret still shows
        for named in [
            "jwt_secret: Some(\"<redacted>\")",
            "master_key: Some(\"<redacted>\")",
            "postgres://jiebang:<redacted>@db.internal:5432/jiebang",
            "smtps://notice:<redacted>@mail.example.cn:465",
            "bind: \"127.0.0.1:8080\"",
        ] {
            assert!(shown.contains(named), "{named} not in {shown}");
        }
        c.jwt_secret = None;
        assert!(format!("{c:?}").contains("jwt_secret: None"));
        c.database_url =
            Some("postgres://db.internal/jiebang?password=q-Passw0rd&sslmode=require".into());
        let shown = format!("{c:?}");
        assert!(!shown.contains("q-Passw0rd"), "{shown}");
        assert!(
            shown.contains("?password=<redacted>&sslmode=require"),
            "{shown}"
        );
    }
}
