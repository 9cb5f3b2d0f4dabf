//! What the simulator holds, asked directly over SOAP along another path
//! than the driver takes (a ContainerView over the whole inventory), so the
//! driver's answers can be checked against it.

use std::collections::HashMap;

use virt::abi::*;
use virt::net::{HttpClient, HttpOptions};
use virt::xml::dom::{self, Element};

/// A logged-in raw SOAP session.
pub struct Oracle {
    http: HttpClient,
    url: String,
    pub content: Element,
}

fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

fn child<'a>(el: &'a Element, name: &str) -> Option<&'a Element> {
    el.elements().find(|e| local(&e.name) == name)
}

fn text_of(el: &Element, name: &str) -> String {
    child(el, name)
        .map(|e| e.text().trim().to_string())
        .unwrap_or_default()
}

impl Oracle {
    /// Logs in to the simulator at `port` (HTTPS unless `http`).
    pub fn new(port: u16, http: bool, user: &str, pass: &str) -> Oracle {
        let client = HttpClient::new(&HttpOptions {
            no_verify: true,
            error_domain: VIR_FROM_NONE,
            ..HttpOptions::default()
        })
        .unwrap();
        let scheme = if http { "http" } else { "https" };
        let mut o = Oracle {
            http: client,
            url: format!("{scheme}://127.0.0.1:{port}/sdk"),
            content: Element::default(),
        };
        let rsc = o.call(
            "<RetrieveServiceContent xmlns=\"urn:vim25\"><_this type=\"ServiceInstance\">ServiceInstance</_this></RetrieveServiceContent>",
        );
        o.content = child(&rsc, "returnval").unwrap().clone();
        let sm = o.content_ref("sessionManager");
        o.call(&format!(
            "<Login xmlns=\"urn:vim25\">{sm}<userName>{user}</userName><password>{pass}</password></Login>"
        ));
        o
    }

    fn content_ref(&self, name: &str) -> String {
        let el = child(&self.content, name).unwrap();
        format!(
            "<_this type=\"{}\">{}</_this>",
            el.attr("type").unwrap(),
            el.text().trim()
        )
    }

    /// Sends a request body and returns the response element.
    pub fn call(&self, body: &str) -> Element {
        let doc = format!(
            "<?xml version=\"1.0\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
        );
        let reply = self
            .http
            .request(
                "POST",
                &self.url,
                &[("Content-Type", "text/xml"), ("SOAPAction", "urn:vim25/6.5")],
                Some(doc.as_bytes()),
            )
            .unwrap();
        assert_eq!(reply.status, 200, "oracle call failed: {}", reply.text());
        let root = dom::parse(&reply.text()).unwrap();
        let body = child(&root, "Body").unwrap();
        let first = body.elements().next().unwrap().clone();
        first
    }

    /// Stores `body` as the datastore file `[ds] path` of datacenter `dc`.
    pub fn put_file(&self, dc: &str, ds_path: &str, body: &str) {
        let (ds, path) = ds_path.trim_start_matches('[').split_once("] ").unwrap();
        let enc = |s: &str| s.replace(' ', "%20");
        let url = format!(
            "{}/folder/{}?dcPath={}&dsName={}",
            self.url.trim_end_matches("/sdk"),
            enc(path),
            enc(dc),
            enc(ds)
        );
        let reply = self
            .http
            .request("PUT", &url, &[], Some(body.as_bytes()))
            .unwrap();
        assert!(reply.status < 300, "upload to {url}: {}", reply.status);
    }

    /// The user names of the sessions the endpoint has open.
    pub fn session_users(&self) -> Vec<String> {
        self.sessions().into_iter().map(|(_, user)| user).collect()
    }

    /// Ends every session of `user` (as an idle timeout would).
    pub fn terminate_sessions_of(&self, user: &str) -> usize {
        let keys: Vec<String> = self
            .sessions()
            .into_iter()
            .filter(|(_, u)| u == user)
            .map(|(k, _)| format!("<sessionId>{k}</sessionId>"))
            .collect();
        let sm = self.content_ref("sessionManager");
        self.call(&format!(
            "<TerminateSession xmlns=\"urn:vim25\">{sm}{}</TerminateSession>",
            keys.concat()
        ));
        keys.len()
    }

