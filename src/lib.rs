//! The `lookout` command line: one module per subcommand under [`cli`].
//! The service itself lives in the workspace's crates (`crates/`): the
//! binary only parses arguments and calls them.

pub mod cli;
