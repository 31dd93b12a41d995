//! The HTTPS client: hyper + rustls with *ring* (one TLS stack, no aws-lc), honouring the aws
//! CLI's environment conventions — `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` and
//! `AWS_CA_BUNDLE` — which the SDK's own default client ignores (its proxy support is off unless
//! asked for, and it always trusts the platform roots).

use std::path::{Path, PathBuf};

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Why the HTTPS client could not be built. Each names what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpClientError {
    /// The CA bundle (`AWS_CA_BUNDLE` or `--ca-bundle`) could not be read.
    #[error("CA bundle {}: {source}", path.display())]
    CaBundleUnreadable {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The CA bundle holds no certificate a TLS client can trust.
    #[error("CA bundle {}: {reason}", path.display())]
    CaBundleInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A proxy URL that cannot be used.
    #[error("proxy {url}: {reason}")]
    InvalidProxy {
        /// The URL, with any password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

#[derive(Debug, Clone)]
enum Proxy {
    FromEnv,
    Url(String),
    Disabled,
}

/// Builds the HTTPS client the SDK config takes (`aws_config::defaults(..).http_client(..)`).
///
/// ```no_run
/// # fn run() -> Result<(), s3_multi_region::HttpClientError> {
/// // What `s3_multi_region::http_client()` does: the environment decides.
/// let from_env = s3_multi_region::HttpClientBuilder::from_env().build()?;
/// // Or explicitly, as the CLI's --ca-bundle does.
/// let explicit = s3_multi_region::HttpClientBuilder::new()
///     .ca_bundle("/etc/corp/ca.pem")
///     .proxy("http://proxy.corp:3128")
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HttpClientBuilder {
    ca_bundle: Option<PathBuf>,
    proxy: Proxy,
}

impl Default for HttpClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClientBuilder {
    /// No proxy, the platform's root certificates.
    pub fn new() -> Self {
        Self {
            ca_bundle: None,
            proxy: Proxy::Disabled,
        }
    }

    /// As the aws CLI: proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` (and lower-case),
    /// except hosts in `NO_PROXY`; `AWS_CA_BUNDLE`, when set, replaces the platform's roots.
    pub fn from_env() -> Self {
        let ca_bundle = std::env::var_os("AWS_CA_BUNDLE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Self {
            ca_bundle,
            proxy: Proxy::FromEnv,
        }
    }

    /// Trusts only the certificates in this PEM file (the aws CLI's `--ca-bundle`).
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    /// Sends every request through this proxy (`http://host:port`).
    pub fn proxy(mut self, url: &str) -> Self {
        self.proxy = Proxy::Url(url.to_owned());
        self
    }

    /// Builds the client. The CA bundle is read and checked now, so a bad one is this error
    /// rather than a panic inside the connector at the first request.
    pub fn build(self) -> Result<SharedHttpClient, HttpClientError> {
        let tls = match &self.ca_bundle {
            Some(path) => TlsContext::builder()
                .with_trust_store(TrustStore::empty().with_pem_certificate(trusted_pem(path)?))
                .build()
                .map_err(|e| HttpClientError::CaBundleInvalid {
                    path: path.clone(),
                    reason: e.to_string(),
                })?,
            None => TlsContext::default(),
        };
        let proxy = match &self.proxy {
            Proxy::FromEnv => ProxyConfig::from_env(),
            Proxy::Disabled => ProxyConfig::disabled(),
            Proxy::Url(url) => {
                ProxyConfig::all(url.as_str()).map_err(|e| HttpClientError::InvalidProxy {
                    url: crate::cache::redacted_url(url),
                    reason: e.to_string(),
                })?
            }
        };
        // The client-level `Builder` has no proxy setting; the connector's does. Its
        // `build_with_connector_fn` is `#[doc(hidden)]` in aws-smithy-http-client 1.5 — this is
        // the one place we use it, building the connector as its own `build_https` does.
        Ok(
            Builder::new().build_with_connector_fn(move |settings, components| {
                let mut connector = Connector::builder();
                connector.set_connector_settings(settings.cloned());
                if let Some(components) = components {
                    connector.set_sleep_impl(components.sleep_impl());
                }
                connector
                    .proxy_config(proxy.clone())
                    .tls_provider(Provider::Rustls(CryptoMode::Ring))
                    .tls_context(tls.clone())
                    .build()
            }),
        )
    }
}

/// The HTTPS client this crate recommends: rustls with *ring*, proxies and `AWS_CA_BUNDLE` from
/// the environment ([`HttpClientBuilder::from_env`]).
pub fn http_client() -> Result<SharedHttpClient, HttpClientError> {
    HttpClientBuilder::from_env().build()
}

/// The certificates of the PEM bundle at `path` that a TLS client can trust, as PEM. A system
/// bundle may hold a certificate rustls cannot use: it is skipped (smithy would panic on it);
/// a file with none left, or that is not PEM, is an error naming it.
fn trusted_pem(path: &Path) -> Result<Vec<u8>, HttpClientError> {
    let invalid = |reason: String| HttpClientError::CaBundleInvalid {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read(path).map_err(|source| HttpClientError::CaBundleUnreadable {
        path: path.to_owned(),
        source,
    })?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("not a PEM certificate bundle: {e}")))?;
    let mut pem = Vec::new();
    let mut skipped = 0;
    for cert in &certs {
        let mut probe = rustls::RootCertStore::empty();
        if probe.add(cert.clone()).is_err() {
            skipped += 1;
            continue;
        }
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        let encoded = aws_smithy_types::base64::encode(cert.as_ref());
        for line in encoded.as_bytes().chunks(64) {
            pem.extend_from_slice(line);
            pem.push(b'\n');
        }
        pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    if pem.is_empty() {
        return Err(invalid(if certs.is_empty() {
            "no certificate in the file".to_owned()
        } else {
            format!("none of its {} certificates can be used", certs.len())
        }));
    }
    if skipped > 0 {
        tracing::warn!(path = %path.display(), skipped, "CA bundle: skipped certificates rustls cannot use");
    }
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn bad_bundles_are_errors_naming_the_file() {
        let missing = HttpClientBuilder::new()
            .ca_bundle("/nonexistent/ca.pem")
            .build()
            .unwrap_err();
        assert!(matches!(
            missing,
            HttpClientError::CaBundleUnreadable { .. }
        ));
        assert!(
            missing.to_string().contains("/nonexistent/ca.pem"),
            "{missing}"
        );

        for text in [
            "",
            "not a certificate at all",
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        ] {
            let file = bundle(text);
            let err = HttpClientBuilder::new()
                .ca_bundle(file.path())
                .build()
                .unwrap_err();
            assert!(
                matches!(err, HttpClientError::CaBundleInvalid { .. }),
                "{text:?}: {err}"
            );
            assert!(err.to_string().contains(&file.path().display().to_string()));
        }
    }

    #[test]
    fn the_system_bundle_loads() {
        // Hundreds of certificates, as AWS_CA_BUNDLE often names.
        for path in [
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt",
        ] {
            if Path::new(path).exists() {
                let pem = trusted_pem(Path::new(path)).unwrap();
                assert!(CertificateDer::pem_slice_iter(&pem).count() > 50);
                HttpClientBuilder::new().ca_bundle(path).build().unwrap();
            }
        }
    }

    #[test]
    fn proxy_urls_are_checked_and_never_echo_a_password() {
        let err = HttpClientBuilder::new()
            .proxy("http://user:s3cret@[::1")
            .build()
            .unwrap_err();
        assert!(matches!(err, HttpClientError::InvalidProxy { .. }), "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}
