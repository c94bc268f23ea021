package issuer

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/statuspub"
	"github.com/nalw/linkpass/keys"
)

// Issued is a credential just signed, with its record.
type Issued struct {
	JWT    string                     `json:"jwt"`
	Record *register.IssuedCredential `json:"credential"`
	// StatusPublishedAt is when the status lists that carry the new
	// credential (and its superseded ones revoked) were signed.
	StatusPublishedAt time.Time `json:"status_published_at"`
}

// IssueCredential signs a credential for a registrant in good standing and
// returns it once its record and status list entry are committed.
func (s *Server) IssueCredential(ctx context.Context, actor register.Actor, number string) (*Issued, error) {
	var jwt string
	_, c, err := s.IssueWith(ctx, actor, number, func(d *Draft) (fsm.Command, error) {
		var err error
		if jwt, err = credential.Sign(d.Claims, d.Signer); err != nil {
			return nil, fmt.Errorf("signing the credential: %w", err)
		}
		return fsm.IssueCredential{Credential: d.Record, ListSize: d.ListSize}, nil
	})
	if err != nil {
		return nil, err
	}
	return &Issued{JWT: jwt, Record: c.Result.(*register.IssuedCredential), StatusPublishedAt: c.StatusPublishedAt}, nil
}

// Draft is a credential about to be recorded: the registrant it is for, its
// claims, its record (with a status list entry drawn at random) and the key
// that signs it.
type Draft struct {
	Registrant *register.Registrant
	Settings   register.Settings
	Claims     *credential.Claims
	Record     register.IssuedCredential
	Signer     *keys.Key
	// ListSize is the size of a new status list, for the command.
	ListSize int
}

// IssueWith drafts a credential for a registrant in good standing and
// commits the command that build returns for it; build signs whatever
// formats it issues from the draft. When the drawn status entry was taken
// meanwhile, it draws again and calls build again. It returns the draft that
// was committed and the committed change, once the status lists served
// carry the new credential.
func (s *Server) IssueWith(ctx context.Context, actor register.Actor, number string, build func(*Draft) (fsm.Command, error)) (*Draft, *Committed, error) {
	const attempts = 8
	for i := 0; i < attempts; i++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		d, err := s.draft(number)
		if err != nil {
			return nil, nil, err
		}
		cmd, err := build(d)
		if err != nil {
			return nil, nil, err
		}
		c, err := s.commitNow(actor, cmd)
		if errors.Is(err, fsm.ErrSlotTaken) {
			continue // another issuance took the entry first: draw again
		}
		if err != nil {
			return nil, nil, err
		}
		return d, c, nil
	}
	return nil, nil, fmt.Errorf("%w: could not allocate a status list entry after %d attempts; try again", register.ErrUnavailable, attempts)
}

func (s *Server) draft(number string) (*Draft, error) {
	st := s.State()
	r, err := st.Registrant(number)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC().Truncate(time.Second)
	today := register.DateOf(now)
	if r.Status != register.Registered {
		return nil, fmt.Errorf("%w: %s is %s; only registered registrants receive credentials", register.ErrConflict, r.Number, r.Status)
	}
	if !r.GoodStanding(today) {
		return nil, fmt.Errorf("%w: %s's registration ran out on %s; renew it first", register.ErrConflict, r.Number, r.RegisteredUntil)
	}
	settings := st.Settings()
	keyRec, err := s.activeKey()
	if err != nil {
		return nil, err
	}
	signer, err := s.signers.get(keyRec.KID)
	if err != nil {
		return nil, err
	}
	list, idx, err := s.pickStatusEntry()
	if err != nil {
		return nil, err
	}
	jti := newUUID()
	claims := BuildClaims(r, settings, now, jti, list, idx)
	rec := register.IssuedCredential{
		JTI: jti, Registrant: r.Number, KID: signer.KeyID(),
		IssuedAt: now, ExpiresAt: time.Unix(claims.Exp, 0).UTC(), List: list, Idx: idx,
	}
	return &Draft{Registrant: r, Settings: settings, Claims: claims, Record: rec, Signer: signer, ListSize: s.cfg.StatusListSize}, nil
}

// Redraft rebuilds the draft of a recorded credential, to sign it in
// another format: same identifier, status entry, key and dates, from the
// registrant's entry as it is now.
func (s *Server) Redraft(rec *register.IssuedCredential) (*Draft, error) {
	st := s.State()
	r, err := st.Registrant(rec.Registrant)
	if err != nil {
		return nil, err
	}
	signer, err := s.signers.get(rec.KID)
	if err != nil {
		return nil, err
	}
	settings := st.Settings()
	claims := BuildClaims(r, settings, rec.IssuedAt, rec.JTI, rec.List, rec.Idx)
	// The record's expiry stands, even if a renewal came in between.
	claims.Exp, claims.ValidUntil = rec.ExpiresAt.Unix(), rec.ExpiresAt.UTC().Format(time.RFC3339)
	return &Draft{Registrant: r, Settings: settings, Claims: claims, Record: *rec, Signer: signer, ListSize: s.cfg.StatusListSize}, nil
}

