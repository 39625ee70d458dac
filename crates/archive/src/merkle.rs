//! The Merkle log: RFC 6962 / RFC 9162 hashing, tree heads, inclusion and consistency proofs.
//!
//! Written here rather than taken from `ct-merkle` because the archive needs two things that
//! crate does not give in the shape needed: trees over leaf *hashes* that were computed when
//! the records were written (the leaf data of a purged segment is gone, its hash is not), and
//! an O(log n) running root ([`Frontier`]) so the writer can sign checkpoints without
//! rehashing the log. The algorithms are the RFC's own recursive definitions, short enough
//! to check by eye, and the tests run the RFC 6962 reference vectors (the ones
//! certificate-transparency and transparency-dev/merkle test against).
//!
//! Proofs are computed from the full list of leaf hashes, O(n) per proof: fine for the
//! thousands to millions of leaves an archive holds (alert versions, acks and segment seals,
//! not every sentence).

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// SHA-256 of arbitrary bytes.
pub fn sha256(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// RFC 6962 leaf hash: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// RFC 6962 interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Largest power of two strictly less than `n` (`n >= 2`).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The tree head `MTH(D[n])` of a list of leaf hashes (SHA-256 of nothing for no leaves).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => sha256(b""),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// Inclusion proof `PATH(index, D[n])` of leaf `index` in the tree of `leaves`.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
        if d.len() <= 1 {
            return;
        }
        let k = split(d.len());
        if m < k {
            path(m, &d[..k], out);
            out.push(root(&d[k..]));
        } else {
            path(m - k, &d[k..], out);
            out.push(root(&d[..k]));
        }
    }
    let mut out = Vec::new();
    path(index, leaves, &mut out);
    Some(out)
}

/// Consistency proof `PROOF(m, D[n])` between the first `old_size` leaves and all of `leaves`.
pub fn consistency_proof(leaves: &[Hash], old_size: usize) -> Option<Vec<Hash>> {
    if old_size > leaves.len() {
        return None;
    }
    fn subproof(m: usize, d: &[Hash], complete: bool, out: &mut Vec<Hash>) {
        if m == d.len() {
            if !complete {
                out.push(root(d));
            }
            return;
        }
        let k = split(d.len());
        if m <= k {
            subproof(m, &d[..k], complete, out);
            out.push(root(&d[k..]));
        } else {
            subproof(m - k, &d[k..], false, out);
            out.push(root(&d[..k]));
        }
    }
    let mut out = Vec::new();
    if old_size > 0 {
        subproof(old_size, leaves, true, &mut out);
    }
    Some(out)
}

/// Checks an inclusion proof (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// Checks a consistency proof between tree heads of `old_size` and `new_size` leaves
/// (RFC 9162 section 2.1.4.2, with the trivial cases of equal and empty trees).
pub fn verify_consistency(old_size: u64, new_size: u64, old_root: &Hash, new_root: &Hash, proof: &[Hash]) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *old_root && sr == *new_root && s == 0
}

/// The running root of a growing log in O(log n) memory: the roots of the perfect subtrees
/// that make up the tree so far, largest first (the "compact range" of the log).
#[derive(Clone, Debug, Default)]
pub struct Frontier {
    size: u64,
    peaks: Vec<Hash>,
}

impl Frontier {
    /// Number of leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut n = self.size;
        // Each trailing 1 bit of the old size is a perfect subtree the new leaf completes.
        while n & 1 == 1 {
            let left = self.peaks.pop().expect("a peak per set bit");
            h = node_hash(&left, &h);
            n >>= 1;
        }
        self.peaks.push(h);
        self.size += 1;
    }

    /// The tree head of the leaves so far (equal to [`root`] over them).
    pub fn root(&self) -> Hash {
        let mut it = self.peaks.iter().rev();
        let Some(last) = it.next() else {
            return sha256(b"");
        };
        it.fold(*last, |r, p| node_hash(p, &r))
    }
}

