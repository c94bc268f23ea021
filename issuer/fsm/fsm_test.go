package fsm_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/regno"
)

var (
	start     = time.Date(2026, 3, 15, 9, 30, 0, 0, time.UTC)
	registrar = register.Actor{TokenID: "aaaaaaaaaaaaaaaa", Role: register.RoleRegistrar}
	admin     = register.Actor{TokenID: "bbbbbbbbbbbbbbbb", Role: register.RoleAdmin}
)

// harness applies commands as Raft would: one log entry per command, at
// increasing indices.
type harness struct {
	t   *testing.T
	f   *fsm.FSM
	idx uint64
	at  time.Time
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	f, err := fsm.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	return &harness{t: t, f: f, at: start}
}

// apply writes cmd at the next index and returns what Apply returned.
func (h *harness) apply(actor register.Actor, cmd fsm.Command) any {
	h.t.Helper()
	data, err := fsm.Encode(cmd, actor, h.at)
	require.NoError(h.t, err)
	h.idx++
	res := h.f.Apply(&raft.Log{Index: h.idx, Term: 1, Type: raft.LogCommand, Data: data})
	if a, ok := res.(fsm.Applied); ok {
		return a.Result
	}
	return res
}

// ok applies cmd and fails the test if it was refused.
func (h *harness) ok(actor register.Actor, cmd fsm.Command) any {
	h.t.Helper()
	res := h.apply(actor, cmd)
	if err, isErr := res.(error); isErr {
		h.t.Fatalf("%T refused: %v", cmd, err)
	}
	return res
}

func (h *harness) add(given, family string) *register.Registrant {
	h.t.Helper()
	res := h.ok(registrar, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: given, Family: family, Nation: "england", Email: strings.ToLower(given) + "@example.org"}})
	return res.(fsm.Result).Registrant
}

func (h *harness) change(c fsm.ChangeRegistrant) *register.Registrant {
	h.t.Helper()
	return h.ok(registrar, c).(fsm.Result).Registrant
}

func (h *harness) state() *state.Store { return h.f.State() }

func (h *harness) lastEvents() []*register.AuditEvent {
	h.t.Helper()
	evs, err := h.state().Audit(state.AuditFilter{After: h.idx - 1})
	require.NoError(h.t, err)
	return evs
}

// persisted returns the whole state as snapshot bytes: two equal results
// mean two equal registers, every table and index included.
func persisted(t *testing.T, s *state.Store) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, s.Snapshot().Persist(&b))
	return b.Bytes()
}

