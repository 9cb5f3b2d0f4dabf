//! NTLMv2 authentication and session security (Microsoft's MS-NLMP), as
//! WinRM uses them behind `Authorization: Negotiate`: the three messages of
//! the handshake, and sealing (RC4) and signing (HMAC-MD5) of the messages
//! that follow, so that HTTP need not carry SOAP in the clear.
//!
//! The message logic is ours (a few hundred lines of a published format);
//! the primitives (MD4, MD5, HMAC, RC4) come from the RustCrypto crates
//! rather than being written again.

use hmac::{Hmac, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use rc4::{KeyInit, Rc4, StreamCipher};

/// Unicode strings.
pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
/// The server should send its target name.
pub const REQUEST_TARGET: u32 = 0x0000_0004;
/// Message integrity.
pub const NEGOTIATE_SIGN: u32 = 0x0000_0010;
/// Message confidentiality.
pub const NEGOTIATE_SEAL: u32 = 0x0000_0020;
/// NTLM (v1 or v2) authentication.
pub const NEGOTIATE_NTLM: u32 = 0x0000_0200;
/// Signatures even without SIGN.
pub const NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
/// NTLM2 session security.
pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
/// The challenge carries target information.
pub const NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
/// A version field follows.
pub const NEGOTIATE_VERSION: u32 = 0x0200_0000;
/// 128-bit keys.
pub const NEGOTIATE_128: u32 = 0x2000_0000;
/// An exchanged random session key.
pub const NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
/// 56-bit keys.
pub const NEGOTIATE_56: u32 = 0x8000_0000;

/// What the client asks for.
pub const CLIENT_FLAGS: u32 = NEGOTIATE_UNICODE
    | REQUEST_TARGET
    | NEGOTIATE_SIGN
    | NEGOTIATE_SEAL
    | NEGOTIATE_NTLM
    | NEGOTIATE_ALWAYS_SIGN
    | NEGOTIATE_EXTENDED_SESSIONSECURITY
    | NEGOTIATE_TARGET_INFO
    | NEGOTIATE_VERSION
    | NEGOTIATE_128
    | NEGOTIATE_KEY_EXCH
    | NEGOTIATE_56;

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
/// Windows 10 / Server 2016, NTLM revision 15.
const VERSION: [u8; 8] = [10, 0, 0x39, 0x38, 0, 0, 0, 15];

type HmacMd5 = Hmac<Md5>;

/// HMAC-MD5 of the concatenated parts.
pub fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = <HmacMd5 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// UTF-16LE, as NTLM writes strings.
pub fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// NTOWFv2: the key of a user's NTLMv2 responses.
pub fn ntowf_v2(user: &str, domain: &str, password: &str) -> [u8; 16] {
    let nt_hash: [u8; 16] = Md4::digest(utf16(password)).into();
    hmac_md5(&nt_hash, &[&utf16(&(user.to_uppercase() + domain))])
}

/// RC4 with a 16-byte key, once.
pub fn rc4k(key: &[u8; 16], data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    Rc4::<rc4::consts::U16>::new_from_slice(key)
        .expect("a 16-byte key")
        .apply_keystream(&mut out);
    out
}

/// The NEGOTIATE_MESSAGE of a client.
pub fn negotiate_message() -> Vec<u8> {
    let mut m = Vec::with_capacity(40);
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&CLIENT_FLAGS.to_le_bytes());
    // Domain and workstation: none supplied.
    m.extend_from_slice(&[0; 16]);
    m.extend_from_slice(&VERSION);
    m
}

/// A CHALLENGE_MESSAGE as the client reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The flags the server agreed to.
    pub flags: u32,
    /// The server's nonce.
    pub server_challenge: [u8; 8],
    /// The AV pairs (target information).
    pub target_info: Vec<u8>,
}

