package oid4vci

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/nalw/linkpass/credential"
)

// metadataMaxAge is how long wallets may cache metadata: it changes only
// with the issuer URL or a new signing algorithm.
const metadataMaxAge = "public, max-age=3600"

func writeCacheable(w http.ResponseWriter, contentType string, body any) {
	b, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", metadataMaxAge)
	_, _ = w.Write(append(b, '\n'))
}

type display struct {
	Name   string `json:"name"`
	Locale string `json:"locale,omitempty"`
	Desc   string `json:"description,omitempty"`
}

type claimDesc struct {
	Path      []any     `json:"path"`
	Mandatory bool      `json:"mandatory,omitempty"`
	Display   []display `json:"display,omitempty"`
}

// claims lists every claim of the credential with its display name, for
// the issuer metadata and the type metadata alike. sd says whether the
// holder may withhold it.
var claims = []struct {
	path  []any
	label string
	sd    bool
}{
	{[]any{"name"}, "Name", false},
	{[]any{"registration_number"}, "Registration number", false},
	{[]any{"role"}, "Role", false},
	{[]any{"register_status"}, "Register status", false},
	{[]any{"registered_until"}, "Registered until", false},
	{[]any{"restrictions"}, "Restrictions on practice", false},
	{[]any{"public_register"}, "Public register entry", false},
	{[]any{"quality_mark"}, "PSA Quality Mark", false},
	{[]any{"nation"}, "Nation", true},
	{[]any{"qualifications"}, "Qualifications", false},
	{[]any{"qualifications", nil}, "Qualification", true},
}

func (s *Service) algs() []string {
	return []string{credential.AlgEdDSA, credential.AlgES256}
}

func (s *Service) issuerMetadata(w http.ResponseWriter, _ *http.Request) {
	base := s.issuerURL()
	name := s.reg.State().Settings().RegisterName
	var cl []claimDesc
	for _, c := range claims {
		cl = append(cl, claimDesc{Path: c.path, Mandatory: !c.sd, Display: []display{{Name: c.label, Locale: "en-GB"}}})
	}
	proofs := map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": []string{"ES256", "EdDSA"}}}
	credMeta := map[string]any{
		"display": []any{map[string]any{"name": "Link worker registration", "locale": "en-GB", "description": "Registration on the " + name}},
		"claims":  cl,
	}
	writeCacheable(w, "application/json", map[string]any{
		"credential_issuer":     base,
		"credential_endpoint":   base + PathCredential,
		"nonce_endpoint":        base + PathNonce,
		"notification_endpoint": base + PathNotification,
		"display":               []display{{Name: name, Locale: "en-GB"}},
		"credential_configurations_supported": map[string]any{
			ConfigSDJWT: map[string]any{
				"format": FormatSDJWT,
				"vct":    base + PathVCT,
				"scope":  "link_worker_registration",
				"cryptographic_binding_methods_supported": []string{"jwk"},
				"credential_signing_alg_values_supported": s.algs(),
				"proof_types_supported":                   proofs,
				"credential_metadata":                     credMeta,
			},
			ConfigVCJWT: map[string]any{
				"format": FormatVCJWT,
				"scope":  "link_worker_registration_vc",
				"credential_signing_alg_values_supported": s.algs(),
				"proof_types_supported":                   proofs,
				"credential_definition": map[string]any{
					"@context": []string{credential.ContextV2, credential.ContextLinkpass},
					"type":     []string{credential.TypeVerifiableCredential, credential.TypeRegistration},
				},
				"credential_metadata": credMeta,
			},
		},
	})
}

func (s *Service) serverMetadata(w http.ResponseWriter, _ *http.Request) {
	base := s.issuerURL()
	writeCacheable(w, "application/json", map[string]any{
		"issuer":                                          base,
		"token_endpoint":                                  base + PathToken,
		"grant_types_supported":                           []string{PreAuthGrant, "refresh_token"},
		"response_types_supported":                        []string{},
		"token_endpoint_auth_methods_supported":           []string{"none"},
		"pre-authorized_grant_anonymous_access_supported": true,
	})
}

// typeMetadata is SD-JWT VC Type Metadata for the vct: what the
// credential is and which claims a holder may withhold.
func (s *Service) typeMetadata(w http.ResponseWriter, _ *http.Request) {
	base := s.issuerURL()
	type tmClaim struct {
		Path    []any     `json:"path"`
		SD      string    `json:"sd"`
		Display []tmLabel `json:"display"`
	}
	var cl []tmClaim
	for _, c := range claims {
		sd := "never"
		if c.sd {
			sd = "allowed"
		}
		cl = append(cl, tmClaim{Path: c.path, SD: sd, Display: []tmLabel{{Locale: "en-GB", Label: c.label}}})
	}
	name := s.reg.State().Settings().RegisterName
	writeCacheable(w, "application/json", map[string]any{
		"vct":         base + PathVCT,
		"name":        "Link worker registration",
		"description": "A social prescribing link worker's registration on the " + name + ": status, restrictions flag, qualifications. Check the status list before relying on it.",
		"display":     []map[string]any{{"locale": "en-GB", "name": "Link worker registration", "description": strings.TrimSpace("Registration on the " + name)}},
		"claims":      cl,
	})
}

type tmLabel struct {
	Locale string `json:"locale"`
	Label  string `json:"label"`
}
