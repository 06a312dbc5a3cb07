//! A dependency-free HTTP probe, so container images need neither a shell nor curl
//! for their HEALTHCHECK: `todo-api healthcheck` exits 0 when the server is healthy.
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// GETs a plain-http URL and returns the status code.
pub fn probe(url: &str, timeout: Duration) -> Result<u16, String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("only http:// URLs are supported: {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.contains(':') { authority.to_string() } else { format!("{authority}:80") };
    let sock = addr
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("no address for {authority}"))?;
    let mut stream =
        TcpStream::connect_timeout(&sock, timeout).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).ok();
    stream.set_write_timeout(Some(timeout)).ok();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: todo-healthcheck\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("cannot send request: {e}"))?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).map_err(|e| format!("no response: {e}"))?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP response: {:?}", line.lines().next().unwrap_or("")))
}

/// Runs the probe and turns it into a process exit code, printing one line.
pub fn run(url: &str, timeout: Duration) -> i32 {
    match probe(url, timeout) {
        Ok(status) if (200..300).contains(&status) => {
            println!("healthy: {url} answered {status}");
            0
        }
        Ok(status) => {
            eprintln!("unhealthy: {url} answered {status}");
            1
        }
        Err(e) => {
            eprintln!("unhealthy: {e}");
            1
        }
    }
}
