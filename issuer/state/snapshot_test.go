package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/namefold"
	"github.com/nalw/linkpass/regno"
	"github.com/nalw/linkpass/staff"
)

// filled returns a store with rows in every table: settings with a Quality
// Mark, tokens (one revoked), keys in each state, registrants in every
// status with restrictions, CPD and qualifications, status lists and
// credentials in every status, and more audit events than fit one snapshot
// buffer. A table added to the schema but not filled here fails
// TestSnapshotThenRestoreGivesIdenticalState, so that it is round-tripped.
func filled(t *testing.T) *Store {
	t.Helper()
	s := newStore(t)
	idx := uint64(0)
	next := func() uint64 { idx++; return idx }

	write(t, s, next(), func(tx *Txn) error {
		return tx.PutSettings(register.Settings{
			RegisterName: register.DefaultRegisterName, IssuerURL: "https://register.nalw.org.uk",
			QualityMark:        register.QualityMark{Accredited: true, Since: "2025-04-01", Until: "2028-03-31", Reference: "PSA-AR-2025-0147"},
			RemovedVisibleDays: 30,
		})
	})
	write(t, s, next(), func(tx *Txn) error {
		if err := tx.PutToken(&register.Token{ID: "0123456789abcdef", Role: register.RoleAdmin, Name: "first admin", SecretHash: bytes.Repeat([]byte{0xab}, 32), CreatedAt: at, CreatedBy: "system"}); err != nil {
			return err
		}
		return tx.PutToken(&register.Token{ID: "fedcba9876543210", Role: register.RoleAuditor, SecretHash: bytes.Repeat([]byte{0x01}, 32), CreatedAt: at, CreatedBy: "0123456789abcdef", Revoked: true, RevokedAt: at.Add(time.Hour)})
	})
	write(t, s, next(), func(tx *Txn) error {
		for i, st := range []register.KeyState{register.KeyRetired, register.KeyVerifying, register.KeyActive} {
			k := &register.SigningKey{KID: fmt.Sprintf("kid-%d", i), Alg: "ES256", PublicJWK: []byte(`{"kty":"EC"}`), State: st, CreatedAt: at.Add(time.Duration(i) * time.Hour)}
			if st == register.KeyRetired {
				k.RetiredAt = at.Add(48 * time.Hour)
			}
			if err := tx.PutKey(k); err != nil {
				return err
			}
		}
		return nil
	})
	statuses := []register.Status{register.Registered, register.Suspended, register.Lapsed, register.Removed}
	for range 40 {
		i := next()
		write(t, s, i, func(tx *Txn) error {
			serial, err := tx.NextSerial()
			if err != nil {
				return err
			}
			r := person(regno.Format(serial), fmt.Sprintf("Given%d", i), "Family", statuses[int(i)%4], i)
			r.StatusReason = "reason with unicode: Siobhán ✓"
			if i%2 == 0 {
				r.ExternalRef = fmt.Sprintf("OLD-%03d", 97-i) // not in number order
			}
			if i%5 == 0 {
				r.Email = "" // no duplicate key
			}
			r.StatusChangedAt = at.Add(time.Duration(i) * time.Minute).Add(123456789 * time.Nanosecond)
			if r.Status == register.Suspended {
				r.SuspendedUntil = "2026-09-01"
			}
			if i%3 == 0 {
				r.Restrictions = []register.Restriction{{Text: "Must not work alone.", Since: at}}
			}
			r.CPD = []register.CPD{{Year: 2025, Hours: 20.5, FormalHours: 10.25}}
			r.Qualifications = []register.Qualification{{Title: "Level 4", Level: 4, Provider: "OU", Accreditation: "nalw-aligned", Awarded: "2024-01-02"}}
			if err := tx.PutRegistrant(r); err != nil {
				return err
			}
			return tx.Audit(register.AuditEvent{At: at, Actor: register.Actor{TokenID: "0123456789abcdef", Role: register.RoleAdmin}, Action: "registrant.add", Registrant: r.Number, Details: map[string]string{"name": r.FullName()}})
		})
	}
	write(t, s, next(), func(tx *Txn) error {
		for _, id := range []string{"list-a", "list-b"} {
			if err := tx.PutStatusList(&register.StatusList{ID: id, Size: 1 << 17, Bits: 2, CreatedAt: at}); err != nil {
				return err
			}
		}
		cstatus := []register.CredentialStatus{register.CredentialValid, register.CredentialSuspended, register.CredentialRevoked}
		for j := range 30 {
			c := &register.IssuedCredential{
				JTI: fmt.Sprintf("jti-%03d", j), Registrant: regno.Format(uint64(100001 + j%40)), KID: fmt.Sprintf("kid-%d", j%3),
				IssuedAt: at, ExpiresAt: at.AddDate(1, 0, 0), Status: cstatus[j%3], StatusChangedAt: at.Add(time.Duration(j) * time.Second),
				List: []string{"list-a", "list-b"}[j%2], Idx: uint64(j) * 4099, CreateIndex: idx, ModifyIndex: idx,
			}
			if c.Status != register.CredentialValid {
				c.StatusReason = "superseded"
			}
			if err := tx.PutCredential(c); err != nil {
				return err
			}
		}
		return nil
	})
	write(t, s, next(), func(tx *Txn) error {
		if err := tx.PutStaffAccount(&staff.Account{ID: "st_0123456789abcdef", Name: "Ada Registrar", Email: "ada@nalw.example",
			Role: register.RoleRegistrar, Status: staff.Invited, SetupHash: bytes.Repeat([]byte{0x5e}, 32), SetupExpires: at.Add(24 * time.Hour),
			WebAuthnID: bytes.Repeat([]byte{1}, 32), CreatedAt: at, CreatedBy: "0123456789abcdef"}); err != nil {
			return err
		}
		return tx.PutStaffAccount(&staff.Account{ID: "st_fedcba9876543210", Name: "Bo Auditor", Email: "bo@nalw.example",
			Role: register.RoleAuditor, Status: staff.Active, PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", Factor: staff.FactorTOTP,
			TOTPSecret: "JBSWY3DPEHPK3PXP", LastTOTPStep: 7, RecoveryHashes: [][]byte{bytes.Repeat([]byte{2}, 32)}, SessionEpoch: 2,
			WebAuthnID: bytes.Repeat([]byte{3}, 32), CreatedAt: at, CreatedBy: "0123456789abcdef", LastSignInAt: at.Add(time.Hour)})
	})
	write(t, s, next(), func(tx *Txn) error {
		for j := range 3 {
			reg := regno.Format(uint64(100001 + j))
			o := &register.Offer{ID: fmt.Sprintf("of-%d", j), Registrant: reg, CodeHash: fmt.Sprintf("code-%d", j), TxHash: "tx", CreatedAt: at,
				ExpiresAt: at.Add(72 * time.Hour), State: register.OfferRedeemed, Grant: fmt.Sprintf("gr-%d", j), Message: fmt.Sprintf("msg-%d", j), CreateIndex: idx, ModifyIndex: idx}
			g := &register.Grant{ID: o.Grant, Registrant: reg, Offer: o.ID, AccessHash: fmt.Sprintf("at-%d", j), RefreshHash: fmt.Sprintf("rt-%d", j),
				AccessExpires: at.Add(time.Hour), RefreshExpires: at.AddDate(1, 0, 0), HolderJKT: "jkt", HolderJWK: []byte(`{"kty":"OKP"}`), CreatedAt: at, CreateIndex: idx, ModifyIndex: idx}
			m := &register.Message{ID: o.Message, Registrant: reg, Purpose: "credential-offer", State: register.MessageSent, Attempts: 1, CreatedAt: at, UpdatedAt: at, CreateIndex: idx, ModifyIndex: idx}
			ca := &register.CPDAudit{Year: 2026, Registrant: reg, State: register.CPDAuditRequested, DrawnAt: at, CreateIndex: idx, ModifyIndex: idx}
			if err := errors.Join(tx.PutOffer(o), tx.PutGrant(g), tx.PutMessage(m), tx.PutCPDAudit(ca)); err != nil {
				return err
			}
		}
		return nil
	})
	write(t, s, next(), func(tx *Txn) error {
		pid, err := tx.NextProviderID()
		if err != nil {
			return err
		}
		if err := tx.PutProvider(courses.NewProvider{Name: "Open University", UKPRN: "10007773"}.Create(pid, at, idx)); err != nil {
			return err
		}
		cid, err := tx.NextCourseID()
		if err != nil {
			return err
		}
		c := courses.NewCourse{Provider: pid, Title: "PDA Community Link Working", Level: courses.Level{Framework: courses.SCQF, Number: 7}, Mode: "blended",
			Standing: courses.StandingChange{Standing: courses.Accredited, Reference: "NALW-1", From: "2025-01-01", Until: "2027-12-31"}}.Create(cid, "st_x", at, idx)
		c, err = c.SetStanding(courses.StandingChange{Standing: courses.Withdrawn, Reason: "closed"}, "st_y", at.Add(time.Hour), idx)
		if err != nil {
			return err
		}
		if err := tx.PutCourse(c); err != nil {
			return err
		}
		ref, err := tx.NextApplicationRef()
		if err != nil {
			return err
		}
		a := applications.New{Given: "Siân", Family: "Ó Súilleabháin", Nation: "wales", Email: "sian@example.org", DateOfBirth: "1991-02-03", Employer: "Cardiff PCN",
			Qualifications: []register.Qualification{{Course: cid, Awarded: "2025-06-30"}},
			Declarations:   applications.Declarations{Health: true, Details: "Managed.", Truthful: true}, PrivacyConsent: true}.Create(ref, at, idx)
		a.Removed = []applications.Match{{Registrant: "LW1000015", Name: "Sian O Suilleabhain", RemovedAt: at, Reason: "panel", On: "name and email"}}
		if a, err = a.Refuse("No qualification that counts.", "st_x", 28, at.Add(time.Hour), idx); err != nil {
			return err
		}
		// A mail to the applicant, and a sign-in code waiting for them.
		m := &register.Message{ID: "msg-app-1", Application: ref, Purpose: "refused", State: register.MessageFailed, Attempts: 3, LastError: "550 no such user",
			CreatedAt: at, UpdatedAt: at, CreateIndex: idx, ModifyIndex: idx}
		code := &applications.Code{Key: applications.CodeKey(applications.CodeToSignIn, ref), Salt: "salt", Hash: applications.HashCode("salt", "123456"),
			Expires: at.Add(applications.CodeTTL), Failures: 2, CreateIndex: idx, ModifyIndex: idx}
		return errors.Join(tx.PutApplication(a), tx.PutMessage(m), tx.PutApplicantCode(code))
	})
	write(t, s, next(), func(tx *Txn) error {
		a := register.CPDDraft{Date: "2026-03-01", Title: "Motivational interviewing", Points: 6, Formal: true, Reflection: "Used it the next week."}.Activity("cpd_1", regno.Format(100001), at, idx)
		return errors.Join(tx.PutCPDActivity(a), tx.PutRenewal(&register.Renewal{ID: "rn_1", Registrant: a.Registrant, SubmittedAt: at,
			State: register.RenewalPending, CPD: register.CPDSummary{Points: 6, FormalPoints: 6, Counted: []string{a.ID}}}))
	})
	write(t, s, next(), func(tx *Txn) error {
		app := confirmations.Subject{Application: "A1001"}
		reg := confirmations.Subject{Registrant: regno.Format(100001)}
		return errors.Join(
			tx.PutConfirmation(&confirmations.Confirmation{ID: confirmations.Key(app, "C1", "2025-06-30"), Subject: app, Course: "C1", Awarded: "2025-06-30",
				Provider: "P1", ProviderName: "University of Westminster", Outcome: confirmations.Disputed, Reason: "No record of them.", By: "st_p", At: at,
				History: []confirmations.Step{{Outcome: confirmations.Confirmed, By: "st_p", At: at.Add(-time.Hour)}}, CreateIndex: idx, ModifyIndex: idx}),
			tx.PutConfirmation(&confirmations.Confirmation{ID: confirmations.Key(reg, "C1", "2025-06-30"), Subject: reg, CarriedFrom: "A1000", Course: "C1", Awarded: "2025-06-30",
				Provider: "P1", ProviderName: "University of Westminster", Outcome: confirmations.Confirmed, By: "st_p", At: at, CreateIndex: idx, ModifyIndex: idx}))
	})
	write(t, s, next(), func(tx *Txn) error {
		return errors.Join(tx.PutSealedKey(&SealedKey{KID: "sealed-signing", Sealed: []byte{1, 2, 3}}),
			tx.PutSealedKey(&SealedKey{KID: "sealed-root", Root: true, Sealed: []byte{4, 5, 6}}),
			tx.PutPublishedList(&PublishedList{ID: "1", URI: "https://r.example/status/1", Token: []byte("a.b.c"), ETag: `"x"`, IssuedAt: at, TTL: time.Minute, Index: 7, Built: 5}))
	})
	write(t, s, next(), func(tx *Txn) error {
		return errors.Join(
			tx.PutProposal(&register.Proposal{ID: "pr-1", Registrant: regno.Format(100001), Change: register.ProposeRemove, Reason: "panel", State: register.ProposalPending,
				ProposedBy: register.Actor{TokenID: "t1", Role: register.RoleRegistrar, Staff: "st_0123456789abcdef"}, ProposedAt: at, CreateIndex: idx, ModifyIndex: idx}),
			tx.PutProposal(&register.Proposal{ID: "pr-2", Registrant: regno.Format(100002), Change: register.ProposeRestrict, Reason: "panel", Text: "Supervised", Review: "2027-01-01",
				State: register.ProposalRejected, ProposedBy: register.Actor{TokenID: "t1"}, ProposedAt: at, DecidedBy: register.Actor{TokenID: "t2"}, DecidedAt: at.Add(time.Hour),
				DecisionReason: "not agreed", CreateIndex: idx, ModifyIndex: idx}))
	})
	// A big sweep: one change with many events, then many small changes,
	// so the snapshot is far larger than its 64 KiB write buffer although
	// the trail is compressed: reasons that do not repeat.
	write(t, s, next(), func(tx *Txn) error {
		for j := range 700 {
			reason := fmt.Sprintf("%x", sha256.Sum256([]byte{byte(j), byte(j >> 8)}))
			if err := tx.Audit(register.AuditEvent{At: at, Actor: register.System, Action: "registrant.lapse", Registrant: regno.Format(uint64(100001 + j%40)), Reason: reason}); err != nil {
				return err
			}
		}
		return nil
	})
	for range 2000 {
		i := next()
		write(t, s, i, func(tx *Txn) error {
			return tx.Audit(register.AuditEvent{At: at.Add(time.Duration(i) * time.Second), Actor: register.System, Action: "settings.update", Target: "x",
				Details: map[string]string{"k": fmt.Sprintf("%x", sha256.Sum256([]byte(fmt.Sprint(i))))[:24]}})
		})
	}
	return s
}

