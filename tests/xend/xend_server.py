#!/usr/bin/python3
"""A small XenD for tests: XenD's HTTP interface (Xen 3.x-4.2) over a unix
socket, answering in s-expressions, with domains whose state follows the
calls.  Python standard library only.

What it serves, as XenD's SrvDomainDir/SrvDomain/SrvNode did:
  GET  /xend/node/                      (node ...) with xen_major/minor/extra, xen_caps, xend_config_format
  GET  /xend/domain?detail=1            ((domain ...) ...) of the active (running or paused) domains
  GET  /xend/domain[?state=S]           names; S running (default, active ones) or halted (managed, inactive)
  GET  /xend/domain/NAME[?detail=1]     (domain ...); 404 for an unknown domain
  POST /xend/domain/   op=create|new config=SXPR
  POST /xend/domain/NAME  op=pause|unpause|shutdown(reason)|destroy|start|delete|reset
                          |mem_target_set(target)|maxmem_set(memory)|set_vcpus(vcpus)
An operation that fails answers 500 with (xend.err 'message'); an unknown
operation 501.  Test-only resources (not XenD's):
  GET  /xend-test/state                 one line per domain: name domid state memory maxmem vcpus online managed autostart
  POST /xend-test/fault  mode=truncate|garbage|err200|close|unbalanced|badvalue|none count=N
                                        spoil the next N replies
"""

import argparse
import os
import re
import socketserver
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler


# --- s-expressions (XenD's sxp syntax) -------------------------------------

class ParseError(Exception):
    pass


def read_sexpr(text):
    """One s-expression: lists in (), atoms bare or quoted with ' or "."""
    pos = 0
    n = len(text)
    stack = [[]]
    while pos < n:
        c = text[pos]
        if c.isspace():
            pos += 1
        elif c == '(':
            stack.append([])
            pos += 1
        elif c == ')':
            if len(stack) == 1:
                raise ParseError("unbalanced ')' at offset %d" % pos)
            done = stack.pop()
            stack[-1].append(done)
            pos += 1
        elif c in "'\"":
            q = c
            pos += 1
            out = []
            while True:
                if pos >= n:
                    raise ParseError("unterminated string")
                ch = text[pos]
                if ch == '\\' and pos + 1 < n:
                    nxt = text[pos + 1]
                    out.append({'n': '\n', 't': '\t', 'r': '\r'}.get(nxt, nxt))
                    pos += 2
                    continue
                pos += 1
                if ch == q:
                    break
                out.append(ch)
            stack[-1].append(''.join(out))
        else:
            start = pos
            while pos < n and not text[pos].isspace() and text[pos] not in '()':
                pos += 1
            stack[-1].append(text[start:pos])
    if len(stack) != 1:
        raise ParseError("%d unclosed parentheses" % (len(stack) - 1))
    if len(stack[0]) != 1:
        raise ParseError("expected one expression, found %d" % len(stack[0]))
    return stack[0][0]


BARE = re.compile(r"^[A-Za-z0-9_.:/+=,@-]+$")


def show(x):
    if isinstance(x, list):
        return '(' + ' '.join(show(i) for i in x) + ')'
    x = str(x)
    if BARE.match(x):
        return x
    return "'" + x.replace('\\', '\\\\').replace("'", "\\'").replace('\n', '\\n') + "'"


def value(node, key, default=None):
    for item in node[1:]:
        if isinstance(item, list) and item and item[0] == key:
            return item[1] if len(item) > 1 else ''
    return default


# --- the daemon's state ------------------------------------------------------

class XendError(Exception):
    pass


OVERRIDDEN = {'domid', 'name', 'uuid', 'memory', 'maxmem', 'vcpus', 'online_vcpus',
              'vcpu_avail', 'state', 'cpu_time', 'on_xend_start'}


