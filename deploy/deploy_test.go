// Package deploy holds the files operators deploy linkpass with: a systemd
// unit, a Dockerfile and a three-node cluster example. Its tests check what
// can be checked on a machine without a container engine.
package deploy

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/tooltest"
)

// TestDockerfileBuildsAStaticNonRootImage reads the Dockerfile's rules
// (final stage from scratch, a numeric non-root user, CGO off) and runs its
// go build command here, then checks the binary has no ELF interpreter:
// it must start in an image with no C library.
func TestDockerfileBuildsAStaticNonRootImage(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(df, -1)
	require.NotEmpty(t, froms)
	assert.Equal(t, "scratch", froms[len(froms)-1][1], "the final image holds nothing but the binary")
	user := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindStringSubmatch(df)
	require.NotNil(t, user, "the image names a numeric user")
	assert.NotEqual(t, "0", user[1], "the register never runs as root")
	assert.Contains(t, df, "CGO_ENABLED=0")

	if testing.Short() {
		t.Skip("-short: not building the static binary")
	}
	out := filepath.Join(t.TempDir(), "linkpass")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "../cmd/linkpass")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	f, err := elf.Open(out)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, p.Type, "the binary asks for a dynamic loader, which a scratch image lacks")
	}
	// It runs with nothing but itself.
	v := exec.Command(out, "--version")
	v.Env = []string{}
	msg, err = v.CombinedOutput()
	require.NoError(t, err, "%s", msg)
}

// TestSystemdUnitVerifies runs systemd-analyze verify on the units, with
// the binary path pointed at a real file, and fails on any complaint.
func TestSystemdUnitVerifies(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		tooltest.Missing(t, "systemd", "systemd-analyze is not installed (Debian package systemd)")
	}
	for _, unit := range []string{"linkpass.service", "cluster/linkpass-cluster.service"} {
		t.Run(unit, func(t *testing.T) { verifyUnit(t, unit) })
	}
}

func verifyUnit(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	dir := t.TempDir()
	bin := filepath.Join(dir, "linkpass")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755))
	unit := filepath.Join(dir, filepath.Base(path))
	text := strings.ReplaceAll(string(b), "/usr/local/bin/linkpass", bin)
	// The environment file is the operator's; point it at an example.
	env := filepath.Join(dir, "cluster.env")
	require.NoError(t, os.WriteFile(env, []byte("NODE_ID=node-1\nRAFT_ADDR=10.0.0.1:7000\nJOIN_OPTS=\n"), 0o644))
	text = strings.ReplaceAll(text, "/etc/linkpass/cluster.env", env)
	require.NoError(t, os.WriteFile(unit, []byte(text), 0o644))
	cmd := exec.Command("systemd-analyze", "verify", unit)
	msg, _ := cmd.CombinedOutput()
	var complaints []string
	sc := bufio.NewScanner(strings.NewReader(string(msg)))
	for sc.Scan() {
		line := sc.Text()
		// Outside a booted systemd (containers, CI) it cannot resolve the
		// targets and users; those lines are about the machine, not the unit.
		if strings.Contains(line, filepath.Base(path)) && !strings.Contains(line, "Failed to") {
			complaints = append(complaints, line)
		}
	}
	assert.Empty(t, complaints, "systemd-analyze verify:\n%s", msg)
	for _, want := range []string{"User=linkpass", "NoNewPrivileges=yes", "ProtectSystem=strict", "KillSignal=SIGTERM"} {
		assert.Contains(t, string(b), want)
	}
}