func persist(t *testing.T, s *Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, s.Snapshot().Persist(&buf))
	return buf.Bytes()
}

func TestSnapshotThenRestoreGivesIdenticalState(t *testing.T) {
	s := filled(t)
	b := persist(t, s)
	require.Greater(t, len(b), 1<<16, "the snapshot spans more than one write buffer")

	r, err := Restore(bytes.NewReader(b))
	require.NoError(t, err)

	want, got := dump(t, s), dump(t, r)
	for table, rows := range want {
		require.NotEmpty(t, rows, "the fixture fills table %s", table)
		require.Equal(t, rows, got[table], "table %s", table)
	}
	require.Equal(t, want, got)
	for _, table := range []string{"", tableRegistrants, tableAudit, tableTokens, tableSettings, tableKeys, tableMeta} {
		require.Equal(t, s.Index(table), r.Index(table), "index of %q", table)
	}
	require.NotZero(t, r.Index(""))

	// The restored store carries on where the original stopped.
	var serial uint64
	write(t, r, r.Index("")+1, func(tx *Txn) (err error) { serial, err = tx.NextSerial(); return err })
	assert.Equal(t, uint64(firstSerial+40), serial, "serials are not reused after a restore")

	// And its snapshot is byte-for-byte the same as the original's.
	r2, err := Restore(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, b, persist(t, r2))
}