class Domain:
    def __init__(self, config, managed):
        name = value(config, 'name')
        if not name:
            raise XendError("Configuration error: domain name missing")
        self.name = name
        self.uuid = value(config, 'uuid') or ''
        if not re.match(r'^[0-9a-fA-F-]{32,36}$', self.uuid):
            raise XendError("Configuration error: invalid uuid '%s'" % self.uuid)
        try:
            self.memory = int(value(config, 'memory', '256'))
            self.maxmem = max(int(value(config, 'maxmem', str(self.memory))), self.memory)
            self.vcpus = int(value(config, 'vcpus', '1'))
        except ValueError as e:
            raise XendError("Configuration error: %s" % e)
        avail = value(config, 'vcpu_avail')
        self.online = bin(int(avail)).count('1') if avail else self.vcpus
        self.autostart = value(config, 'on_xend_start') == 'start'
        self.config = [i for i in config[1:] if not (isinstance(i, list) and i and i[0] in OVERRIDDEN)]
        self.managed = managed
        self.domid = None
        self.paused = False
        self.cpu_time = 0.0

    def sexpr(self):
        d = ['domain']
        if self.domid is not None:
            d.append(['domid', str(self.domid)])
        d += [['uuid', self.uuid], ['name', self.name], ['memory', str(self.memory)],
              ['maxmem', str(self.maxmem)], ['vcpus', str(self.vcpus)],
              ['online_vcpus', str(self.online)]]
        if self.online < self.vcpus:
            d.append(['vcpu_avail', str((1 << self.online) - 1)])
        if self.domid is not None:
            d.append(['state', '--p---' if self.paused else ('r-----' if self.domid == 0 else '-b----')])
            d.append(['cpu_time', '%.3f' % self.cpu_time])
        d.append(['on_xend_start', 'start' if self.autostart else 'ignore'])
        return d + self.config

    def state_word(self):
        if self.domid is None:
            return 'shutoff'
        return 'paused' if self.paused else 'running'


