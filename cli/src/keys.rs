//! `apctl keys generate`: an Ed25519 key pair for signing access tokens.

use std::path::Path;

use secrecy::ExposeSecret;

pub fn generate(dir: &Path, force: bool) -> anyhow::Result<()> {
    let private = dir.join("jwt_private.pem");
    let public = dir.join("jwt_public.pem");
    if !force && (private.exists() || public.exists()) {
        anyhow::bail!(
            "{} already holds keys; pass --force to replace them",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir)?;
    let (private_pem, public_pem) = ap_kit::token::generate_ed25519_pem()?;
    write_private(&private, private_pem.expose_secret())?;
    std::fs::write(&public, public_pem)?;
    let data_key = dir.join("data_encryption.key");
    if force || !data_key.exists() {
        write_private(
            &data_key,
            ap_invoice::crypto::DataCipher::generate_key().expose_secret(),
        )?;
    }
    println!("JWT_PRIVATE_KEY={}", private.display());
    println!("JWT_PUBLIC_KEY={}", public.display());
    println!("DATA_ENCRYPTION_KEY=$(cat {})", data_key.display());
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(pem.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    std::fs::write(path, pem)?;
    Ok(())
}