fn field(msg: &[u8], at: usize) -> Option<&[u8]> {
    let len = u16::from_le_bytes(msg.get(at..at + 2)?.try_into().ok()?) as usize;
    let off = u32::from_le_bytes(msg.get(at + 4..at + 8)?.try_into().ok()?) as usize;
    msg.get(off..off.checked_add(len)?)
}

fn message_type(msg: &[u8]) -> Option<u32> {
    if msg.get(..8)? != SIGNATURE {
        return None;
    }
    Some(u32::from_le_bytes(msg.get(8..12)?.try_into().ok()?))
}

impl Challenge {
    /// Reads a CHALLENGE_MESSAGE; None when it is not one.
    pub fn parse(msg: &[u8]) -> Option<Challenge> {
        if message_type(msg)? != 2 {
            return None;
        }
        Some(Challenge {
            flags: u32::from_le_bytes(msg.get(20..24)?.try_into().ok()?),
            server_challenge: msg.get(24..32)?.try_into().ok()?,
            target_info: field(msg, 40).unwrap_or_default().to_vec(),
        })
    }

    /// The server's timestamp (MsvAvTimestamp), if it sent one.
    pub fn timestamp(&self) -> Option<[u8; 8]> {
        av_pairs(&self.target_info)
            .into_iter()
            .find(|(id, _)| *id == 7)
            .and_then(|(_, v)| v.try_into().ok())
    }
}

/// The AV pairs of a target information block, up to MsvAvEOL.
pub fn av_pairs(info: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= info.len() {
        let id = u16::from_le_bytes([info[i], info[i + 1]]);
        let len = u16::from_le_bytes([info[i + 2], info[i + 3]]) as usize;
        if id == 0 || i + 4 + len > info.len() {
            break;
        }
        out.push((id, info[i + 4..i + 4 + len].to_vec()));
        i += 4 + len;
    }
    out
}

/// Writes AV pairs, ending with MsvAvEOL.
pub fn write_av_pairs(pairs: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (id, v) in pairs {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(v.len() as u16).to_le_bytes());
        out.extend_from_slice(v);
    }
    out.extend_from_slice(&[0; 4]);
    out
}

/// The time now as a Windows FILETIME (100 ns since 1601).
pub fn filetime_now() -> [u8; 8] {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let ticks = (unix.as_nanos() / 100) as u64 + 116_444_736_000_000_000;
    ticks.to_le_bytes()
}

/// What the client contributes besides credentials (random in real use,
/// fixed in tests).
pub struct ClientNonces {
    /// The client challenge.
    pub client_challenge: [u8; 8],
    /// The random session key offered under KEY_EXCH.
    pub session_key: [u8; 16],
}

impl ClientNonces {
    /// Fresh random nonces.
    pub fn random() -> ClientNonces {
        let mut b = [0u8; 24];
        crate::domain::fill_random(&mut b);
        ClientNonces {
            client_challenge: b[..8].try_into().expect("8 bytes"),
            session_key: b[8..].try_into().expect("16 bytes"),
        }
    }
}

