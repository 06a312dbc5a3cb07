//! The start-up both server binaries share: the `healthcheck` subcommand, a bad
//! configuration reported in one line with exit code 2, then build, say where it
//! listens, and serve until SIGTERM or Ctrl-C.

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// `healthcheck`: probes a running server and exits 0 when it is healthy (for
/// container HEALTHCHECKs and `helm test`; needs no shell or curl).
/// `DEFAULT_PORT` is the binary's own default `PORT`.
#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs<const DEFAULT_PORT: u16> {
    /// URL to probe. Default: http://127.0.0.1:$PORT/healthz.
    #[arg(long)]
    url: Option<String>,
    #[arg(long, env = "PORT", default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 3)]
    timeout_secs: u64,
}

impl<const DEFAULT_PORT: u16> HealthcheckArgs<DEFAULT_PORT> {
    /// Probes the server and gives the exit code: 0 for a 2xx answer, else 1.
    pub async fn run(&self) -> ExitCode {
        let url = self.url.clone().unwrap_or_else(|| format!("http://127.0.0.1:{}/healthz", self.port));
        ExitCode::from(crate::healthcheck::run(&url, Duration::from_secs(self.timeout_secs)).await)
    }
}

/// The configuration, or exit code 2 after `NAME: reason` on stderr.
pub fn config_or_exit<T, E: std::fmt::Display>(name: &str, resolved: Result<T, E>) -> Result<T, ExitCode> {
    resolved.map_err(|e| {
        eprintln!("{name}: {e}");
        ExitCode::from(2)
    })
}

/// A built server, bound and ready to serve.
pub trait Server {
    /// The address it listens on (the real port when 0 was asked for).
    fn local_addr(&self) -> SocketAddr;
    /// Serves until `shutdown` completes, then drains in-flight requests.
    fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> impl Future<Output = anyhow::Result<()>>;
}

/// Builds the server (a failure goes to the log and, as one line, to stderr),
/// logs where it listens and serves until SIGTERM or Ctrl-C.
pub async fn run_server<S: Server>(name: &str, build: impl Future<Output = anyhow::Result<S>>) -> ExitCode {
    let app = match build.await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("{name}: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %app.local_addr(), "{name} listening on http://{}", app.local_addr());
    match app.serve(crate::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