func TestSnapshotOfEmptyStoreRestores(t *testing.T) {
	r, err := Restore(bytes.NewReader(persist(t, newStore(t))))
	require.NoError(t, err)
	assert.Zero(t, r.Index(""))
	assert.Equal(t, register.DefaultRegisterName, r.Settings().RegisterName)
}

func TestSnapshotIsPointInTime(t *testing.T) {
	s := newStore(t)
	write(t, s, 1, func(tx *Txn) error { return tx.PutRegistrant(person("LW1000017", "A", "B", register.Registered, 1)) })
	snap := s.Snapshot()
	write(t, s, 2, func(tx *Txn) error {
		old, err := tx.Registrant("LW1000017")
		if err != nil {
			return err
		}
		c := *old
		c.Status, c.ModifyIndex = register.Removed, 2
		return tx.PutRegistrant(&c)
	})
	var buf bytes.Buffer
	require.NoError(t, snap.Persist(&buf))
	r, err := Restore(&buf)
	require.NoError(t, err)
	got, err := r.Registrant("LW1000017")
	require.NoError(t, err)
	assert.Equal(t, register.Registered, got.Status)
	assert.Equal(t, uint64(1), r.Index(""))
}

func TestRestoreRefusesEveryTruncation(t *testing.T) {
	s := newStore(t)
	write(t, s, 1, func(tx *Txn) error {
		if err := tx.PutSettings(register.Settings{RegisterName: "R"}); err != nil {
			return err
		}
		if err := tx.PutRegistrant(person("LW1000017", "Amara", "Nwosu", register.Registered, 1)); err != nil {
			return err
		}
		return tx.Audit(register.AuditEvent{At: at, Action: "registrant.add", Registrant: "LW1000017"})
	})
	b := persist(t, s)
	for n := range len(b) {
		_, err := Restore(bytes.NewReader(b[:n]))
		require.ErrorIs(t, err, ErrCorruptSnapshot, "snapshot cut to %d of %d bytes", n, len(b))
	}
	_, err := Restore(bytes.NewReader(b))
	require.NoError(t, err)
}