/// The AUTHENTICATE_MESSAGE answering `challenge`, and the session it sets up.
pub fn authenticate_message(
    user: &str,
    domain: &str,
    password: &str,
    challenge: &Challenge,
    nonces: &ClientNonces,
) -> (Vec<u8>, Session) {
    let key = ntowf_v2(user, domain, password);
    let time = challenge.timestamp().unwrap_or_else(filetime_now);
    let mut temp = vec![1, 1, 0, 0, 0, 0, 0, 0];
    temp.extend_from_slice(&time);
    temp.extend_from_slice(&nonces.client_challenge);
    temp.extend_from_slice(&[0; 4]);
    temp.extend_from_slice(&challenge.target_info);
    temp.extend_from_slice(&[0; 4]);
    let proof = hmac_md5(&key, &[&challenge.server_challenge, &temp]);
    let mut nt = proof.to_vec();
    nt.extend_from_slice(&temp);
    // With a server timestamp, the LMv2 response is left empty (zeros).
    let lm = if challenge.timestamp().is_some() {
        vec![0; 24]
    } else {
        let mut lm = hmac_md5(&key, &[&challenge.server_challenge, &nonces.client_challenge]).to_vec();
        lm.extend_from_slice(&nonces.client_challenge);
        lm
    };
    let base_key = hmac_md5(&key, &[&proof]);
    let flags = challenge.flags & CLIENT_FLAGS;
    let (exported, encrypted_key) = if flags & NEGOTIATE_KEY_EXCH != 0 {
        (nonces.session_key, rc4k(&base_key, &nonces.session_key))
    } else {
        (base_key, Vec::new())
    };
    let payload: [&[u8]; 6] = [&lm, &nt, &utf16(domain), &utf16(user), &utf16(""), &encrypted_key];
    let header_len = 88usize;
    let mut m = Vec::new();
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&3u32.to_le_bytes());
    let mut offset = header_len;
    let mut body = Vec::new();
    for p in payload {
        m.extend_from_slice(&(p.len() as u16).to_le_bytes());
        m.extend_from_slice(&(p.len() as u16).to_le_bytes());
        m.extend_from_slice(&(offset as u32).to_le_bytes());
        offset += p.len();
        body.extend_from_slice(p);
    }
    m.extend_from_slice(&flags.to_le_bytes());
    m.extend_from_slice(&VERSION);
    // No MIC (the client does not claim one in the AV pairs).
    m.extend_from_slice(&[0; 16]);
    m.extend_from_slice(&body);
    (m, Session::new(&exported, true))
}

/// An AUTHENTICATE_MESSAGE as a server reads it.
#[derive(Debug, Clone)]
pub struct Authenticate {
    /// The user name.
    pub user: String,
    /// The user's domain.
    pub domain: String,
    /// The NTLMv2 response (NTProofStr + the client's blob).
    pub nt_response: Vec<u8>,
    /// The session key, RC4-encrypted under the key exchange key.
    pub encrypted_key: Vec<u8>,
    /// Negotiated flags.
    pub flags: u32,
}

fn utf16_string(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

impl Authenticate {
    /// Reads an AUTHENTICATE_MESSAGE; None when it is not one.
    pub fn parse(msg: &[u8]) -> Option<Authenticate> {
        if message_type(msg)? != 3 {
            return None;
        }
        Some(Authenticate {
            nt_response: field(msg, 20)?.to_vec(),
            domain: utf16_string(field(msg, 28)?),
            user: utf16_string(field(msg, 36)?),
            encrypted_key: field(msg, 52)?.to_vec(),
            flags: u32::from_le_bytes(msg.get(60..64)?.try_into().ok()?),
        })
    }

    /// Checks the response against `password` and the challenge the server
    /// sent; the server's session when it is right.
    pub fn verify(&self, password: &str, server_challenge: &[u8; 8]) -> Option<Session> {
        if self.nt_response.len() < 16 + 28 {
            return None;
        }
        let key = ntowf_v2(&self.user, &self.domain, password);
        let (proof, blob) = self.nt_response.split_at(16);
        let expected = hmac_md5(&key, &[server_challenge, blob]);
        if expected != proof {
            return None;
        }
        let base_key = hmac_md5(&key, &[&expected]);
        let exported: [u8; 16] = if self.flags & NEGOTIATE_KEY_EXCH != 0 {
            rc4k(&base_key, &self.encrypted_key).try_into().ok()?
        } else {
            base_key
        };
        Some(Session::new(&exported, false))
    }
}

/// The CHALLENGE_MESSAGE of a server (for the test server).
pub fn challenge_message(server_challenge: &[u8; 8], target: &str) -> Vec<u8> {
    let name = utf16(target);
    let info = write_av_pairs(&[(2, name.clone()), (1, name.clone()), (7, filetime_now().to_vec())]);
    let flags = CLIENT_FLAGS;
    let mut m = Vec::new();
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&2u32.to_le_bytes());
    let name_off = 56u32;
    m.extend_from_slice(&(name.len() as u16).to_le_bytes());
    m.extend_from_slice(&(name.len() as u16).to_le_bytes());
    m.extend_from_slice(&name_off.to_le_bytes());
    m.extend_from_slice(&flags.to_le_bytes());
    m.extend_from_slice(server_challenge);
    m.extend_from_slice(&[0; 8]);
    let info_off = name_off + name.len() as u32;
    m.extend_from_slice(&(info.len() as u16).to_le_bytes());
    m.extend_from_slice(&(info.len() as u16).to_le_bytes());
    m.extend_from_slice(&info_off.to_le_bytes());
    m.extend_from_slice(&VERSION);
    m.extend_from_slice(&name);
    m.extend_from_slice(&info);
    m
}