func TestApplyEveryCommandType(t *testing.T) {
	h := newHarness(t)

	// Settings.
	name, url, days := "NALW Register", "https://register.nalw.org.uk", 400
	res := h.ok(admin, fsm.SetSettings{RegisterName: &name, IssuerURL: &url, RemovedVisibleDays: &days})
	s := res.(register.Settings)
	assert.Equal(t, name, s.RegisterName)
	assert.Equal(t, url, h.state().Settings().IssuerURL)
	assert.Equal(t, 400, h.state().Settings().RemovedVisibleDays)
	assert.Equal(t, "settings.update", h.lastEvents()[0].Action)

	qm := register.QualityMark{Accredited: true, Since: "2025-04-01", Until: "2028-03-31", Reference: "PSA-1"}
	h.ok(admin, fsm.SetSettings{QualityMark: &qm})
	assert.Equal(t, qm, h.state().Settings().QualityMark)
	assert.Equal(t, name, h.state().Settings().RegisterName, "nil fields are left as they were")
	ev := h.lastEvents()[0]
	assert.Equal(t, "quality-mark.set", ev.Action)
	assert.Equal(t, "true", ev.Details["accredited"])

	// Registrants: add, then every operation.
	r := h.add("Amara", "Nwosu")
	assert.Equal(t, regno.Format(regno.FirstSerial), r.Number)
	assert.Equal(t, register.Registered, r.Status)
	assert.Equal(t, h.idx, r.CreateIndex)
	assert.Equal(t, "registrant.add", h.lastEvents()[0].Action)

	ops := []struct {
		cmd    fsm.ChangeRegistrant
		status register.Status
		check  func(t *testing.T, r *register.Registrant)
	}{
		{fsm.ChangeRegistrant{Op: fsm.OpQualification, Qualification: &register.Qualification{Title: "Level 4", Level: 4, Provider: "OU", Accreditation: "nalw-accredited", Awarded: "2024-07-01"}}, register.Registered,
			func(t *testing.T, r *register.Registrant) { assert.Len(t, r.Qualifications, 1) }},
		{fsm.ChangeRegistrant{Op: fsm.OpCPD, CPD: &register.CPD{Year: 2025, Hours: 21, FormalHours: 11}}, register.Registered,
			func(t *testing.T, r *register.Registrant) { assert.Equal(t, 21.0, r.CPD[0].Hours) }},
		{fsm.ChangeRegistrant{Op: fsm.OpRestrict, Text: "Must not work alone.", Reason: "FTP panel"}, register.Registered,
			func(t *testing.T, r *register.Registrant) { assert.True(t, r.Restricted()) }},
		{fsm.ChangeRegistrant{Op: fsm.OpUnrestrict, Reason: "conditions met"}, register.Registered,
			func(t *testing.T, r *register.Registrant) { assert.False(t, r.Restricted()) }},
		{fsm.ChangeRegistrant{Op: fsm.OpSuspend, Reason: "interim order", Until: "2026-06-30"}, register.Suspended,
			func(t *testing.T, r *register.Registrant) {
				assert.Equal(t, register.Date("2026-06-30"), r.SuspendedUntil)
			}},
		{fsm.ChangeRegistrant{Op: fsm.OpReinstate, Reason: "order lifted"}, register.Registered, nil},
		{fsm.ChangeRegistrant{Op: fsm.OpRenew, Until: "2028-03-31"}, register.Registered,
			func(t *testing.T, r *register.Registrant) {
				assert.Equal(t, register.Date("2028-03-31"), r.RegisteredUntil)
			}},
		{fsm.ChangeRegistrant{Op: fsm.OpRemove, Reason: "struck off"}, register.Removed, nil},
	}
	for _, op := range ops {
		op.cmd.Number = r.Number
		got := h.change(op.cmd)
		assert.Equal(t, op.status, got.Status, op.cmd.Op)
		assert.Equal(t, h.idx, got.ModifyIndex, op.cmd.Op)
		assert.Equal(t, r.CreateIndex, got.CreateIndex, op.cmd.Op)
		stored, err := h.state().Registrant(r.Number)
		require.NoError(t, err)
		assert.Equal(t, got, stored, "the result is what was stored")
		if op.check != nil {
			op.check(t, stored)
		}
		evs := h.lastEvents()
		require.Len(t, evs, 1, op.cmd.Op)
		assert.Equal(t, "registrant."+string(op.cmd.Op), evs[0].Action)
		assert.Equal(t, r.Number, evs[0].Registrant)
		assert.Equal(t, op.cmd.Reason, evs[0].Reason)
	}

	// Lapse sweep.
	h.add("Gareth", "Llewellyn")
	h.at = start.AddDate(1, 0, 0)
	assert.Equal(t, 1, h.ok(register.System, fsm.LapseSweep{}))

	// Tokens.
	tok := h.ok(admin, fsm.CreateToken{Token: register.Token{ID: "cccccccccccccccc", Role: register.RoleAuditor, Name: "audit", SecretHash: []byte{1, 2, 3}}}).(*register.Token)
	assert.Equal(t, admin.TokenID, tok.CreatedBy)
	assert.Equal(t, h.at, tok.CreatedAt)
	stored, err := h.state().Token("cccccccccccccccc")
	require.NoError(t, err)
	assert.False(t, stored.Revoked)
	assert.Equal(t, "token.create", h.lastEvents()[0].Action)

	h.ok(admin, fsm.RevokeToken{ID: "cccccccccccccccc", Reason: "left NALW"})
	stored, err = h.state().Token("cccccccccccccccc")
	require.NoError(t, err)
	assert.True(t, stored.Revoked)
	assert.Equal(t, h.at, stored.RevokedAt)
	assert.Equal(t, "left NALW", h.lastEvents()[0].Reason)

	// Keys: the second key becomes active and the first keeps verifying.
	h.ok(admin, fsm.AddKey{Key: register.SigningKey{KID: "k1", Alg: "ES256", PublicJWK: []byte(`{"kty":"EC"}`)}})
	h.ok(admin, fsm.AddKey{Key: register.SigningKey{KID: "k2", Alg: "ES256", PublicJWK: []byte(`{"kty":"EC"}`)}})
	keys, err := h.state().Keys()
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Equal(t, register.KeyVerifying, keys[0].State)
	assert.Equal(t, register.KeyActive, keys[1].State)

	h.ok(admin, fsm.RetireKey{KID: "k1", NotAfter: h.at.Add(-time.Second)})
	keys, err = h.state().Keys()
	require.NoError(t, err)
	assert.Equal(t, register.KeyRetired, keys[0].State)
	assert.Equal(t, h.at, keys[0].RetiredAt)
	assert.Equal(t, "key.retire", h.lastEvents()[0].Action)

	h.ok(admin, fsm.AddKey{Key: register.SigningKey{KID: "k3", Alg: "ES256", PublicJWK: []byte(`{}`)}})
	h.ok(admin, fsm.RetireKey{KID: "k2", Force: true, NotAfter: h.at.Add(24 * time.Hour)})
	k2, err := h.state().Keys()
	require.NoError(t, err)
	assert.Equal(t, register.KeyRetired, k2[1].State, "force retires a key whose credentials are unexpired")

	assert.Equal(t, h.idx, h.state().Index(""))
}

