//! The JWT signing secret: configured, or generated on first start and kept in the data dir
//! (mode 0600) so that a restart does not log everyone out.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::io::Write;
use std::path::Path;

pub const FILE_NAME: &str = "jwt-secret";

/// The master key's file (`JIEBANG_MASTER_KEY` unset): it seals the signing keys the platform
/// keeps (docs/security.md).
pub const MASTER_KEY_FILE: &str = "master-key";

/// The JWT secret.
pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<Vec<u8>, String> {
    load_or_create_named(configured, data_dir, FILE_NAME, "JIEBANG_JWT_SECRET")
}

/// A secret of at least 32 bytes: `configured` (named `variable`), or the one kept in
/// `<data_dir>/<file>`, generated there (mode 0600) on first start.
pub fn load_or_create_named(
    configured: Option<&str>,
    data_dir: &Path,
    file: &str,
    variable: &str,
) -> Result<Vec<u8>, String> {
    if let Some(s) = configured.filter(|s| !s.is_empty()) {
        if s.len() < 32 {
            return Err(format!("{variable} must be at least 32 bytes"));
        }
        return Ok(s.as_bytes().to_vec());
    }
    let path = data_dir.join(file);
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            let mut secret = [0u8; 48];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
            let encoded = STANDARD.encode(secret);
            file.write_all(encoded.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a new secret");
            Ok(encoded.into_bytes())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let s = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let s = s.trim();
            if s.len() < 32 {
                return Err(format!(
                    "{} is too short; delete it to generate a new one",
                    path.display()
                ));
            }
            Ok(s.as_bytes().to_vec())
        }
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_and_kept_private() {
        let dir = std::env::temp_dir().join(format!("jiebang-secret-{}", uuid::Uuid::new_v4()));
        let a = load_or_create(None, &dir).unwrap();
        let b = load_or_create(None, &dir).unwrap();
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(load_or_create(Some("short"), &dir).is_err());
        let configured = "x".repeat(40);
        assert_eq!(
            load_or_create(Some(&configured), &dir).unwrap(),
            configured.as_bytes()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