// record encodes one snapshot record.
func record(typ byte, body string) []byte {
	b := []byte{typ}
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

func snapshotOf(records ...[]byte) []byte {
	b := []byte(snapshotMagic)
	for _, r := range records {
		b = append(b, r...)
	}
	return append(b, recordEnd)
}

func TestRestoreRefusesCorruptSnapshots(t *testing.T) {
	reg := `{"registration_number":"LW1000017","status":"registered"}`
	cases := map[string][]byte{
		"empty":               {},
		"garbage":             []byte("this is not a snapshot at all, just some text"),
		"random bytes":        bytes.Repeat([]byte{0x5a, 0x00, 0xff, 0x13}, 100),
		"other magic":         append([]byte("linkpass-state-v2\n"), recordEnd),
		"magic only":          []byte(snapshotMagic),
		"unknown record type": snapshotOf(record(42, reg)),
		"bad JSON":            snapshotOf(record(5, `{"registration_number":`)),
		"wrong JSON type":     snapshotOf(record(5, `["LW1000017"]`)),
		"length past end":     append([]byte(snapshotMagic), 5, 0xff, 0xff, 0x03, '{'),
		"huge length":         append(append([]byte(snapshotMagic), 5), binary.AppendUvarint(nil, 1<<40)...),
		"bad varint":          append([]byte(snapshotMagic), 5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Restore(bytes.NewReader(b))
			require.ErrorIs(t, err, ErrCorruptSnapshot)
			assert.Nil(t, s)
		})
	}
	_, err := Restore(bytes.NewReader(snapshotOf(record(5, reg))))
	require.NoError(t, err, "the well-formed variant of the cases above restores")
}

