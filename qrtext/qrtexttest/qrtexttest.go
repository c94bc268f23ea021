// Package qrtexttest builds signed sample credentials for the tests and
// benchmarks of the QR transport, in the manner of net/http/httptest.
//
// The tokens have the shape of the register's link worker credential (a
// vc+jwt compact JWS) and are signed with a fresh or seeded key, but nothing
// here issues real credentials: the real issuer lives elsewhere, and the QR
// packages stay generic over any compact JWS.
package qrtexttest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/nalw/linkpass/credential"
)

// Signature algorithms a Spec may name.
const (
	EdDSA = "EdDSA"
	ES256 = "ES256"
)

// StandardName is the 27-character name of the standard sample credential.
const StandardName = "Siobhan Okonkwo-Fairweather"

// Spec describes a sample credential.
type Spec struct {
	// Name is the registrant's name.
	Name string
	// Qualifications is how many qualifications to list, 0 to 3.
	Qualifications int
	// QualityMark includes the PSA Quality Mark when true.
	QualityMark bool
	// Alg is EdDSA (the register's default) or ES256.
	Alg string
	// Issuer is the issuer URL; the register's production URL if empty.
	Issuer string
	// Seed makes the key, and so the token, reproducible. With a nil Seed
	// every call signs with a fresh random key.
	Seed []byte
	// UUID, RegistrationNumber and StatusIndex fix the credential's
	// identifiers; empty ones are derived from the key seed, so that they
	// vary from token to token as real ones do.
	UUID               string
	RegistrationNumber string
	StatusIndex        uint64
}

// Standard returns the spec of the standard credential the QR format is
// sized for: a long name, two qualifications and the Quality Mark.
func Standard() Spec {
	return Spec{
		Name: StandardName, Qualifications: 2, QualityMark: true, Alg: EdDSA,
		UUID: "3f1c6e0a-8d52-4c1e-9b7a-2f4d6c8e0a13", RegistrationNumber: "LW1000173", StatusIndex: 482913,
	}
}

// ErrSpec is returned for a Spec this package cannot build.
var ErrSpec = errors.New("qrtexttest: unsupported spec")