// BuildClaims builds the credential for a registrant: what an employer
// needs and nothing more (see docs/credential-format.md).
func BuildClaims(r *register.Registrant, settings register.Settings, now time.Time, jti, list string, idx uint64) *credential.Claims {
	exp := r.RegisteredUntil.Time().AddDate(0, 0, 1) // the first instant after the last registered day
	sub := credential.Subject{
		Type:               credential.SubjectType,
		RegistrationNumber: r.Number,
		Name:               r.FullName(),
		Role:               credential.Role,
		RegisterStatus:     string(r.Status),
		RegisteredUntil:    string(r.RegisteredUntil),
		Nation:             r.Nation,
		Restrictions:       r.Restricted(),
		PublicRegister:     settings.IssuerURL + "/register/" + r.Number,
		Qualifications:     make([]credential.Qualification, 0, len(r.Qualifications)),
	}
	for _, q := range r.Qualifications {
		sub.Qualifications = append(sub.Qualifications, credential.Qualification{
			Title: q.Title, Level: q.Level, Provider: q.Provider, Accreditation: q.Accreditation, YearAwarded: q.Awarded.Time().Year(),
		})
	}
	today := register.DateOf(now)
	if settings.QualityMark.Held(today) && r.GoodStanding(today) {
		sub.QualityMark = &credential.QualityMark{Scheme: credential.QualityMarkScheme, Register: settings.RegisterName, ValidUntil: string(settings.QualityMark.Until)}
		// The credential must not outlive the register's accreditation
		// while it claims it.
		if qmEnd := settings.QualityMark.Until.Time().AddDate(0, 0, 1); qmEnd.Before(exp) {
			exp = qmEnd
		}
	}
	return &credential.Claims{
		Context:           []string{credential.ContextV2, credential.ContextLinkpass},
		Type:              []string{credential.TypeVerifiableCredential, credential.TypeRegistration},
		ID:                "urn:uuid:" + jti,
		Issuer:            settings.IssuerURL,
		ValidFrom:         now.Format(time.RFC3339),
		ValidUntil:        exp.Format(time.RFC3339),
		CredentialSubject: sub,
		Status:            &credential.Status{StatusList: credential.StatusListRef{Idx: idx, URI: statuspub.URI(settings.IssuerURL, list)}},
		Iss:               settings.IssuerURL,
		Iat:               now.Unix(),
		Exp:               exp.Unix(),
		Jti:               jti,
	}
}

// entryProbes is how many random entries of the newest list an issuance
// tries before it opens a new list. Each probe is one lookup in the unique
// slot index, so issuing costs the same however many credentials a list
// holds. With a quarter of the list free, 32 misses in a row happen about
// once in 10^4 issuances (0.75^32), so lists fill to well past three
// quarters, sparse enough that random choice stays cheap and the fill
// level says little about how many credentials exist.
const entryProbes = 32

// pickStatusEntry chooses a random free entry in the newest list with room,
// or a random entry of a new list. The choice is only a proposal: the FSM
// refuses it if another issuance committed it first.
func (s *Server) pickStatusEntry() (string, uint64, error) {
	st := s.State()
	lists, err := st.StatusLists()
	if err != nil {
		return "", 0, err
	}
	if len(lists) > 0 {
		l := newestList(lists)
		for range entryProbes {
			idx, err := randomEntry(l.Size)
			if err != nil {
				return "", 0, err
			}
			taken, err := st.SlotTaken(l.ID, idx)
			if err != nil {
				return "", 0, err
			}
			if !taken {
				return l.ID, idx, nil
			}
		}
	}
	idx, err := randomEntry(s.cfg.StatusListSize)
	return strconv.Itoa(len(lists) + 1), idx, err
}

func randomEntry(size int) (uint64, error) {
	if size < 1 {
		return 0, fmt.Errorf("status list of %d entries", size)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(size)))
	if err != nil {
		return 0, fmt.Errorf("choosing a status list entry: %w", err)
	}
	return n.Uint64(), nil
}

// newestList returns the list with the highest number. List ids are
// decimal numbers, so "10" is newer than "9".
func newestList(lists []*register.StatusList) *register.StatusList {
	best, bestN := lists[0], -1
	for _, l := range lists {
		if n, err := strconv.Atoi(l.ID); err == nil && n > bestN {
			best, bestN = l, n
		}
	}
	return best
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexd[c>>4], hexd[c&0xf])
	}
	return string(out)
}

// Revoked is a credential just revoked.
type Revoked struct {
	Record *register.IssuedCredential
	// StatusPublishedAt is when the status lists that carry the
	// revocation were signed.
	StatusPublishedAt time.Time
}

// RevokeCredential revokes one credential for good. It returns once the
// status lists served carry the revocation.
func (s *Server) RevokeCredential(ctx context.Context, actor register.Actor, jti, reason string) (*Revoked, error) {
	c, err := s.Commit(ctx, actor, fsm.RevokeCredential{JTI: jti, Reason: reason})
	if err != nil {
		return nil, err
	}
	return &Revoked{Record: c.Result.(*register.IssuedCredential), StatusPublishedAt: c.StatusPublishedAt}, nil
}
