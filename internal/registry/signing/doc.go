// Package signing signs and verifies models in the OpenSSF Model Signing
// (OMS) 1.0 format: a Sigstore bundle holding a DSSE envelope whose
// payload is an in-toto v1 statement with the predicate
// https://model_signing/signature/v1.0. The statement's subject is the
// model's root digest and its resources are the SHA-256 digests of every
// file or, with shard serialization, of every fixed-size byte range.
//
// Hashing uses every core. Files are cut into shards that workers pull
// largest first; on CPUs with AVX-512 each worker advances sixteen shards
// at once through a vectorized SHA-256, elsewhere each shard streams
// through crypto/sha256. All reads go through an os.Root, so no symbolic
// link can lead the signer or the verifier outside the model directory.
//
// Keys are ECDSA P-256, used either as a raw key (the bundle names it by
// a hint) or with an X.509 certificate chain. Verification checks the
// signature, the statement, and then re-hashes the model, naming every
// file that was modified, is missing or was added.
package signing
