// Package metrics exports the register's Prometheus metrics: Raft, snapshot
// and backup health, the age of each served status list, requests per route
// template, and registrants by status. Labels never carry a path, a name, a
// registration number or a token: routes are labelled by their template.
package metrics

import (
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/register"
)

// Metrics holds the register's collectors.
type Metrics struct {
	reg      *prometheus.Registry
	apply    prometheus.Histogram
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	refused  *prometheus.CounterVec
}

// New returns the metrics, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		apply: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "linkpass_raft_apply_duration_seconds",
			Help: "Time to commit and apply a change through Raft.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "linkpass_http_requests_total",
			Help: "HTTP requests by route template, method and status code."}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "linkpass_http_request_duration_seconds",
			Help: "HTTP request latency by route template and method.", Buckets: prometheus.DefBuckets}, []string{"route", "method"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "linkpass_http_refused_total",
			Help: "Anonymous requests refused by the fair share, by class (search, verify, public) and reason (rate_limited: one client over its rate; busy: the class's concurrency full)."}, []string{"class", "reason"}),
	}
	m.reg.MustRegister(m.apply, m.requests, m.latency, m.refused, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveApply records how long a change took to commit.
func (m *Metrics) ObserveApply(d time.Duration) { m.apply.Observe(d.Seconds()) }

// ObserveRequest records a served request. route must be a route template.
func (m *Metrics) ObserveRequest(route, method string, code int, d time.Duration) {
	method = normalMethod(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// ObserveRefusal records a request the fair share refused.
func (m *Metrics) ObserveRefusal(class, reason string) {
	m.refused.WithLabelValues(class, reason).Inc()
}

// normalMethod keeps a client's made-up method out of the label values.
func normalMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// Watch exports srv's health, status lists and registrant counts, read at
// each scrape.
func (m *Metrics) Watch(srv *issuer.Server) { m.reg.MustRegister(&serverCollector{srv: srv}) }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is the registry behind Handler, for tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Requests is the request counter, for tests.
func (m *Metrics) Requests() *prometheus.CounterVec { return m.requests }

var (
	descRaftState     = prometheus.NewDesc("linkpass_raft_state", "1 for this node's current Raft state.", []string{"state"}, nil)
	descTerm          = prometheus.NewDesc("linkpass_raft_term", "Current Raft term.", nil, nil)
	descCommit        = prometheus.NewDesc("linkpass_raft_commit_index", "Highest Raft log index known committed.", nil, nil)
	descApplied       = prometheus.NewDesc("linkpass_raft_applied_index", "Highest Raft log index applied to the register.", nil, nil)
	descSnapIndex     = prometheus.NewDesc("linkpass_snapshot_last_index", "Raft log index of the newest snapshot.", nil, nil)
	descSnapAt        = prometheus.NewDesc("linkpass_snapshot_last_timestamp_seconds", "When the newest snapshot was taken (Unix time; 0 if none).", nil, nil)
	descBackupAt      = prometheus.NewDesc("linkpass_backup_last_success_timestamp_seconds", "When this process last took a backup (Unix time; 0 if none since it started).", nil, nil)
	descBackupFail    = prometheus.NewDesc("linkpass_backup_failures_total", "Backups that failed to be taken or to verify since this process started.", nil, nil)
	descOffsiteAt     = prometheus.NewDesc("linkpass_backup_offsite_last_success_timestamp_seconds", "When a verified backup was last copied off-site and read back (Unix time; 0 if none since it started).", nil, nil)
	descOffsiteFail   = prometheus.NewDesc("linkpass_backup_offsite_failures_total", "Off-site backup copies that failed since this process started.", nil, nil)
	descListAge       = prometheus.NewDesc("linkpass_status_list_age_seconds", "Age of the status list token being served.", []string{"list"}, nil)
	descListTTL       = prometheus.NewDesc("linkpass_status_list_ttl_seconds", "The ttl the served status list token gives verifiers.", []string{"list"}, nil)
	descPublishFail   = prometheus.NewDesc("linkpass_status_publish_failures_total", "Failed attempts to publish the status lists.", nil, nil)
	descPublishFailng = prometheus.NewDesc("linkpass_status_publish_failing", "1 while the last attempt to publish the status lists failed.", nil, nil)
	descRegistrants   = prometheus.NewDesc("linkpass_registrants", "Registrants by status.", []string{"status"}, nil)
	descLastContact   = prometheus.NewDesc("linkpass_raft_last_contact_seconds", "Cluster members: seconds since this follower last heard from the leader (0 on the leader).", nil, nil)
	descLeaderLost    = prometheus.NewDesc("linkpass_cluster_leader_lost", "Cluster members: 1 while this node has had no leader for longer than --leader-lost-after.", nil, nil)
	descVoters        = prometheus.NewDesc("linkpass_cluster_voters", "Cluster members: voters in the configuration, as this node knows it.", nil, nil)
	descBehind        = prometheus.NewDesc("linkpass_raft_apply_lag_entries", "Log entries this node knows committed but has not applied yet.", nil, nil)
	descDisk          = prometheus.NewDesc("linkpass_data_disk_used_ratio", "Share (0 to 1) of the data directory's file system in use.", nil, nil)
)

// serverCollector reads the register at scrape time, so no figure is
// stale and nothing runs between scrapes.
type serverCollector struct{ srv *issuer.Server }

func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRaftState, descTerm, descCommit, descApplied, descSnapIndex, descSnapAt,
		descBackupAt, descBackupFail, descOffsiteAt, descOffsiteFail, descListAge, descListTTL, descPublishFail, descPublishFailng, descRegistrants, descDisk,
		descLastContact, descLeaderLost, descVoters, descBehind} {
		ch <- d
	}
}

// raftStates are every state linkpass_raft_state reports, so a query for
// the leader finds a zero rather than nothing.
var raftStates = []string{"Leader", "Follower", "Candidate", "Shutdown"}

func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	unix := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.UnixMilli()) / 1000
	}
	h := c.srv.Health()
	for _, s := range raftStates {
		v := 0.0
		if s == h.RaftState {
			v = 1
		}
		g(descRaftState, v, s)
	}
	g(descTerm, float64(h.Term))
	g(descCommit, float64(h.CommitIndex))
	g(descApplied, float64(h.AppliedIndex))
	if h.CommitIndex > h.AppliedIndex {
		g(descBehind, float64(h.CommitIndex-h.AppliedIndex))
	} else {
		g(descBehind, 0)
	}
	if h.Clustered {
		g(descLastContact, h.LastContact.Seconds())
		lost := 0.0
		if h.LeaderLost {
			lost = 1
		}
		g(descLeaderLost, lost)
		g(descVoters, float64(h.Voters))
	}
	g(descSnapIndex, float64(h.LastSnapshotIndex))
	g(descSnapAt, unix(h.LastSnapshotAt))
	g(descBackupAt, unix(h.LastBackupAt))
	ch <- prometheus.MustNewConstMetric(descBackupFail, prometheus.CounterValue, float64(h.BackupFailures))
	g(descOffsiteAt, unix(h.LastOffsiteAt))
	ch <- prometheus.MustNewConstMetric(descOffsiteFail, prometheus.CounterValue, float64(h.OffsiteFailures))
	ch <- prometheus.MustNewConstMetric(descPublishFail, prometheus.CounterValue, float64(h.PublishFailures))
	failing := 0.0
	if h.PublishFailing {
		failing = 1
	}
	g(descPublishFailng, failing)
	if h.DiskUsed >= 0 {
		g(descDisk, h.DiskUsed)
	}
	now := c.srv.Now()
	for _, l := range c.srv.PublishedLists() {
		g(descListAge, now.Sub(l.IssuedAt).Seconds(), l.ID)
		g(descListTTL, l.TTL.Seconds(), l.ID)
	}
	c.registrants(g)
}

// registrants reports the counts the register keeps as changes are
// applied, so a scrape costs the same whatever the register's size (it
// used to read every registrant).
func (c *serverCollector) registrants(g func(*prometheus.Desc, float64, ...string)) {
	counts := c.srv.State().RegistrantCounts()
	for _, s := range []register.Status{register.Registered, register.Suspended, register.Lapsed, register.Removed} {
		if _, ok := counts[s]; !ok {
			counts[s] = 0 // a zero rather than nothing
		}
	}
	for s, n := range counts {
		g(descRegistrants, float64(n), string(s))
	}
}

// Names are the names of every linkpass metric family this package
// exports, read from the collectors' descriptions.
func (m *Metrics) Names() []string {
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range []prometheus.Collector{m.apply, m.requests, m.latency, m.refused, &serverCollector{}} {
			c.Describe(ch)
		}
		close(ch)
	}()
	var names []string
	for d := range ch {
		if s := fqNameRe.FindStringSubmatch(d.String()); s != nil {
			names = append(names, s[1])
		}
	}
	return names
}

var fqNameRe = regexp.MustCompile(`fqName: "([a-z_:]+)"`)
