//! TLS for the real-hostnames mode: a test CA made at start (or the user's certificate), and a
//! rustls acceptor for every region listener.
//!
//! The CA and the server certificate are separate, since webpki refuses a CA certificate used as a
//! server's own. The leaf is ECDSA P-256, which smithy's restricted cipher list accepts.

use std::path::Path;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

use crate::EmulatorError;

/// Where the server certificate comes from.
#[derive(Debug, Clone)]
pub enum TlsSource {
    /// A test CA and a leaf signed by it, made at start for every S3 hostname of the regions
    /// served; clients trust [`crate::Emulator::ca_pem`].
    Generated,
    /// A certificate chain and private key from PEM files.
    Files {
        /// The certificate chain (leaf first).
        cert: std::path::PathBuf,
        /// The private key.
        key: std::path::PathBuf,
    },
}

pub(crate) struct Tls {
    pub(crate) acceptor: tokio_rustls::TlsAcceptor,
    /// The CA's certificate in PEM, when the emulator made it.
    pub(crate) ca_pem: Option<String>,
}

fn tls_error(message: impl std::fmt::Display) -> EmulatorError {
    EmulatorError::Tls(message.to_string())
}

/// A CA and a leaf for `names`: (CA PEM, leaf chain, leaf key).
fn generate(
    names: Vec<String>,
) -> Result<(String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), EmulatorError> {
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "s3mr-emulator test CA");
    let ca_key = KeyPair::generate().map_err(tls_error)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(tls_error)?;
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(names).map_err(tls_error)?;
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, "s3mr-emulator");
    let leaf_key = KeyPair::generate().map_err(tls_error)?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(tls_error)?;
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).map_err(tls_error)?;
    Ok((ca_cert.pem(), vec![leaf_cert.der().clone()], key))
}

fn from_files(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), EmulatorError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| tls_error(format!("{}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(tls_error(format!("{}: no certificate", cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| tls_error(format!("{}: {e}", key.display())))?;
    Ok((chain, key))
}

pub(crate) fn setup(source: &TlsSource, names: Vec<String>) -> Result<Tls, EmulatorError> {
    let (ca_pem, chain, key) = match source {
        TlsSource::Generated => {
            let (ca, chain, key) = generate(names)?;
            (Some(ca), chain, key)
        }
        TlsSource::Files { cert, key } => {
            let (chain, key) = from_files(cert, key)?;
            (None, chain, key)
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_error)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        ca_pem,
    })
}