/// Sealing and signing keys of one side, with its RC4 state and sequence.
struct Direction {
    sign_key: [u8; 16],
    seal: Rc4<rc4::consts::U16>,
    seq: u32,
}

impl Direction {
    fn new(exported: &[u8; 16], which: &str) -> Direction {
        let sign_key = md5(&[
            exported,
            format!("session key to {which} signing key magic constant\0").as_bytes(),
        ]);
        let seal_key = md5(&[
            exported,
            format!("session key to {which} sealing key magic constant\0").as_bytes(),
        ]);
        Direction {
            sign_key,
            seal: Rc4::new_from_slice(&seal_key).expect("a 16-byte key"),
            seq: 0,
        }
    }

    /// The signature of `plain` (whose sealed form was just produced or
    /// read with this direction's RC4 state).
    fn signature(&mut self, plain: &[u8]) -> [u8; 16] {
        let seq = self.seq.to_le_bytes();
        let mut checksum: [u8; 8] = hmac_md5(&self.sign_key, &[&seq, plain])[..8]
            .try_into()
            .expect("8 bytes");
        self.seal.apply_keystream(&mut checksum);
        self.seq = self.seq.wrapping_add(1);
        let mut sig = [0u8; 16];
        sig[..4].copy_from_slice(&1u32.to_le_bytes());
        sig[4..12].copy_from_slice(&checksum);
        sig[12..].copy_from_slice(&seq);
        sig
    }
}

/// NTLM session security after the handshake: what one side sends is
/// sealed with its own keys, what it receives unsealed with the peer's.
pub struct Session {
    out: Direction,
    inp: Direction,
}

impl Session {
    /// The session of the client (`client` true) or the server.
    pub fn new(exported: &[u8; 16], client: bool) -> Session {
        let c2s = Direction::new(exported, "client-to-server");
        let s2c = Direction::new(exported, "server-to-client");
        if client {
            Session { out: c2s, inp: s2c }
        } else {
            Session { out: s2c, inp: c2s }
        }
    }

    /// Seals a message: (signature, sealed bytes).
    pub fn seal(&mut self, plain: &[u8]) -> ([u8; 16], Vec<u8>) {
        let mut sealed = plain.to_vec();
        self.out.seal.apply_keystream(&mut sealed);
        let sig = self.out.signature(plain);
        (sig, sealed)
    }

    /// Unseals a message from the peer; None when its signature is wrong.
    pub fn unseal(&mut self, sig: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let mut plain = sealed.to_vec();
        self.inp.seal.apply_keystream(&mut plain);
        let expected = self.inp.signature(&plain);
        (sig == expected).then_some(plain)
    }
}

/// The boundary WinRM uses for session-encrypted bodies.
pub const BOUNDARY: &str = "Encrypted Boundary";
/// The Content-Type of a session-encrypted body.
pub const ENCRYPTED_CONTENT_TYPE: &str =
    "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\"";

