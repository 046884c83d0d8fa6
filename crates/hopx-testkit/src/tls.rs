//! `tls` mode: an HTTPS front for a plain-HTTP upstream, with a throwaway CA made at start.
//!
//! Tests use it to check that the SDK verifies certificates against a custom CA (and fails
//! without it) and negotiates HTTP/2 by ALPN. The CA is written to `--ca-out` so that the
//! test can hand it to the client; nothing touches the system trust store. The private
//! keys only ever live in this process's memory.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::http1;

pub struct State {
    client: reqwest::Client,
    upstream: String,
    acceptor: TlsAcceptor,
    http1_only: bool,
    handshakes: AtomicU64,
    log: Mutex<Vec<LogEntry>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("upstream", &self.upstream)
            .field("http1_only", &self.http1_only)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize)]
struct LogEntry {
    method: String,
    path: String,
    /// As hyper names it: "HTTP/2.0" or "HTTP/1.1".
    version: String,
}

#[derive(Debug, Serialize)]
struct LogResponse {
    requests: Vec<LogEntry>,
    handshakes: u64,
}

impl State {
    /// Makes the CA and leaf, writes the CA to `ca_out` and returns the state with the
    /// absolute CA path (for the ready line).
    pub fn new(
        upstream: &str,
        ca_out: &Path,
        http1_only: bool,
    ) -> Result<(Arc<Self>, PathBuf), String> {
        let upstream = http1::upstream_base(upstream)?;
        let (ca_pem, chain, key) =
            make_certificates().map_err(|e| format!("cannot generate certificates: {e}"))?;
        std::fs::write(ca_out, ca_pem)
            .map_err(|e| format!("cannot write the CA to {}: {e}", ca_out.display()))?;
        let ca_path = std::path::absolute(ca_out).unwrap_or_else(|_| ca_out.to_owned());

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
            .map_err(|e| format!("cannot configure TLS: {e}"))?;
        config.alpn_protocols = if http1_only {
            vec![b"http/1.1".to_vec()]
        } else {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        };

        let state = Self {
            client: http1::forwarding_client()?,
            upstream,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            http1_only,
            handshakes: AtomicU64::new(0),
            log: Mutex::default(),
        };
        Ok((Arc::new(state), ca_path))
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Vec<LogEntry>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A CA ("hopx-testkit CA") and a leaf for `localhost` and 127.0.0.1 signed by it: the CA
/// PEM, the leaf chain and the leaf key.
fn make_certificates()
-> Result<(String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "hopx-testkit CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate()?;
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_owned()])?;
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let leaf_cert = leaf_params.signed_by(&leaf_key, &issuer)?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    Ok((ca_cert.pem(), vec![leaf_cert.der().clone()], key))
}

pub async fn serve(listener: TcpListener, state: Arc<State>) {
    http1::accept_loop(listener, move |stream| {
        let state = Arc::clone(&state);
        async move {
            // Failed handshakes (e.g. a client that does not trust the CA) just end here.
            let Ok(tls) = state.acceptor.accept(stream).await else {
                return;
            };
            state.handshakes.fetch_add(1, Ordering::Relaxed);
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            if state.http1_only {
                builder = builder.http1_only();
            }
            let service = hyper::service::service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(&state, request).await) }
            });
            let _ = builder.serve_connection(TokioIo::new(tls), service).await;
        }
    })
    .await;
}

async fn handle(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    if path == "/__tls/log" {
        let body = LogResponse {
            requests: state.log().clone(),
            handshakes: state.handshakes.load(Ordering::Relaxed),
        };
        return json(200, &body);
    }
    state.log().push(LogEntry {
        method: request.method().to_string(),
        path: path.clone(),
        version: format!("{:?}", request.version()),
    });

    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let url = format!("{}{}", state.upstream, path_and_query);
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return json(
                400,
                &serde_json::json!({ "error": "cannot read the request body" }),
            );
        }
    };
    // Over HTTP/2 the body has no framing header; reqwest needs to know there is one only
    // when there are bytes (or the client said so), as for HTTP/1.1.
    let has_body = !body.is_empty()
        || parts.headers.contains_key(hyper::header::CONTENT_LENGTH)
        || parts.headers.contains_key(hyper::header::TRANSFER_ENCODING);
    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    let forwarded = http1::forward(
        &state.client,
        parts.method.as_str(),
        &url,
        headers.iter().copied(),
        has_body.then(|| body.to_vec()),
    )
    .await;
    match forwarded {
        Ok(f) => {
            let mut response = Response::new(Full::new(f.body));
            *response.status_mut() =
                hyper::StatusCode::from_u16(f.status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
            let out = response.headers_mut();
            for (name, value) in &f.headers {
                if let (Ok(name), Ok(value)) = (
                    hyper::header::HeaderName::from_bytes(name.as_bytes()),
                    hyper::header::HeaderValue::from_bytes(value),
                ) {
                    out.append(name, value);
                }
            }
            response
        }
        Err(e) => json(
            502,
            &serde_json::json!({ "error": format!("hopx-testkit: upstream: {e}") }),
        ),
    }
}

fn json(status: u16, value: &impl Serialize) -> Response<Full<Bytes>> {
    // Serializing our own plain structs cannot fail; an empty body would show if it did.
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}
