//! `lookout token`: a new bearer token and its configuration entry.

use rand::TryRngCore;

/// Make a bearer token for an operator: prints the token (give it to the
/// operator) and the [[operator]] table with its SHA-256 (for the config).
#[derive(clap::Args)]
pub struct TokenArgs {
    /// The operator's name, as the access log and acknowledgements show it.
    #[arg(long)]
    name: String,
    /// viewer, operator (viewer + acknowledge), feeder (Ingest, PushDetections), analyst (history), rescue (VesselsNear, GetVessel, distress alerts only), admin.
    #[arg(long = "role", required = true)]
    roles: Vec<String>,
}

impl TokenArgs {
    pub fn run(self) -> anyhow::Result<()> {
        for r in &self.roles {
            if !["viewer", "operator", "feeder", "analyst", "rescue", "admin"].contains(&r.as_str()) {
                anyhow::bail!("--role {r:?} is not one of viewer, operator, feeder, analyst, rescue, admin");
            }
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.try_fill_bytes(&mut bytes).map_err(|e| anyhow::anyhow!("random token: {e}"))?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let roles: Vec<String> = self.roles.iter().map(|r| format!("{r:?}")).collect();
        eprintln!("token for {} (give it to them; it is not stored anywhere):", self.name);
        println!("{token}");
        eprintln!(
            "\nconfiguration entry:\n[[operator]]\nname = {:?}\ntoken_sha256 = \"{}\"\nroles = [{}]",
            self.name,
            lookout_server::api::token_digest_hex(&token),
            roles.join(", ")
        );
        Ok(())
    }
}
