package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// binary is the linkpass binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "linkpass-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "linkpass")
	out, err := exec.Command("go", "build", "-o", binary, "../../cmd/linkpass").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building linkpass: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running `linkpass serve`.
type server struct {
	t      testing.TB
	cmd    *exec.Cmd
	data   string
	URL    string
	token  string
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listenRe = regexp.MustCompile(`msg="register listening" addr=(\S+)`)

// startServer runs serve on a free loopback port with data dir and waits
// until it is ready.
func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, extra...)
	if _, err := os.Stat(filepath.Join(data, "linkpass.json")); err != nil {
		args = append(args, "--init") // a new register is made only when asked
	}
	s := launch(t, data, args)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never became ready\nstderr:\n%s", s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	tok, err := os.ReadFile(filepath.Join(data, "admin.token"))
	require.NoError(t, err)
	s.token = strings.TrimSpace(string(tok))
	return s
}

// launch runs linkpass with args and waits until it listens.
func launch(t testing.TB, data string, args []string) *server {
	t.Helper()
	s := &server{t: t, data: data, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	require.NoError(t, s.cmd.Start())
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := listenRe.FindStringSubmatch(s.stderr.String()); m != nil {
			s.URL = "http://" + m[1]
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("serve exited before listening: %v\nstderr:\n%s", err, s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start listening\nstderr:\n%s", s.stderr.String())
		}
	}
}

// kill sends SIGKILL: no chance to flush or shut down cleanly.
func (s *server) kill() {
	if s.cmd.ProcessState == nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
		s.done <- nil // let a second kill return at once
	}
}

// stop sends SIGTERM and waits for a graceful exit.
func (s *server) stop() error {
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(30 * time.Second):
		s.t.Fatal("serve did not stop within 30s of SIGTERM")
		return nil
	}
}

var (
	userDirsMu sync.Mutex
	userDirsOf = map[string]string{}
)

// userDirs returns the test's own home directory for CLI runs.
func userDirs(t testing.TB) string {
	userDirsMu.Lock()
	defer userDirsMu.Unlock()
	if d, ok := userDirsOf[t.Name()]; ok {
		return d
	}
	d := t.TempDir()
	userDirsOf[t.Name()] = d
	return d
}

// result is one CLI run.
type result struct {
	code   int
	stdout string
	stderr string
}

// run runs the CLI against s with the given token (admin if empty).
func (s *server) run(t testing.TB, token string, args ...string) result {
	t.Helper()
	if token == "" {
		token = s.token
	}
	return runCLI(t, []string{"LINKPASS_SERVER=" + s.URL, "LINKPASS_TOKEN=" + token}, "", args...)
}

func runCLI(t testing.TB, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	// Each test has its own configuration, data and cache directories, so
	// a bundle or wallet on the developer's machine never leaks in.
	home := userDirs(t)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"), "HOME="+home)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// runJSON runs the CLI with --json, requires exit code want, and decodes
// the one JSON document it prints.
func (s *server) runJSON(t testing.TB, want int, v any, args ...string) {
	t.Helper()
	r := s.run(t, "", append(args, "--json")...)
	require.Equal(t, want, r.code, "linkpass %v\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
	decodeOne(t, r.stdout, v)
}

// decodeOne requires exactly one JSON document in s.
func decodeOne(t testing.TB, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	require.NoError(t, dec.Decode(v), "stdout: %s", s)
	var extra json.RawMessage
	require.ErrorIs(t, dec.Decode(&extra), io.EOF, "more than one JSON document: %s", s)
}

// lines returns non-empty lines.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			out = append(out, sc.Text())
		}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after limit: load
// and crash tests must stop by themselves.
func waitFor(t testing.TB, limit time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, limit)
		}
		time.Sleep(time.Millisecond)
	}
}
