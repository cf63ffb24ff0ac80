//! A raw HTTP/1.1 client over a TCP socket, for requests no well-behaved client sends: repeated
//! headers, line folds, conflicting framing, paced (slowloris) writes, bodies far over a limit.
//!
//! A request is a list of writes, each followed by a pause; the response is read concurrently,
//! so an early answer (413 after the headers, 408 mid-body) is seen even while the client is still
//! writing. Write errors after the server closed are expected and ignored.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A parsed response.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Time from connect to the complete response.
    pub elapsed: Duration,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One write and the pause after it.
pub type Step = (Vec<u8>, Duration);

/// Sends `steps` to `addr` (`host:port`) and reads one response, all within `limit`.
pub async fn exchange(
    addr: &str,
    steps: Vec<Step>,
    limit: Duration,
) -> Result<RawResponse, String> {
    let started = Instant::now();
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        for (bytes, pause) in steps {
            if wr.write_all(&bytes).await.is_err() {
                return;
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        // Keep the write half open: closing it would end slow requests early.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(wr);
    });
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            if let Some(resp) = parse(&buf, false) {
                return Ok(resp);
            }
            match rd.read(&mut chunk).await {
                Ok(0) => return parse(&buf, true).ok_or_else(|| closed(&buf)),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) => {
                    return parse(&buf, true)
                        .ok_or_else(|| format!("read: {e} ({})", closed(&buf)));
                }
            }
        }
    };
    let out = tokio::time::timeout(limit, read).await;
    writer.abort();
    match out {
        Ok(Ok(mut r)) => {
            r.elapsed = started.elapsed();
            Ok(r)
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("no response within {limit:?}")),
    }
}

fn closed(buf: &[u8]) -> String {
    format!("connection closed after {} response bytes", buf.len())
}

/// Parses a complete response from `buf`; `eof` allows a body delimited by the close.
fn parse(buf: &[u8], eof: bool) -> Option<RawResponse> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let body = &buf[end + 4..];
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let body = match len {
        Some(n) if body.len() >= n => body[..n].to_vec(),
        Some(_) => return None,
        None if eof => body.to_vec(),
        None => return None,
    };
    Some(RawResponse {
        status,
        headers,
        body,
        elapsed: Duration::ZERO,
    })
}

/// `POST path` with `Connection: close`, the given headers (in order, repeats allowed) and a
/// `Content-Length` body.
pub fn post(path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = head(path, headers);
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// Request line, `Host`, `Connection: close` and `headers`, without the final blank line.
pub fn head(path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.into_bytes()
}

/// `body` as `Transfer-Encoding: chunked` pieces of `chunk` bytes, with the terminating chunk.
pub fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / chunk.max(1) * 8 + 8);
    for piece in body.chunks(chunk.max(1)) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
