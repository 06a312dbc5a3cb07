//! The HTTP/1.1 serve loop both services and the launcher share.
//!
//! `axum::serve` sets no timeouts: a connection that never finishes its request
//! head, or idles between requests, is held for ever, and there is no bound on
//! how many are held (3,000 half-sent requests were still open after 400 s).
//! Here every connection is bounded in time and in number:
//!
//! - **Header read**: a request head (from the connection's start, or from the
//!   first byte of a later request) must be complete within
//!   [`ConnectionLimits::header_read_timeout`].
//! - **Idle keep-alive**: a connection with no request in progress is closed
//!   after [`ConnectionLimits::idle_timeout`]. hyper's own `header_read_timeout`
//!   cannot do both: its timer also runs while a keep-alive connection waits for
//!   the next request, so the idle time would be the (short) header timeout and a
//!   proxy reusing its pooled connections (nginx keeps them 60 s) would race the
//!   server's close. A request being served is never timed out here (the
//!   services' request timeouts do that).
//! - **Connection cap**: at most [`ConnectionLimits::max_connections`] are
//!   served at once; further ones wait in the listen backlog (or are refused by
//!   the kernel when it is full) until one closes, so in-flight requests keep
//!   their resources.
//!
//! Each request carries `ConnectInfo<SocketAddr>` (the peer address) as with
//! `into_make_service_with_connect_info`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// Default of `HEADER_READ_TIMEOUT_SECS`.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Default of `KEEP_ALIVE_TIMEOUT_SECS`: longer than the 60 s proxies (nginx,
/// cloud load balancers) keep idle upstream connections, so the proxy, not the
/// server, closes them first.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT_SECS: u64 = 75;
/// Default of `MAX_CONNECTIONS`. A connection stalled in its headers costs about
/// 20 KB (3,000 of them: 17 MB to 82 MB RSS), well within the pods' memory
/// limits, and all are closed after the header timeout. A cap below such a
/// flood would make legitimate clients wait in the backlog behind it.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// Connection limits, as flags of both services (flattened into their
/// arguments, so `--help` lists them with their environment variables).
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ConnectionArgs {
    /// Seconds a client has to send a request's headers (from connecting, or
    /// from the first byte of a later request on the connection); then the
    /// connection is closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = DEFAULT_HEADER_READ_TIMEOUT_SECS)]
    pub header_read_timeout_secs: u64,

    /// Seconds an idle keep-alive connection (no request in progress) is kept open.
    #[arg(long, env = "KEEP_ALIVE_TIMEOUT_SECS", default_value_t = DEFAULT_KEEP_ALIVE_TIMEOUT_SECS)]
    pub keep_alive_timeout_secs: u64,

    /// Most connections served at once; more wait until one closes.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
}

impl Default for ConnectionArgs {
    fn default() -> Self {
        ConnectionArgs {
            header_read_timeout_secs: DEFAULT_HEADER_READ_TIMEOUT_SECS,
            keep_alive_timeout_secs: DEFAULT_KEEP_ALIVE_TIMEOUT_SECS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ConnectionArgs {
    /// The limits, or the setting that is out of range.
    pub fn resolve(&self) -> Result<ConnectionLimits, String> {
        if self.header_read_timeout_secs == 0 {
            return Err("HEADER_READ_TIMEOUT_SECS must be at least 1".into());
        }
        if self.keep_alive_timeout_secs == 0 {
            return Err("KEEP_ALIVE_TIMEOUT_SECS must be at least 1".into());
        }
        // Semaphore::MAX_PERMITS is usize::MAX >> 3.
        if self.max_connections == 0 || self.max_connections > 1 << 24 {
            return Err(format!("MAX_CONNECTIONS must be between 1 and {} (got {})", 1 << 24, self.max_connections));
        }
        Ok(ConnectionLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(self.keep_alive_timeout_secs),
            max_connections: self.max_connections,
        })
    }
}

/// See the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time a client has to send a request's headers.
    pub header_read_timeout: Duration,
    /// Time an idle keep-alive connection stays open.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    #[allow(clippy::expect_used, reason = "the defaults are valid, which a unit test checks")]
    fn default() -> Self {
        ConnectionArgs::default().resolve().expect("the defaults are valid")
    }
}

/// Serves until `shutdown` resolves, then calls `begin_shutdown` (turning
/// readiness off), stops accepting connections, closes idle ones and lets
/// in-flight requests finish for up to `drain_timeout`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    drain_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
    begin_shutdown: impl FnOnce() + Send + 'static,
) -> anyhow::Result<()> {
    let mut signal = pin!(async move {
        shutdown.await;
        begin_shutdown();
        tracing::info!("shutdown requested: readiness off, finishing in-flight requests");
    });
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    // Dropping the sender tells every connection to finish its request and close.
    let (stop, stopped) = watch::channel(());
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.context("connection slots closed")?,
            () = &mut signal => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let _ = stream.set_nodelay(true);
        let stopped = stopped.clone();
        let router = router.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, router, limits, stopped).await;
            drop(slot);
        });
    }
    drop(listener);
    drop(stop);
    // Every connection holds a slot until it is closed: all slots back means done.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(drain_timeout, slots.acquire_many(all)).await.is_err() {
        tracing::warn!(
            timeout_secs = drain_timeout.as_secs(),
            "requests still running at the shutdown timeout; exiting"
        );
    }
    tracing::info!("stopped");
    Ok(())
}