class Xend:
    def __init__(self, args):
        self.args = args
        self.domains = []
        self.next_id = 1
        dom0 = Domain(['vm', ['name', 'Domain-0'], ['uuid', '00000000-0000-0000-0000-000000000000'],
                       ['memory', str(args.dom0_memory)], ['maxmem', str(args.dom0_memory)],
                       ['vcpus', '2']], managed=False)
        dom0.domid = 0
        dom0.cpu_time = 4321.5
        self.domains.append(dom0)
        for path in args.domain or []:
            with open(path) as f:
                text = f.read().replace('\\\n', '')
            tree = read_sexpr(text)
            d = Domain(tree, managed=True)
            domid = value(tree, 'domid')
            if domid not in (None, '', '-1'):
                self.start(d)
                d.cpu_time = 12.25
            self.domains.append(d)
        self.fault = None
        self.fault_count = 0

    def find(self, name):
        for d in self.domains:
            if d.name == name:
                return d
        return None

    def start(self, d, paused=False):
        d.domid = self.next_id
        self.next_id += 1
        d.paused = paused

    def stop(self, d):
        d.domid = None
        d.paused = False
        if not d.managed:
            self.domains.remove(d)

    def node(self):
        major, minor, extra = self.args.xen_version
        return ['node', ['host', self.args.hostname], ['release', '2.6.18-xen'],
                ['version', '#1 SMP'], ['machine', 'x86_64'], ['nr_cpus', '4'], ['nr_nodes', '1'],
                ['sockets_per_node', '2'], ['cores_per_socket', '2'], ['threads_per_core', '1'],
                ['cpu_mhz', '2394'], ['hw_caps', 'bfebfbff:20100800:00000000:00000140'],
                ['total_memory', '8191'], ['free_memory', '1024'],
                ['xen_major', major], ['xen_minor', minor], ['xen_extra', extra],
                ['xen_caps', 'xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64'],
                ['xen_scheduler', 'credit'], ['xend_config_format', str(self.args.config_format)]]

    # --- operations -----------------------------------------------------

    def dir_op(self, op, form):
        if op not in ('create', 'new'):
            return None
        text = form.get('config', [''])[0]
        try:
            config = read_sexpr(text)
        except ParseError as e:
            raise XendError("Invalid configuration %s" % e)
        if not isinstance(config, list) or not config or config[0] not in ('vm', 'domain'):
            raise XendError("Invalid configuration: not a (vm ...) expression")
        d = Domain(config, managed=(op == 'new'))
        old = self.find(d.name)
        same_uuid = [o for o in self.domains if o.uuid == d.uuid and o.name != d.name]
        if same_uuid:
            raise XendError("Error creating domain: VM name '%s' already exists with UUID %s"
                            % (same_uuid[0].name, d.uuid))
        if op == 'create':
            if old is not None:
                raise XendError("Error creating domain: VM name '%s' already exists" % d.name)
            self.start(d)
            self.domains.append(d)
            return d.sexpr()
        if old is not None:
            if old.uuid != d.uuid:
                raise XendError("Error creating domain: VM name '%s' already exists as %s"
                                % (d.name, old.uuid))
            # Redefining keeps the running domain running.
            d.domid, d.paused, d.cpu_time = old.domid, old.paused, old.cpu_time
            if old.domid is not None:
                d.memory, d.online = old.memory, old.online
            self.domains[self.domains.index(old)] = d
        else:
            self.domains.append(d)
        return None

    def dom_op(self, d, op, form):
        def arg_int(key):
            try:
                return int(form[key][0])
            except (KeyError, IndexError, ValueError):
                raise XendError("Invalid argument: %s" % key)

        def need_active():
            if d.domid is None:
                raise XendError("Domain '%s' is not started" % d.name)

        if op == 'pause':
            need_active()
            d.paused = True
        elif op == 'unpause':
            need_active()
            d.paused = False
        elif op == 'shutdown':
            need_active()
            reason = form.get('reason', [''])[0]
            if reason in ('poweroff', 'halt'):
                self.stop(d)
            elif reason == 'reboot':
                d.domid = self.next_id
                self.next_id += 1
                d.paused = False
            else:
                raise XendError("Invalid reason: %s" % reason)
        elif op == 'destroy':
            need_active()
            if d.domid == 0:
                raise XendError("Cannot destroy privileged domain 0")
            self.stop(d)
        elif op == 'reset':
            need_active()
            d.paused = False
        elif op == 'start':
            if d.domid is not None:
                raise XendError("Domain is already running")
            self.start(d, paused=form.get('paused', ['0'])[0] == '1')
        elif op == 'delete':
            if d.domid is not None:
                raise XendError("Domain is not halted.")
            self.domains.remove(d)
        elif op == 'mem_target_set':
            target = arg_int('target')
            if target <= 0 or target > d.maxmem:
                raise XendError("memory target %d MiB out of range (max %d)" % (target, d.maxmem))
            d.memory = target
        elif op == 'maxmem_set':
            mem = arg_int('memory')
            if mem <= 0:
                raise XendError("Invalid argument: memory")
            d.maxmem = mem
            d.memory = min(d.memory, mem)
        elif op == 'set_vcpus':
            n = arg_int('vcpus')
            if n < 1 or n > d.vcpus:
                raise XendError("Cannot set vcpus greater than max vcpus on running domain")
            d.online = n
        else:
            return False
        return True


