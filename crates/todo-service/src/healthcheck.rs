//! The `healthcheck` probe: container images need neither a shell nor curl for
//! their HEALTHCHECK, and it uses the HTTP client the binaries already link.

use std::time::Duration;

/// GETs `url` and returns the status code it answered with.
pub async fn probe(url: &str, timeout: Duration) -> Result<u16, String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        // The probe talks to its own container: an HTTP(S)_PROXY in the
        // environment is for outbound traffic, not for this.
        .no_proxy()
        .user_agent("todo-healthcheck")
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let res = client.get(url).send().await.map_err(|e| format!("no answer from {url}: {e}"))?;
    Ok(res.status().as_u16())
}

/// Runs the probe and turns it into a process exit code, printing one line.
pub async fn run(url: &str, timeout: Duration) -> u8 {
    match probe(url, timeout).await {
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
