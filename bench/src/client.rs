//! One keep-alive HTTP/1.1 connection per simulated client, sending POSTs: GraphQL
//! documents, or RFC 7662 introspection forms.
use std::net::SocketAddr;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, StatusCode, client::conn::http1::SendRequest, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub struct Connection {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

/// A response worth looking at: the status and the whole body.
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Answer {
    /// A 200 whose body carries no GraphQL `errors`.
    pub fn is_ok(&self) -> bool {
        self.status == StatusCode::OK && !contains(&self.body, b"\"errors\"")
    }

    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        Ok(serde_json::from_slice(&self.body)?)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP handshake")?;
        tokio::spawn(connection);
        Ok(Self { addr, sender })
    }

    /// POSTs a GraphQL body.
    pub async fn post(&mut self, body: &Bytes, bearer: Option<&str>) -> anyhow::Result<Answer> {
        self.send("/graphql", "application/json", body, bearer)
            .await
    }

    /// POSTs a form to `path`; reconnects once if the server closed the connection.
    pub async fn post_form(
        &mut self,
        path: &str,
        body: &Bytes,
        bearer: &str,
    ) -> anyhow::Result<Answer> {
        self.send(
            path,
            "application/x-www-form-urlencoded",
            body,
            Some(bearer),
        )
        .await
    }

    async fn send(
        &mut self,
        path: &str,
        content_type: &str,
        body: &Bytes,
        bearer: Option<&str>,
    ) -> anyhow::Result<Answer> {
        if self.sender.ready().await.is_err() {
            *self = Self::open(self.addr).await?;
        }
        let mut request = Request::post(path)
            .header(header::HOST, self.addr.to_string())
            .header(header::CONTENT_TYPE, content_type);
        if let Some(token) = bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = self
            .sender
            .send_request(request.body(Full::new(body.clone()))?)
            .await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Answer { status, body })
    }
}

/// A GraphQL request body.
pub fn graphql(query: &str, variables: serde_json::Value) -> Bytes {
    Bytes::from(serde_json::json!({ "query": query, "variables": variables }).to_string())
}