// qualificationPool is what Spec.Qualifications draws from, in order.
var qualificationPool = []credential.Qualification{
	{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", YearAwarded: 2023},
	{Title: "Level 5 Diploma in Health and Social Care", Level: 5, Provider: "Open University", Accreditation: "nalw-aligned", YearAwarded: 2025},
	{Title: "Postgraduate Certificate in Community Wellbeing", Level: 7, Provider: "Sheffield Hallam University", Accreditation: "nalw-aligned", YearAwarded: 2021},
}

// JWS signs a credential described by spec and returns its compact JWS.
func JWS(spec Spec) (string, error) {
	if spec.Qualifications < 0 || spec.Qualifications > len(qualificationPool) {
		return "", fmt.Errorf("%w: %d qualifications", ErrSpec, spec.Qualifications)
	}
	issuer := spec.Issuer
	if issuer == "" {
		issuer = "https://register.nalw.org.uk"
	}
	seed := make([]byte, 32)
	if spec.Seed != nil {
		copy(seed, spec.Seed)
	} else if _, err := io.ReadFull(rand.Reader, seed); err != nil {
		return "", fmt.Errorf("qrtexttest: key seed: %w", err)
	}

	s, err := newSigner(spec.Alg, seed)
	if err != nil {
		return "", err
	}
	header, err := json.Marshal(joseHeader{Alg: spec.Alg, Typ: "vc+jwt", Cty: "vc", Kid: s.kid})
	if err != nil {
		return "", fmt.Errorf("qrtexttest: header: %w", err)
	}
	payload, err := json.Marshal(claims(spec, issuer, seed))
	if err != nil {
		return "", fmt.Errorf("qrtexttest: payload: %w", err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sig, err := s.sign([]byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// MustJWS is JWS for tests and benchmarks, panicking on error.
func MustJWS(spec Spec) string {
	tok, err := JWS(spec)
	if err != nil {
		panic(err)
	}
	return tok
}

func claims(spec Spec, issuer string, seed []byte) credential.Claims {
	// The identifiers are derived from the seed so that a seeded token is
	// reproducible, yet they look as random as a real UUID and index.
	h := sha256.Sum256(append([]byte("qrtexttest"), seed...))
	h[6] = h[6]&0x0f | 0x40 // UUID version 4
	h[8] = h[8]&0x3f | 0x80 // RFC 9562 variant
	uuid := fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
	idx := uint64(h[16])<<16 | uint64(h[17])<<8 | uint64(h[18])
	regNo := fmt.Sprintf("LW%07d", 1000000+int(h[19])<<8|int(h[20]))
	if spec.UUID != "" {
		uuid = spec.UUID
	}
	if spec.StatusIndex != 0 {
		idx = spec.StatusIndex
	}
	if spec.RegistrationNumber != "" {
		regNo = spec.RegistrationNumber
	}

	c := credential.Claims{
		Context:    []string{credential.ContextV2, credential.ContextLinkpass},
		Type:       []string{credential.TypeVerifiableCredential, credential.TypeRegistration},
		ID:         "urn:uuid:" + uuid,
		Issuer:     issuer,
		ValidFrom:  "2026-11-24T10:15:00Z",
		ValidUntil: "2027-11-23T23:59:59Z",
		CredentialSubject: credential.Subject{
			Type:               credential.SubjectType,
			RegistrationNumber: regNo,
			Name:               spec.Name,
			Role:               credential.Role,
			RegisterStatus:     credential.StatusRegistered,
			RegisteredUntil:    "2027-11-23",
			Nation:             "england",
			PublicRegister:     strings.TrimSuffix(issuer, "/") + "/register/" + regNo,
			Qualifications:     append([]credential.Qualification{}, qualificationPool[:spec.Qualifications]...),
		},
		Status: &credential.Status{StatusList: credential.StatusListRef{Idx: idx, URI: strings.TrimSuffix(issuer, "/") + "/status/1"}},
		Iss:    issuer,
		Iat:    1795515300,
		Exp:    1826927999,
		Jti:    uuid,
	}
	if spec.QualityMark {
		c.CredentialSubject.QualityMark = &credential.QualityMark{
			Scheme:     credential.QualityMarkScheme,
			Register:   "NALW Register of Social Prescribing Link Workers",
			ValidUntil: "2027-06-30",
		}
	}
	return c
}

// signer signs with one key and knows its RFC 7638 thumbprint.
type signer struct {
	kid  string
	sign func(msg []byte) ([]byte, error)
}

func newSigner(alg string, seed []byte) (signer, error) {
	enc := base64.RawURLEncoding
	switch alg {
	case EdDSA:
		key := ed25519.NewKeyFromSeed(seed)
		pub := key.Public().(ed25519.PublicKey)
		// RFC 7638: the required members in lexicographic order, no spaces.
		kid := thumbprint(`{"crv":"Ed25519","kty":"OKP","x":"` + enc.EncodeToString(pub) + `"}`)
		return signer{kid: kid, sign: func(msg []byte) ([]byte, error) {
			return ed25519.Sign(key, msg), nil
		}}, nil
	case ES256:
		key, err := p256Key(seed)
		if err != nil {
			return signer{}, err
		}
		x, y := key.X.FillBytes(make([]byte, 32)), key.Y.FillBytes(make([]byte, 32))
		kid := thumbprint(`{"crv":"P-256","kty":"EC","x":"` + enc.EncodeToString(x) + `","y":"` + enc.EncodeToString(y) + `"}`)
		return signer{kid: kid, sign: func(msg []byte) ([]byte, error) {
			digest := sha256.Sum256(msg)
			r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
			if err != nil {
				return nil, fmt.Errorf("qrtexttest: sign: %w", err)
			}
			// RFC 7518 section 3.4: R and S as fixed 32-byte big-endian.
			return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...), nil
		}}, nil
	default:
		return signer{}, fmt.Errorf("%w: algorithm %q", ErrSpec, alg)
	}
}

// p256Key derives a P-256 key from seed. It is for reproducible samples
// only: reducing a hash into the scalar field is fine for a test key.
func p256Key(seed []byte) (*ecdsa.PrivateKey, error) {
	curve := elliptic.P256()
	h := sha256.Sum256(seed)
	d := new(big.Int).SetBytes(h[:])
	d.Mod(d, new(big.Int).Sub(curve.Params().N, big.NewInt(1)))
	d.Add(d, big.NewInt(1))
	key, err := ecdsa.ParseRawPrivateKey(curve, d.FillBytes(make([]byte, 32)))
	if err != nil {
		return nil, fmt.Errorf("qrtexttest: P-256 key: %w", err)
	}
	return key, nil
}

func thumbprint(canonicalJWK string) string {
	sum := sha256.Sum256([]byte(canonicalJWK))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// joseHeader is the credential's protected header; the payload is the
// register's own credential.Claims, so the compressor sees exactly the
// members, in the order, that real credentials have.
type joseHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Cty string `json:"cty"`
	Kid string `json:"kid"`
}