func TestRefusedCommandsChangeNothing(t *testing.T) {
	h := newHarness(t)
	r := h.add("Amara", "Nwosu")
	removed := h.add("Oliver", "Hartley")
	h.change(fsm.ChangeRegistrant{Number: removed.Number, Op: fsm.OpRemove, Reason: "struck off"})
	h.ok(admin, fsm.CreateToken{Token: register.Token{ID: "cccccccccccccccc", Role: register.RoleAuditor, SecretHash: []byte{1}}})
	h.ok(admin, fsm.CreateToken{Token: register.Token{ID: "dddddddddddddddd", Role: register.RoleAuditor, SecretHash: []byte{1}}})
	h.ok(admin, fsm.RevokeToken{ID: "dddddddddddddddd"})
	// Keys in every state: k-retired, k-verifying, k-active.
	h.ok(admin, fsm.AddKey{Key: register.SigningKey{KID: "k-retired", Alg: "ES256", PublicJWK: []byte(`{}`)}})
	h.ok(admin, fsm.AddKey{Key: register.SigningKey{KID: "k-verifying", Alg: "ES256", PublicJWK: []byte(`{}`)}})
	h.ok(admin, fsm.RetireKey{KID: "k-retired"})
	h.ok(admin, fsm.AddKey{Key: register.SigningKey{KID: "k-active", Alg: "ES256", PublicJWK: []byte(`{}`)}})

	empty, long, badURL, negDays := "", strings.Repeat("n", register.MaxTitleLen+1), "register.nalw.org.uk/", -1
	badQM := register.QualityMark{Accredited: true, Since: "2027-01-01", Until: "2026-01-01"}
	cases := map[string]fsm.Command{
		"add without nation":        fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "A", Family: "B"}},
		"add with past end":         fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "A", Family: "B", Nation: "wales", RegisteredUntil: "2026-03-14"}},
		"add with bad email":        fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "A", Family: "B", Nation: "wales", Email: "nope"}},
		"change unknown registrant": fsm.ChangeRegistrant{Number: regno.Format(999999), Op: fsm.OpRemove, Reason: "x"},
		"reinstate registered":      fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpReinstate, Reason: "x"},
		"suspend without reason":    fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend},
		"suspend until today":       fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "x", Until: "2026-03-15"},
		"renew removed":             fsm.ChangeRegistrant{Number: removed.Number, Op: fsm.OpRenew},
		"remove twice":              fsm.ChangeRegistrant{Number: removed.Number, Op: fsm.OpRemove, Reason: "x"},
		"unrestrict unrestricted":   fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpUnrestrict, Reason: "x"},
		"renew to bad date":         fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRenew, Until: "2026-13-40"},
		"unknown op":                fsm.ChangeRegistrant{Number: r.Number, Op: "promote"},
		"qualification missing":     fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpQualification},
		"qualification invalid":     fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpQualification, Qualification: &register.Qualification{Title: "x"}},
		"cpd missing":               fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpCPD},
		"cpd invalid":               fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpCPD, CPD: &register.CPD{Year: 1990}},
		"settings empty name":       fsm.SetSettings{RegisterName: &empty},
		"settings long name":        fsm.SetSettings{RegisterName: &long},
		"settings bad URL":          fsm.SetSettings{IssuerURL: &badURL},
		"settings negative days":    fsm.SetSettings{RemovedVisibleDays: &negDays},
		"settings bad quality mark": fsm.SetSettings{QualityMark: &badQM},
		"token bad role":            fsm.CreateToken{Token: register.Token{ID: "eeeeeeeeeeeeeeee", Role: "root", SecretHash: []byte{1}}},
		"token without hash":        fsm.CreateToken{Token: register.Token{ID: "eeeeeeeeeeeeeeee", Role: register.RoleAdmin}},
		"token without id":          fsm.CreateToken{Token: register.Token{Role: register.RoleAdmin, SecretHash: []byte{1}}},
		"token duplicate id":        fsm.CreateToken{Token: register.Token{ID: "cccccccccccccccc", Role: register.RoleAdmin, SecretHash: []byte{9}}},
		"revoke unknown token":      fsm.RevokeToken{ID: "ffffffffffffffff"},
		"revoke twice":              fsm.RevokeToken{ID: "dddddddddddddddd"},
		"key without public key":    fsm.AddKey{Key: register.SigningKey{KID: "new", Alg: "ES256"}},
		"key duplicate":             fsm.AddKey{Key: register.SigningKey{KID: "k-verifying", Alg: "ES256", PublicJWK: []byte(`{}`)}},
		"retire active key":         fsm.RetireKey{KID: "k-active", Force: true},
		"retire retired key":        fsm.RetireKey{KID: "k-retired", Force: true},
		"retire unknown key":        fsm.RetireKey{KID: "nope", Force: true},
		"retire before expiry":      fsm.RetireKey{KID: "k-verifying", NotAfter: start.Add(time.Hour)},
	}
	wantKind := map[string]error{
		"change unknown registrant": register.ErrNotFound, "revoke unknown token": register.ErrNotFound, "retire unknown key": register.ErrNotFound,
		"reinstate registered": register.ErrConflict, "renew removed": register.ErrConflict, "remove twice": register.ErrConflict,
		"unrestrict unrestricted": register.ErrConflict, "token duplicate id": register.ErrConflict, "revoke twice": register.ErrConflict,
		"key duplicate": register.ErrConflict, "retire active key": register.ErrConflict, "retire retired key": register.ErrConflict,
		"retire before expiry": register.ErrConflict,
	}
	for name, cmd := range cases {
		t.Run(name, func(t *testing.T) {
			h.t = t
			before, beforeIdx := persisted(t, h.state()), h.state().Index("")
			res := h.apply(admin, cmd)
			err, isErr := res.(error)
			require.True(t, isErr, "Apply returned %v, want an error", res)
			want := register.ErrInvalid
			if k, ok := wantKind[name]; ok {
				want = k
			}
			require.ErrorIs(t, err, want)
			assert.Equal(t, beforeIdx, h.state().Index(""), "the index did not move")
			assert.Equal(t, before, persisted(t, h.state()), "no table changed")
		})
	}
}

