//! Evidence carried out of the archive: a Merkle leaf with everything needed to check it
//! against a signed checkpoint with no access to the archive.
//!
//! A [`LeafEvidence`] holds the leaf record's fields (from which its body, the leaf data, is
//! rebuilt byte for byte), its index in the log and its inclusion proof. Checking it
//! ([`LeafEvidence::verify`]) hashes the rebuilt body as RFC 6962 does and walks the proof
//! to the root a checkpoint states; the checkpoint's signature is checked by
//! [`crate::NoteVerifier::verify`]. The fields are kept readable (the payload as text when
//! it is UTF-8, which Lookout's JSON payloads are) so a person reading an export's manifest
//! sees what was archived, not an opaque blob.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::merkle::{self, from_hex, to_hex, Hash};
use crate::record::{Kind, Record};

/// A Merkle leaf and its inclusion proof, as carried in an export manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafEvidence {
    /// Index of the leaf in the log (from 0).
    pub leaf_index: u64,
    /// The record's archive sequence number.
    pub seq: u64,
    /// The record's time, ms since the Unix epoch.
    pub time_ms: i64,
    /// The record's kind (see [`crate::kinds`]; 0xF0 is a seal record).
    pub kind: u8,
    /// The payload as text, when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The payload in base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_base64: Option<String>,
    /// SHA-256(0x00 || body), hex: what the proof starts from.
    pub leaf_hash: String,
    /// Tree size the proof is for (the checkpoint's).
    pub tree_size: u64,
    /// The inclusion proof (RFC 9162 section 2.1.3), hex, from the leaf's sibling upwards.
    pub inclusion_proof: Vec<String>,
}

/// Why a [`LeafEvidence`] does not check out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A field is malformed (bad hex or base64, no payload).
    #[error("malformed leaf evidence: {0}")]
    Malformed(String),
    /// The stated leaf hash is not the hash of the record's fields.
    #[error("leaf hash {stated} is not the hash of the record ({computed}): the record was altered")]
    LeafHash {
        /// As stated.
        stated: String,
        /// As computed from the record's fields.
        computed: String,
    },
    /// The proof is for another tree size than the checkpoint's.
    #[error("the proof is for a tree of {proof} leaves, the checkpoint has {checkpoint}")]
    TreeSize {
        /// The proof's tree size.
        proof: u64,
        /// The checkpoint's tree size.
        checkpoint: u64,
    },
    /// The proof does not lead from the leaf to the checkpoint's root.
    #[error("the inclusion proof of leaf {leaf_index} does not lead to the checkpoint's root")]
    NotIncluded {
        /// The leaf's index.
        leaf_index: u64,
    },
}

impl LeafEvidence {
    /// Evidence for `record` (a leaf) at `leaf_index`, with its proof in a tree of `tree_size`.
    pub fn new(record: &Record, leaf_index: u64, tree_size: u64, proof: &[Hash]) -> Self {
        let (payload, payload_base64) = match std::str::from_utf8(&record.payload) {
            Ok(s) => (Some(s.to_string()), None),
            Err(_) => (None, Some(B64.encode(&record.payload))),
        };
        LeafEvidence {
            leaf_index,
            seq: record.seq,
            time_ms: record.time_ms,
            kind: record.kind.0,
            payload,
            payload_base64,
            leaf_hash: to_hex(&record.leaf_hash()),
            tree_size,
            inclusion_proof: proof.iter().map(|h| to_hex(h)).collect(),
        }
    }

    /// The record these fields describe (its payload decoded).
    pub fn record(&self) -> Result<Record, ProofError> {
        let payload = match (&self.payload, &self.payload_base64) {
            (Some(p), None) => p.as_bytes().to_vec(),
            (None, Some(b)) => B64.decode(b).map_err(|e| ProofError::Malformed(format!("payload_base64: {e}")))?,
            _ => return Err(ProofError::Malformed("exactly one of payload and payload_base64 is needed".into())),
        };
        Ok(Record { seq: self.seq, time_ms: self.time_ms, kind: Kind(self.kind), merkle_leaf: true, payload })
    }

