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
//! gateway.serve(listener, std::future::pending()).await;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod auth;
mod checksum;
mod forward;
mod host;
mod keys;
mod service;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use s3_multi_region::MultiRegionClient;
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::TcpListener;

pub use keys::{Key, Keys, KeysError};

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
}

/// Builds a [`Gateway`].
pub struct GatewayBuilder {
    client: MultiRegionClient,
    keys: Keys,
    domain: Option<String>,
    tls: Option<(PathBuf, PathBuf)>,
}

impl std::fmt::Debug for GatewayBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayBuilder")
            .field("keys", &self.keys.len())
            .field("domain", &self.domain)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl GatewayBuilder {
    /// Virtual-hosted requests (`<bucket>.<domain>`) are read under this domain; without one,
    /// every request is path-style, and a Host outside it is refused.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Serve TLS (rustls with ring, ALPN h2 and http/1.1) with this PEM certificate chain and
    /// private key.
    pub fn tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some((cert.into(), key.into()));
        self
    }

    /// The gateway, with its TLS files read.
    pub fn build(self) -> Result<Gateway, GatewayError> {
        let keys = Arc::new(self.keys);
        let mut builder =
            S3ServiceBuilder::new(service::GatewayS3::new(&self.client, keys.clone()));
        builder.set_auth(auth::GatewayAuth(keys.clone()));
        builder.set_access(auth::GatewayAccess(keys));
        builder.set_host(host::GatewayHost {
            domain: self.domain,
        });
        let tls = match self.tls {
            Some((cert, key)) => Some(tls_acceptor(&cert, &key)?),
            None => None,
        };
        Ok(Gateway {
            service: builder.build(),
            tls,
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
    service: S3Service,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway forwarding through `client` (its routing, caches, credentials and HTTP
    /// client), for the clients of `keys`.
    pub fn builder(client: &MultiRegionClient, keys: Keys) -> GatewayBuilder {
        GatewayBuilder {
            client: client.clone(),
            keys,
            domain: None,
            tls: None,
        }
    }

    /// Whether it serves TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Accepts connections on `listener` until `shutdown` resolves (connections in progress
    /// are then left to finish on their own tasks).
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let (stream, _) = tokio::select! {
                () = &mut shutdown => return,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        tracing::warn!(%err, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let (service, tls) = (self.service.clone(), self.tls.clone());
            tokio::spawn(async move {
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let served = match tls {
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(stream) => {
                            builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await
                        }
                        Err(err) => {
                            tracing::debug!(%err, "TLS handshake failed");
                            return;
                        }
                    },
                    None => {
                        builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                    }
                };
                if let Err(err) = served {
                    tracing::debug!(%err, "connection ended with an error");
                }
            });
        }
    }
}
