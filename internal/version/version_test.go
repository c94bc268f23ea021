package version

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVersionComesFromBuildInfoUnlessSetAtLinkTime(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-03-15T09:30:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	in := from(bi, true)
	assert.Equal(t, Info{Version: "v1.2.3", Commit: "0123abcd", CommitTime: "2026-03-15T09:30:00Z", Modified: true}, in)
	assert.Equal(t, "v1.2.3 (commit 0123abcd, modified, 2026-03-15T09:30:00Z)", in.String())

	assert.Equal(t, Info{Version: "devel", Commit: "unknown"}, from(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true))
	assert.Equal(t, Info{Version: "devel", Commit: "unknown"}, from(nil, false))

	version, commit = "v2.0.0", "feedface"
	defer func() { version, commit = "", "" }()
	assert.Equal(t, Info{Version: "v2.0.0", Commit: "feedface"}, from(bi, true), "-ldflags -X wins over the build information")
}