/// As `axum::serve`: a connection that failed before it was accepted is
/// skipped; anything else (out of file descriptors) is logged and retried after
/// a pause, so a burst of connections cannot spin the loop.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<()>,
) {
    let clock = Arc::new(ConnectionClock::new(limits));
    let io = TokioIo::new(Watched { inner: stream, clock: clock.clone() });
    let service = {
        let clock = clock.clone();
        hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let serving = clock.begin_request();
            req.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move {
                let res = router.oneshot(req.map(Body::new)).await?;
                // The request counts as in progress until its body is sent (or dropped).
                Ok::<_, std::convert::Infallible>(res.map(move |body| {
                    Body::new(body.map_frame(move |frame| {
                        let _in_progress = &serving;
                        frame
                    }))
                }))
            }
        })
    };
    let mut conn = pin!(
        hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            // Timed by the clock here instead (see the module documentation).
            .header_read_timeout(None)
            .serve_connection(io, service)
    );
    let mut draining = false;
    loop {
        let changed = clock.changed.notified();
        let mut changed = pin!(changed);
        changed.as_mut().enable();
        let deadline = clock.deadline();
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = stopped.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            () = sleep_until(deadline) => {
                if clock.deadline().is_some_and(|d| d <= Instant::now()) {
                    // Dropping the connection closes the socket.
                    tracing::debug!(%peer, "closing a connection: no complete request head in time, or idle too long");
                    return;
                }
            }
            () = changed => {}
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Where a connection is between requests, and until when it may stay there.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Reading a request head: until the deadline.
    Head(Instant),
    /// Serving this many requests: no deadline.
    Busy(u32),
    /// Waiting for the next request: until the deadline.
    Idle(Instant),
}

struct ConnectionClock {
    phase: Mutex<Phase>,
    changed: Notify,
    limits: ConnectionLimits,
}

impl ConnectionClock {
    fn new(limits: ConnectionLimits) -> ConnectionClock {
        ConnectionClock {
            phase: Mutex::new(Phase::Head(Instant::now() + limits.header_read_timeout)),
            changed: Notify::new(),
            limits,
        }
    }

    fn set(&self, f: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(|p| p.into_inner());
        *phase = f(*phase);
        drop(phase);
        self.changed.notify_one();
    }

    fn deadline(&self) -> Option<Instant> {
        match *self.phase.lock().unwrap_or_else(|p| p.into_inner()) {
            Phase::Head(d) | Phase::Idle(d) => Some(d),
            Phase::Busy(_) => None,
        }
    }

    /// Bytes arrived: on an idle connection they start the next request head.
    fn on_read(&self) {
        if matches!(*self.phase.lock().unwrap_or_else(|p| p.into_inner()), Phase::Idle(_)) {
            let deadline = Instant::now() + self.limits.header_read_timeout;
            self.set(|p| if let Phase::Idle(_) = p { Phase::Head(deadline) } else { p });
        }
    }

    fn begin_request(self: &Arc<Self>) -> Serving {
        self.set(|p| match p {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        });
        Serving(self.clone())
    }
}

/// A request in progress; dropped when its response body is done.
struct Serving(Arc<ConnectionClock>);

impl Drop for Serving {
    fn drop(&mut self) {
        let idle_until = Instant::now() + self.0.limits.idle_timeout;
        self.0.set(|p| match p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(idle_until),
        });
    }
}

/// The socket, telling the clock when bytes arrive.
struct Watched {
    inner: TcpStream,
    clock: Arc<ConnectionClock>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.clock.on_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
