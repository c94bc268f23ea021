package datadir

import (
	"time"

	"go.etcd.io/bbolt"
)

// LogOptions are the bbolt options the register's log is opened with.
//
// The freelist is not written at each commit (NoFreelistSync): it is
// rebuilt by a scan when the log opens. In memory it is a hash map, not
// bbolt's default sorted array: the array is merged whole at every
// transaction, which, once a large import has been compacted out of the
// log and left hundreds of thousands of free pages, cost more than
// everything else a write does (profiled at 1,000,000 registrants). The
// choice changes nothing on disk.
func LogOptions() *bbolt.Options {
	return &bbolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType}
}
