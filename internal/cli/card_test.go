package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/nalw/linkpass/credential"
)

func TestCardInfoPrintsTheQualityMarkOnlyWhileHeld(t *testing.T) {
	c := &credential.Claims{Issuer: "https://register.nalw.org.uk", Exp: time.Date(2027, 11, 24, 0, 0, 0, 0, time.UTC).Unix()}
	c.CredentialSubject.Name = "Siân Ní Bhriain"
	c.CredentialSubject.RegistrationNumber = "LW1000173"
	day := time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC)

	info := cardInfo(c, day)
	assert.Equal(t, "register.nalw.org.uk", info.RegisterName, "without the mark, the register is named by its address")
	assert.Empty(t, info.QualityMark)
	assert.Equal(t, "https://register.nalw.org.uk/verify", info.CheckURL)
	assert.Equal(t, "2027-11-23", info.ValidUntil)
	assert.Equal(t, "Siân Ní Bhriain", info.Name, "accents kept")

	c.CredentialSubject.QualityMark = &credential.QualityMark{Scheme: credential.QualityMarkScheme,
		Register: "National Association of Link Workers", ValidUntil: "2027-03-31"}
	info = cardInfo(c, day)
	assert.Equal(t, "National Association of Link Workers", info.RegisterName)
	assert.Equal(t, "Quality Mark: PSA Accredited Registers", info.QualityMark)
	assert.Empty(t, cardInfo(c, day.AddDate(0, 0, 1)).QualityMark, "the mark ended yesterday")
}
