package evidence

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
)

// PayloadType is the DSSE payload type of an in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// Envelope is a DSSE envelope.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"` // base64
	Signatures  []Signature `json:"signatures"`
}

// Signature is one signature of an envelope.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"` // base64
}

// PAE is DSSE's pre-authentication encoding of a payload: what is signed.
func PAE(payloadType string, payload []byte) []byte {
	return []byte("DSSEv1 " + strconv.Itoa(len(payloadType)) + " " + payloadType + " " + strconv.Itoa(len(payload)) + " " + string(payload))
}

// ErrBadSignature is returned when no signature of an envelope verifies
// with the key.
var ErrBadSignature = errors.New("no signature verifies with the key")

// ParsePublicKey reads a PEM "PUBLIC KEY" block, as cosign.pub holds.
func ParsePublicKey(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM PUBLIC KEY block")
	}
	return x509.ParsePKIXPublicKey(block.Bytes)
}

// Open verifies an envelope with key and returns the statement it carries.
// It fails with ErrBadSignature when no signature verifies, and says so
// when the payload is not an in-toto statement.
func Open(env Envelope, key crypto.PublicKey) (Statement, error) {
	if env.PayloadType != PayloadType {
		return Statement{}, fmt.Errorf("payload type %q, want %s", env.PayloadType, PayloadType)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return Statement{}, fmt.Errorf("payload: %w", err)
	}
	digest := sha256.Sum256(PAE(env.PayloadType, payload))
	verified := false
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			continue
		}
		switch k := key.(type) {
		case *ecdsa.PublicKey:
			verified = ecdsa.VerifyASN1(k, digest[:], sig)
		case ed25519.PublicKey:
			verified = ed25519.Verify(k, PAE(env.PayloadType, payload), sig)
		case *rsa.PublicKey:
			verified = rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil
		default:
			return Statement{}, fmt.Errorf("key type %T is not supported", key)
		}
		if verified {
			break
		}
	}
	if !verified {
		return Statement{}, ErrBadSignature
	}
	var st Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return Statement{}, fmt.Errorf("payload is not an in-toto statement: %w", err)
	}
	if st.Type != StatementType && st.Type != StatementTypeV01 {
		return Statement{}, fmt.Errorf("statement type %q, want %s", st.Type, StatementType)
	}
	return st, nil
}

// Seal signs a statement into a DSSE envelope the way cosign does: ECDSA
// signers sign SHA-256 of the PAE (ASN.1), ed25519 signs the PAE itself.
// kfp-dagger signs with cosign; Seal is for tests and for signers that hold
// their key elsewhere (a KMS behind crypto.Signer).
func Seal(st Statement, signer crypto.Signer) (Envelope, error) {
	payload, err := json.Marshal(st)
	if err != nil {
		return Envelope{}, err
	}
	pae := PAE(PayloadType, payload)
	msg, opts := pae, crypto.SignerOpts(crypto.Hash(0))
	if _, ok := signer.Public().(ed25519.PublicKey); !ok {
		d := sha256.Sum256(pae)
		msg, opts = d[:], crypto.SHA256
	}
	sig, err := signer.Sign(rand.Reader, msg, opts)
	if err != nil {
		return Envelope{}, fmt.Errorf("sign the statement: %w", err)
	}
	return Envelope{PayloadType: PayloadType, Payload: base64.StdEncoding.EncodeToString(payload),
		Signatures: []Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}}}, nil
}
