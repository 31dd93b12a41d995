//! `s3mr serve`: one S3 endpoint through which any S3 client — the aws CLI, boto3, DuckDB,
//! pyarrow, polars, s3fs, rclone, s3cmd — reaches buckets in every region.
//!
//! Clients point at the gateway and sign with a key from its keys file ([`Keys`]). The front
//! (s3s) verifies every SigV4 form they send and checks the key's buckets and write right
//! before anything is forwarded; the back (s3s-aws's `Proxy`) sends the request through a
//! [`MultiRegionClient`] to the bucket's region with the gateway's own AWS credentials,
//! learning regions once and sharing them through the client's bucket-region cache. No client
//! ever sees a wrong-region answer, the gateway's credentials, or a routing error in a shape it
//! cannot use.
//!
//! ```no_run
//! # async fn run(client: s3_multi_region::MultiRegionClient) -> Result<(), Box<dyn std::error::Error>> {
//! let keys = s3mr_gateway::Keys::parse(&std::fs::read_to_string("keys.toml")?)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9000").await?;
//! let gateway = s3mr_gateway::Gateway::builder(&client, keys).build()?;
//! let drained = gateway.serve(listener, std::future::pending()).await;
//! println!("{} requests cut by the drain", drained.requests_cut);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod admin;
mod auth;
mod checksum;
mod exchange;
mod forward;
mod front;
mod host;
mod keys;
mod metrics;
mod service;
mod uploads;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use s3_multi_region::MultiRegionClient;
use s3s::service::S3ServiceBuilder;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use front::ACCESS_LOG_TARGET;
pub use keys::{Key, Keys, KeysError, KeysHandle};

use crate::admin::Admin;
use crate::front::{Front, Shared};
use crate::uploads::OpenUploads;

/// Why a gateway could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// A TLS certificate or key file that is missing or not PEM.
    #[error("{path}: {why}")]
    Tls {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// A `--domain` that is not a host name.
    #[error("--domain {domain:?}: {why}")]
    Domain {
        /// The domain as given.
        domain: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// What the gateway accepts at once, and how long it waits for a slow client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Limits {
    /// Client connections open at once; each one beyond is answered 503 SlowDown and closed.
    pub max_connections: usize,
    /// Requests in flight at once; each one beyond is answered 503 SlowDown at once (never
    /// queued: a client retries it with backoff).
    pub max_requests: usize,
    /// A client must send a request's headers (and finish its TLS handshake) within this; an
    /// idle keep-alive connection is closed after it too.
    pub header_timeout: Duration,
    /// The largest XML request body (DeleteObjects, CompleteMultipartUpload, ...): s3s's limit.
    pub max_xml_body: usize,
    /// On shutdown, how long requests in flight may take to finish before they are cut.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            max_requests: 1024,
            header_timeout: Duration::from_secs(20),
            max_xml_body: 20 * 1024 * 1024,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// Builds a [`Gateway`].
pub struct GatewayBuilder {
    client: MultiRegionClient,
    keys: Keys,
    domains: Vec<String>,
    tls: Option<(PathBuf, PathBuf)>,
    limits: Limits,
    admin_elsewhere: bool,
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
}

impl std::fmt::Debug for GatewayBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayBuilder")
            .field("keys", &self.keys.len())
            .field("domains", &self.domains)
            .field("tls", &self.tls)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl GatewayBuilder {
    /// Virtual-hosted requests (`<bucket>.<domain>`) are read under this domain (call it once
    /// per domain); every other Host name is path-style.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domains.push(domain.into());
        self
    }

    /// Serve TLS (rustls with ring, ALPN h2 and http/1.1) with this PEM certificate chain and
    /// private key.
    pub fn tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some((cert.into(), key.into()));
        self
    }

    /// Connection and request limits, timeouts and the drain (defaults: [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Answer the admin endpoints (`/_s3mr/...`) only on [`Gateway::admin`]'s own listener; the
    /// main one then answers them 404.
    pub fn admin_elsewhere(mut self) -> Self {
        self.admin_elsewhere = true;
        self
    }

    /// The gateway's AWS credentials (those of the client's `SdkConfig`), which `readyz`
    /// resolves before it answers 200.
    pub fn credentials(
        mut self,
        provider: aws_credential_types::provider::SharedCredentialsProvider,
    ) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// The gateway, with its TLS files read.
    pub fn build(self) -> Result<Gateway, GatewayError> {
        for domain in &self.domains {
            host::check_domain(domain).map_err(|why| GatewayError::Domain {
                domain: domain.clone(),
                why,
            })?;
        }
        let keys = KeysHandle::new(self.keys);
        let uploads = OpenUploads::default();
        let mut builder = S3ServiceBuilder::new(service::GatewayS3::new(
            &self.client,
            keys.clone(),
            uploads.clone(),
        ));
        builder.set_auth(auth::GatewayAuth(keys.clone()));
        builder.set_access(auth::GatewayAccess(keys.clone()));
        builder.set_host(host::GatewayHost {
            domains: self.domains,
        });
        let mut config = s3s::config::S3Config::default();
        config.xml_max_body_size = self.limits.max_xml_body;
        builder.set_config(Arc::new(s3s::config::StaticConfigProvider::new(Arc::new(
            config,
        ))));
        let tls = match self.tls {
            Some((cert, key)) => Some(tls_acceptor(&cert, &key)?),
            None => None,
        };
        let admin = Arc::new(Admin {
            client: self.client.clone(),
            credentials: self.credentials,
            metrics: metrics::Metrics::new(&self.client),
            draining: Default::default(),
        });
        let shared = Arc::new(Shared {
            s3: builder.build(),
            client: self.client.clone(),
            keys: keys.clone(),
            admin,
            admin_here: !self.admin_elsewhere,
            requests: Some(Arc::new(Semaphore::new(self.limits.max_requests))),
            max_xml_body: self.limits.max_xml_body,
        });
        Ok(Gateway {
            front: Front::new(shared),
            tls,
            connections: Arc::new(Semaphore::new(self.limits.max_connections)),
            limits: self.limits,
            keys,
            uploads,
            client: self.client,
        })
    }
}

