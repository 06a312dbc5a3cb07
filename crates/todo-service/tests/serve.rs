//! The shared serve loop over real sockets: header-read and keep-alive
//! timeouts, the connection cap, the graceful shutdown and the peer address.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test: a panic is the test failing")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Query};
use axum::routing::get;
use todo_service::{ConnectionArgs, ConnectionLimits, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// How long a test waits for the server to close a connection. Generous: it only
/// bounds a test that would otherwise hang; nothing asserts how fast it happens.
const EOF_BOUND: Duration = Duration::from_secs(60);

struct Server {
    addr: SocketAddr,
    /// Each permit lets one `/slow` request finish.
    release: Arc<Semaphore>,
    shutting_down: Arc<AtomicBool>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start(limits: ConnectionLimits) -> Server {
    let release = Arc::new(Semaphore::new(0));
    let slow = release.clone();
    let router = Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }))
        .route(
            "/slow",
            get(move || {
                let slow = slow.clone();
                async move {
                    slow.acquire().await.unwrap().forget();
                    "slow done"
                }
            }),
        )
        .route(
            "/sleep",
            get(|Query(q): Query<std::collections::HashMap<String, u64>>| async move {
                tokio::time::sleep(Duration::from_millis(q["ms"])).await;
                "slept"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutting_down = Arc::new(AtomicBool::new(false));
    let flag = shutting_down.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(serve(
        listener,
        router,
        limits,
        Duration::from_secs(30),
        async move {
            let _ = stopped.await;
        },
        move || flag.store(true, Ordering::SeqCst),
    ));
    Server { addr, release, shutting_down, stop: Some(stop), done }
}

fn limits(header_read: u64, keep_alive: u64, max_connections: usize) -> ConnectionLimits {
    ConnectionArgs { header_read_timeout_secs: header_read, keep_alive_timeout_secs: keep_alive, max_connections }
        .resolve()
        .unwrap()
}

/// Sends `GET path` on the connection and returns the response body.
async fn get_on(conn: &mut TcpStream, path: &str) -> String {
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes()).await.unwrap();
    read_response(conn).await
}

async fn read_response(conn: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the connection closed before a response: {:?}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .expect("a content-length");
    while buf.len() < head_end + len {
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the connection closed inside a response");
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(buf[head_end..head_end + len].to_vec()).unwrap()
}

/// True when the server closes the connection (EOF or reset) before `EOF_BOUND`.
async fn closed_by_server(conn: &mut TcpStream) -> bool {
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout(EOF_BOUND, conn.read(&mut chunk)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_request_head_is_closed_after_the_header_read_timeout() {
    let server = start(limits(1, 60, 100)).await;

    let mut half = TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"GET / HT").await.unwrap();
    assert!(closed_by_server(&mut half).await, "half a request line was held open");

    // Connecting and sending nothing at all is the same.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    assert!(closed_by_server(&mut silent).await, "a silent connection was held open");

    // So is a keep-alive connection that starts a second request and stalls.
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(get_on(&mut conn, "/").await, "ok");
    conn.write_all(b"GET / HTTP/1.1\r\nHost: te").await.unwrap();
    assert!(closed_by_server(&mut conn).await, "a stalled second request head was held open");

    // The server still serves.
    let mut fresh = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(get_on(&mut fresh, "/").await, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_close_but_requests_in_progress_are_not_cut() {
    let server = start(limits(1, 2, 100)).await;
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(get_on(&mut conn, "/").await, "ok");
    assert_eq!(get_on(&mut conn, "/").await, "ok", "keep-alive: the connection is reused");
    // A request that takes longer than both timeouts is answered in full.
    assert_eq!(get_on(&mut conn, "/sleep?ms=3000").await, "slept");
    assert_eq!(get_on(&mut conn, "/").await, "ok", "still open right after a long request");
    assert!(closed_by_server(&mut conn).await, "an idle keep-alive connection was held open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_see_the_peer_address() {
    let server = start(limits(10, 60, 100)).await;
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    let me = conn.local_addr().unwrap();
    assert_eq!(get_on(&mut conn, "/peer").await, me.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_and_in_flight_requests_finish() {
    let server = start(limits(60, 60, 2)).await;

    let mut in_flight = TcpStream::connect(server.addr).await.unwrap();
    in_flight.write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
    let mut stalled = TcpStream::connect(server.addr).await.unwrap();
    stalled.write_all(b"GET / HT").await.unwrap();

    // Over the cap: the kernel accepts the connection, the server does not serve it yet.
    let mut waiting = TcpStream::connect(server.addr).await.unwrap();
    waiting.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
    let mut byte = [0u8; 1];
    // Only "no answer yet" is checked (a slow machine cannot make this fail).
    let early = tokio::time::timeout(Duration::from_millis(300), waiting.read(&mut byte)).await;
    assert!(early.is_err(), "a connection over the cap was served: {early:?}");

    // The request in flight finishes.
    server.release.add_permits(1);
    assert_eq!(read_response(&mut in_flight).await, "slow done");

    // Once a connection closes, the waiting one is served.
    drop(in_flight);
    assert_eq!(read_response(&mut waiting).await, "ok");
    drop(stalled);
    let mut fresh = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(get_on(&mut fresh, "/").await, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_in_flight_requests_closes_idle_connections_and_stops_accepting() {
    let mut server = start(limits(60, 60, 100)).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(get_on(&mut idle, "/").await, "ok");
    let mut in_flight = TcpStream::connect(server.addr).await.unwrap();
    in_flight.write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
    // The request is being served before the shutdown starts.
    let mut probe = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(get_on(&mut probe, "/").await, "ok");
    drop(probe);

    server.stop.take().unwrap().send(()).unwrap();
    assert!(closed_by_server(&mut idle).await, "an idle connection was kept open while draining");
    assert!(server.shutting_down.load(Ordering::SeqCst), "readiness was turned off");
    let mut refused = false;
    for _ in 0..100 {
        if TcpStream::connect(server.addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "new connections are still accepted while draining");
    assert!(!server.done.is_finished(), "stopped with a request in flight");

    server.release.add_permits(1);
    assert_eq!(read_response(&mut in_flight).await, "slow done");
    tokio::time::timeout(EOF_BOUND, &mut server.done).await.expect("serve returns").unwrap().unwrap();
}

#[test]
fn limits_are_validated() {
    assert_eq!(ConnectionArgs::default().resolve().unwrap(), ConnectionLimits::default());
    let ok = ConnectionArgs::default();
    for (bad, name) in [
        (ConnectionArgs { header_read_timeout_secs: 0, ..ok.clone() }, "HEADER_READ_TIMEOUT_SECS"),
        (ConnectionArgs { keep_alive_timeout_secs: 0, ..ok.clone() }, "KEEP_ALIVE_TIMEOUT_SECS"),
        (ConnectionArgs { max_connections: 0, ..ok.clone() }, "MAX_CONNECTIONS"),
        (ConnectionArgs { max_connections: usize::MAX, ..ok.clone() }, "MAX_CONNECTIONS"),
    ] {
        assert!(bad.resolve().unwrap_err().contains(name), "{bad:?}");
    }
}
