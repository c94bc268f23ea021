// Package version says which build of linkpass is running: the release
// version and the commit it was built from.
//
// Both come from the Go toolchain's build information (the module version,
// and the vcs.* settings that `go build` records from a git checkout).
// A release build may set them instead:
//
//	go build -ldflags "-X github.com/nalw/linkpass/internal/version.version=v1.4.0 -X github.com/nalw/linkpass/internal/version.commit=abc123" ./cmd/linkpass
package version

import (
	"fmt"
	"runtime/debug"
)

// Set with -ldflags -X; empty means "from the build information".
var (
	version string
	commit  string
)

// Info describes the running build.
type Info struct {
	// Version is the release version, or "devel" for an untagged build.
	Version string `json:"version"`
	// Commit is the git commit the binary was built from, "unknown" when
	// the build did not record one.
	Commit string `json:"commit"`
	// CommitTime is the commit's time (RFC 3339), when recorded.
	CommitTime string `json:"commit_time,omitempty"`
	// Modified says the checkout had uncommitted changes.
	Modified bool `json:"modified,omitempty"`
}

// Get returns the running build's version and commit.
func Get() Info { return from(debug.ReadBuildInfo()) }

func from(bi *debug.BuildInfo, ok bool) Info {
	in := Info{Version: "devel", Commit: "unknown"}
	if ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			in.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Commit = s.Value
			case "vcs.time":
				in.CommitTime = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	if version != "" {
		in.Version = version
	}
	if commit != "" {
		in.Commit, in.CommitTime, in.Modified = commit, "", false
	}
	return in
}

// String is the one-line form `linkpass --version` prints.
func (in Info) String() string {
	s := fmt.Sprintf("%s (commit %s", in.Version, in.Commit)
	if in.Modified {
		s += ", modified"
	}
	if in.CommitTime != "" {
		s += ", " + in.CommitTime
	}
	return s + ")"
}
