//! Encryption at rest of bank files (they carry vendor account numbers): AES-256-GCM with a
//! random nonce, under a key derived from `DATA_ENCRYPTION_KEY` for this purpose only.

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hmac;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

const FORMAT_V1: u8 = 1;

pub struct FileCipher {
    key: RandomizedNonceKey,
}

impl FileCipher {
    pub fn from_base64(key: &SecretString) -> anyhow::Result<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.expose_secret().trim())
            .map_err(|_| anyhow::anyhow!("DATA_ENCRYPTION_KEY is not base64"))?;
        anyhow::ensure!(bytes.len() == 32, "DATA_ENCRYPTION_KEY must be 32 bytes");
        let derive = hmac::Key::new(hmac::HMAC_SHA256, &bytes);
        let derived = hmac::sign(&derive, b"ap-payment/bank-file/v1");
        let key = RandomizedNonceKey::new(&AES_256_GCM, derived.as_ref())
            .map_err(|_| anyhow::anyhow!("DATA_ENCRYPTION_KEY rejected"))?;
        Ok(Self { key })
    }

    /// `context` (the run id) is bound as associated data.
    pub fn encrypt(&self, plaintext: &[u8], context: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut in_out = plaintext.to_vec();
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(context), &mut in_out)
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + in_out.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(nonce.as_ref());
        out.extend_from_slice(&in_out);
        Ok(out)
    }

    pub fn decrypt(&self, ciphertext: &[u8], context: &[u8]) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(
            ciphertext.len() > 1 + NONCE_LEN && ciphertext[0] == FORMAT_V1,
            "unknown ciphertext format"
        );
        let nonce = Nonce::try_assume_unique_for_key(&ciphertext[1..=NONCE_LEN])
            .map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let mut in_out = ciphertext[1 + NONCE_LEN..].to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut in_out)
            .map_err(|_| anyhow::anyhow!("decryption failed (wrong key or tampered data)"))?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip_only_with_their_run_id() {
        let key = SecretString::from(base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
        let cipher = FileCipher::from_base64(&key).expect("key");
        let ct = cipher.encrypt(b"6221234567890", b"run-1").expect("enc");
        assert!(!ct.windows(6).any(|w| w == b"123456"));
        assert_eq!(
            cipher.decrypt(&ct, b"run-1").expect("dec"),
            b"6221234567890"
        );
        assert!(cipher.decrypt(&ct, b"run-2").is_err());
    }
}
