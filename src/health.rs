//! `binome health`: asks a running instance whether it is ready (`GET /readyz`: the process
//! answers and its database does), for container health checks that have no shell, curl or
//! wget to lean on (the image has none). Exit status 0 when ready, 1 otherwise.
//!
//! A plain HTTP/1.1 request over a TCP connection with a deadline: the instance is on this
//! machine or in this pod, behind no TLS, so neither the outbound client of `lti::outbound`
//! (whose destination policy is for platforms) nor a TLS stack has any part here.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Why the instance is not known to be ready.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// The URL is not one `binome health` can ask.
    #[error("{0}")]
    Url(String),
    /// Nothing answered in time.
    #[error("cannot reach {addr}: {source}")]
    Unreachable {
        addr: String,
        source: std::io::Error,
    },
    /// It answered, but not "ready".
    #[error("not ready: {0}")]
    NotReady(String),
}

/// The readiness URL of an instance bound to `bind`: the unspecified addresses (`0.0.0.0`,
/// `::`) are reached on loopback.
pub fn url_of_bind(bind: SocketAddr) -> String {
    let ip = match bind.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    };
    format!("http://{ip}:{}/readyz", bind.port())
}

/// Asks `url` (an `http://` URL; its path, `/readyz` when it has none) and returns what the
/// instance said when it answered 200.
pub fn check(url: &str, timeout: Duration) -> Result<String, HealthError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| HealthError::Url(format!("{url:?} is not a URL ({e})")))?;
    if parsed.scheme() != "http" {
        return Err(HealthError::Url(format!(
            "{url:?}: binome health speaks plain http to the instance itself (its bind address), not {}",
            parsed.scheme()
        )));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| HealthError::Url(format!("{url:?} has no host")))?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    let path = match parsed.path() {
        "" | "/" => "/readyz".to_string(),
        p => p.to_string(),
    };
    let deadline = Instant::now() + timeout;
    let addr_text = format!("{host}:{port}");
    let unreachable = |source| HealthError::Unreachable {
        addr: addr_text.clone(),
        source,
    };
    let host_for_lookup = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = (host_for_lookup, port)
        .to_socket_addrs()
        .map_err(unreachable)?
        .collect();
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
    let mut stream = None;
    for a in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        match TcpStream::connect_timeout(&a, left.max(Duration::from_millis(1))) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e,
        }
    }
    let mut stream = stream.ok_or_else(|| unreachable(last))?;
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    stream.set_read_timeout(Some(left)).map_err(unreachable)?;
    stream.set_write_timeout(Some(left)).map_err(unreachable)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: binome-health\r\nConnection: close\r\n\r\n",
        parsed.host_str().unwrap_or("localhost")
    );
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    // The answer is a few bytes; read at most 4 KiB of it.
    let mut answer = Vec::with_capacity(512);
    stream
        .take(4096)
        .read_to_end(&mut answer)
        .map_err(unreachable)?;
    let text = String::from_utf8_lossy(&answer);
    let status_line = text.lines().next().unwrap_or("");
    let status = status_line.split_whitespace().nth(1).unwrap_or("");
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.trim())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();
    if status == "200" {
        Ok(body)
    } else if status.is_empty() {
        Err(HealthError::NotReady(format!(
            "{addr_text} did not answer HTTP"
        )))
    } else {
        Err(HealthError::NotReady(format!("{status} {body}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bind_address_gives_the_url() {
        for (bind, url) in [
            ("0.0.0.0:8080", "http://127.0.0.1:8080/readyz"),
            ("127.0.0.1:9", "http://127.0.0.1:9/readyz"),
            ("[::]:8080", "http://[::1]:8080/readyz"),
            ("[::1]:80", "http://[::1]:80/readyz"),
        ] {
            assert_eq!(url_of_bind(bind.parse().unwrap()), url, "{bind}");
        }
    }

    #[test]
    fn a_closed_port_or_a_wrong_url_is_not_ready() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Nothing listens there any more.
        let e = check(
            &format!("http://127.0.0.1:{port}/readyz"),
            Duration::from_secs(2),
        )
        .unwrap_err();
        assert!(matches!(e, HealthError::Unreachable { .. }), "{e}");
        for bad in ["https://127.0.0.1/readyz", "not a url", "ftp://x/"] {
            assert!(matches!(
                check(bad, Duration::from_secs(1)),
                Err(HealthError::Url(_))
            ));
        }
    }

    #[test]
    fn a_ready_answer_and_a_503() {
        for (answer, ready) in [
            ("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nready", true),
            (
                "HTTP/1.1 503 Service Unavailable\r\n\r\ndatabase unreachable",
                false,
            ),
        ] {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = l.local_addr().unwrap().port();
            let t = std::thread::spawn(move || {
                let (mut s, _) = l.accept().unwrap();
                let mut buf = [0u8; 1024];
                let n = s.read(&mut buf).unwrap();
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                s.write_all(answer.as_bytes()).unwrap();
                req
            });
            let got = check(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2));
            let req = t.join().unwrap();
            assert!(req.starts_with("GET /readyz HTTP/1.1\r\n"), "{req}");
            assert_eq!(got.is_ok(), ready, "{got:?}");
            if let Err(e) = got {
                assert!(e.to_string().contains("503 database unreachable"), "{e}");
            }
        }
    }
}