fn tls_acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, GatewayError> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let error = |path: &Path, why: String| GatewayError::Tls {
        path: path.to_owned(),
        why,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| error(cert, format!("cannot read a PEM certificate chain: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| error(cert, format!("not a PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(error(cert, "holds no certificate".into()));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| error(key, format!("not a PEM private key: {e}")))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| error(cert, e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(chain, private)
    .map_err(|e| error(key, format!("does not match the certificate: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A gateway ready to serve.
pub struct Gateway {
    front: Front,
    tls: Option<tokio_rustls::TlsAcceptor>,
    connections: Arc<Semaphore>,
    limits: Limits,
    keys: KeysHandle,
    uploads: OpenUploads,
    client: MultiRegionClient,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("tls", &self.tls.is_some())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// How a drain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drained {
    /// Connections still answering a request when the drain timeout passed: cut.
    pub requests_cut: usize,
    /// Multipart uploads started through the gateway and never completed: aborted.
    pub uploads_aborted: usize,
}

/// The admin endpoints on a listener of their own (see [`GatewayBuilder::admin_elsewhere`]).
#[derive(Clone)]
pub struct AdminEndpoint(Arc<Admin>);

impl std::fmt::Debug for AdminEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminEndpoint")
    }
}

impl AdminEndpoint {
    /// Answers `/_s3mr/healthz`, `readyz` and `metrics` on `listener` (plain HTTP/1.1) until
    /// the future is dropped.
    pub async fn serve(self, listener: TcpListener) {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let admin = self.0.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let admin = admin.clone();
                        async move {
                            Ok::<_, std::convert::Infallible>(
                                admin.answer(req.method(), req.uri().path()).await,
                            )
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }
}

impl Gateway {
    /// A gateway forwarding through `client` (its routing, caches, credentials and HTTP
    /// client), for the clients of `keys`.
    pub fn builder(client: &MultiRegionClient, keys: Keys) -> GatewayBuilder {
        GatewayBuilder {
            client: client.clone(),
            keys,
            domains: Vec::new(),
            tls: None,
            limits: Limits::default(),
            admin_elsewhere: false,
            credentials: None,
        }
    }

    /// Whether it serves TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The keys in force, to replace on reload.
    pub fn keys(&self) -> KeysHandle {
        self.keys.clone()
    }

    /// The admin endpoints, to serve on a listener of their own.
    pub fn admin(&self) -> AdminEndpoint {
        AdminEndpoint(self.front.0.admin.clone())
    }

    /// Accepts connections on `listener` until `shutdown` resolves, then drains: the listener
    /// is closed (new connections are refused), `readyz` answers 503, requests in flight may
    /// finish for [`Limits::drain_timeout`] and are cut after it, multipart uploads started here
    /// and never completed are aborted, and pending shared-cache writes are flushed.
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()>) -> Drained {
        tokio::pin!(shutdown);
        let graceful = GracefulShutdown::new();
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            let stream = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        tracing::warn!(%err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            while tasks.try_join_next().is_some() {}
            let _ = stream.set_nodelay(true);
            let permit = self.connections.clone().try_acquire_owned().ok();
            tasks.spawn(connection(
                stream,
                self.front.clone(),
                self.tls.clone(),
                self.limits.header_timeout,
                graceful.watcher(),
                permit,
            ));
        }
        drop(listener);
        let admin = &self.front.0.admin;
        admin.draining.store(true, Ordering::Relaxed);
        let in_flight = admin.metrics.in_flight.get();
        tracing::info!(in_flight, "draining");
        let requests_cut =
            match tokio::time::timeout(self.limits.drain_timeout, graceful.shutdown()).await {
                Ok(()) => 0,
                Err(_) => {
                    let cut = usize::try_from(admin.metrics.in_flight.get()).unwrap_or(0);
                    tasks.abort_all();
                    cut
                }
            };
        while tasks.join_next().await.is_some() {}
        let open = self.uploads.len();
        let uploads_aborted = if open > 0 {
            self.uploads.abort_all(&self.client).await
        } else {
            0
        };
        self.client.flush_cache_writes().await;
        tracing::info!(requests_cut, uploads_aborted, "drained");
        Drained {
            requests_cut,
            uploads_aborted,
        }
    }
}

/// One client connection: TLS (within the header timeout), then HTTP/1.1 or HTTP/2 (ALPN under
/// TLS; plain text is HTTP/1.1), watched by the drain. Without a connection permit every
/// request on it is answered 503 SlowDown and the connection closed.
async fn connection(
    stream: TcpStream,
    front: Front,
    tls: Option<tokio_rustls::TlsAcceptor>,
    header_timeout: Duration,
    watcher: Watcher,
    permit: Option<OwnedSemaphorePermit>,
) {
    let metrics = front.0.admin.metrics.clone();
    let _open = OpenConnection::new(&metrics.connections);
    let front = if permit.is_some() {
        front
    } else {
        metrics
            .rejected
            .get_or_create(&metrics::ReasonLabel {
                reason: "max_connections",
            })
            .inc();
        front.refusing()
    };
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let served = match tls {
        Some(acceptor) => {
            let stream = match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(err)) => {
                    tracing::debug!(%err, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!("TLS handshake timed out");
                    return;
                }
            };
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            let builder = if h2 {
                builder.http2_only()
            } else {
                builder.http1_only()
            };
            watcher
                .watch(builder.serve_connection(TokioIo::new(stream), front))
                .await
        }
        // Plain text is HTTP/1.1 only: S3 clients do not speak h2c, and hyper's HTTP/2
        // preface sniffing would wait without a timeout (HTTP/1.1's header timeout also closes
        // a connection that sends nothing).
        None => {
            watcher
                .watch(
                    builder
                        .http1_only()
                        .serve_connection(TokioIo::new(stream), front),
                )
                .await
        }
    };
    drop(permit);
    if let Err(err) = served {
        tracing::debug!(%err, "connection ended with an error");
    }
}

/// Counts a connection open for as long as its task lives (aborted by the drain included).
struct OpenConnection(prometheus_client::metrics::gauge::Gauge);

impl OpenConnection {
    fn new(gauge: &prometheus_client::metrics::gauge::Gauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}
