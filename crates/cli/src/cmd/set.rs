//! `serin set version NAME V`: asks the daemon to release version V of a
//! rollout (the engine starts a release; the history records who asked).

use std::process::ExitCode;

use serin_local::admin::VersionBody;

use super::admin_client::{Conn, block_on, me};

/// Arguments of `serin set`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to set.
    #[command(subcommand)]
    what: What,
    /// Where the daemon is.
    #[command(flatten)]
    conn: Conn,
}

/// What `serin set` changes.
#[derive(Debug, clap::Subcommand)]
enum What {
    /// Release a version of a rollout.
    #[command(disable_version_flag = true)]
    Version {
        /// The rollout.
        name: String,
        /// The version (replaces `{version}` in `spec.local.command`).
        version: String,
    },
}

/// Sends the version.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let What::Version { name, version } = &args.what;
    let client = args.conn.client()?;
    block_on(async {
        let _: serde_json::Value = client
            .send_json(
                reqwest::Method::PUT,
                &format!("/v1/rollouts/{name}/version"),
                &VersionBody {
                    version: version.clone(),
                    by: me(),
                },
            )
            .await?;
        println!("rollout {name}: version {version} asked for");
        Ok(ExitCode::SUCCESS)
    })
}
