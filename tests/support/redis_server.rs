//! A real `redis-server` for tests, on a free loopback port, with AOF on in a temporary dir.
//!
//! The server runs under a tiny `sh` watchdog that holds the server's pid and kills it
//! (`kill -9 <pid>`) when its stdin closes — on `Drop`, on `kill9()`, and also when the test
//! process itself dies, so no server outlives the tests. Set `REDIS_SERVER_BIN` to use another
//! binary. If the binary is missing, [`RedisServer::start`] panics with a clear message, unless
//! `PHI_GUARD_SKIP_REDIS=1` is set: then it prints a loud skip notice and returns `None`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// Watchdog: start redis in the background, print its pid, kill it when stdin closes.
const WATCHDOG: &str = r#""$0" "$@" &
rp=$!
echo "$rp"
read _ignored
kill -9 "$rp" 2>/dev/null
wait "$rp" 2>/dev/null
exit 0"#;

pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    running: Option<Running>,
}

struct Running {
    watchdog: Child,
    stdin: Option<ChildStdin>,
    pid: u32,
}

fn binary() -> PathBuf {
    std::env::var_os("REDIS_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("redis-server"))
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0 to find a free port")
}

/// Sends one inline command and returns the first reply line, if any.
fn send(port: u16, cmd: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(
        &(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_millis(200),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_millis(500))).ok()?;
    s.write_all(format!("{cmd}\r\n").as_bytes()).ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    Some(line.trim_end().to_string())
}

impl RedisServer {
    /// Starts a server, or returns `None` when `PHI_GUARD_SKIP_REDIS=1` and no binary exists.
    pub fn start() -> Option<Self> {
        let bin = binary();
        let found = Command::new(&bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            if std::env::var("PHI_GUARD_SKIP_REDIS").as_deref() == Ok("1") {
                eprintln!(
                    "\n!!!!!!!! SKIPPING REDIS TESTS: `{}` not found and PHI_GUARD_SKIP_REDIS=1 !!!!!!!!\n",
                    bin.display()
                );
                return None;
            }
            panic!(
                "`{}` not found: install it (`apt-get install -y redis-server`), set \
                 REDIS_SERVER_BIN, or set PHI_GUARD_SKIP_REDIS=1 to skip the Redis tests",
                bin.display()
            );
        }
        let mut last_err = String::new();
        for _ in 0..5 {
            let mut server = RedisServer {
                port: free_port(),
                dir: tempfile::tempdir().expect("temp dir for redis"),
                running: None,
            };
            match server.launch() {
                Ok(()) => return Some(server),
                Err(e) => last_err = e,
            }
        }
        panic!("could not start redis-server: {last_err}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn launch(&mut self) -> Result<(), String> {
        let bin = binary();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg(&bin)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "yes"])
            // Tests kill the server with SIGKILL: fsync every write so that acknowledged
            // writes must survive (production: `everysec` or `always`, see store::redis).
            .args(["--appendfsync", "always"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--logfile", "redis.log"])
            .args(["--daemonize", "no"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawn sh: {e}"))?;
        let mut out = child.stdout.take().expect("piped stdout");
        let mut pid_line = String::new();
        let mut buf = [0u8; 1];
        while out.read(&mut buf).map_err(|e| e.to_string())? == 1 && buf[0] != b'\n' {
            pid_line.push(buf[0] as char);
        }
        let pid: u32 = pid_line
            .trim()
            .parse()
            .map_err(|_| format!("watchdog printed no pid: {pid_line:?}"))?;
        let stdin = child.stdin.take();
        self.running = Some(Running {
            watchdog: child,
            stdin,
            pid,
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if send(self.port, "PING").as_deref() == Some("+PONG") {
                return Ok(());
            }
            if let Some(r) = self.running.as_mut()
                && matches!(r.watchdog.try_wait(), Ok(Some(_)))
            {
                self.running = None;
                let log =
                    std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default();
                return Err(format!(
                    "redis-server exited on port {}: {}",
                    self.port,
                    log.lines().last().unwrap_or("")
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill9();
        Err(format!(
            "redis-server on port {} did not answer PING",
            self.port
        ))
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.running.as_ref().map(|r| r.pid)
    }

    /// Graceful stop: `SHUTDOWN` (Redis flushes its AOF), then reap the watchdog.
    pub fn stop(&mut self) {
        if self.running.is_none() {
            return;
        }
        let _ = send(self.port, "SHUTDOWN");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && send(self.port, "PING").is_some() {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill9();
    }

    /// Crash: `kill -9` the server by pid (via the watchdog) and reap it.
    pub fn kill9(&mut self) {
        if let Some(mut r) = self.running.take() {
            drop(r.stdin.take());
            let _ = r.watchdog.wait();
        }
    }

    /// Stops gracefully and starts again on the same port and directory (AOF data survives).
    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
    }

    /// `kill -9`, then starts again on the same port and directory.
    pub fn crash_restart(&mut self) {
        self.kill9();
        self.start_again();
    }

    fn start_again(&mut self) {
        let mut last = String::new();
        for _ in 0..20 {
            match self.launch() {
                Ok(()) => return,
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("could not restart redis-server: {last}");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill9();
    }
}
