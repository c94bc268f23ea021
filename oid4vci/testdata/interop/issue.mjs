// An independent wallet for oid4vci/interop_test.go: the OpenWallet
// Foundation's OpenID4VCI client takes a linkpass credential offer through
// the pre-authorised code flow with a tx_code, then @sd-jwt/sd-jwt-vc
// verifies the SD-JWT VC it receives (issuer signature through the issuer's
// metadata, vct type metadata, cnf, the status list) and a key binding JWT
// made with the holder key. Nothing here shares code with linkpass.
//
// Usage: node issue.mjs issue OFFER_URI TX_CODE SDJWT_OUT
//        node issue.mjs verify ISSUER_URL SDJWT_FILE
// issue takes the offer and verifies what it got; verify checks a stored
// SD-JWT VC again (after a suspension, its status list says so). Each
// prints one JSON object; errors go to stderr with a non-zero exit.
import { webcrypto, createHash, randomBytes } from 'node:crypto'
import * as jose from 'jose'
import { Openid4vciClient } from '@openid4vc/openid4vci'
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2'
import { setGlobalConfig } from '@openid4vc/utils'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { digest, generateSalt } from '@sd-jwt/crypto-nodejs'

import { readFileSync, writeFileSync } from 'node:fs'

const [mode, ...args] = process.argv.slice(2)
// The test register listens on http://127.0.0.1.
setGlobalConfig({ allowInsecureUrls: true })

const holder = await jose.generateKeyPair('ES256', { extractable: true })
if (mode === 'verify') {
  const [issuer, file] = args
  const vc = await instance(issuer)
  try {
    const res = await vc.verify(readFileSync(file, 'utf8').trim())
    console.log(JSON.stringify({ valid: true, payload: res.payload }))
  } catch (e) {
    console.log(JSON.stringify({ valid: false, error: String(e?.message ?? e) }))
  }
  process.exit(0)
}
const [offerUri, txCode, out] = args
const holderJwk = await jose.exportJWK(holder.publicKey)

const client = new Openid4vciClient({
  callbacks: {
    fetch,
    hash: (data, alg) => createHash(alg.replace('-', '')).update(data).digest(),
    generateRandom: (n) => randomBytes(n),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, { header, payload }) => {
      if (signer.method !== 'jwk') throw new Error(`unexpected signer ${signer.method}`)
      const jwt = await new jose.SignJWT(payload).setProtectedHeader(header).sign(holder.privateKey)
      return { jwt, signerJwk: signer.publicJwk }
    },
  },
})

const offer = await client.resolveCredentialOffer(offerUri)
const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer)
const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer, issuerMetadata, txCode,
})

async function credential(configId) {
  const { c_nonce } = await client.requestNonce({ issuerMetadata })
  const { jwt } = await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId: configId, nonce: c_nonce,
    signer: { method: 'jwk', alg: 'ES256', publicJwk: holderJwk },
  })
  const res = await client.retrieveCredentials({
    issuerMetadata, accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configId, proofs: { jwt: [jwt] },
  })
  const { credential, } = res.credentialResponse.credentials[0]
  // Tell the issuer the wallet stored it (the notification endpoint).
  const sent = await client.sendNotification({
    issuerMetadata, accessToken: accessTokenResponse.access_token,
    notification: { notificationId: res.credentialResponse.notification_id, event: 'credential_accepted' },
  })
  if (sent.ok) notified++
  return credential
}
let notified = 0

const sdjwt = await credential('link-worker-registration-sd-jwt')
const vcjwt = await credential('link-worker-registration-vc-jwt')

writeFileSync(out, sdjwt)
const vc = await instance(offer.credential_issuer)

// instance is an SD-JWT VC verifier for issuer, whose keys it finds the
// SD-JWT VC way: JWT VC Issuer Metadata.
async function instance(issuer) {
const meta = await (await fetch(issuer + '/.well-known/jwt-vc-issuer')).json()
if (meta.issuer !== issuer) throw new Error(`jwt-vc-issuer names ${meta.issuer}, not ${issuer}`)
const jwks = meta.jwks ?? (await (await fetch(meta.jwks_uri)).json())
const issuerKeys = jose.createLocalJWKSet(jwks)
// verifier checks any JWT the register signed (the SD-JWT VC, the status
// list token) against the issuer's published keys.
const verifier = async (data, sig) => {
  const [h, p] = data.split('.')
  try {
    await jose.compactVerify(`${h}.${p}.${sig}`, issuerKeys)
    return true
  } catch { return false }
}
const kbVerifier = async (data, sig, payload) => {
  const key = await jose.importJWK(payload.cnf.jwk, 'ES256')
  const [h, p] = data.split('.')
  try {
    await jose.compactVerify(`${h}.${p}.${sig}`, key)
    return true
  } catch { return false }
}
const kbSigner = async (data) => {
  const sig = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, holder.privateKey, new TextEncoder().encode(data))
  return Buffer.from(sig).toString('base64url')
}

return new SDJwtVcInstance({
  hasher: digest, saltGenerator: generateSalt, verifier, kbVerifier, kbSigner, kbSignAlg: 'ES256',
  statusVerifier: verifier, loadTypeMetadataFormat: true,
})
}

const checked = await vc.verify(sdjwt)
const nonce = randomBytes(16).toString('base64url')
const presented = await vc.present(sdjwt, { name: true, registration_number: true }, {
  kb: { payload: { iat: Math.floor(Date.now() / 1000), aud: 'https://practice.example', nonce } },
})
const bound = await vc.verify(presented, { keyBindingNonce: nonce, requiredClaimKeys: ['name'] })

let tamperedRefused = false
try {
  const parts = sdjwt.split('~')
  const payload = JSON.parse(Buffer.from(parts[0].split('.')[1], 'base64url'))
  payload.restrictions = !payload.restrictions
  parts[0] = [parts[0].split('.')[0], Buffer.from(JSON.stringify(payload)).toString('base64url'), parts[0].split('.')[2]].join('.')
  await vc.verify(parts.join('~'))
} catch { tamperedRefused = true }

const cnfMatches = checked.payload.cnf?.jwk?.x === holderJwk.x && checked.payload.cnf?.jwk?.y === holderJwk.y
console.log(JSON.stringify({
  typ: checked.header.typ,
  payload: checked.payload,
  vct_name: checked.typeMetadata?.mergedTypeMetadata?.name ?? null,
  cnf_matches_holder: cnfMatches,
  kb: bound.kb?.payload ?? null,
  presented_claims: Object.keys(bound.payload).sort(),
  tampered_refused: tamperedRefused,
  notifications_accepted: notified,
  vcjwt_header: jose.decodeProtectedHeader(vcjwt),
  vcjwt_status: jose.decodeJwt(vcjwt).status ?? null,
}))
