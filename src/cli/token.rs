//! `lookout token`: a new bearer token and its configuration entry.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use lookout_server::config::Role;
use rand::TryRngCore;

/// Make a bearer token for an operator: prints the token (give it to the
/// operator) and the [[operator]] table with its SHA-256 (for the config).
#[derive(clap::Args)]
pub struct TokenArgs {
    /// The operator's name, as the access log and acknowledgements show it.
    #[arg(long)]
    name: String,
    /// What the token may do (repeat the flag for several roles).
    #[arg(long = "role", required = true, ignore_case = true, value_parser = role_parser())]
    roles: Vec<Role>,
    /// When the token stops working, RFC 3339 (e.g. 2027-01-31T00:00:00Z); default: never.
    #[arg(long)]
    expires: Option<String>,
}

/// `--role`: one of the service's roles ([[operator]] roles), by its configuration name
/// in any case. The names and their help come from the server's [`Role`], so the list
/// exists once.
fn role_parser() -> impl TypedValueParser<Value = Role> {
    let names = Role::ALL.map(|r| PossibleValue::new(r.name()).help(r.summary()));
    // The possible values list the roles in `--help` and in clap's error; they hand on
    // the name as typed, so it is lowered before the server's `FromStr` (exact case).
    PossibleValuesParser::new(names).try_map(|s| s.to_ascii_lowercase().parse::<Role>())
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        token: TokenArgs,
    }

    #[test]
    fn roles_are_the_servers_in_any_case() {
        let cli = Cli::try_parse_from(["token", "--name", "x", "--role", "VIEWER", "--role", "rescue"]).unwrap();
        assert_eq!(cli.token.roles, [Role::Viewer, Role::Rescue]);
        let e = Cli::try_parse_from(["token", "--name", "x", "--role", "captain"]).err().unwrap().to_string();
        assert!(e.contains("[possible values: viewer, operator, feeder, analyst, rescue, admin]"), "{e}");
    }
}
