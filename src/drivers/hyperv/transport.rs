//! Posting WS-Man documents with the connection's authentication: HTTP
//! Basic (what libvirt's driver does; Windows needs Basic and, over HTTP,
//! unencrypted traffic allowed for it), or NTLM behind `Negotiate` (what
//! Windows allows by default), with the body sealed when the transport is
//! plain HTTP.  Unless told, the client starts with Basic and moves to NTLM
//! when the server refuses Basic and offers Negotiate.

use parking_lot::Mutex;

use super::wsman::base64;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::net::ntlm::{self, ClientNonces, Session};
use crate::net::{HttpClient, HttpResponse};

/// Which authentication scheme to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Basic first, NTLM when the server offers only Negotiate.
    Auto,
    /// HTTP Basic only.
    Basic,
    /// NTLM (Negotiate) only.
    Ntlm,
}

/// User name and password, and the scheme.
#[derive(Clone)]
pub struct Credentials {
    /// User name (`DOMAIN\user` names a domain account).
    pub user: String,
    /// Password.
    pub password: String,
    /// The scheme.
    pub scheme: Scheme,
}

struct State {
    /// True once Basic was refused for NTLM (or NTLM was asked for).
    ntlm: bool,
    session: Option<Session>,
}

/// Sends documents to one endpoint with one set of credentials.
pub struct Transport {
    http: HttpClient,
    url: String,
    creds: Credentials,
    encrypt: bool,
    /// NTLM binds to the TCP connection: one request at a time.
    state: Mutex<State>,
}

/// Standard base64 decoding; None on bad input.
pub fn unbase64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.trim().trim_end_matches('=').bytes() {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn offers(reply: &HttpResponse, scheme: &str) -> bool {
    reply.authenticate.iter().any(|h| {
        h.split(',').any(|part| {
            part.trim()
                .split(' ')
                .next()
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        })
    })
}

fn refused(what: &str, detail: &str) -> Error {
    Error::with(
        VIR_FROM_HYPERV,
        VIR_ERR_AUTH_FAILED,
        format!("Authentication failed during {what}: {detail}"),
    )
}

impl Transport {
    /// A transport to `url` (http or https) with `creds`.
    pub fn new(http: HttpClient, url: &str, creds: Credentials) -> Transport {
        Transport {
            http,
            encrypt: url.starts_with("http:"),
            url: url.to_string(),
            state: Mutex::new(State {
                ntlm: creds.scheme == Scheme::Ntlm,
                session: None,
            }),
            creds,
        }
    }

    /// Whether the connection authenticates with NTLM (after negotiation).
    pub fn uses_ntlm(&self) -> bool {
        self.state.lock().ntlm
    }

    /// Posts a SOAP document and returns the reply with its body in clear.
    pub fn post(&self, doc: &[u8], what: &str) -> Result<HttpResponse> {
        let mut st = self.state.lock();
        if !st.ntlm {
            let auth = format!(
                "Basic {}",
                base64(format!("{}:{}", self.creds.user, self.creds.password).as_bytes())
            );
            let reply = self.http.request(
                "POST",
                &self.url,
                &[
                    ("Content-Type", "application/soap+xml;charset=UTF-8"),
                    ("Authorization", &auth),
                ],
                Some(doc),
            )?;
            if reply.status != 401 {
                return Ok(reply);
            }
            if self.creds.scheme == Scheme::Basic || offers(&reply, "Basic") || !offers(&reply, "Negotiate") {
                return Err(refused(what, "the server refused the credentials (HTTP 401)"));
            }
            st.ntlm = true;
        }
        // A session the server forgot (a new TCP connection) is set up anew, once.
        for attempt in 0..2 {
            if st.session.is_none() {
                st.session = Some(self.handshake(what)?);
            }
            let session = st.session.as_mut().expect("set above");
            let reply = if self.encrypt {
                let body = ntlm::encrypt_body(session, doc);
                self.http.request(
                    "POST",
                    &self.url,
                    &[("Content-Type", ntlm::ENCRYPTED_CONTENT_TYPE)],
                    Some(&body),
                )?
            } else {
                self.http.request(
                    "POST",
                    &self.url,
                    &[("Content-Type", "application/soap+xml;charset=UTF-8")],
                    Some(doc),
                )?
            };
            if reply.status == 401 {
                st.session = None;
                if attempt == 0 {
                    continue;
                }
                return Err(refused(what, "the server ended the NTLM session (HTTP 401)"));
            }
            let encrypted = reply
                .content_type
                .as_deref()
                .is_some_and(|t| t.starts_with("multipart/encrypted"));
            if !encrypted {
                return Ok(reply);
            }
            let plain = ntlm::decrypt_body(session, &reply.body).ok_or_else(|| {
                Error::internal(
                    VIR_FROM_HYPERV,
                    format!("Could not decrypt the response of {what}: its signature or length is wrong"),
                )
            })?;
            return Ok(HttpResponse {
                body: plain,
                content_type: Some("application/soap+xml;charset=UTF-8".to_string()),
                ..reply
            });
        }
        unreachable!("the loop returns")
    }

    /// The NTLM handshake (two round trips on the pooled connection).
    fn handshake(&self, what: &str) -> Result<Session> {
        let negotiate = ntlm::negotiate_message();
        let header = format!("Negotiate {}", base64(&negotiate));
        let reply = self
            .http
            .request("POST", &self.url, &[("Authorization", &header)], Some(&b""[..]))?;
        let token = reply
            .authenticate
            .iter()
            .find_map(|h| h.strip_prefix("Negotiate "))
            .and_then(unbase64)
            .filter(|_| reply.status == 401)
            .ok_or_else(|| {
                refused(
                    what,
                    &format!("the server sent no NTLM challenge (HTTP {})", reply.status),
                )
            })?;
        let challenge = ntlm::Challenge::parse(&token)
            .ok_or_else(|| refused(what, "the server's NTLM challenge could not be read"))?;
        let (user, domain) = match self.creds.user.split_once('\\') {
            Some((d, u)) => (u.to_string(), d.to_string()),
            None => (self.creds.user.clone(), String::new()),
        };
        let (auth, session) = ntlm::authenticate_message(
            &user,
            &domain,
            &self.creds.password,
            &challenge,
            &ClientNonces::random(),
        );
        let header = format!("Negotiate {}", base64(&auth));
        let reply = self
            .http
            .request("POST", &self.url, &[("Authorization", &header)], Some(&b""[..]))?;
        if reply.status == 401 {
            return Err(refused(
                what,
                "the server refused the NTLM credentials (HTTP 401)",
            ));
        }
        Ok(session)
    }
}