func TestApplyRejectsUndecodableEntries(t *testing.T) {
	h := newHarness(t)
	h.add("Amara", "Nwosu")
	env := func(body string) []byte {
		return append([]byte{byte(fsm.MsgRegistrantAdd)}, []byte(`{"at":"2026-03-15T09:30:00Z","actor":{"token_id":"x","role":"admin"},"body":`+body+`}`)...)
	}
	cases := map[string][]byte{
		"empty entry":          {},
		"nil entry":            nil,
		"type byte only":       {byte(fsm.MsgRegistrantAdd)},
		"garbage JSON":         append([]byte{byte(fsm.MsgRegistrantAdd)}, []byte("{not json")...),
		"binary garbage":       append([]byte{byte(fsm.MsgRegistrantChange)}, 0x00, 0xff, 0x13, 0x37),
		"envelope is an array": append([]byte{byte(fsm.MsgSettings)}, []byte("[1,2,3]")...),
		"body wrong type":      env(`5`),
		"body field type":      env(`{"given_name":7}`),
		"body missing":         append([]byte{byte(fsm.MsgRegistrantChange)}, []byte(`{"at":"2026-03-15T09:30:00Z"}`)...),
		"bad time":             append([]byte{byte(fsm.MsgLapseSweep)}, []byte(`{"at":"yesterday","body":{}}`)...),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			before := persisted(t, h.state())
			var res any
			require.NotPanics(t, func() { res = h.f.Apply(&raft.Log{Index: h.idx + 1, Data: data}) })
			_, isErr := res.(error)
			require.True(t, isErr, "Apply returned %v, want an error", res)
			assert.Equal(t, before, persisted(t, h.state()))
		})
	}
}

