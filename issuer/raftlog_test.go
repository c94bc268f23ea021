package issuer

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRaftLogIsRateLimited writes a flood of Raft error lines, as its
// election retries make on a full disk: a handful reach the log.
func TestRaftLogIsRateLimited(t *testing.T) {
	var buf bytes.Buffer
	l := newRaftLog(slog.New(slog.NewTextHandler(&buf, nil)))
	for i := 0; i < 10000; i++ {
		_, _ = l.Write([]byte("[ERROR] raft: failed to persist vote: no space left on device\n"))
	}
	n := strings.Count(buf.String(), "\n")
	assert.GreaterOrEqual(t, n, 1, "the first lines get through")
	assert.LessOrEqual(t, n, 6, "not a flood:\n%s", buf.String())
	assert.Equal(t, 10000-n, l.suppressed, "what was left out is counted, for the next line")
}
