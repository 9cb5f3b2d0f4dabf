//! The TLS transport: libvirt's PKI files, the handshake with rustls, the
//! daemon's one-byte confirmation, and a stream the multiplexed client can
//! read on one thread while other threads write.
//!
//! `tls_priority` is a GnuTLS priority string; rustls has no equivalent, so
//! it is accepted and ignored (rustls' safe defaults, TLS 1.2 and 1.3, apply).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::client::Channel;
use super::command::NoSigpipe;
use crate::abi::*;
use crate::error::{Error, Result};

/// Where the CA certificate, our certificate and our key are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiFiles {
    /// The CA certificate(s) the server must chain to.
    pub ca: PathBuf,
    /// Our certificate (optional: the daemon decides whether it needs one).
    pub cert: PathBuf,
    /// Our private key.
    pub key: PathBuf,
}

impl PkiFiles {
    /// libvirt's choice: `pkipath=DIR` if given; else for root the system
    /// paths; else `$HOME/.pki/libvirt/`, falling back to the system CA when
    /// the user has none and to the system pair when the user's is incomplete.
    pub fn locate(pkipath: Option<&str>, root: bool, home: Option<&str>) -> PkiFiles {
        if let Some(dir) = pkipath {
            let d = Path::new(dir);
            return PkiFiles {
                ca: d.join("cacert.pem"),
                cert: d.join("clientcert.pem"),
                key: d.join("clientkey.pem"),
            };
        }
        let system = PkiFiles {
            ca: "/etc/pki/CA/cacert.pem".into(),
            cert: "/etc/pki/libvirt/clientcert.pem".into(),
            key: "/etc/pki/libvirt/private/clientkey.pem".into(),
        };
        let Some(home) = home.filter(|_| !root) else {
            return system;
        };
        let user = Path::new(home).join(".pki/libvirt");
        let mut files = system;
        if user.join("cacert.pem").exists() {
            files.ca = user.join("cacert.pem");
        }
        if user.join("clientcert.pem").exists() && user.join("clientkey.pem").exists() {
            files.cert = user.join("clientcert.pem");
            files.key = user.join("clientkey.pem");
        }
        files
    }
}

/// What the TLS transport needs besides host and port.
pub struct TlsOptions {
    /// The PKI files.
    pub files: PkiFiles,
    /// `no_verify`: do not check the server's certificate.
    pub no_verify: bool,
    /// `no_sanity`: do not check our own certificate against the CA.
    pub no_sanity: bool,
}

fn system_error(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_RPC, VIR_ERR_SYSTEM_ERROR, detail)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// GnuTLS's wording for why a certificate did not verify, which libvirt
/// puts in its messages.
fn reason(e: &rustls::Error) -> &'static str {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "The certificate hasn't got a known issuer."
        }
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "The certificate chain uses expired certificate.",
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => "The certificate chain uses not yet valid certificate.",
        _ => "The certificate is NOT trusted.",
    }
}

/// The CA certificates, as libvirt reads them before anything else.
fn load_ca(path: &Path) -> Result<RootCertStore> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| {
        Error::system(
            VIR_FROM_RPC,
            e.raw_os_error().unwrap_or(libc::EIO),
            format!("Cannot read CA certificate '{shown}'"),
        )
    })?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|_| system_error(format!("Unable to import CA certificate list {shown}")))?;
        roots
            .add(cert)
            .map_err(|_| system_error(format!("Unable to import CA certificate list {shown}")))?;
    }
    if roots.is_empty() {
        return Err(system_error(format!(
            "Unable to import CA certificate list {shown}"
        )));
    }
    Ok(roots)
}

/// Our certificate chain and key, when both files exist (without them the
/// handshake goes ahead and the daemon decides).
fn load_identity(files: &PkiFiles) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>> {
    if !files.cert.exists() || !files.key.exists() {
        return Ok(None);
    }
    let bad = || {
        system_error(format!(
            "Unable to set x509 key and certificate: {}, {}: The requested data were not available.",
            files.key.display(),
            files.cert.display()
        ))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|_| bad())?
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| bad())?;
    if certs.is_empty() {
        return Err(bad());
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|_| bad())?;
    Ok(Some((certs, key)))
}