// TestApplyStopsOnUnknownCommandTypes checks that an entry written by a
// newer release stops this node (with a message saying to upgrade) rather
// than being skipped, which would leave its register silently different
// from the log.
func TestApplyStopsOnUnknownCommandTypes(t *testing.T) {
	h := newHarness(t)
	valid, err := fsm.Encode(fsm.LapseSweep{}, register.System, start)
	require.NoError(t, err)
	for _, typ := range []byte{0, 200, 255} {
		before := persisted(t, h.state())
		assert.PanicsWithValue(t,
			fmt.Sprintf("linkpass: log entry %d (command type %d) needs a newer log format, and this release reads log format versions up to %d; upgrade linkpass on this node", h.idx+1, typ, fsm.LogVersion),
			func() { h.f.Apply(&raft.Log{Index: h.idx + 1, Data: append([]byte{typ}, valid[1:]...)}) })
		assert.Equal(t, before, persisted(t, h.state()))
	}
}

// TestApplyStopsOnEntriesOfANewerLogVersion checks that an entry saying it
// needs a newer log format stops this node with the version it needs,
// even when its command type is known here.
func TestApplyStopsOnEntriesOfANewerLogVersion(t *testing.T) {
	h := newHarness(t)
	valid, err := fsm.Encode(fsm.LapseSweep{}, register.System, start)
	require.NoError(t, err)
	newer := append([]byte{valid[0]}, []byte(fmt.Sprintf(`{"v":%d,`, fsm.LogVersion+1))...)
	newer = append(newer, valid[2:]...)
	before := persisted(t, h.state())
	assert.PanicsWithValue(t,
		fmt.Sprintf("linkpass: log entry %d (command type %d) needs log format version %d, and this release reads log format versions up to %d; upgrade linkpass on this node", h.idx+1, valid[0], fsm.LogVersion+1, fsm.LogVersion),
		func() { h.f.Apply(&raft.Log{Index: h.idx + 1, Data: newer}) })
	assert.Equal(t, before, persisted(t, h.state()))
}

// TestEntriesRecordTheLogVersionTheyNeed checks that entries of the first
// format stay as they were, and that a cluster command says it needs
// version 2.
func TestEntriesRecordTheLogVersionTheyNeed(t *testing.T) {
	old, err := fsm.Encode(fsm.LapseSweep{}, register.System, start)
	require.NoError(t, err)
	assert.NotContains(t, string(old), `"v":`)
	sealed, err := fsm.Encode(fsm.SealKeys{Keys: []state.SealedKey{{KID: "k", Sealed: []byte{1}}}}, register.System, start)
	require.NoError(t, err)
	assert.Contains(t, string(sealed), `{"v":2,`)
}

func TestRegistrationNumbersIncrementAreValidAndNeverReused(t *testing.T) {
	h := newHarness(t)
	seen := map[string]bool{}
	var serials []uint64
	check := func(r *register.Registrant) {
		t.Helper()
		canon, err := regno.Parse(r.Number)
		require.NoError(t, err, "valid check digit")
		require.Equal(t, r.Number, canon)
		require.False(t, seen[r.Number], "number %s reused", r.Number)
		seen[r.Number] = true
		s, err := regno.Serial(r.Number)
		require.NoError(t, err)
		serials = append(serials, s)
	}
	a, b := h.add("Amara", "Nwosu"), h.add("Gareth", "Llewellyn")
	check(a)
	check(b)
	h.change(fsm.ChangeRegistrant{Number: b.Number, Op: fsm.OpRemove, Reason: "struck off"})
	// A refused add does not use up a serial.
	res := h.apply(registrar, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "X"}})
	require.Error(t, res.(error))
	for range 10 {
		check(h.add("Priya", "Raghunathan"))
	}
	want := []uint64{}
	for i := range uint64(12) {
		want = append(want, regno.FirstSerial+i)
	}
	require.Equal(t, want, serials)
	gone, err := h.state().Registrant(b.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Removed, gone.Status, "a removed entry is kept")
	assert.Equal(t, "struck off", gone.StatusReason)
}

