// Expands a linkpass credential payload with jsonld.js, a JSON-LD
// processor independent of the Go code, entirely offline:
//   node expand.mjs PAYLOAD_FILE CONTEXT_FILE
// The document loader maps the VC 2.0 context to the copy shipped in
// @digitalbazaar/credentials-context and the link worker context to
// CONTEXT_FILE (the document the register serves); any other URL fails.
// Prints the expanded document; exits 1 if expansion fails or drops or
// leaves undefined any term (safe mode).
import { readFileSync } from 'node:fs';
import jsonld from 'jsonld';
import { contexts } from '@digitalbazaar/credentials-context';

const [payloadFile, contextFile] = process.argv.slice(2);
if (!payloadFile || !contextFile) {
  console.error('usage: node expand.mjs PAYLOAD_FILE CONTEXT_FILE');
  process.exit(2);
}
const local = new Map(contexts);
local.set('https://register.nalw.org.uk/ns/link-worker/v1', JSON.parse(readFileSync(contextFile, 'utf8')));

const documentLoader = async (url) => {
  if (!local.has(url)) {
    throw new Error(`offline: no local copy of ${url}`);
  }
  return { contextUrl: null, documentUrl: url, document: local.get(url) };
};

try {
  const expanded = await jsonld.expand(JSON.parse(readFileSync(payloadFile, 'utf8')), { documentLoader, safe: true });
  process.stdout.write(JSON.stringify(expanded));
} catch (err) {
  console.error(`${err.name}: ${err.message}${err.details ? ' ' + JSON.stringify(err.details) : ''}`);
  process.exit(1);
}
