//! The `lookout` command: parse arguments, set up logging, run a subcommand.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let args = lookout::cli::Args::parse();
    args.init_logging();
    match args.run().await {
        Ok(()) => ExitCode::SUCCESS,
        // `lookout near --json | head -1`: the reader had enough; not an error.
        Err(e) if lookout::cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // The message first, then each cause it wraps, so nothing the
            // transport or the file system said is lost.
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(lookout::cli::exit_status(&e))
        }
    }
}