/// Lower-case hex of a hash.
pub fn to_hex(h: &[u8]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses 64 hex digits.
pub fn from_hex(s: &str) -> Option<Hash> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    //! RFC 6962 reference vectors: the leaves, tree heads and proofs of the reference
    //! implementation's test (certificate-transparency's merkle_tree_test, carried on in
    //! transparency-dev/merkle's verifier tests). Indices there are 1-based for inclusion.
    use super::*;

    fn h(s: &str) -> Hash {
        from_hex(s).unwrap()
    }

    const LEAVES: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn leaves() -> Vec<Hash> {
        LEAVES
            .iter()
            .map(|s| {
                let bytes: Vec<u8> =
                    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect();
                leaf_hash(&bytes)
            })
            .collect()
    }

    #[test]
    fn tree_heads_match_rfc6962() {
        assert_eq!(root(&[]), h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        let l = leaves();
        let mut f = Frontier::default();
        for n in 1..=8 {
            assert_eq!(root(&l[..n]), h(ROOTS[n - 1]), "size {n}");
            f.push(l[n - 1]);
            assert_eq!(f.root(), h(ROOTS[n - 1]), "frontier size {n}");
        }
    }

    #[test]
    fn inclusion_proofs_match_rfc6962() {
        // (1-based leaf, tree size, proof)
        let vectors: [(usize, usize, &[&str]); 4] = [
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (3, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            (
                2,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        let l = leaves();
        for (leaf, size, want) in vectors {
            let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
            let proof = inclusion_proof(&l[..size], leaf - 1).unwrap();
            assert_eq!(proof, want, "leaf {leaf} size {size}");
            let r = h(ROOTS[size - 1]);
            assert!(verify_inclusion((leaf - 1) as u64, size as u64, &l[leaf - 1], &proof, &r));
            // Wrong index, wrong size, wrong leaf, shortened proof: all refused.
            assert!(!verify_inclusion(leaf as u64, size as u64, &l[leaf - 1], &proof, &r));
            assert!(!verify_inclusion((leaf - 1) as u64, size as u64 * 2, &l[leaf - 1], &proof, &r));
            assert!(!verify_inclusion((leaf - 1) as u64, size as u64, &l[(leaf) % size], &proof, &r));
            assert!(!verify_inclusion((leaf - 1) as u64, size as u64, &l[leaf - 1], &proof[1..], &r));
        }
    }

    #[test]
    fn consistency_proofs_match_rfc6962() {
        let vectors: [(usize, usize, &[&str]); 4] = [
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        let l = leaves();
        for (m, n, want) in vectors {
            let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
            let proof = consistency_proof(&l[..n], m).unwrap();
            assert_eq!(proof, want, "{m} -> {n}");
            let (r1, r2) = (h(ROOTS[m - 1]), h(ROOTS[n - 1]));
            assert!(verify_consistency(m as u64, n as u64, &r1, &r2, &proof));
            if !proof.is_empty() {
                assert!(!verify_consistency(m as u64, n as u64, &r2, &r1, &proof));
                assert!(!verify_consistency(m as u64, n as u64, &r1, &r2, &proof[1..]));
                assert!(!verify_consistency(m as u64 + 1, n as u64, &r1, &r2, &proof));
            }
        }
    }

    #[test]
    fn every_proof_of_every_small_tree_verifies() {
        let l: Vec<Hash> = (0..40u32).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        for n in 1..=l.len() {
            let r = root(&l[..n]);
            for i in 0..n {
                let p = inclusion_proof(&l[..n], i).unwrap();
                assert!(verify_inclusion(i as u64, n as u64, &l[i], &p, &r), "{i} in {n}");
            }
            for m in 0..=n {
                let p = consistency_proof(&l[..n], m).unwrap();
                assert!(verify_consistency(m as u64, n as u64, &root(&l[..m]), &r, &p), "{m}->{n}");
            }
        }
    }
}