// A record whose JSON is valid but lacks its table's key (a registrant
// without a number) is corruption, not an internal error.
func TestRestoreRefusesRecordWithoutKey(t *testing.T) {
	for typ, body := range map[byte]string{5: `{}`, 3: `{"role":"admin"}`, 2: `{"value":7}`} {
		_, err := Restore(bytes.NewReader(snapshotOf(record(typ, body))))
		require.ErrorIs(t, err, ErrCorruptSnapshot, "record type %d", typ)
	}
}

// asOldSnapshot rewrites a snapshot of s as releases before row blocks
// wrote it: the bulk tables' records (snapshotrows.go) give way to a
// record per registrant and per credential, as a row with every string in
// full (rows) or as JSON.
func asOldSnapshot(t *testing.T, s *Store, b []byte, rows bool) []byte {
	t.Helper()
	out := []byte(snapshotMagic)
	rest := b[len(snapshotMagic):]
	body := func(obj any, enc func(e *rowEncoder)) string {
		if rows {
			e := rowEncoder{b: []byte{rowRecord}}
			enc(&e)
			return string(e.b)
		}
		j, err := json.Marshal(obj)
		require.NoError(t, err)
		return string(j)
	}
	written := 0
	for rest[0] != recordEnd {
		typ := rest[0]
		size, w := binary.Uvarint(rest[1:])
		rec := rest[:1+w+int(size)]
		rest = rest[1+w+int(size):]
		switch typ {
		case recordStrings:
			regs, err := s.Registrants("")
			require.NoError(t, err)
			for _, r := range regs {
				out = append(out, record(5, body(r, func(e *rowEncoder) { e.registrant(r) }))...)
				written++
				creds, err := s.CredentialsOf(r.Number)
				require.NoError(t, err)
				for _, c := range creds {
					out = append(out, record(8, body(c, func(e *rowEncoder) { e.credential(c) }))...)
					written++
				}
			}
		case recordRegRows, recordRegOrder, recordCredRows, recordCredOrder:
		default:
			out = append(out, rec...)
		}
	}
	require.Equal(t, 40+30, written, "every registrant and credential has its record")
	return append(out, recordEnd)
}