func TestAuditEventsCarryActorTimeIndexAndReason(t *testing.T) {
	h := newHarness(t)
	r := h.add("Amara", "Nwosu")
	h.at = start.Add(90 * time.Minute)
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "Interim order FTP-12", Until: "2026-09-01"})
	evs := h.lastEvents()
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, registrar, ev.Actor)
	assert.Equal(t, h.at, ev.At)
	assert.Equal(t, h.idx, ev.Index)
	assert.Equal(t, uint32(0), ev.Seq)
	assert.Equal(t, "Interim order FTP-12", ev.Reason)
	assert.Equal(t, "registrant.suspend", ev.Action)
	assert.Equal(t, r.Number, ev.Registrant)
	assert.Equal(t, map[string]string{"from": "registered", "to": "suspended", "until": "2026-09-01"}, ev.Details)

	h.at = start.Add(3 * time.Hour)
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRemove, Reason: "Struck off"})
	all, err := h.state().Audit(state.AuditFilter{Registrant: r.Number})
	require.NoError(t, err)
	require.Len(t, all, 3)
	assert.Equal(t, []string{"registrant.add", "registrant.suspend", "registrant.remove"}, []string{all[0].Action, all[1].Action, all[2].Action})
	assert.Equal(t, h.at, all[2].At)

	// Times are stored in UTC whatever zone the leader's clock used.
	h.at = time.Date(2026, 3, 15, 23, 30, 0, 0, time.FixedZone("BST", 3600))
	r2 := h.add("Gareth", "Llewellyn")
	assert.Equal(t, time.UTC, h.lastEvents()[0].At.Location())
	assert.Equal(t, register.Date("2026-03-15"), r2.RegisteredFrom, "the date of the change is the UTC date")
}

func TestLapseSweepLapsesOnlyDueRegistrants(t *testing.T) {
	h := newHarness(t)
	add := func(given string, until register.Date) *register.Registrant {
		res := h.ok(registrar, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: given, Family: "Test", Nation: "scotland", RegisteredUntil: until}})
		return res.(fsm.Result).Registrant
	}
	dueA := add("DueA", "2026-04-01")
	dueB := add("DueB", "2026-04-10")
	lastDay := add("LastDay", "2026-04-11")
	later := add("Later", "2027-01-01")
	suspended := add("Suspended", "2026-04-01")
	h.change(fsm.ChangeRegistrant{Number: suspended.Number, Op: fsm.OpSuspend, Reason: "order"})
	removed := add("Removed", "2026-04-01")
	h.change(fsm.ChangeRegistrant{Number: removed.Number, Op: fsm.OpRemove, Reason: "struck off"})

	h.at = time.Date(2026, 4, 11, 8, 0, 0, 0, time.UTC)
	res := h.ok(register.System, fsm.LapseSweep{})
	assert.Equal(t, 2, res)
	sweepIdx := h.idx

	status := func(r *register.Registrant) register.Status {
		got, err := h.state().Registrant(r.Number)
		require.NoError(t, err)
		return got.Status
	}
	assert.Equal(t, register.Lapsed, status(dueA))
	assert.Equal(t, register.Lapsed, status(dueB))
	assert.Equal(t, register.Registered, status(lastDay), "valid all of its last day")
	assert.Equal(t, register.Registered, status(later))
	assert.Equal(t, register.Suspended, status(suspended), "a suspension stays the more important fact")
	assert.Equal(t, register.Removed, status(removed))

	evs := h.lastEvents()
	require.Len(t, evs, 2, "one event per lapsed registrant")
	got := map[string]bool{}
	for i, ev := range evs {
		assert.Equal(t, "registrant.lapse", ev.Action)
		assert.Equal(t, register.System, ev.Actor)
		assert.Equal(t, sweepIdx, ev.Index)
		assert.Equal(t, uint32(i), ev.Seq)
		assert.Equal(t, h.at, ev.At)
		assert.NotEmpty(t, ev.Reason)
		assert.Equal(t, map[string]string{"from": "registered", "to": "lapsed"}, ev.Details)
		got[ev.Registrant] = true
	}
	assert.Equal(t, map[string]bool{dueA.Number: true, dueB.Number: true}, got)

	// A second sweep on the same day finds nothing.
	assert.Equal(t, 0, h.ok(register.System, fsm.LapseSweep{}))
	assert.Empty(t, h.lastEvents())
}