/// A SOAP document sealed into WinRM's multipart/encrypted body.
pub fn encrypt_body(session: &mut Session, soap: &[u8]) -> Vec<u8> {
    let (sig, sealed) = session.seal(soap);
    let mut out = format!(
        "--{BOUNDARY}\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\
         \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={}\r\n--{BOUNDARY}\r\n\
         \tContent-Type: application/octet-stream\r\n",
        soap.len()
    )
    .into_bytes();
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&sig);
    out.extend_from_slice(&sealed);
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// The SOAP document of a multipart/encrypted body; None when it is not
/// one or its signature does not verify.
pub fn decrypt_body(session: &mut Session, body: &[u8]) -> Option<Vec<u8>> {
    let marker = b"Content-Type: application/octet-stream\r\n";
    let start = body.windows(marker.len()).position(|w| w == marker)? + marker.len();
    let end_marker = format!("--{BOUNDARY}--");
    let end = body
        .windows(end_marker.len())
        .rposition(|w| w == end_marker.as_bytes())?;
    let part = body.get(start..end)?;
    let sig_len = u32::from_le_bytes(part.get(..4)?.try_into().ok()?) as usize;
    let sig = part.get(4..4 + sig_len)?;
    let sealed = part.get(4 + sig_len..)?;
    // The declared length guards against a body cut short.
    let declared: usize = std::str::from_utf8(body.get(..start)?)
        .ok()?
        .split("Length=")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    if declared != sealed.len() {
        return None;
    }
    session.unseal(sig, sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // MS-NLMP 4.2.4: User "User", domain "Domain", password "Password".
    #[test]
    fn ntowf_v2_matches_ms_nlmp() {
        assert_eq!(
            ntowf_v2("User", "Domain", "Password").to_vec(),
            hex("0c868a403bfd7a93a3001ef22ef02e3f")
        );
    }

    #[test]
    fn ntlmv2_response_matches_ms_nlmp() {
        // MS-NLMP 4.2.4.2.2: NTProofStr over the example's temp.
        let key = ntowf_v2("User", "Domain", "Password");
        let server_challenge = hex("0123456789abcdef");
        let client_challenge = hex("aaaaaaaaaaaaaaaa");
        let info = hex("02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000");
        let mut temp = vec![1, 1, 0, 0, 0, 0, 0, 0];
        temp.extend_from_slice(&[0; 8]);
        temp.extend_from_slice(&client_challenge);
        temp.extend_from_slice(&[0; 4]);
        temp.extend_from_slice(&info);
        temp.extend_from_slice(&[0; 4]);
        let proof = hmac_md5(&key, &[&server_challenge, &temp]);
        assert_eq!(proof.to_vec(), hex("68cd0ab851e51c96aabc927bebef6a1c"));
        let base = hmac_md5(&key, &[&proof]);
        assert_eq!(base.to_vec(), hex("8de40ccadbc14a82f15cb0ad0de95ca3"));
    }

    #[test]
    fn a_handshake_and_sealed_messages_round_trip() {
        let challenge_msg = challenge_message(&[7; 8], "HYPERV");
        let challenge = Challenge::parse(&challenge_msg).unwrap();
        assert_eq!(challenge.server_challenge, [7; 8]);
        let (auth, mut client) = authenticate_message(
            "administrator",
            "",
            "Passw0rd!",
            &challenge,
            &ClientNonces::random(),
        );
        let parsed = Authenticate::parse(&auth).unwrap();
        assert_eq!(parsed.user, "administrator");
        assert!(parsed.verify("wrong", &[7; 8]).is_none());
        let mut server = parsed.verify("Passw0rd!", &[7; 8]).unwrap();
        for n in 0..3 {
            let msg = format!("<Envelope>{n}</Envelope>");
            let body = encrypt_body(&mut client, msg.as_bytes());
            assert_eq!(decrypt_body(&mut server, &body).unwrap(), msg.as_bytes());
            let reply = encrypt_body(&mut server, b"reply");
            assert_eq!(decrypt_body(&mut client, &reply).unwrap(), b"reply");
        }
        // A tampered body does not verify.
        let mut body = encrypt_body(&mut client, b"x");
        let n = body.len() - 20;
        body[n] ^= 1;
        assert!(decrypt_body(&mut server, &body).is_none());
    }
}
