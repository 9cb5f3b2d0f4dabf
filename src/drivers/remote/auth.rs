//! Authenticating to the daemon: the types it lists (none, SASL, polkit),
//! or the one `auth=` asks for.  SASL is spoken with the mechanisms that
//! need no secret and no security layer: EXTERNAL, and ANONYMOUS where the
//! channel itself is safe (as libvirt allows it: unix socket, ssh, TLS).
//! Where the daemon wants more (a security layer on plain TCP, passwords),
//! the client reports what a client without those SASL plugins reports.

use super::client::Client;
use super::protocol::{proc_::*, List, AUTH_SASL_DATA_MAX, AUTH_TYPE_LIST_MAX};
use super::transport::{Target, Transport};
use crate::abi::*;
use crate::error::{Error, Result};

/// remote_auth_type values.
const NONE: i32 = 0;
const SASL: i32 = 1;
const POLKIT: i32 = 2;

/// Runs the authentication the daemon asks for.
pub fn authenticate(client: &Client, target: &Target) -> Result<()> {
    let types = match client.call::<_, (List<i32, AUTH_TYPE_LIST_MAX>,)>(AUTH_LIST, &()) {
        Ok((List(t),)) => t,
        // A daemon too old for auth_list needs none.
        Err(e) if e.code == VIR_ERR_NO_SUPPORT => Vec::new(),
        Err(e) => return Err(e),
    };
    let wanted = target.param("auth");
    let chosen = match wanted {
        None => match types.first() {
            None => NONE,
            Some(&t) => t,
        },
        Some(w) => {
            let (kind, _mech) = w.split_once('.').unwrap_or((w, ""));
            let t = match kind {
                "sasl" => SASL,
                "polkit" => POLKIT,
                _ => -1,
            };
            if !types.contains(&t) {
                return Err(Error::with(
                    VIR_FROM_REMOTE,
                    VIR_ERR_AUTH_FAILED,
                    format!("requested authentication type {w} rejected"),
                ));
            }
            t
        }
    };
    match chosen {
        NONE => Ok(()),
        SASL => sasl(
            client,
            wanted.and_then(|w| w.strip_prefix("sasl.")),
            secure(target),
        ),
        POLKIT => client.call::<_, (i32,)>(AUTH_POLKIT, &()).map(|_| ()),
        other => Err(Error::with(
            VIR_FROM_REMOTE,
            VIR_ERR_AUTH_FAILED,
            format!("unsupported authentication type {other}"),
        )),
    }
}

/// Whether the channel is safe enough for SASL without a security layer.
fn secure(target: &Target) -> bool {
    !matches!(target.transport, Transport::Tcp | Transport::Ext)
}

/// SASL with the first mechanism we speak that the daemon offers (and
/// `mech` names, when given): EXTERNAL with an empty authorization
/// identity, or ANONYMOUS with a trace string.
fn sasl(client: &Client, mech: Option<&str>, secure: bool) -> Result<()> {
    let (mechlist,): (String,) = client.call(AUTH_SASL_INIT, &())?;
    let offered: Vec<&str> = mechlist.split([',', ' ']).filter(|m| !m.is_empty()).collect();
    if let Some(m) = mech.filter(|m| !offered.iter().any(|o| o.eq_ignore_ascii_case(m))) {
        return Err(Error::with(
            VIR_FROM_REMOTE,
            VIR_ERR_AUTH_FAILED,
            format!("SASL mechanism {m} not supported by server"),
        ));
    }
    let ours: &[(&str, &[u8])] = if secure {
        &[("EXTERNAL", b""), ("ANONYMOUS", b"anonymous")]
    } else {
        &[]
    };
    let Some((name, initial)) = ours.iter().find(|(name, _)| {
        offered.iter().any(|o| o.eq_ignore_ascii_case(name))
            && mech.is_none_or(|m| m.eq_ignore_ascii_case(name))
    }) else {
        return Err(Error::with(
            VIR_FROM_RPC,
            VIR_ERR_AUTH_FAILED,
            "Failed to start SASL negotiation: -4 (SASL(-4): no mechanism available: No worthy mechs found)",
        ));
    };
    // `char data<>` in the protocol: XDR spells each char as a 4-byte int.
    let data = List::<i32, AUTH_SASL_DATA_MAX>(initial.iter().map(|&b| i32::from(b)).collect());
    let (mut complete, _, _): (i32, i32, List<i32, AUTH_SASL_DATA_MAX>) =
        client.call(AUTH_SASL_START, &(name.to_string(), 0i32, data.clone()))?;
    // Both mechanisms are one message; a daemon asking again gets it again, a few times.
    for _ in 0..3 {
        if complete != 0 {
            return Ok(());
        }
        let (c, _, _): (i32, i32, List<i32, AUTH_SASL_DATA_MAX>) =
            client.call(AUTH_SASL_STEP, &(0i32, data.clone()))?;
        complete = c;
    }
    Err(Error::with(
        VIR_FROM_RPC,
        VIR_ERR_AUTH_FAILED,
        format!("SASL negotiation with the {name} mechanism did not complete"),
    ))
}
