//! Signed checkpoints in the C2SP tlog-checkpoint format, signed as a C2SP signed note with
//! Ed25519:
//!
//! ```text
//! lookout.example/archive          <- origin: names the log
//! 1234                             <- tree size, decimal
//! 7Pd8...base64 of the root...=    <- tree head, base64
//!                                  <- blank line ends the note body
//! — lookout.example/archive Ab3x...base64(key id || signature)...
//! ```
//!
//! The key id is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key) and the
//! signature covers the body (the first three lines with their newlines). Keys are kept in the
//! formats of Go's `golang.org/x/mod/sumdb/note`, so the usual tools can read them:
//! `PRIVATE+KEY+<name>+<id hex>+<base64(0x01 || seed)>` and `<name>+<id hex>+<base64(0x01 || public key)>`.

use std::fs;
use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::error::{Error, Result};
use crate::merkle::{sha256, Hash};

const ALG_ED25519: u8 = 1;

/// A tree head: how many leaves, and their root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 tree head of those leaves.
    pub root: Hash,
}

impl Checkpoint {
    /// The note body: the three lines the signature covers.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root))
    }

    /// Reads the body of a note without checking any signature.
    pub fn parse_unverified(note: &str) -> Option<Checkpoint> {
        let mut lines = note.split('\n');
        let origin = lines.next()?.to_string();
        let size = lines.next()?.parse().ok()?;
        let root: Hash = B64.decode(lines.next()?).ok()?.try_into().ok()?;
        if origin.is_empty() {
            return None;
        }
        Some(Checkpoint { origin, size, root })
    }
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut data = Vec::with_capacity(name.len() + 34);
    data.extend_from_slice(name.as_bytes());
    data.push(b'\n');
    data.push(ALG_ED25519);
    data.extend_from_slice(public);
    sha256(&data)[..4].try_into().unwrap()
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(['+', ' ', '\n']) || !name.is_ascii() {
        return Err(Error::Config(format!("key name {name:?}: no spaces, '+' or newlines")));
    }
    Ok(())
}

/// The key that signs checkpoints.
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    id: [u8; 4],
}

impl NoteSigner {
    /// Loads a `PRIVATE+KEY+...` file (made by [`generate_key`]).
    pub fn load(path: &Path) -> Result<NoteSigner> {
        let bad = |reason: &str| Error::Key { path: path.to_path_buf(), reason: reason.to_string() };
        let text = fs::read_to_string(path).map_err(|e| bad(&e.to_string()))?;
        // splitn: base64 has '+' in its alphabet.
        let parts: Vec<&str> = text.trim().splitn(5, '+').collect();
        let [p, k, name, id_hex, key_b64] = parts[..] else {
            return Err(bad("expected PRIVATE+KEY+<name>+<id>+<key>"));
        };
        if p != "PRIVATE" || k != "KEY" {
            return Err(bad("expected PRIVATE+KEY+<name>+<id>+<key>"));
        }
        let raw = B64.decode(key_b64).map_err(|_| bad("key is not base64"))?;
        if raw.len() != 33 || raw[0] != ALG_ED25519 {
            return Err(bad("not an Ed25519 key"));
        }
        let key = SigningKey::from_bytes(raw[1..].try_into().unwrap());
        let id = key_id(name, &key.verifying_key().to_bytes());
        if crate::merkle::to_hex(&id) != id_hex {
            return Err(bad("key id does not match the key"));
        }
        Ok(NoteSigner { name: name.to_string(), key, id })
    }

    /// The log's origin line: the key's name.
    pub fn origin(&self) -> &str {
        &self.name
    }

    /// The public half, for [`crate::verify`] and for anyone checking checkpoints.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), key: self.key.verifying_key(), id: self.id }
    }

    /// A signed checkpoint note.
    pub fn sign(&self, cp: &Checkpoint) -> String {
        let body = cp.body();
        let sig = self.key.sign(body.as_bytes()).to_bytes();
        let mut blob = self.id.to_vec();
        blob.extend_from_slice(&sig);
        format!("{body}\n\u{2014} {} {}\n", self.name, B64.encode(blob))
    }
}

