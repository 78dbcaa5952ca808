// Entry of the IIFE bundle (witness_api/portal/static/js/witness-verify.js): the global
// ``WitnessVerify`` the portal's pages call. Everything runs in the browser; the files a
// user opens are never sent anywhere.

import { verifyBundle } from './bundle.mjs';
import { sha256Blob } from './filehash.mjs';
import { verifyReceipt } from './receipt.mjs';
import { TITLES } from './report.mjs';

export { verifyBundle, verifyReceipt, sha256Blob, TITLES };
