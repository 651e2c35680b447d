//! The `jiebang` binary itself: `user create` makes an official who can log in; the service
//! starts with no configuration; a restart keeps sessions (the JWT secret persists in the data dir).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_jiebang");
const PASSWORD: &str = "草原上的风-2026-Baotou";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.1 client: (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn json_field(body: &str, field: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {body}"))
        .to_owned()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `jiebang` (no subcommand: serve) in `dir`, configured by nothing but the port.
fn serve(dir: &Path, port: u16) -> Server {
    let child = Command::new(BIN)
        .current_dir(dir)
        .env_clear()
        .env("JIEBANG_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server(child)
}

#[test]
fn user_create_then_serve_then_restart() {
    let dir = std::env::temp_dir().join(format!("jiebang-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let out = Command::new(BIN)
        .current_dir(&dir)
        .env_clear()
        .args([
            "user",
            "create",
            "--role",
            "official",
            "--email",
            "chi@kjt.nmg.gov.cn",
            "--password",
            PASSWORD,
            "--name",
            "池处长",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.join("data/jiebang.db").exists(),
        "the default SQLite database lives in ./data"
    );

    // a bad role or a weak password is refused with a message
    let out = Command::new(BIN)
        .current_dir(&dir)
        .env_clear()
        .args([
            "user",
            "create",
            "--role",
            "org_admin",
            "--email",
            "a@b.cn",
            "--password",
            PASSWORD,
            "--name",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = Command::new(BIN)
        .current_dir(&dir)
        .env_clear()
        .args([
            "user",
            "create",
            "--role",
            "expert",
            "--email",
            "a@b.cn",
            "--password",
            "123456789012",
            "--name",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());

    let port = free_port();
    let server = serve(&dir, port);
    assert_eq!(http(port, "GET", "/healthz", None, None).0, 200);
    assert_eq!(http(port, "GET", "/readyz", None, None).0, 200);
    assert_eq!(http(port, "GET", "/openapi.json", None, None).0, 200);
    let login = format!(r#"{{"email":"chi@kjt.nmg.gov.cn","password":"{PASSWORD}"}}"#);
    let (status, body) = http(port, "POST", "/api/v1/auth/login", None, Some(&login));
    assert_eq!(status, 200, "{body}");
    let token = json_field(&body, "access_token");
    let (status, body) = http(port, "GET", "/api/v1/me", Some(&token), None);
    assert_eq!(status, 200);
    assert_eq!(json_field(&body, "role"), "official");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("data/jwt-secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // restart: the token issued before still works
    drop(server);
    let port = free_port();
    let _server = serve(&dir, port);
    let (status, _) = http(port, "GET", "/api/v1/me", Some(&token), None);
    assert_eq!(
        status, 200,
        "a token issued before the restart must still work"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_documents_the_environment() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "JIEBANG_DATABASE_URL",
        "JIEBANG_BIND",
        "JIEBANG_JWT_SECRET",
        "JIEBANG_SMTP_URL",
        "JIEBANG_DATA_DIR",
    ] {
        assert!(help.contains(var), "--help does not mention {var}");
    }
    for cmd in ["serve", "migrate", "user"] {
        assert!(help.contains(cmd), "--help does not mention {cmd}");
    }
}

/// Every SMTP URL `--help` shows is one the service accepts, and a one-off command's help lists
/// its own options and the database's, not the server's; one-off commands log no INFO lines.
#[test]
fn the_help_s_examples_work_as_written() {
    let help = String::from_utf8_lossy(&Command::new(BIN).arg("--help").output().unwrap().stdout)
        .into_owned();
    let urls: Vec<&str> = help
        .split('`')
        .filter(|s| s.starts_with("smtp://") || s.starts_with("smtps://"))
        .collect();
    assert!(urls.len() >= 3, "{urls:?}");
    for url in urls {
        jiebang_notifications::delivery::Mailer::from_config(Some(url), std::env::temp_dir())
            .unwrap_or_else(|e| panic!("--help shows {url}, which is refused: {e}"));
    }
    let sub = String::from_utf8_lossy(
        &Command::new(BIN)
            .args(["user", "create", "--help"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    assert!(
        sub.contains("--role") && sub.contains("--database-url"),
        "{sub}"
    );
    assert!(
        !sub.contains("--bind") && !sub.contains("--smtp-url"),
        "{sub}"
    );
    let dir = std::env::temp_dir().join(format!("jiebang-quiet-{}", std::process::id()));
    let out = Command::new(BIN)
        .arg("migrate")
        .env("JIEBANG_DATA_DIR", &dir)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("INFO"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_fills_a_fresh_data_dir() {
    let dir = std::env::temp_dir().join(format!("jiebang-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(BIN)
        .current_dir(&dir)
        .env_clear()
        .arg("demo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // a second run refuses to mix demo data into existing data
    let again = Command::new(BIN)
        .current_dir(&dir)
        .env_clear()
        .arg("demo")
        .output()
        .unwrap();
    assert!(!again.status.success());

    let port = free_port();
    let _server = serve(&dir, port);
    let (status, body) = http(port, "GET", "/api/v1/challenges", None, None);
    assert_eq!(status, 200);
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用"),
        "{titles:?}"
    );
    assert!(titles.contains(&"内蒙古地区肉牛核心种质构建与新品种培育"));
    let statuses: std::collections::HashSet<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains("published")
            && statuses.contains("evaluating")
            && statuses.contains("cancelled")
    );
    // the demo accounts log in
    let login = r#"{"email":"official@demo.jiebang.cn","password":"Jiebang-Demo-2026"}"#;
    let (status, body) = http(port, "POST", "/api/v1/auth/login", None, Some(login));
    assert_eq!(status, 200, "{body}");
    let token = json_field(&body, "access_token");
    let (status, body) = http(
        port,
        "GET",
        "/api/v1/challenges?status=pending_review",
        Some(&token),
        None,
    );
    assert_eq!(status, 200);
    assert!(
        body.contains("蒙药材"),
        "the review queue shows the pending challenge: {body}"
    );
    // the officials' figures match a hand count of the demo data (see api/src/demo.rs)
    let (status, body) = http(port, "GET", "/api/v1/stats/funnel", Some(&token), None);
    assert_eq!(status, 200, "{body}");
    let f: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        f["funnel"],
        serde_json::json!({"submitted": 8, "published": 7, "with_bids": 2, "awarded": 1, "contracted": 1, "completed": 0})
    );
    // the contracted project's bid and the two bids of the evaluation under way
    assert_eq!(
        (f["bids"].as_i64(), f["agreements_signed"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        (f["fiscal_signed"].as_i64(), f["enterprise_signed"].as_i64()),
        (Some(4_000_000), Some(8_000_000))
    );
    assert_eq!(f["leverage"], 2.0);
    assert_eq!(
        f["consortia"],
        serde_json::json!({"filed": 2, "members": 6, "national_platforms": 1, "provincial_platforms": 5, "regional_platforms": 6})
    );
    let regions: Vec<(String, i64)> = f["by_region"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["published"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, i64)> = [
        ("呼和浩特市", 2),
        ("包头市", 3),
        ("鄂尔多斯市", 1),
        ("锡林郭勒盟", 1),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), *c))
    .collect();
    assert_eq!(regions, expected);
    let industries: Vec<(String, i64)> = f["by_industry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["published"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(industries.iter().map(|(_, n)| n).sum::<i64>(), 7);
    assert!(industries.contains(&("乳业".to_owned(), 1)));

    // the demo's registered agreement: its evidence passes `jiebang verify` and, signature by
    // signature, the stock openssl; with one byte of the terms changed both refuse (issue #17)
    let (status, body) = http(
        port,
        "GET",
        "/api/v1/agreements?status=registered",
        Some(&token),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = http(
        port,
        "GET",
        &format!("/api/v1/agreements/{id}/evidence"),
        Some(&token),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let evidence: serde_json::Value = serde_json::from_str(&body).unwrap();
    let file = dir.join("evidence.json");
    std::fs::write(&file, &body).unwrap();
    let verify = |file: &Path| {
        Command::new(BIN)
            .current_dir(&dir)
            .env_clear()
            .arg("verify")
            .arg(file)
            .output()
            .unwrap()
    };
    let out = verify(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let openssl = |terms: &[u8], key: &str, sig: &str| {
        use base64::Engine;
        std::fs::write(dir.join("terms.json"), terms).unwrap();
        std::fs::write(dir.join("key.pem"), key).unwrap();
        std::fs::write(
            dir.join("sig.der"),
            base64::engine::general_purpose::STANDARD
                .decode(sig)
                .unwrap(),
        )
        .unwrap();
        Command::new("openssl")
            .current_dir(&dir)
            .args([
                "pkeyutl",
                "-verify",
                "-rawin",
                "-digest",
                "sm3",
                "-pkeyopt",
                "distid:1234567812345678",
                "-pubin",
                "-inkey",
                "key.pem",
                "-in",
                "terms.json",
                "-sigfile",
                "sig.der",
            ])
            .output()
            .expect("openssl")
            .status
            .success()
    };
    let terms = evidence["terms_canonical"].as_str().unwrap();
    let signatures = evidence["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 2);
    let mut changed_terms = terms.as_bytes().to_vec();
    changed_terms[20] ^= 1;
    for sig in signatures {
        let (key, s) = (
            sig["public_key_pem"].as_str().unwrap(),
            sig["signature"].as_str().unwrap(),
        );
        assert!(
            openssl(terms.as_bytes(), key, s),
            "openssl verifies {}",
            sig["organization_name"]
        );
        assert!(
            !openssl(&changed_terms, key, s),
            "openssl refuses changed terms"
        );
    }
    let mut changed = evidence.clone();
    changed["terms_canonical"] =
        serde_json::Value::String(String::from_utf8_lossy(&changed_terms).into_owned());
    std::fs::write(&file, changed.to_string()).unwrap();
    let out = verify(&file);
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("NOT verified"));

    // the audit chain of the demo data verifies
    let audit = |cmd: &str| {
        Command::new(BIN)
            .current_dir(&dir)
            .env_clear()
            .args(["audit", cmd])
            .output()
            .unwrap()
    };
    let sealed = audit("seal");
    assert!(
        sealed.status.success(),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    let verified = audit("verify");
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success() && said.contains("intact"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
