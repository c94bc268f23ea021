// Verifies a linkpass credential with panva/jose, independently of the Go
// code: node verify.mjs TOKEN_FILE JWKS_FILE ISSUER
// Prints the verified payload as JSON on success; exits 1 on failure.
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, jwtVerify } from 'jose';

const [tokenFile, jwksFile, issuer] = process.argv.slice(2);
if (!tokenFile || !jwksFile || !issuer) {
  console.error('usage: node verify.mjs TOKEN_FILE JWKS_FILE ISSUER');
  process.exit(2);
}
const token = readFileSync(tokenFile, 'utf8');
const jwks = createLocalJWKSet(JSON.parse(readFileSync(jwksFile, 'utf8')));
try {
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    typ: 'vc+jwt',
    issuer,
    algorithms: ['EdDSA', 'ES256'],
    requiredClaims: ['iss', 'iat', 'exp'],
  });
  process.stdout.write(JSON.stringify({ header: protectedHeader, payload }));
} catch (err) {
  console.error(`${err.code ?? 'ERROR'}: ${err.message}`);
  process.exit(1);
}