/// libvirt's sanity check: our own certificate must chain to the CA we
/// trust, or the daemon (sharing that CA) would refuse it anyway.
fn check_own_cert(
    files: &PkiFiles,
    roots: &Arc<RootCertStore>,
    certs: &[CertificateDer<'static>],
) -> Result<()> {
    let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider())
        .build()
        .map_err(|e| {
            system_error(format!(
                "Unable to check certificate {}: {e}",
                files.cert.display()
            ))
        })?;
    verifier
        .verify_client_cert(&certs[0], &certs[1..], UnixTime::now())
        .map(|_| ())
        .map_err(|e| {
            system_error(format!(
                "Our own certificate {} failed validation against {}: {}",
                files.cert.display(),
                files.ca.display(),
                reason(&e)
            ))
        })
}

/// `no_verify=1`: any server certificate is accepted, but the handshake
/// signatures are still checked so the session keys are the server's.
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Reads the PKI files and checks our certificate: everything that can fail
/// before a connection is made.
pub fn config(opts: &TlsOptions) -> Result<Arc<ClientConfig>> {
    let roots = Arc::new(load_ca(&opts.files.ca)?);
    let identity = load_identity(&opts.files)?;
    if let (Some((certs, _)), false) = (&identity, opts.no_sanity) {
        check_own_cert(&opts.files, &roots, certs)?;
    }
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(VIR_FROM_RPC, format!("TLS setup failed: {e}")))?;
    let builder = if opts.no_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
    } else {
        let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| Error::internal(VIR_FROM_RPC, format!("TLS setup failed: {e}")))?;
        builder.with_webpki_verifier(verifier)
    };
    let config = match identity {
        Some((certs, key)) => builder.with_client_auth_cert(certs, key).map_err(|e| {
            system_error(format!(
                "Unable to set x509 key and certificate: {}, {}: {e}",
                opts.files.key.display(),
                opts.files.cert.display()
            ))
        })?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Why the handshake or the confirmation failed, in libvirt's words.
fn handshake_error(e: &io::Error) -> Error {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::InvalidCertificate(_)) => Error::with(
            VIR_FROM_RPC,
            VIR_ERR_AUTH_FAILED,
            "Failed to verify peer's certificate",
        ),
        Some(other) => system_error(format!("TLS handshake failed {other}")),
        None => Error::io(VIR_FROM_RPC, e, "TLS handshake failed"),
    }
}

/// Connects TLS over `sock` to `host`, waits for the daemon's confirmation
/// that it accepted our certificate, and hands back the stream's halves.
pub fn connect(sock: TcpStream, host: &str, config: Arc<ClientConfig>) -> Result<Channel> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| Error::invalid_arg(VIR_FROM_RPC, format!("invalid TLS server name '{host}'")))?;
    let mut conn = ClientConnection::new(config, name)
        .map_err(|e| Error::internal(VIR_FROM_RPC, format!("TLS setup failed: {e}")))?;
    let mut s = &sock;
    while conn.is_handshaking() {
        conn.complete_io(&mut s).map_err(|e| handshake_error(&e))?;
    }
    // The daemon checks our certificate once the handshake is done and says
    // so with one byte, 1 meaning accepted; a refusal closes the connection.
    let confirm_failed = || Error::system(VIR_FROM_RPC, libc::EIO, "Unable to read TLS confirmation");
    let mut byte = [0u8; 1];
    loop {
        match conn.reader().read(&mut byte) {
            Ok(1) => break,
            Ok(_) => return Err(confirm_failed()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return Err(confirm_failed()),
        }
        match conn.complete_io(&mut s) {
            Ok((0, 0)) | Err(_) => return Err(confirm_failed()),
            Ok(_) => {}
        }
    }
    if byte[0] != 1 {
        return Err(Error::with(
            VIR_FROM_RPC,
            VIR_ERR_RPC,
            "server verification (of our certificate or IP address) failed",
        ));
    }
    let shared = Arc::new(Shared {
        conn: Mutex::new(conn),
        sock,
    });
    let closer = shared.clone();
    Ok(Channel {
        reader: Box::new(TlsReader {
            shared: shared.clone(),
            raw: vec![0; 16 * 1024],
            pending: 0..0,
        }),
        writer: Box::new(TlsWriter { shared }),
        shutdown: Box::new(move || {
            let _ = closer.sock.shutdown(Shutdown::Both);
        }),
    })
}

