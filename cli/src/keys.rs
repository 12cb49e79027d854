//! `apctl keys generate`: an Ed25519 key pair for signing access tokens, one key pair per
//! service for its service tokens (`service_<name>.pem`, `public/service_<name>.pub.pem`), and the
//! data-encryption key.

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
    // Each service's private key goes to that service only; the public ones to everybody.
    // Public halves in `public/`, one directory every container mounts.
    std::fs::create_dir_all(dir.join("public"))?;
    for (name, private_var, public_var) in ap_kit::config::SERVICE_KEY_VARS {
        let private = dir.join(format!("service_{name}.pem"));
        let public = dir.join("public").join(format!("service_{name}.pub.pem"));
        let (private_pem, public_pem) = ap_kit::token::generate_ed25519_pem()?;
        write_private(&private, private_pem.expose_secret())?;
        std::fs::write(&public, public_pem)?;
        println!("{private_var}={}", private.display());
        println!("{public_var}={}", public.display());
    }
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
