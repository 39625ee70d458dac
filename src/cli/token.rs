//! `lookout token`: a new bearer token and its configuration entry.

use rand::TryRngCore;

/// Make a bearer token for an operator: prints the token (give it to the
/// operator) and the [[operator]] table with its SHA-256 (for the config).
#[derive(clap::Args)]
pub struct TokenArgs {
    /// The operator's name, as the access log and acknowledgements show it.
    #[arg(long)]
    name: String,
    /// What the token may do (repeat the flag for several roles).
    #[arg(long = "role", required = true, value_enum, ignore_case = true)]
    roles: Vec<Role>,
    /// When the token stops working, RFC 3339 (e.g. 2027-01-31T00:00:00Z); default: never.
    #[arg(long)]
    expires: Option<String>,
}

/// The roles the service knows ([[operator]] roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Role {
    /// Reads the picture, alerts and statistics.
    Viewer,
    /// A viewer who may also acknowledge alerts.
    Operator,
    /// Feeds data in (Ingest, PushDetections).
    Feeder,
    /// Reads the archive's history.
    Analyst,
    /// A rescue centre: VesselsNear, GetVessel, and distress and overcrowded alerts only.
    Rescue,
    /// Everything.
    Admin,
}

impl Role {
    /// The name the configuration uses.
    fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Feeder => "feeder",
            Role::Analyst => "analyst",
            Role::Rescue => "rescue",
            Role::Admin => "admin",
        }
    }
}

impl TokenArgs {
    pub fn run(self) -> anyhow::Result<()> {
        if let Some(t) = &self.expires {
            chrono::DateTime::parse_from_rfc3339(t).map_err(|e| {
                anyhow::anyhow!("--expires {t:?} is not an RFC 3339 time such as 2027-01-31T00:00:00Z: {e}")
            })?;
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.try_fill_bytes(&mut bytes).map_err(|e| anyhow::anyhow!("random token: {e}"))?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let roles: Vec<String> = self.roles.iter().map(|r| format!("{:?}", r.name())).collect();
        eprintln!("token for {} (give it to them; it is not stored anywhere):", self.name);
        println!("{token}");
        eprintln!(
            "\nconfiguration entry:\n[[operator]]\nname = {:?}\ntoken_sha256 = \"{}\"\nroles = [{}]{}",
            self.name,
            lookout_server::api::token_digest_hex(&token),
            roles.join(", "),
            self.expires.as_ref().map(|t| format!("\nexpires = {t:?}")).unwrap_or_default()
        );
        Ok(())
    }
}
