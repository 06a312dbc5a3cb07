//! PostgreSQL goes away while requests are running and comes back: the service
//! answers 503 (never 500, never hangs), readiness fails, and it recovers by
//! itself with nothing that was acknowledged lost. The test runs its own
//! PostgreSQL cluster so it can stop and start it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn pg_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("TEST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries (Debian package postgresql) are needed: run ./scripts/test.sh")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("no /usr/lib/postgresql/*/bin/pg_ctl")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// Runs a PostgreSQL tool, as the postgres user when we are root.
fn pg(tool: &str, args: &[&str]) -> std::process::Output {
    let path = pg_bin().join(tool);
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&path);
        c
    } else {
        Command::new(&path)
    };
    cmd.args(args).output().unwrap_or_else(|e| panic!("cannot run {tool}: {e}"))
}

struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn create() -> Cluster {
        let dir = std::env::temp_dir().join(format!("todo-resilience-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            assert!(
                Command::new("chown").args(["postgres:postgres", dir.to_str().unwrap()]).status().unwrap().success()
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = pg("initdb", &["-D", dir.to_str().unwrap(), "-U", "postgres", "--auth=trust", "--no-sync"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let c = Cluster { dir, port };
        c.start();
        c
    }

    fn dir(&self) -> &str {
        self.dir.to_str().unwrap()
    }

    fn start(&self) {
        let opts = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir());
        let log = Path::new(self.dir()).join("server.log");
        let out =
            pg("pg_ctl", &["-D", self.dir(), "-l", log.to_str().unwrap(), "-w", "-t", "60", "-o", &opts, "start"]);
        assert!(out.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn stop(&self) {
        let out = pg("pg_ctl", &["-D", self.dir(), "-m", "fast", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg("pg_ctl", &["-D", self.dir(), "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Default)]
struct Outcomes {
    created: Vec<i64>,
    unavailable: usize,
    unavailable_without_retry_after: usize,
    unexpected: Vec<String>,
}

async fn wait_for(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let start = std::time::Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "gave up waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_gives_503_and_recovers_without_restart() {
    let cluster = tokio::task::spawn_blocking(Cluster::create).await.unwrap();
    let app = TestApp::builder()
        .on_database(&cluster.url())
        .config(|a| a.database.database_acquire_timeout_ms = 500)
        .start()
        .await;
    let user = app.sign_up("outage@example.com").await;

    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let running = Arc::new(AtomicBool::new(true));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, url, token) =
            (app.client.clone(), app.url(&format!("/api/{}/tasks", user.id)), user.token.clone());
        let (outcomes, running) = (outcomes.clone(), running.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while running.load(Ordering::SeqCst) {
                i += 1;
                let res =
                    client.post(&url).bearer_auth(&token).json(&json!({"title": format!("w{w} #{i}")})).send().await;
                let mut o = outcomes.lock().unwrap();
                match res {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        drop(o);
                        let v: Value = r.json().await.unwrap();
                        outcomes.lock().unwrap().created.push(v["id"].as_i64().unwrap());
                    }
                    Ok(r) if r.status() == StatusCode::SERVICE_UNAVAILABLE => {
                        o.unavailable += 1;
                        if r.headers().get("retry-after").is_none() {
                            o.unavailable_without_retry_after += 1;
                        }
                    }
                    Ok(r) => o.unexpected.push(format!("status {}", r.status())),
                    Err(e) => o.unexpected.push(format!("no answer: {e}")),
                }
            }
        }));
    }

    wait_for("tasks created while the database is up", Duration::from_secs(30), async || {
        outcomes.lock().unwrap().created.len() >= 20
    })
    .await;

    let c = Arc::new(cluster);
    let stopper = c.clone();
    tokio::task::spawn_blocking(move || stopper.stop()).await.unwrap();
    let before = outcomes.lock().unwrap().unavailable;
    wait_for("503s while the database is down", Duration::from_secs(30), async || {
        outcomes.lock().unwrap().unavailable >= before + 10
    })
    .await;
    let ready = app.req(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(ready.status(), 503, "readiness must fail while the database is down");
    let live = app.req(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(live.status(), 200, "liveness must not depend on the database");

    let starter = c.clone();
    tokio::task::spawn_blocking(move || starter.start()).await.unwrap();
    let created_before = outcomes.lock().unwrap().created.len();
    wait_for("writes succeed again after the database returns", Duration::from_secs(60), async || {
        outcomes.lock().unwrap().created.len() >= created_before + 10
    })
    .await;
    wait_for("readiness returns", Duration::from_secs(30), async || {
        app.req(Method::GET, "/readyz").send().await.map(|r| r.status() == 200).unwrap_or(false)
    })
    .await;

    running.store(false, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    {
        let o = outcomes.lock().unwrap();
        assert!(o.unexpected.is_empty(), "only 201 and 503 are acceptable, got {:?}", o.unexpected);
        assert_eq!(o.unavailable_without_retry_after, 0);
    }
    // Every acknowledged task is there.
    let mut stored = std::collections::HashSet::new();
    let mut offset = 0;
    loop {
        let res = app
            .as_user(Method::GET, &user, &format!("/api/{{me}}/tasks?limit=100&offset={offset}"))
            .send()
            .await
            .unwrap();
        let page: Vec<Value> = res.json().await.unwrap();
        if page.is_empty() {
            break;
        }
        offset += page.len();
        stored.extend(page.iter().map(|t| t["id"].as_i64().unwrap()));
    }
    let o = outcomes.lock().unwrap();
    let lost: Vec<_> = o.created.iter().filter(|id| !stored.contains(id)).collect();
    assert!(lost.is_empty(), "acknowledged tasks lost: {lost:?}");
    eprintln!("outage test: {} created, {} answered 503", o.created.len(), o.unavailable);
}