    /// Checks that the record's fields hash to the stated leaf hash and that the proof leads
    /// from it to `root`, the root of a tree of `tree_size` leaves (a checkpoint's, whose
    /// signature the caller checks). Returns the record.
    pub fn verify(&self, tree_size: u64, root: &Hash) -> Result<Record, ProofError> {
        let record = self.record()?;
        let computed = record.leaf_hash();
        if to_hex(&computed) != self.leaf_hash {
            return Err(ProofError::LeafHash { stated: self.leaf_hash.clone(), computed: to_hex(&computed) });
        }
        if self.tree_size != tree_size {
            return Err(ProofError::TreeSize { proof: self.tree_size, checkpoint: tree_size });
        }
        let proof = self
            .inclusion_proof
            .iter()
            .map(|h| from_hex(h).ok_or_else(|| ProofError::Malformed(format!("proof hash {h:?} is not 64 hex digits"))))
            .collect::<Result<Vec<Hash>, _>>()?;
        if !merkle::verify_inclusion(self.leaf_index, tree_size, &computed, &proof, root) {
            return Err(ProofError::NotIncluded { leaf_index: self.leaf_index });
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves() -> (Vec<Record>, Vec<Hash>) {
        let recs: Vec<Record> = (0..13u64)
            .map(|i| Record {
                seq: 100 + 3 * i,
                time_ms: 1_780_272_000_000 + i as i64,
                kind: Kind(3),
                merkle_leaf: true,
                payload: if i == 5 { vec![0xff, 0xfe, i as u8] } else { format!("{{\"alert_id\":{i}}}").into_bytes() },
            })
            .collect();
        let hashes = recs.iter().map(Record::leaf_hash).collect();
        (recs, hashes)
    }

    #[test]
    fn evidence_round_trips_through_json_and_verifies() {
        let (recs, hashes) = leaves();
        let size = hashes.len() as u64;
        let root = merkle::root(&hashes);
        for (i, r) in recs.iter().enumerate() {
            let proof = merkle::inclusion_proof(&hashes, i).unwrap();
            let ev = LeafEvidence::new(r, i as u64, size, &proof);
            assert_eq!(ev.payload_base64.is_some(), i == 5, "non-UTF-8 payloads go as base64");
            let back: LeafEvidence = serde_json::from_str(&serde_json::to_string(&ev).unwrap()).unwrap();
            assert_eq!(back.verify(size, &root).unwrap(), *r);
        }
    }

    #[test]
    fn each_alteration_is_named() {
        let (recs, hashes) = leaves();
        let size = hashes.len() as u64;
        let root = merkle::root(&hashes);
        let ev = LeafEvidence::new(&recs[3], 3, size, &merkle::inclusion_proof(&hashes, 3).unwrap());

        let mut e = ev.clone();
        e.payload = Some("{\"alert_id\":4}".into());
        assert!(matches!(e.verify(size, &root), Err(ProofError::LeafHash { .. })), "an altered payload");
        let mut e = ev.clone();
        e.time_ms += 1;
        assert!(matches!(e.verify(size, &root), Err(ProofError::LeafHash { .. })), "an altered time");
        // A forger who also fixes the leaf hash is caught by the proof.
        e.leaf_hash = to_hex(&e.record().unwrap().leaf_hash());
        assert_eq!(e.verify(size, &root), Err(ProofError::NotIncluded { leaf_index: 3 }));
        let mut e = ev.clone();
        let h = &mut e.inclusion_proof[1];
        *h = format!("{}{}", if h.starts_with('0') { '1' } else { '0' }, &h[1..]);
        assert_eq!(e.verify(size, &root), Err(ProofError::NotIncluded { leaf_index: 3 }), "an altered proof hash");
        let mut e = ev.clone();
        e.leaf_index = 2;
        assert_eq!(e.verify(size, &root), Err(ProofError::NotIncluded { leaf_index: 2 }), "another place");
        assert!(matches!(ev.verify(size + 1, &root), Err(ProofError::TreeSize { .. })));
        let mut e = ev.clone();
        e.inclusion_proof[0] = "zz".into();
        assert!(matches!(e.verify(size, &root), Err(ProofError::Malformed(_))));
        let wrong_root = merkle::root(&hashes[..12]);
        assert_eq!(ev.verify(size, &wrong_root), Err(ProofError::NotIncluded { leaf_index: 3 }));
    }
}
