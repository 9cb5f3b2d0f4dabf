// Drives Debian's Go binding (github.com/libvirt/libvirt-go, built with cgo
// against the headers pkg-config names) and prints what it sees; run_go.py
// compares the output on Debian's libvirt and on ours.
package main

import (
	"fmt"
	"os"
	"strings"

	libvirt "github.com/libvirt/libvirt-go"
)

func show(label string, v interface{}, err error) {
	if err != nil {
		e := err.(libvirt.Error)
		fmt.Printf("%s -> error code=%d domain=%d message=%q\n", label, e.Code, e.Domain, e.Message)
		return
	}
	fmt.Printf("%s -> %v\n", label, v)
}

func main() {
	if want := os.Getenv("EXPECT_LIBVIRT_DIR"); want != "" {
		maps, _ := os.ReadFile("/proc/self/maps")
		found := false
		for _, line := range strings.Split(string(maps), "\n") {
			if i := strings.Index(line, "/"); i >= 0 && strings.Contains(line, "/libvirt.so") {
				if !strings.HasPrefix(line[i:], want) {
					fmt.Println("wrong library mapped:", line[i:])
					os.Exit(3)
				}
				found = true
			}
		}
		if !found {
			os.Exit(3)
		}
	}
	v, err := libvirt.GetVersion()
	show("GetVersion", v, err)
	_, err = libvirt.NewConnect("test:///")
	show("NewConnect(test:///)", nil, err)
	_, err = libvirt.NewConnect("bogus uri with spaces")
	show("NewConnect(bogus)", nil, err)
	conn, err := libvirt.NewConnect("test:///default")
	show("NewConnect(test:///default)", conn != nil, err)
	t, err := conn.GetType()
	show("GetType", t, err)
	hv, err := conn.GetVersion()
	show("GetVersion", hv, err)
	uri, err := conn.GetURI()
	show("GetURI", uri, err)
	info, err := conn.GetNodeInfo()
	show("GetNodeInfo", fmt.Sprintf("%s %d %d %d %d/%d/%d/%d", info.Model, info.Memory, info.Cpus, info.MHz,
		info.Nodes, info.Sockets, info.Cores, info.Threads), err)
	n, err := conn.GetMaxVcpus("")
	show("GetMaxVcpus", n, err)
	alive, err := conn.IsAlive()
	show("IsAlive", alive, err)
	caps, err := conn.GetCapabilities()
	show("GetCapabilities lines", len(strings.Split(caps, "\n")), err)
	err = conn.SetKeepAlive(5, 3)
	show("SetKeepAlive", nil, err)
	ro, err := libvirt.NewConnectReadOnly("test:///default")
	show("NewConnectReadOnly", ro != nil, err)
	refs, err := ro.Close()
	show("Close read-only", refs, err)
	refs, err = conn.Close()
	show("Close", refs, err)
}