// bufferSink is a raft.SnapshotSink over a buffer.
type bufferSink struct {
	bytes.Buffer
	closed, cancelled bool
	failWrites        bool
}

func (s *bufferSink) Write(p []byte) (int, error) {
	if s.failWrites {
		return 0, errors.New("disk full")
	}
	return s.Buffer.Write(p)
}
func (s *bufferSink) ID() string     { return "test" }
func (s *bufferSink) Close() error   { s.closed = true; return nil }
func (s *bufferSink) Cancel() error  { s.cancelled = true; return nil }
func (s *bufferSink) String() string { return "bufferSink" }

var _ raft.SnapshotSink = (*bufferSink)(nil)

func TestFSMSnapshotRestoreRoundTrip(t *testing.T) {
	h := newHarness(t)
	url := "https://register.nalw.org.uk"
	h.ok(admin, fsm.SetSettings{IssuerURL: &url})
	for _, n := range []string{"Amara", "Gareth", "Eilidh", "Ciaran"} {
		h.add(n, "Test")
	}
	regs, err := h.state().Registrants("")
	require.NoError(t, err)
	h.change(fsm.ChangeRegistrant{Number: regs[1].Number, Op: fsm.OpRestrict, Text: "Must not work alone.", Reason: "panel"})
	h.change(fsm.ChangeRegistrant{Number: regs[2].Number, Op: fsm.OpRemove, Reason: "struck off"})
	h.ok(admin, fsm.CreateToken{Token: register.Token{ID: "cccccccccccccccc", Role: register.RoleAuditor, SecretHash: []byte{1}}})
	h.ok(admin, fsm.AddKey{Key: register.SigningKey{KID: "k1", Alg: "ES256", PublicJWK: []byte(`{}`)}})
	want := persisted(t, h.state())

	snap, err := h.f.Snapshot()
	require.NoError(t, err)
	// A change after the snapshot is not in it.
	h.add("Later", "Test")

	sink := &bufferSink{}
	require.NoError(t, snap.Persist(sink))
	snap.Release()
	assert.True(t, sink.closed)
	assert.False(t, sink.cancelled)

	other := newHarness(t)
	other.add("Someone", "Else")
	oldStore := other.f.State()
	require.NoError(t, other.f.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))))
	assert.NotSame(t, oldStore, other.f.State(), "restore swaps in a new store")
	assert.Equal(t, want, persisted(t, other.f.State()))
	assert.Equal(t, h.idx-1, other.f.State().Index(""))

	// The restored FSM applies the next entries as the original did.
	other.idx = h.idx - 1
	later := other.add("Later", "Test")
	orig, err := h.state().Registrant(later.Number)
	require.NoError(t, err)
	assert.Equal(t, orig, later)
}

func TestFSMRestoreOfCorruptSnapshotKeepsState(t *testing.T) {
	h := newHarness(t)
	h.add("Amara", "Nwosu")
	before := persisted(t, h.state())
	for _, b := range [][]byte{nil, []byte("garbage"), before[:len(before)-1]} {
		err := h.f.Restore(io.NopCloser(bytes.NewReader(b)))
		require.ErrorIs(t, err, state.ErrCorruptSnapshot)
		assert.Equal(t, before, persisted(t, h.state()))
	}
}

func TestFSMSnapshotPersistFailureCancelsSink(t *testing.T) {
	h := newHarness(t)
	for range 300 { // more than one 64 KiB buffer, so writes reach the sink
		h.add("Amara", strings.Repeat("N", 90))
	}
	snap, err := h.f.Snapshot()
	require.NoError(t, err)
	sink := &bufferSink{failWrites: true}
	require.Error(t, snap.Persist(sink))
	assert.True(t, sink.cancelled)
	assert.False(t, sink.closed)
}

