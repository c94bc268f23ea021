package oid4vci

import (
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/keys"
)

// BenchmarkIssueFormats compares signing the two formats a wallet gets
// from one draft: the SD-JWT VC (salts, disclosures, digests, one
// signature) against the compact vc+jwt (one signature).
func BenchmarkIssueFormats(b *testing.B) {
	for _, alg := range []string{keys.AlgEdDSA, keys.AlgES256} {
		k, err := keys.Generate(alg)
		if err != nil {
			b.Fatal(err)
		}
		holder, err := keys.Generate(keys.AlgES256)
		if err != nil {
			b.Fatal(err)
		}
		pub, _ := holder.PublicJWK()
		hk, err := jwk.ParseKey(pub)
		if err != nil {
			b.Fatal(err)
		}
		d := &issuer.Draft{Claims: credentialtest.Claims(time.Now()), Signer: k}
		b.Run(alg+"/dc+sd-jwt", func(b *testing.B) {
			for b.Loop() {
				if _, err := issueSDJWT(d, hk); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/vc+jwt", func(b *testing.B) {
			for b.Loop() {
				if _, err := credential.Sign(d.Claims, k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
