//! `lookout hold`: legal holds on the archive (admin), through the running service.
//! The service holds the archive open (its lock file), so holds go through the API,
//! which archives each one in the caller's name before it takes effect.

use lookout_server::api::pb;

use super::history::{rfc3339, timestamp};
use super::{connect, RemoteArgs};

/// Legal holds: keep the archive's records of a case's period past their retention.
#[derive(clap::Args)]
pub struct HoldArgs {
    #[command(subcommand)]
    what: What,
    #[command(flatten)]
    remote: RemoteArgs,
}

#[derive(clap::Subcommand)]
enum What {
    /// Place (or replace) a hold: every archive segment with a record in [--from, --to)
    /// is kept until the hold is released.
    Place {
        /// The case's name, 1 to 64 characters (e.g. "case-2026-118").
        name: String,
        /// Start of the held period, RFC 3339.
        #[arg(long)]
        from: String,
        /// End of the held period (exclusive), RFC 3339.
        #[arg(long)]
        to: String,
        /// Who asked and why (a court order, a case number): required, recorded in
        /// your name.
        #[arg(long)]
        note: String,
        /// A vessel whose index rows are kept too (repeat for several); none: every vessel's.
        #[arg(long = "mmsi")]
        mmsis: Vec<u32>,
    },
    /// Release a hold: retention applies again to what it kept.
    Release {
        /// The case's name.
        name: String,
    },
    /// List the holds in force.
    List,
}

impl HoldArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let mut client = connect(&self.remote).await?;
        let refused = |s| self.remote.refused(s);
        match self.what {
            What::Place { name, from, to, note, mmsis } => {
                let hold = pb::LegalHold {
                    name,
                    from: Some(timestamp("from", &from)?),
                    to: Some(timestamp("to", &to)?),
                    mmsis,
                    note,
                };
                let h = client.place_hold(pb::PlaceHoldRequest { hold: Some(hold) }).await.map_err(refused)?;
                println!("placed: {}", line(&h.into_inner()));
            }
            What::Release { name } => {
                client.release_hold(pb::ReleaseHoldRequest { name: name.clone() }).await.map_err(refused)?;
                println!("released: {name}");
            }
            What::List => {
                let holds = client.list_holds(pb::ListHoldsRequest {}).await.map_err(refused)?.into_inner().holds;
                if holds.is_empty() {
                    println!("no legal holds");
                }
                for h in &holds {
                    println!("{}", line(h));
                }
            }
        }
        Ok(())
    }
}

/// One hold on one line: name, period, vessels, note.
fn line(h: &pb::LegalHold) -> String {
    let vessels = if h.mmsis.is_empty() {
        "every vessel".to_string()
    } else {
        h.mmsis.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
    };
    format!("{}  {} .. {}  {vessels}  {:?}", h.name, rfc3339(h.from.as_ref()), rfc3339(h.to.as_ref()), h.note)
}