/// The session and its socket.  The reader waits on the socket without the
/// lock, so writers are never held up by a read in progress; every use of
/// the session, and every write to the socket, holds it.
struct Shared {
    conn: Mutex<ClientConnection>,
    sock: TcpStream,
}

impl Shared {
    /// Sends whatever records the session has queued.
    fn flush_records(&self, conn: &mut ClientConnection) -> io::Result<()> {
        let mut s = NoSigpipe(&self.sock);
        while conn.wants_write() {
            conn.write_tls(&mut s)?;
        }
        Ok(())
    }
}

/// The receiving half: ciphertext read from the socket is kept in `raw` and
/// fed to the session only as fast as its plaintext is consumed.
struct TlsReader {
    shared: Arc<Shared>,
    raw: Vec<u8>,
    pending: std::ops::Range<usize>,
}

impl Read for TlsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut conn = self.shared.conn.lock();
            match conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if self.pending.is_empty() {
                drop(conn);
                let n = (&self.shared.sock).read(&mut self.raw)?;
                if n == 0 {
                    return Ok(0);
                }
                self.pending = 0..n;
                continue;
            }
            let mut slice = &self.raw[self.pending.clone()];
            let used = conn.read_tls(&mut slice)?;
            self.pending.start += used;
            conn.process_new_packets()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            self.shared.flush_records(&mut conn)?;
        }
    }
}

/// The sending half.
struct TlsWriter {
    shared: Arc<Shared>,
}

impl Write for TlsWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut conn = self.shared.conn.lock();
        let n = conn.writer().write(buf)?;
        self.shared.flush_records(&mut conn)?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut conn = self.shared.conn.lock();
        self.shared.flush_records(&mut conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkipath_names_the_three_files() {
        let f = PkiFiles::locate(Some("/x/pki"), false, Some("/home/u"));
        assert_eq!(f.ca, Path::new("/x/pki/cacert.pem"));
        assert_eq!(f.cert, Path::new("/x/pki/clientcert.pem"));
        assert_eq!(f.key, Path::new("/x/pki/clientkey.pem"));
    }

    #[test]
    fn root_uses_the_system_paths() {
        let f = PkiFiles::locate(None, true, Some("/root"));
        assert_eq!(f.ca, Path::new("/etc/pki/CA/cacert.pem"));
        assert_eq!(f.cert, Path::new("/etc/pki/libvirt/clientcert.pem"));
        assert_eq!(f.key, Path::new("/etc/pki/libvirt/private/clientkey.pem"));
    }

    #[test]
    fn a_user_falls_back_per_file_to_the_system_paths() {
        let home = std::env::temp_dir().join(format!("virt-tls-home-{}", std::process::id()));
        let dir = home.join(".pki/libvirt");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cacert.pem"), "").unwrap();
        std::fs::write(dir.join("clientcert.pem"), "").unwrap();
        let f = PkiFiles::locate(None, false, home.to_str());
        assert_eq!(f.ca, dir.join("cacert.pem"));
        // No user key: the certificate and key both come from the system.
        assert_eq!(f.cert, Path::new("/etc/pki/libvirt/clientcert.pem"));
        std::fs::write(dir.join("clientkey.pem"), "").unwrap();
        let f = PkiFiles::locate(None, false, home.to_str());
        assert_eq!(f.key, dir.join("clientkey.pem"));
        std::fs::remove_dir_all(&home).unwrap();
    }
}