func TestEncodeFormat(t *testing.T) {
	data, err := fsm.Encode(fsm.RevokeToken{ID: "x", Reason: "r"}, admin, time.Date(2026, 3, 15, 10, 0, 0, 0, time.FixedZone("BST", 3600)))
	require.NoError(t, err)
	require.Equal(t, byte(fsm.MsgTokenRevoke), data[0])
	var env struct {
		At    string          `json:"at"`
		Actor register.Actor  `json:"actor"`
		Body  json.RawMessage `json:"body"`
	}
	require.NoError(t, json.Unmarshal(data[1:], &env))
	assert.Equal(t, "2026-03-15T09:00:00Z", env.At, "times are encoded in UTC")
	assert.Equal(t, admin, env.Actor)
	assert.JSONEq(t, `{"id":"x","reason":"r"}`, string(env.Body))
}

func TestEncodeWritesTheEnvelopeAsMarshalledWhole(t *testing.T) {
	// Encode splices the body into the envelope instead of marshalling it
	// as a json.RawMessage; the entry must be byte for byte what
	// marshalling the whole envelope wrote.
	at := time.Date(2026, 3, 15, 10, 0, 0, 0, time.FixedZone("BST", 3600))
	staff := register.Actor{TokenID: "cccccccccccccccc", Role: register.RoleRegistrar, Staff: "<a&b>"}
	for _, cmd := range []fsm.Command{
		fsm.RevokeToken{ID: "x", Reason: "Siân's <script> & \u2028"},
		fsm.ChangeRegistrant{Number: "LW1000015", Op: fsm.OpSetReview, Review: "2026-09-01"},
		fsm.LapseSweep{},
		fsm.ChangeRegistrant{Number: "LW1000015", Op: fsm.OpCPD, CPD: &register.CPD{Year: 2026, Hours: 21.5, FormalHours: 11}},
	} {
		for _, actor := range []register.Actor{admin, staff} {
			data, err := fsm.Encode(cmd, actor, at)
			require.NoError(t, err)
			body, err := json.Marshal(cmd)
			require.NoError(t, err)
			v := fsm.VersionOf(cmd.MessageType())
			if c, ok := cmd.(fsm.ChangeRegistrant); ok && c.Op == fsm.OpSetReview {
				v = 3
			}
			if v == 1 {
				v = 0
			}
			whole, err := json.Marshal(struct {
				V     int             `json:"v,omitempty"`
				At    time.Time       `json:"at"`
				Actor register.Actor  `json:"actor"`
				Body  json.RawMessage `json:"body"`
			}{v, at.UTC(), actor, body})
			require.NoError(t, err)
			assert.Equal(t, string(append([]byte{byte(cmd.MessageType())}, whole...)), string(data), "%T", cmd)
		}
	}
}

func TestMessageTypesAreStable(t *testing.T) {
	// The numbers are part of the on-disk log: renumbering one would make
	// every existing log apply the wrong commands.
	assert.Equal(t, map[fsm.MessageType]fsm.Command{
		1: fsm.SetSettings{}, 2: fsm.AddRegistrant{}, 3: fsm.ChangeRegistrant{}, 4: fsm.LapseSweep{},
		5: fsm.CreateToken{}, 6: fsm.RevokeToken{}, 7: fsm.AddKey{}, 8: fsm.RetireKey{},
	}, map[fsm.MessageType]fsm.Command{
		fsm.SetSettings{}.MessageType(): fsm.SetSettings{}, fsm.AddRegistrant{}.MessageType(): fsm.AddRegistrant{},
		fsm.ChangeRegistrant{}.MessageType(): fsm.ChangeRegistrant{}, fsm.LapseSweep{}.MessageType(): fsm.LapseSweep{},
		fsm.CreateToken{}.MessageType(): fsm.CreateToken{}, fsm.RevokeToken{}.MessageType(): fsm.RevokeToken{},
		fsm.AddKey{}.MessageType(): fsm.AddKey{}, fsm.RetireKey{}.MessageType(): fsm.RetireKey{},
	})
}
