// Package binaryhost starts the built plugin binary the way Grafana does and talks to it
// over the plugin protocol, for tests and benchmarks that must exercise the real thing:
// hashicorp/go-plugin with the SDK's handshake, gRPC only, no arguments, a working
// directory that is not the plugin's own, and GF_* settings in the environment (see
// toolchain.md, "How Grafana 12 launches a backend plugin").
package binaryhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// PluginID is the id Grafana knows the plugin by.
const PluginID = "spacetime-tickets-datasource"

// Build compiles the plugin binary (package ./pkg of the module) into dir and returns its
// path. The module root is found from this source file, so tests in any package can call it.
func Build(ctx context.Context, dir string) (string, error) {
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("binaryhost: cannot locate the module root")
	}
	root := filepath.Join(filepath.Dir(here), "..", "..")
	bin := filepath.Join(dir, "gpx_tickets")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./pkg")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the plugin binary: %w\n%s", err, out)
	}
	return bin, nil
}

// Host is a running plugin process and the clients Grafana would use to talk to it.
type Host struct {
	client      *goplugin.Client
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
	once        sync.Once
}

// Start launches the binary as Grafana does: go-plugin handshake, gRPC, the given extra
// environment (on top of this process's), and a working directory of its own choosing
// (Grafana's is often /). The plugin's warnings and errors go to this process's stderr.
func Start(binary string, workDir string, env []string) (*Host, error) {
	return StartWith(binary, Options{WorkDir: workDir, Env: env})
}

// Options configure StartWith.
type Options struct {
	// WorkDir is the plugin's working directory.
	WorkDir string
	// Env is added to this process's environment.
	Env []string
	// Log receives the plugin's log lines at Info and above, as go-plugin's client passes
	// them on to its host's logger (Grafana's does the same: it decodes each JSON line the
	// plugin writes and logs its fields again); nil sends warnings and errors to stderr.
	Log io.Writer
}

// StartWith is Start with all the options.
func StartWith(binary string, opts Options) (*Host, error) {
	cmd := exec.Command(binary)
	cmd.Dir = opts.WorkDir
	cmd.Env = append(os.Environ(), "GF_VERSION=12.4.0", "GF_EDITION=oss")
	cmd.Env = append(cmd.Env, opts.Env...)
	logger := hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: os.Stderr})
	if opts.Log != nil {
		logger = hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Info, Output: opts.Log})
	}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{
			grpcplugin.ProtocolVersion: {
				"data":        &grpcplugin.DataGRPCPlugin{},
				"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
				"resource":    &grpcplugin.ResourceGRPCPlugin{},
			},
		},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           logger,
		StartTimeout:     30 * time.Second,
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("start the plugin: %w", err)
	}
	h := &Host{client: client}
	for name, dst := range map[string]any{"data": &h.data, "diagnostics": &h.diagnostics, "resource": &h.resource} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			client.Kill()
			return nil, fmt.Errorf("dispense %s: %w", name, err)
		}
		switch d := dst.(type) {
		case *grpcplugin.DataClient:
			*d = raw.(grpcplugin.DataClient)
		case *grpcplugin.DiagnosticsClient:
			*d = raw.(grpcplugin.DiagnosticsClient)
		case *grpcplugin.ResourceClient:
			*d = raw.(grpcplugin.ResourceClient)
		}
	}
	return h, nil
}

// Stop ends the plugin process the way Grafana does on shutdown.
func (h *Host) Stop() { h.once.Do(h.client.Kill) }

// Kill ends the plugin process at once with SIGKILL, as a crash or the kernel's OOM
// killer would: no shutdown call, no instance disposed, nothing released.
func (h *Host) Kill() error {
	rc := h.client.ReattachConfig()
	if rc == nil {
		return errors.New("kill the plugin: it is not running")
	}
	p, err := os.FindProcess(rc.Pid)
	if err != nil {
		return fmt.Errorf("kill the plugin: %w", err)
	}
	if err := p.Kill(); err != nil {
		return fmt.Errorf("kill the plugin (pid %d): %w", rc.Pid, err)
	}
	for deadline := time.Now().Add(10 * time.Second); !h.client.Exited(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("kill the plugin (pid %d): it did not exit", rc.Pid)
		}
	}
	return nil
}

// PID is the plugin process's id, 0 when it is not running.
func (h *Host) PID() int {
	if rc := h.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// Exited reports whether the plugin process has exited.
func (h *Host) Exited() bool { return h.client.Exited() }

// Context is the plugin context Grafana sends with each call: which data source, with
// which settings.
func Context(uid string, jsonData any) (backend.PluginContext, error) {
	raw, err := json.Marshal(jsonData)
	if err != nil {
		return backend.PluginContext{}, fmt.Errorf("encode jsonData: %w", err)
	}
	return backend.PluginContext{
		OrgID:    1,
		PluginID: PluginID,
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: 1, UID: uid, Name: "Spacetime", JSONData: raw, Updated: time.Unix(1700000000, 0),
		},
	}, nil
}

// QueryData sends a data request over gRPC.
func (h *Host) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp, err := h.data.QueryData(ctx, backend.ToProto().QueryDataRequest(req))
	if err != nil {
		return nil, fmt.Errorf("QueryData: %w", err)
	}
	return backend.FromProto().QueryDataResponse(resp)
}

// QueryDataRaw sends a data request over gRPC and returns the answer as it came, frames
// still encoded: for load generators, which must not spend the host's CPU decoding what
// they do not read.
func (h *Host) QueryDataRaw(ctx context.Context, req *backend.QueryDataRequest) (*pluginv2.QueryDataResponse, error) {
	resp, err := h.data.QueryData(ctx, backend.ToProto().QueryDataRequest(req))
	if err != nil {
		return nil, fmt.Errorf("QueryData: %w", err)
	}
	return resp, nil
}

// CheckHealth sends a health check over gRPC.
func (h *Host) CheckHealth(ctx context.Context, pc backend.PluginContext) (*backend.CheckHealthResult, error) {
	resp, err := h.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: backend.ToProto().PluginContext(pc)})
	if err != nil {
		return nil, fmt.Errorf("CheckHealth: %w", err)
	}
	return backend.FromProto().CheckHealthResponse(resp), nil
}

// CallResource calls a resource route over gRPC and gathers the streamed response.
func (h *Host) CallResource(ctx context.Context, pc backend.PluginContext, method, path string, query url.Values, body []byte) (int, []byte, error) {
	u := path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req := &backend.CallResourceRequest{PluginContext: pc, Path: path, Method: method, URL: u, Body: body,
		Headers: map[string][]string{"Content-Type": {"application/json"}}}
	resp, err := h.CallResourceRequest(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	return resp.Status, resp.Body, nil
}

// CallResourceRequest sends a resource request as it is over gRPC and gathers the
// streamed response: the status and headers of the first chunk, the bodies of all.
func (h *Host) CallResourceRequest(ctx context.Context, req *backend.CallResourceRequest) (*backend.CallResourceResponse, error) {
	stream, err := h.resource.CallResource(ctx, backend.ToProto().CallResourceRequest(req))
	if err != nil {
		return nil, fmt.Errorf("CallResource %s: %w", req.Path, err)
	}
	var resp *backend.CallResourceResponse
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CallResource %s: %w", req.Path, err)
		}
		if resp == nil {
			resp = backend.FromProto().CallResourceResponse(chunk)
			continue
		}
		resp.Body = append(resp.Body, chunk.Body...)
	}
	if resp == nil {
		resp = &backend.CallResourceResponse{}
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	return resp, nil
}
