"""A throw-away PKI for the TLS tests, made with openssl: a CA, a server
certificate for 127.0.0.1 and a client certificate signed by it, laid out
as libvirt expects them (pkipath= on the client side: cacert.pem,
clientcert.pem, clientkey.pem; the daemon's key_file/cert_file/ca_file),
and a second, unrelated CA with its own client certificate (other_ca_dir):
the daemon trusts both CAs for its clients, so a client holding only the
second CA cannot verify the server.  The server certificate names only
IP 127.0.0.1, so "localhost" does not match it.

    pki = make_pki(DIR)
    pki.client_dir, pki.server_conf(), pki.other_ca_dir
"""
import os
import subprocess

OPENSSL = "/usr/bin/openssl"


def _run(*args, cwd):
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _ca(dir, name):
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/O=virt tests/CN=%s" % name,
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         "-keyout", name + "-key.pem", "-out", name + "-cert.pem", cwd=dir)


def _leaf(dir, ca, name, cn, ext):
    _run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=virt tests/CN=%s" % cn,
         "-keyout", name + "key.pem", "-out", name + ".csr", cwd=dir)
    with open(os.path.join(dir, name + ".ext"), "w") as f:
        f.write(ext)
    _run("x509", "-req", "-in", name + ".csr", "-CA", ca + "-cert.pem", "-CAkey", ca + "-key.pem",
         "-CAcreateserial", "-days", "2", "-extfile", name + ".ext",
         "-out", name + "cert.pem", cwd=dir)


class Pki:
    def __init__(self, dir):
        self.dir = dir
        self.client_dir = os.path.join(dir, "client")
        self.other_ca_dir = os.path.join(dir, "other")

    def server_conf(self):
        """libvirtd.conf lines for the server side."""
        return ('key_file = "%s"\ncert_file = "%s"\nca_file = "%s"\n'
                % (os.path.join(self.dir, "serverkey.pem"), os.path.join(self.dir, "servercert.pem"),
                   os.path.join(self.dir, "both-ca.pem")))


def make_pki(dir):
    os.makedirs(dir, exist_ok=True)
    _ca(dir, "ca")
    _ca(dir, "otherca")
    _leaf(dir, "ca", "server", "127.0.0.1",
          "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
          "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n")
    client_ext = ("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                  "extendedKeyUsage=clientAuth\n")
    _leaf(dir, "ca", "client", "virt-test-client", client_ext)
    _leaf(dir, "otherca", "otherclient", "virt-test-client", client_ext)
    with open(os.path.join(dir, "both-ca.pem"), "wb") as g:
        for ca in ("ca", "otherca"):
            with open(os.path.join(dir, ca + "-cert.pem"), "rb") as f:
                g.write(f.read())
    pki = Pki(dir)
    for d, ca, client in ((pki.client_dir, "ca", "client"), (pki.other_ca_dir, "otherca", "otherclient")):
        os.makedirs(d, exist_ok=True)
        for src, dst in ((ca + "-cert.pem", "cacert.pem"), (client + "cert.pem", "clientcert.pem"),
                         (client + "key.pem", "clientkey.pem")):
            with open(os.path.join(dir, src), "rb") as f, open(os.path.join(d, dst), "wb") as g:
                g.write(f.read())
    return pki