# --- HTTP ----------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        if self.server.xend.args.verbose:
            sys.stderr.write("xend-test: " + (fmt % args) + "\n")

    def address_string(self):
        return 'unix'

    def reply(self, status, body, reason=None):
        xend = self.server.xend
        data = body.encode()
        length = len(data)
        fault = None
        if xend.fault_count > 0 and not self.path.startswith('/xend-test/'):
            fault = xend.fault
            xend.fault_count -= 1
        if fault == 'close':
            self.close_connection = True
            return
        if fault == 'garbage':
            self.wfile.write(b"\x00\xffnot http at all\r\n\r\n(((")
            self.close_connection = True
            return
        if fault == 'err200':
            status, data = 200, b"(xend.err 'injected failure')"
            length = len(data)
        if fault == 'truncate':
            data = data[: max(1, len(data) // 2)]
        if fault == 'unbalanced' and data.endswith(b')'):
            data = data[:-1]
            length = len(data)
        if fault == 'badvalue':
            data = re.sub(rb'\(memory [0-9]+\)', b'(memory lots)', data)
            length = len(data)
        self.send_response(status, reason)
        self.send_header('Content-Type', 'application/sxp')
        self.send_header('Content-Length', str(length))
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def parts(self):
        url = urllib.parse.urlsplit(self.path)
        return url.path, urllib.parse.parse_qs(url.query, keep_blank_values=True)

    def do_GET(self):
        xend = self.server.xend
        path, query = self.parts()
        if path == '/xend-test/state':
            lines = ["%s %s %s %d %d %d %d %d %d" % (
                d.name, d.domid if d.domid is not None else -1, d.state_word(), d.memory,
                d.maxmem, d.vcpus, d.online, int(d.managed), int(d.autostart)) for d in xend.domains]
            return self.reply(200, '\n'.join(lines) + '\n')
        if path.rstrip('/') == '/xend/node':
            return self.reply(200, show(xend.node()))
        if path.rstrip('/') == '/xend/domain':
            if query.get('detail') == ['1']:
                return self.reply(200, show([d.sexpr() for d in xend.domains if d.domid is not None]))
            state = query.get('state', ['running'])[0]
            if state == 'halted':
                names = [d.name for d in xend.domains if d.domid is None and d.managed]
            else:
                names = [d.name for d in xend.domains if d.domid is not None]
            return self.reply(200, show(names))
        m = re.match(r'^/xend/domain/([^/]+)/?$', path)
        if m:
            d = xend.find(urllib.parse.unquote(m.group(1)))
            if d is None:
                return self.reply(404, '<html><body>Not found</body></html>', 'Not Found')
            return self.reply(200, show(d.sexpr()))
        return self.reply(404, '<html><body>Not found</body></html>', 'Not Found')

    def do_POST(self):
        xend = self.server.xend
        path, _ = self.parts()
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length).decode() if length else ''
        form = urllib.parse.parse_qs(body, keep_blank_values=True)
        if path == '/xend-test/fault':
            xend.fault = form.get('mode', ['none'])[0]
            xend.fault_count = int(form.get('count', ['1'])[0])
            return self.reply(200, '()')
        ops = form.get('op')
        if not ops or len(ops) != 1:
            return self.reply(406, '', 'Invalid request')
        op = ops[0]
        try:
            if path.rstrip('/') == '/xend/domain':
                result = xend.dir_op(op, form)
                if result is None and op not in ('create', 'new'):
                    return self.reply(501, "Operation not implemented: " + op)
                return self.reply(201 if op == 'create' else 200, show(result) if result else '')
            m = re.match(r'^/xend/domain/([^/]+)/?$', path)
            if not m:
                return self.reply(404, '', 'Not Found')
            d = xend.find(urllib.parse.unquote(m.group(1)))
            if d is None:
                return self.reply(404, '', 'Not Found')
            if not xend.dom_op(d, op, form):
                return self.reply(501, "Operation not implemented: " + op)
            accepted = op in ('shutdown', 'destroy', 'start', 'delete', 'reset')
            return self.reply(202 if accepted else 200, '')
        except XendError as e:
            return self.reply(500, show(['xend.err', str(e)]), 'Request failed: ' + op)


class TcpServer(socketserver.TCPServer):
    allow_reuse_address = True

    def __init__(self, xend):
        self.xend = xend
        super().__init__(('127.0.0.1', 0), Handler)


class Server(socketserver.UnixStreamServer):
    def __init__(self, path, xend):
        self.xend = xend
        super().__init__(path, Handler)

    def get_request(self):
        sock, _ = self.socket.accept()
        return sock, ('unix', 0)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--socket', help='the unix socket to serve')
    p.add_argument('--tcp', action='store_true', help='serve on a free 127.0.0.1 port instead')
    p.add_argument('--domain', action='append', help='a (domain ...) s-expression file')
    p.add_argument('--xen-version', default='4.1.2')
    p.add_argument('--config-format', type=int, default=4)
    p.add_argument('--hostname', default='xenhost.example.com')
    p.add_argument('--dom0-memory', type=int, default=1024)
    p.add_argument('--verbose', action='store_true')
    args = p.parse_args()
    m = re.match(r'^(\d+)\.(\d+)(.*)$', args.xen_version)
    args.xen_version = (m.group(1), m.group(2), m.group(3) or '.0')
    xend = Xend(args)
    if args.tcp:
        # XenD's HTTP server (xend-http-server) on a free local port.
        server = TcpServer(xend)
        print("ready %d" % server.server_address[1], flush=True)
    else:
        if os.path.exists(args.socket):
            os.unlink(args.socket)
        server = Server(args.socket, xend)
        # Tell the parent the socket is ready.
        print("ready", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
