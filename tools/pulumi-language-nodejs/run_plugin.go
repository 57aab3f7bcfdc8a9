// RunPlugin for the Node.js language host that tools/build.sh builds from sdk/v3@v3.68.0, the newest copy of the host
// the Go module proxy serves. That host answers RunPlugin with "not supported", but CLI 3.274.1 starts Node.js
// policy packs (`--policy-pack`) through RunPlugin only, so without this no pack could run here. tools/build.sh copies
// the host's package main, drops its stub and builds it with this file.
//
// The CLI sends fields the 3.68 protocol does not know: `info` (5, a ProgramInfo: 1 root_directory, 2
// program_directory, 3 entry_point) and `kind` (6, "analyzer" for a policy pack). They arrive as unknown fields and
// are read from there. A policy pack runs as the retired `pulumi-analyzer-policy` shim ran it: `node
// @pulumi/pulumi/cmd/run-policy-pack <engine-address> .` in the pack's directory, with the SDK from its node_modules.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/encoding/protowire"
)

// newerRunPluginFields are the RunPluginRequest fields the 3.68 protocol lacks.
type newerRunPluginFields struct {
	programDirectory string
	entryPoint       string
	kind             string
}

func decodeNewerRunPluginFields(unknown []byte) (newerRunPluginFields, error) {
	var f newerRunPluginFields
	err := eachBytesField(unknown, func(num protowire.Number, value []byte) error {
		switch num {
		case 5: // info: ProgramInfo
			return eachBytesField(value, func(num protowire.Number, value []byte) error {
				switch num {
				case 2:
					f.programDirectory = string(value)
				case 3:
					f.entryPoint = string(value)
				}
				return nil
			})
		case 6: // kind
			f.kind = string(value)
		}
		return nil
	})
	return f, err
}

// eachBytesField calls fn with every length-delimited field of an encoded message, skipping fields of other types.
func eachBytesField(b []byte, fn func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		value, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, value); err != nil {
			return err
		}
	}
	return nil
}

// streamWriter forwards a child's output to the CLI as RunPluginResponse messages; Send is not safe concurrently.
type streamWriter struct {
	mu     *sync.Mutex
	server pulumirpc.LanguageRuntime_RunPluginServer
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	data := append([]byte(nil), p...)
	var msg pulumirpc.RunPluginResponse
	if w.stderr {
		msg.Output = &pulumirpc.RunPluginResponse_Stderr{Stderr: data}
	} else {
		msg.Output = &pulumirpc.RunPluginResponse_Stdout{Stdout: data}
	}
	if err := w.server.Send(&msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (host *nodeLanguageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	fields, err := decodeNewerRunPluginFields(req.ProtoReflect().GetUnknown())
	if err != nil {
		return fmt.Errorf("reading the RunPlugin request: %w", err)
	}
	if fields.kind != "analyzer" {
		return fmt.Errorf("this host runs only policy packs (analyzer plugins) through RunPlugin, not %q plugins", fields.kind)
	}
	dir := fields.programDirectory
	if dir == "" {
		dir = req.GetProgram()
	}
	if dir == "" {
		return errors.New("RunPlugin: the request names no policy pack directory")
	}
	script := filepath.Join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack")
	if _, err := os.Stat(script); err != nil {
		// The CLI recognises this message and tells the user to install the pack's dependencies.
		return fmt.Errorf("Cannot find module '@pulumi/pulumi/cmd/run-policy-pack' in %s", dir)
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return errors.New("could not find node on the $PATH")
	}

	cmd := exec.CommandContext(server.Context(), nodeBin, append(append([]string{script}, req.GetArgs()...), ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	mu := &sync.Mutex{}
	cmd.Stdout = streamWriter{mu: mu, server: server}
	cmd.Stderr = streamWriter{mu: mu, server: server, stderr: true}
	runErr := cmd.Run()

	code := int32(0)
	var exitErr *exec.ExitError
	switch {
	case errors.As(runErr, &exitErr):
		code = int32(exitErr.ExitCode())
	case runErr != nil && !errors.Is(runErr, io.EOF):
		return fmt.Errorf("running the policy pack in %s: %w", dir, runErr)
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}
