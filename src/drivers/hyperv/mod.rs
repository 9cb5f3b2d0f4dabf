//! The Microsoft Hyper-V driver (`hyperv://`): a client of the WMI classes
//! Hyper-V publishes over WS-Management (WinRM).  Windows Server 2012 and
//! newer publish them in `root/virtualization/v2`; 2008 (R2) in
//! `root/virtualization`, which the driver falls back to when probing the
//! first fails.
//!
//! Costs, in WS-Man requests: opening takes two (the namespace probe and
//! the host's OS version); listing every domain with its state takes one
//! enumeration (one request per 256 VMs); the info of many domains is
//! served from one bulk read of the memory and processor settings, kept
//! for a moment and dropped by any change this connection makes.

mod entries;
mod host;
mod keys;
mod networks;
mod params;
mod settings;
pub mod transport;
mod vms;
pub mod wsman;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::abi::*;
use crate::auth::Auth;
use crate::error::{Error, Result};
use crate::net::{HttpClient, HttpOptions};
use crate::uri::Uri;

pub use params::{remote_transport_error, HypervParams};
use transport::{Credentials, Transport};
use wsman::Client;

/// The service name credentials are asked and looked up under
/// (auth.conf's `[auth-hyperv-HOST]`).
pub const AUTH_SERVICE: &str = "hyperv";

/// Which generation of Hyper-V's WMI classes the host publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WmiVersion {
    /// `root/virtualization` (Windows Server 2008 and 2008 R2).
    V1,
    /// `root/virtualization/v2` (Windows Server 2012 and newer).
    V2,
}

/// An open Hyper-V driver connection.
pub struct HypervDriver {
    params: HypervParams,
    client: Client,
    wmi: WmiVersion,
    /// Win32_OperatingSystem.Version of the host.
    os_version: String,
    cache: vms::InfoCache,
    closed: AtomicBool,
}

impl HypervDriver {
    /// Opens `uri` (a hyperv URI), logs in and probes the namespace.
    pub fn open(uri: &Uri, auth: &Auth, _flags: u32) -> Result<HypervDriver> {
        let params = HypervParams::parse(uri)?;
        // Logging in needs the caller's callback (auth.conf alone is not enough).
        if !auth.has_prompter() {
            return Err(Error::invalid_arg(
                VIR_FROM_HYPERV,
                "Missing or invalid auth pointer",
            ));
        }
        let user = match &params.user {
            Some(u) => u.clone(),
            None => auth.username(AUTH_SERVICE, &params.server, Some("administrator"))?,
        };
        let password = auth.password(AUTH_SERVICE, &user, &params.server)?;
        let http = HttpClient::new(&HttpOptions {
            no_verify: params.no_verify,
            error_domain: VIR_FROM_HYPERV,
            ..HttpOptions::default()
        })?;
        let endpoint = params.endpoint();
        let transport = Transport::new(
            http,
            &endpoint,
            Credentials {
                user,
                password,
                scheme: params.auth,
            },
        );
        let client = Client::new(transport, &endpoint, Arc::new(AtomicU64::new(0)));
        let wmi = probe(&client)?;
        let os = client
            .query(wsman::CIMV2, "SELECT * FROM Win32_OperatingSystem")?
            .into_iter()
            .next()
            .ok_or_else(|| Error::internal(VIR_FROM_HYPERV, "Could not get Win32_OperatingSystem"))?;
        let os_version = os.need("Version")?.to_string();
        Ok(HypervDriver {
            params,
            client,
            wmi,
            os_version,
            cache: vms::InfoCache::default(),
            closed: AtomicBool::new(false),
        })
    }

    /// How many WS-Man requests this connection made.
    pub fn request_count(&self) -> u64 {
        self.client.request_count()
    }

    /// The shared request counter, still readable after the driver went
    /// into a [`crate::connect::Connection`].
    pub fn request_counter(&self) -> Arc<AtomicU64> {
        self.client.requests()
    }

    /// Changes how long jobs may run and how often they are polled.
    pub fn set_job_timing(&mut self, timeout: std::time::Duration, poll: std::time::Duration) {
        self.client.job_timeout = timeout;
        self.client.job_poll = poll;
    }

    /// Runs a WQL query in a WMI namespace (for diagnostics and tests).
    pub fn raw_query(&self, ns: &str, wql: &str) -> Result<Vec<wsman::Instance>> {
        self.client.query(ns, wql)
    }

    /// Gets one instance of a class in the virtualization namespace (for
    /// diagnostics and tests).
    pub fn raw_get(&self, class: &str, selectors: &[(String, String)]) -> Result<wsman::Instance> {
        self.client.get(self.ns(), class, selectors)
    }

    /// Whether the connection authenticates with NTLM.
    pub fn uses_ntlm(&self) -> bool {
        self.client.uses_ntlm()
    }

    /// The WMI generation the host speaks.
    pub fn wmi_version(&self) -> WmiVersion {
        self.wmi
    }

    /// The WMI namespace of the Msvm_* classes.
    fn ns(&self) -> &'static str {
        match self.wmi {
            WmiVersion::V1 => wsman::VIRT_V1,
            WmiVersion::V2 => wsman::VIRT_V2,
        }
    }

    fn mark_closed(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

/// Finds the namespace the host publishes Hyper-V in: the physical host's
/// Msvm_ComputerSystem answers in v2 on 2012 and newer, else in v1.
fn probe(client: &Client) -> Result<WmiVersion> {
    let wql = "SELECT * FROM Msvm_ComputerSystem WHERE Name = __SERVER";
    match client.query(wsman::VIRT_V2, wql) {
        Ok(found) if !found.is_empty() => return Ok(WmiVersion::V2),
        // Only the service's own refusal (no such namespace) means "try the
        // 2008 R2 one"; credentials, transport and parse errors stand.
        Err(e) if !wsman::is_fault(&e) => return Err(e),
        _ => {}
    }
    match client.query(wsman::VIRT_V1, wql) {
        Ok(found) if !found.is_empty() => Ok(WmiVersion::V1),
        Ok(_) => Err(Error::internal(
            VIR_FROM_HYPERV,
            "The server publishes no Hyper-V host in root/virtualization/v2 nor root/virtualization: is the Hyper-V role installed?",
        )),
        Err(e) => Err(e),
    }
}
