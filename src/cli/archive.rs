//! `lookout archive`: check an archive's integrity, make a checkpoint signing key.

use std::path::PathBuf;

use anyhow::Context;
use lookout_archive::{NoteVerifier, VerifyError};

/// The evidence archive ([archive] in the config).
#[derive(clap::Args)]
pub struct ArchiveArgs {
    #[command(subcommand)]
    command: ArchiveCommand,
}

#[derive(clap::Subcommand)]
enum ArchiveCommand {
    /// Check every segment's CRCs and chain, every sealed segment's SHA-256, the Merkle
    /// log and its checkpoints (signatures too with --key). Exit status 0 only if intact;
    /// otherwise names the file, byte offset and record where it breaks.
    Verify {
        /// The archive directory.
        dir: PathBuf,
        /// File holding the verifier key (the line `archive key` printed), to check signatures.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Make an Ed25519 checkpoint signing key (file mode 0600, never overwritten) and
    /// print its verifier key, for witnesses and `archive verify --key`.
    Key {
        /// Where to write the private key ([archive] signing_key).
        #[arg(long)]
        out: PathBuf,
        /// The log's name in checkpoints, e.g. "lookout.mrcc-rome".
        #[arg(long)]
        name: String,
    },
}

impl ArchiveArgs {
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            ArchiveCommand::Verify { dir, key } => verify(&dir, key),
            ArchiveCommand::Key { out, name } => {
                let v = lookout_archive::generate_key(&out, &name)
                    .with_context(|| format!("write a key to {}", out.display()))?;
                eprintln!("private key written to {} (set [archive] signing_key to it)", out.display());
                println!("{v}");
                Ok(())
            }
        }
    }
}

/// `lookout verify`: the same check as `archive verify`, under the name the audit's
/// readers look for (`--audit`: an `[audit] path`, which is an archive of its own).
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// An audit directory (`[audit] path`).
    #[arg(long, required_unless_present = "archive", conflicts_with = "archive")]
    audit: Option<PathBuf>,
    /// An archive directory (`[archive] dir`).
    #[arg(long)]
    archive: Option<PathBuf>,
    /// File holding the verifier key (the line `archive key` printed), to check signatures.
    #[arg(long)]
    key: Option<PathBuf>,
}

impl VerifyArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let dir = self.audit.or(self.archive).expect("clap requires one of --audit, --archive");
        verify(&dir, self.key)
    }
}

/// Checks the archive (or audit) in `dir`; `Ok` only if it is intact, else an error naming
/// the file, byte offset and record where it breaks.
fn verify(dir: &std::path::Path, key: Option<PathBuf>) -> anyhow::Result<()> {
    let key = match key {
        Some(p) => {
            let text = std::fs::read_to_string(&p).with_context(|| format!("read {}", p.display()))?;
            Some(NoteVerifier::parse(text.trim()).with_context(|| format!("{} is not a verifier key", p.display()))?)
        }
        None => None,
    };
    match lookout_archive::verify(dir, key.as_ref()) {
        Ok(r) => {
            println!(
                "archive {} intact: {} segments ({} sealed, hashes match), {} records, {} Merkle leaves, {} checkpoints{}",
                dir.display(),
                r.segments,
                r.sealed_segments,
                r.records,
                r.leaves,
                r.checkpoints,
                if r.signatures_checked { " (signatures verified)" } else { "" }
            );
            for p in &r.purged {
                println!("  purged by retention: {p:?}");
            }
            for (lane, no) in &r.awaiting_seal {
                println!(
                    "  lane {lane} segment {no}: frames intact, not sealed yet (the service \
                     stopped while sealing it; it is sealed when the service next opens the archive)"
                );
            }
            Ok(())
        }
        Err(VerifyError::Broken { at, verified }) => anyhow::bail!(
            "archive {} BROKEN in {} at byte {}{}: {} ({} records verified before it)",
            dir.display(),
            at.file.display(),
            at.offset,
            at.record_index.map(|i| format!(", record {i}")).unwrap_or_default(),
            at.reason,
            verified.records
        ),
        Err(e) => Err(e).with_context(|| format!("verify {}", dir.display())),
    }
}