    /// The (key, user name) of each open session.
    fn sessions(&self) -> Vec<(String, String)> {
        let sm = child(&self.content, "sessionManager").unwrap();
        let pc = self.content_ref("propertyCollector");
        let reply = self.call(&format!(
            "<RetrievePropertiesEx xmlns=\"urn:vim25\">{pc}<specSet><propSet><type>SessionManager</type><all>false</all><pathSet>sessionList</pathSet></propSet><objectSet><obj type=\"SessionManager\">{}</obj><skip>false</skip></objectSet></specSet><options></options></RetrievePropertiesEx>",
            sm.text().trim()
        ));
        let mut users = Vec::new();
        let ret = child(&reply, "returnval").unwrap();
        for obj in ret.elements() {
            for p in obj.elements().filter(|e| local(&e.name) == "propSet") {
                if let Some(val) = child(p, "val") {
                    for s in val.elements() {
                        users.push((text_of(s, "key"), text_of(s, "userName")));
                    }
                }
            }
        }
        users
    }

    /// The product version the endpoint reports.
    pub fn version(&self) -> String {
        text_of(child(&self.content, "about").unwrap(), "version")
    }

    /// Every object of `kind` in the inventory with the text of `paths`.
    pub fn objects(&self, kind: &str, paths: &[&str]) -> Vec<HashMap<String, String>> {
        let vm = self.content_ref("viewManager");
        let root = child(&self.content, "rootFolder").unwrap();
        let view = self.call(&format!(
            "<CreateContainerView xmlns=\"urn:vim25\">{vm}<container type=\"Folder\">{}</container><type>{kind}</type><recursive>true</recursive></CreateContainerView>",
            root.text().trim()
        ));
        let view = child(&view, "returnval").unwrap().text().trim().to_string();
        let pc = self.content_ref("propertyCollector");
        let path_set: String = paths.iter().map(|p| format!("<pathSet>{p}</pathSet>")).collect();
        let reply = self.call(&format!(
            "<RetrievePropertiesEx xmlns=\"urn:vim25\">{pc}<specSet><propSet><type>{kind}</type><all>false</all>{path_set}</propSet><objectSet><obj type=\"ContainerView\">{view}</obj><skip>true</skip><selectSet xsi:type=\"TraversalSpec\"><name>v</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet></objectSet></specSet><options></options></RetrievePropertiesEx>"
        ));
        let mut out = Vec::new();
        if let Some(ret) = child(&reply, "returnval") {
            for obj in ret.elements().filter(|e| local(&e.name) == "objects") {
                let mut m = HashMap::new();
                m.insert("_ref".to_string(), text_of(obj, "obj"));
                for p in obj.elements().filter(|e| local(&e.name) == "propSet") {
                    m.insert(
                        text_of(p, "name"),
                        child(p, "val")
                            .map(|v| v.text().trim().to_string())
                            .unwrap_or_default(),
                    );
                }
                out.push(m);
            }
        }
        out
    }

    /// The VMs: name, uuid, power state, memory, vCPUs, host and the paths asked.
    pub fn vms(&self, extra: &[&str]) -> Vec<HashMap<String, String>> {
        let mut paths = vec![
            "name",
            "config.uuid",
            "runtime.powerState",
            "config.hardware.memoryMB",
            "config.hardware.numCPU",
            "runtime.host",
        ];
        paths.extend_from_slice(extra);
        self.objects("VirtualMachine", &paths)
    }

    /// The VM called `name`.
    pub fn vm(&self, name: &str, extra: &[&str]) -> HashMap<String, String> {
        self.vms(extra)
            .into_iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("the simulator has no VM {name}"))
    }

    /// The hosts of the simulator's clusters, sorted: (reference, the
    /// `datacenter/cluster/host` path a vpx:// URI names them by).
    pub fn cluster_hosts(&self) -> Vec<(String, String)> {
        let hosts = self.objects("HostSystem", &["name", "parent"]);
        let clusters = self.objects("ClusterComputeResource", &["name"]);
        let dc = &self.objects("Datacenter", &["name"])[0]["name"];
        let mut out: Vec<(String, String)> = hosts
            .iter()
            .filter_map(|h| {
                let c = clusters.iter().find(|c| c["_ref"] == h["parent"])?;
                Some((h["_ref"].clone(), format!("{dc}/{}/{}", c["name"], h["name"])))
            })
            .collect();
        out.sort();
        out
    }
}