func TestOldSnapshotsRestore(t *testing.T) {
	s := filled(t)
	b := persist(t, s)
	for _, rows := range []bool{false, true} {
		old := asOldSnapshot(t, s, b, rows)
		r, err := Restore(bytes.NewReader(old))
		require.NoError(t, err, "rows %v", rows)
		require.Equal(t, dump(t, s), dump(t, r))
		again, err := Restore(bytes.NewReader(persist(t, r)))
		require.NoError(t, err, "restored from an old snapshot, it persists as row blocks")
		require.Equal(t, dump(t, s), dump(t, again))
		for _, q := range []string{"Given5", "given12 family"} {
			got, err := r.Search(namefold.NewQuery(q), 10, time.Time{})
			require.NoError(t, err)
			assert.Equal(t, 1, got.Total, "search %q after a restore", q)
		}
	}
}

func TestRestoreRefusesBadRowRecords(t *testing.T) {
	good := encodeRegistrant(person("LW1000017", "Amara", "Nwosu", register.Registered, 1), nil)
	for name, b := range map[string][]byte{
		"truncated row":              snapshotOf(record(5, "\x01"+good[:len(good)-1])),
		"row with trailing data":     snapshotOf(record(5, "\x01"+good+"z")),
		"row without number":         snapshotOf(record(5, "\x01"+encodeRegistrant(&register.Registrant{Given: "A"}, nil))),
		"credential without JTI":     snapshotOf(record(8, "\x01"+encodeCredential(&register.IssuedCredential{Registrant: "LW1"}, nil))),
		"row in a JSON table":        snapshotOf(record(3, "\x01"+good)),
		"registrant as a credential": snapshotOf(record(8, "\x01"+good)),
	} {
		_, err := Restore(bytes.NewReader(b))
		require.ErrorIs(t, err, ErrCorruptSnapshot, name)
	}
	r, err := Restore(bytes.NewReader(snapshotOf(record(5, "\x01"+good))))
	require.NoError(t, err, "the well-formed row restores")
	got, err := r.Registrant("LW1000017")
	require.NoError(t, err)
	assert.Equal(t, "Nwosu", got.Family)
}

// records splits a snapshot into its records.
func records(b []byte) [][]byte {
	var out [][]byte
	rest := b[len(snapshotMagic):]
	for rest[0] != recordEnd {
		size, w := binary.Uvarint(rest[1:])
		out = append(out, rest[:1+w+int(size)])
		rest = rest[1+w+int(size):]
	}
	return out
}

