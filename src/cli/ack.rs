//! `lookout ack`: acknowledges an alert.

use lookout_server::api::pb;

use super::{alert_line, connect, RemoteArgs};

/// Acknowledge an alert (recorded with who and why, and sent to every console).
#[derive(clap::Args)]
pub struct AckArgs {
    /// The alert's id (`lookout alerts` lists them).
    alert_id: u64,
    /// Who acknowledges (operator or centre).
    #[arg(long)]
    by: String,
    /// Why, or what was done (e.g. "patrol boat tasked").
    #[arg(long, default_value = "")]
    note: String,
    /// Also close the alert (needs --note saying why): the only way a rescue alert whose
    /// contact was lost ends without the boat being seen again.
    #[arg(long)]
    close: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

impl AckArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let a = connect(&self.remote)
            .await?
            .acknowledge_alert(pb::AcknowledgeAlertRequest {
                alert_id: self.alert_id,
                by: self.by,
                note: self.note,
                close: self.close,
            })
            .await
            .map_err(|s| self.remote.refused(s))?
            .into_inner();
        println!("{}", alert_line(&a));
        Ok(())
    }
}
