//! The answers hyper writes itself, in our error format.
//!
//! hyper refuses a request it cannot parse (a URI over 64 KiB, a header block over its buffer, a
//! malformed header line, two `Content-Length`s) before our service sees it, and answers with an
//! empty body and `connection: close`. Clients branch on `{"error": {"code"}}` everywhere, so the
//! connection's writes are watched for exactly that answer, and its empty body replaced by ours.
//! Nothing else is touched: every error our own service answers carries a body already
//! (`crate::error::shape`), so an empty error answer that closes the connection can only be hyper's.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose writes are watched for hyper's empty error answers.
pub struct ShapedIo<T> {
    inner: T,
    /// A rewritten answer being written: its bytes, how many are out, and the length hyper asked for.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<T> ShapedIo<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self { inner, pending: None }
    }
}

impl<T: AsyncWrite + Unpin> ShapedIo<T> {
    /// Writes the rewritten answer out; ready once all of it is.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written, _)) = &mut self.pending {
            let Some(rest) = bytes.get(*written..) else { break };
            if rest.is_empty() {
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ShapedIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ShapedIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.pending.is_none() {
            match shape(buf) {
                Some(answer) => self.pending = Some((answer, 0, buf.len())),
                None => return Pin::new(&mut self.inner).poll_write(cx, buf),
            }
        }
        ready!(self.drain(cx))?;
        let asked = self.pending.take().map_or(0, |(_, _, asked)| asked);
        Poll::Ready(Ok(asked))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    /// Not vectored, so that hyper writes an answer's head in one piece, where it can be recognised.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

/// Our answer in place of hyper's, if `buf` is exactly one of hyper's empty error answers.
fn shape(buf: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(buf).ok()?;
    let rest = head.strip_prefix("HTTP/1.1 ").or_else(|| head.strip_prefix("HTTP/1.0 "))?;
    let status: u16 = rest.get(..3)?.parse().ok()?;
    if !(400..600).contains(&status) || head.find("\r\n\r\n") != Some(head.len().saturating_sub(4)) {
        return None;
    }
    let lower = head.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") || !lower.contains("\r\nconnection: close\r\n") {
        return None;
    }
    let reason = rest.get(3..)?.split("\r\n").next()?.trim();
    let (code, message) = crate::error::for_status(status, reason);
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    let mut out = String::with_capacity(head.len() + body.len() + 40);
    for line in head.trim_end_matches("\r\n").split("\r\n") {
        if line.eq_ignore_ascii_case("content-length: 0") {
            out.push_str(&format!("content-type: application/json\r\ncontent-length: {}\r\n", body.len()));
        } else {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out.push_str(&body);
    Some(out.into_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[test]
    fn hypers_empty_refusal_gets_our_body() {
        let hyper = b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let shaped = String::from_utf8(shape(hyper).unwrap()).unwrap();
        let (head, body) = shaped.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-type: application/json"));
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "uri_too_long");
    }

    #[test]
    fn everything_else_passes_untouched() {
        for other in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"[..],
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 12\r\n\r\n{\"error\":{}}",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\nextra",
            b"{\"a\": \"HTTP/1.1 400\"}",
            &[0xff, 0xfe],
        ] {
            assert!(shape(other).is_none(), "{}", String::from_utf8_lossy(other));
        }
    }

    #[tokio::test]
    async fn the_connection_writes_the_shaped_answer_in_full() {
        let (client, server) = tokio::io::duplex(16);
        let mut io = ShapedIo { inner: server, pending: None };
        let hyper = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        let reader = tokio::spawn(async move {
            let mut client = client;
            let mut got = Vec::new();
            client.read_to_end(&mut got).await.unwrap();
            got
        });
        io.write_all(hyper).await.unwrap();
        io.write_all(b"").await.unwrap();
        io.shutdown().await.unwrap();
        drop(io);
        let got = String::from_utf8(reader.await.unwrap()).unwrap();
        assert!(got.ends_with(r#"{"error":{"code":"bad_request","message":"Bad Request"}}"#), "{got}");
    }
}
