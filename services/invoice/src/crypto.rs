//! Encryption at rest for vendor bank details (AES-256-GCM with a random nonce per value) and
//! a keyed fingerprint (HMAC-SHA256) to recognise the same account without decrypting.

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hmac;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

/// Version byte in front of every ciphertext, so keys and algorithms can rotate later.
const FORMAT_V1: u8 = 1;

pub struct DataCipher {
    key: RandomizedNonceKey,
    fingerprint_key: hmac::Key,
}

impl DataCipher {
    /// From the base64 `DATA_ENCRYPTION_KEY` (32 bytes).
    pub fn from_base64(key: &SecretString) -> anyhow::Result<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.expose_secret().trim())
            .map_err(|_| anyhow::anyhow!("DATA_ENCRYPTION_KEY is not base64"))?;
        anyhow::ensure!(bytes.len() == 32, "DATA_ENCRYPTION_KEY must be 32 bytes");
        let key = RandomizedNonceKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| anyhow::anyhow!("DATA_ENCRYPTION_KEY rejected"))?;
        // A separate key for fingerprints, derived so that one secret is all operators manage.
        let derive = hmac::Key::new(hmac::HMAC_SHA256, &bytes);
        let fp = hmac::sign(&derive, b"ap-invoice/bank-account-fingerprint/v1");
        Ok(Self {
            key,
            fingerprint_key: hmac::Key::new(hmac::HMAC_SHA256, fp.as_ref()),
        })
    }

    /// A fresh random key, base64 (for `apctl keys generate` and tests).
    pub fn generate_key() -> SecretString {
        let bytes: [u8; 32] = rand::random();
        SecretString::from(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// `context` (e.g. the vendor id) is bound as associated data, so a ciphertext copied onto
    /// another vendor's row does not decrypt.
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

    /// Same account, same fingerprint; no way back to the number without the key.
    pub fn fingerprint(&self, normalized_account: &str) -> String {
        hex::encode(hmac::sign(&self.fingerprint_key, normalized_account.as_bytes()).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ciphertexts_round_trip_only_with_their_key_and_context() {
        let cipher = DataCipher::from_base64(&DataCipher::generate_key()).expect("key");
        let ct = cipher
            .encrypt(b"DE89370400440532013000", b"vendor-1")
            .expect("enc");
        assert!(
            !ct.windows(6).any(|w| w == b"370400"),
            "no plaintext inside"
        );
        assert_eq!(
            cipher.decrypt(&ct, b"vendor-1").expect("dec"),
            b"DE89370400440532013000"
        );
        assert!(
            cipher.decrypt(&ct, b"vendor-2").is_err(),
            "bound to its vendor"
        );
        let other = DataCipher::from_base64(&DataCipher::generate_key()).expect("key");
        assert!(other.decrypt(&ct, b"vendor-1").is_err());
        let mut tampered = ct.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(cipher.decrypt(&tampered, b"vendor-1").is_err());
        assert_ne!(
            cipher.encrypt(b"x", b"c").expect("a"),
            cipher.encrypt(b"x", b"c").expect("b"),
            "random nonces"
        );
    }

    #[test]
    fn fingerprints_are_stable_per_key() {
        let key = DataCipher::generate_key();
        let a = DataCipher::from_base64(&key).expect("key");
        let b = DataCipher::from_base64(&key).expect("key");
        assert_eq!(a.fingerprint("X"), b.fingerprint("X"));
        assert_ne!(a.fingerprint("X"), a.fingerprint("Y"));
    }
}
