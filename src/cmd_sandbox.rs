//! `hone sandbox run` and `hone bench sandbox` (placeholder until the sandbox lands).

#[derive(clap::Args, Debug)]
pub struct RunArgs {}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {}

/// Returns the process exit code.
pub async fn run(_args: RunArgs) -> anyhow::Result<i32> {
    anyhow::bail!("the sandbox is not built yet")
}

pub async fn bench(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("the sandbox is not built yet")
}