func TestRestoreRefusesBadRowBlocks(t *testing.T) {
	s := filled(t)
	recs := records(persist(t, s))
	// rewrite returns the snapshot with each record passed through fn,
	// which returns the records to write in its place.
	rewrite := func(fn func(typ byte, rec []byte) [][]byte) []byte {
		var out [][]byte
		for _, r := range recs {
			out = append(out, fn(r[0], r)...)
		}
		return snapshotOf(out...)
	}
	keep := func(_ byte, rec []byte) [][]byte { return [][]byte{rec} }
	require.NotEmpty(t, recs)
	_, err := Restore(bytes.NewReader(rewrite(keep)))
	require.NoError(t, err, "the snapshot rewritten unchanged restores")

	tab := newStrtab()
	good := encodeRegistrant(person("LW1000017", "Amara", "Nwosu", register.Registered, 1), tab)
	var strs []byte
	require.NoError(t, persistStrings(tab.table(), func(typ byte, body []byte) error {
		strs = append(strs, record(typ, string(body))...)
		return nil
	}))
	block := func(rows ...string) string {
		b := binary.AppendUvarint(nil, uint64(len(rows)))
		for _, r := range rows {
			b = appendString(b, r)
		}
		return string(b)
	}
	order := func(o byte, pos ...uint64) string {
		b := binary.AppendUvarint([]byte{o}, uint64(len(pos)))
		for _, p := range pos {
			b = binary.AppendUvarint(b, p)
		}
		return string(b)
	}
	cases := map[string][]byte{
		"an order's rows left out": rewrite(func(typ byte, rec []byte) [][]byte {
			if typ == recordRegOrder {
				return nil
			}
			return [][]byte{rec}
		}),
		"a row block twice": rewrite(func(typ byte, rec []byte) [][]byte {
			if typ == recordRegRows {
				return [][]byte{rec, rec}
			}
			return [][]byte{rec}
		}),
		"an order twice": rewrite(func(typ byte, rec []byte) [][]byte {
			if typ == recordCredOrder {
				return [][]byte{rec, rec}
			}
			return [][]byte{rec}
		}),
		"a registrant record among row blocks": rewrite(func(typ byte, rec []byte) [][]byte {
			if typ == recordCredRows {
				return [][]byte{rec, record(5, `{"registration_number":"LW9999993","status":"registered"}`)}
			}
			return [][]byte{rec}
		}),
		"an order past the rows":  snapshotOf(record(recordRegRows, block(good)), record(recordRegOrder, order(orderRegByRef, 1))),
		"an unknown order":        snapshotOf(record(recordRegRows, block(good)), record(recordRegOrder, order(9, 0))),
		"a malformed row":         snapshotOf(record(recordRegRows, block("\x05ab"))),
		"a truncated row":         snapshotOf(record(recordRegRows, block(good[:len(good)-2]))),
		"a block short of a row":  snapshotOf(record(recordRegRows, block(good)[:len(block(good))-1])),
		"an empty row":            snapshotOf(record(recordRegRows, block(""))),
		"a string table cut":      snapshotOf(record(recordStrings, "\x02\x01a")),
		"a hashed order cut":      snapshotOf(record(recordRegRows, block(good)), record(recordRegOrder, order(orderRegByDup, 0)+"1234567")),
		"a credential as a block": snapshotOf(record(recordCredRows, block(good))),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := Restore(bytes.NewReader(b))
			require.ErrorIs(t, err, ErrCorruptSnapshot)
			assert.Nil(t, r)
		})
	}
	// The well-formed variant: a row and its one order.
	e := register.DuplicateKey("Amara", "Nwosu", "Amara@example.org")
	dup := order(orderRegByDup, 0) + string(binary.LittleEndian.AppendUint64(nil, dupHash(e)))
	r, err := Restore(bytes.NewReader(snapshotOf(strs, record(recordRegRows, block(good)), record(recordRegOrder, dup))))
	require.NoError(t, err)
	got, err := r.LikelyDuplicate(e)
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, "LW1000017", got.Number)
}