/// Makes a new Ed25519 key, writes it to `path` (mode 0600; an existing file is never
/// overwritten) and returns its verifier key.
pub fn generate_key(path: &Path, name: &str) -> Result<NoteVerifier> {
    check_name(name)?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let key = SigningKey::from_bytes(&seed);
    let id = key_id(name, &key.verifying_key().to_bytes());
    let mut raw = vec![ALG_ED25519];
    raw.extend_from_slice(&seed);
    let text = format!("PRIVATE+KEY+{name}+{}+{}\n", crate::merkle::to_hex(&id), B64.encode(raw));
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(NoteVerifier { name: name.to_string(), key: key.verifying_key(), id })
}

/// Why a checkpoint note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Not a note: no body, no blank line or no signature line.
    #[error("malformed checkpoint note")]
    Malformed,
    /// No signature line by this key.
    #[error("no signature by key {0}")]
    NoSignature(String),
    /// A signature line by this key that does not verify.
    #[error("bad signature by key {0}")]
    BadSignature(String),
}

/// A public key that checks checkpoint signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key: VerifyingKey,
    id: [u8; 4],
}

impl NoteVerifier {
    /// Parses `<name>+<id hex>+<base64(0x01 || public key)>`.
    pub fn parse(s: &str) -> Result<NoteVerifier> {
        let bad = || Error::Config(format!("verifier key {s:?}: expected <name>+<id>+<key>"));
        let parts: Vec<&str> = s.trim().splitn(3, '+').collect();
        let [name, id_hex, key_b64] = parts[..] else {
            return Err(bad());
        };
        let raw = B64.decode(key_b64).map_err(|_| bad())?;
        if raw.len() != 33 || raw[0] != ALG_ED25519 {
            return Err(bad());
        }
        let public: [u8; 32] = raw[1..].try_into().unwrap();
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad())?;
        let id = key_id(name, &public);
        if crate::merkle::to_hex(&id) != id_hex {
            return Err(bad());
        }
        Ok(NoteVerifier { name: name.to_string(), key, id })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks the note's signature by this key and returns its checkpoint.
    pub fn verify(&self, note: &str) -> Result<Checkpoint, NoteError> {
        let (body, sigs) = note.split_once("\n\n").ok_or(NoteError::Malformed)?;
        let body = format!("{body}\n");
        let cp = Checkpoint::parse_unverified(&body).ok_or(NoteError::Malformed)?;
        for line in sigs.lines() {
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return Err(NoteError::Malformed);
            };
            let Some((name, b64)) = rest.split_once(' ') else {
                return Err(NoteError::Malformed);
            };
            let Ok(blob) = B64.decode(b64) else {
                return Err(NoteError::Malformed);
            };
            if name != self.name || blob.len() != 68 || blob[..4] != self.id {
                continue; // somebody else's signature (a witness, say)
            }
            let sig = Signature::from_bytes(blob[4..].try_into().unwrap());
            return match self.key.verify_strict(body.as_bytes(), &sig) {
                Ok(()) => Ok(cp),
                Err(_) => Err(NoteError::BadSignature(self.name.clone())),
            };
        }
        Err(NoteError::NoSignature(self.name.clone()))
    }
}

impl std::fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(&self.key.to_bytes());
        write!(f, "{}+{}+{}", self.name, crate::merkle::to_hex(&self.id), B64.encode(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let v = generate_key(&path, "lookout.test/archive").unwrap();
        assert!(generate_key(&path, "again").is_err(), "never overwrites a key");
        let s = NoteSigner::load(&path).unwrap();
        assert_eq!(s.verifier(), v);
        assert_eq!(NoteVerifier::parse(&v.to_string()).unwrap(), v);
        let cp = Checkpoint { origin: "lookout.test/archive".into(), size: 42, root: crate::merkle::sha256(b"x") };
        let note = s.sign(&cp);
        assert!(note.starts_with("lookout.test/archive\n42\n"));
        assert_eq!(v.verify(&note).unwrap(), cp);
        let forged = note.replacen("\n42\n", "\n43\n", 1);
        assert_eq!(v.verify(&forged), Err(NoteError::BadSignature("lookout.test/archive".into())));
        let other = generate_key(&dir.path().join("k2"), "lookout.test/archive").unwrap();
        assert!(other.verify(&note).is_err());
    }
}
