package api

import (
	"net/http"

	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/issuer/fsm"

	"github.com/nalw/linkpass/oid4vci"
)

// routes registers every endpoint. Keep this list the one place to read the
// whole API; docs/openapi.yaml documents it.
func (a *API) routes() {
	g, p := http.MethodGet, http.MethodPost

	a.raw("/healthz", a.healthz)
	a.raw("/readyz", a.readyz)
	a.handle(g, "/v1/version", public, a.version)

	// Public register: no token, only what public protection needs.
	a.handle(g, "/v1/register", public, a.searchRegister)
	a.handle(g, "/v1/register/{regno}", public, a.getPublicEntry)

	// Registrants.
	a.handle(g, "/v1/registrants", reader, a.listRegistrants)
	a.handle(p, "/v1/registrants", registrar, a.addRegistrant)
	a.handle(p, "/v1/registrants/import", admin, a.importRegistrants)
	a.handle(g, "/v1/registrants/{regno}", reader, a.getRegistrant)
	a.handle(p, "/v1/registrants/{regno}/suspend", registrar, a.suspend)
	a.handle(p, "/v1/registrants/{regno}/reinstate", registrar, a.reinstate)
	a.handle(p, "/v1/registrants/{regno}/remove", registrar, a.remove)
	a.handle(p, "/v1/registrants/{regno}/renew", registrar, a.renew)
	a.handle(p, "/v1/registrants/{regno}/restrict", registrar, a.restrict)
	a.handle(p, "/v1/registrants/{regno}/unrestrict", registrar, a.unrestrict)
	a.handle(p, "/v1/registrants/{regno}/review", registrar, a.setReview)
	a.handle(p, "/v1/registrants/{regno}/qualifications", registrar, a.addQualification)
	a.handle(http.MethodPut, "/v1/registrants/{regno}/qualifications/{index}", registrar, a.editQualification)
	a.handle(p, "/v1/registrants/{regno}/qualifications/{index}/withdraw", registrar, a.withdrawQualification)
	a.handle(p, "/v1/registrants/{regno}/correct", registrar, a.correct)
	a.handle(p, "/v1/registrants/{regno}/cpd", registrar, a.recordCPD)
	// The two-person rule: removals and restrictions waiting for a second
	// registrar.
	a.handle(g, "/v1/proposals", reader, a.listProposals)
	a.handle(g, "/v1/proposals/{id}", reader, a.getProposal)
	a.handle(p, "/v1/proposals/{id}/approve", registrar, a.approveProposal)
	a.handle(p, "/v1/proposals/{id}/reject", registrar, a.rejectProposal)
	a.handle(g, "/v1/lapse-sweep", reader, a.pendingLapse)
	a.handle(p, "/v1/lapse-sweep", admin, a.confirmLapse)

	// Credentials.
	a.handle(p, "/v1/registrants/{regno}/credentials", registrar, a.issueCredential)
	a.handle(g, "/v1/registrants/{regno}/credentials", reader, a.listCredentials)
	a.handle(p, "/v1/credentials/{jti}/revoke", registrar, a.revokeCredential)

	// Signing keys, and what verifiers fetch.
	a.handle(g, "/v1/keys", admin, a.listKeys)
	a.handle(p, "/v1/keys/rotate", admin, a.rotateKey)
	a.handle(p, "/v1/keys/{kid}/retire", admin, a.retireKey)
	a.raw("/.well-known/jwks.json", a.jwks)
	a.raw("/.well-known/jwt-vc-issuer", a.issuerMetadata)
	a.raw(contextPath, a.jsonLDContext)

	// Status lists and the offline trust bundle: public, served from what
	// the publisher last signed.
	a.raw("/status/{list}", a.statusList)
	a.raw("/trust-bundle", a.trustBundle)

	// Wallets: OpenID4VCI offers a registrar makes, the wallets that
	// redeemed them, and the mail that carried them (package oid4vci).
	a.handle(p, "/v1/registrants/{regno}/offers", registrar, a.createOffer)
	a.handle(g, "/v1/registrants/{regno}/wallets", reader, a.listWallets)
	a.handle(p, "/v1/offers/{id}/withdraw", registrar, a.withdrawOffer)
	a.handle(p, "/v1/grants/{id}/revoke", registrar, a.revokeGrant)

	// OpenID4VCI 1.0, pre-authorised code flow: metadata and the protocol
	// endpoints wallets call (their own OAuth errors, CORS for any origin).
	oid, o := a.issuance.Handlers(), http.MethodOptions
	a.raw("/.well-known/openid-credential-issuer", oid.IssuerMetadata)
	a.raw("/.well-known/oauth-authorization-server", oid.ServerMetadata)
	a.raw(oid4vci.PathVCT, oid.TypeMetadata)
	a.raw(oid4vci.PathOffer+"{code}", oid.Offer)
	a.router.Methods(p, o).Path(oid4vci.PathToken).HandlerFunc(oid.Token)
	a.router.Methods(p, o).Path(oid4vci.PathNonce).HandlerFunc(oid.Nonce)
	a.router.Methods(p, o).Path(oid4vci.PathCredential).HandlerFunc(oid.Credential)
	a.router.Methods(p, o).Path(oid4vci.PathNotification).HandlerFunc(oid.Notification)

	// The course catalogue and the registration criteria (package
	// courses): public to read, so that applicants and employers can see
	// which courses count.
	a.cacheable("/v1/courses", a.listCourses, "courses", "providers")
	a.cacheable("/v1/courses/{course}", a.getCourse, "courses", "providers")
	a.cacheable("/v1/providers", a.listProviders, "providers")
	a.handle(p, "/v1/providers", registrar, a.addProvider)
	a.handle(p, "/v1/courses", registrar, a.addCourse)
	a.handle(p, "/v1/courses/{course}/standing", registrar, a.setStanding)
	a.handle(p, "/v1/settings/registration-criteria", admin, a.setCriteria)

	// Applications to join (package applications/intake): applicants
	// send theirs without a token, proving their email with a code;
	// registrars decide.
	a.handle(p, "/v1/applications/codes", public, a.sendApplicationCode)
	a.handle(p, "/v1/applications", public, a.submitApplication)
	a.handle(g, "/v1/applications", reader, a.listApplications)
	a.handle(g, "/v1/applications/{ref}", reader, a.getApplication)
	a.handle(g, "/v1/applications/{ref}/messages", reader, a.listApplicationMessages)
	a.handle(p, "/v1/applications/{ref}/approve", registrar, a.approveApplication)
	a.handle(p, "/v1/applications/{ref}/request-information", registrar, a.applicationStep(fsm.AppRequestInfo))
	a.handle(p, "/v1/applications/{ref}/refuse", registrar, a.applicationStep(fsm.AppRefuse))
	a.handle(p, "/v1/applications/{ref}/appeal", registrar, a.applicationStep(fsm.AppAppeal))
	a.handle(p, "/v1/applications/{ref}/appeal-decision", registrar, a.decideAppeal)
	a.handle(p, "/v1/settings/applications", admin, a.setApplicationSettings)

	// Training providers confirm or dispute the qualifications claimed
	// from their courses (package confirmations/claims); registrars read
	// the answers.
	a.handle(g, "/v1/provider/claims", provider, a.listClaims)
	a.handle(p, "/v1/applications/{ref}/qualifications/{index}/confirm", provider, a.answer(confirmations.Confirmed))
	a.handle(p, "/v1/applications/{ref}/qualifications/{index}/dispute", provider, a.answer(confirmations.Disputed))
	a.handle(p, "/v1/registrants/{regno}/qualifications/{index}/confirm", provider, a.answer(confirmations.Confirmed))
	a.handle(p, "/v1/registrants/{regno}/qualifications/{index}/dispute", provider, a.answer(confirmations.Disputed))
	a.handle(g, "/v1/applications/{ref}/confirmations", reader, a.listConfirmations)
	a.handle(g, "/v1/registrants/{regno}/confirmations", reader, a.listConfirmations)

	// Yearly renewals and CPD (package issuer/renewals); registrants make
	// them in their account (/account).
	a.handle(g, "/v1/renewals", reader, a.listRenewals)
	a.handle(g, "/v1/renewals/{renewal}", reader, a.getRenewal)
	a.handle(p, "/v1/renewals/{renewal}/approve", registrar, a.decideRenewal(true))
	a.handle(p, "/v1/renewals/{renewal}/refuse", registrar, a.decideRenewal(false))
	a.handle(g, "/v1/registrants/{regno}/cpd", reader, a.listCPD)
	a.handle(p, "/v1/settings/renewal", admin, a.setRenewalPolicy)
	// The grace period after registered-until before a lapse.
	a.handle(g, "/v1/settings/grace-period", reader, a.getGracePeriod)
	a.handle(p, "/v1/settings/grace-period", admin, a.setGracePeriod)

	// Register settings and the Quality Mark.
	a.handle(g, "/v1/settings", reader, a.getSettings)
	a.handle(p, "/v1/settings", admin, a.setSettings)
	a.handle(p, "/v1/settings/quality-mark", admin, a.setQualityMark)

	// API tokens.
	a.handle(g, "/v1/tokens", admin, a.listTokens)
	a.handle(p, "/v1/tokens", admin, a.createToken)
	a.handle(p, "/v1/tokens/{id}/revoke", admin, a.revokeToken)

	// Staff accounts: the people who sign in to the console.
	a.handle(g, "/v1/staff", admin, a.listStaff)
	a.handle(p, "/v1/staff", admin, a.addStaff)
	a.handle(p, "/v1/staff/{id}/disable", admin, a.disableStaff)
	a.handle(p, "/v1/staff/{id}/reset-2fa", admin, a.resetStaff)

	// Backups: a consistent copy of the whole register, private keys
	// included.
	a.raw("/v1/backup", a.backup)

	// The cluster: its members and leadership. Changes reach the leader
	// through the forwarder like every other write.
	a.handle(g, "/v1/cluster/members", admin, a.listMembers)
	a.handle(p, "/v1/cluster/members", admin, a.addMember)
	a.handle(p, "/v1/cluster/members/{id}/remove", admin, a.removeMember)
	a.handle(p, "/v1/cluster/transfer-leadership", admin, a.transferLeadership)

	// Audit trail.
	a.handle(g, "/v1/audit", reader, a.listAudit)
	a.raw("/v1/audit/export", a.exportAudit)

	// Reports for the PSA, built from the audit trail alone, and the
	// yearly CPD audit (packages reports and cpdaudit).
	a.handle(g, "/v1/reports/psa", reader, a.psaReport)
	a.raw("/v1/reports/psa/export", a.psaReportCSV)
	a.handle(p, "/v1/cpd-audits", registrar, a.drawCPDAudit)
	a.handle(g, "/v1/cpd-audits/{year}", reader, a.listCPDAudits)
	a.handle(g, "/v1/cpd-audits/{year}/verify", reader, a.verifyCPDAudit)
	a.handle(p, "/v1/cpd-audits/{year}/{regno}/outcome", registrar, a.decideCPDAudit)
}
