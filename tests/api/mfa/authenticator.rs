//! A software WebAuthn authenticator and the browser around it: what
//! `navigator.credentials.create()` and `.get()` hand a page, built byte by byte from
//! the options the server sent (ES256 keys, "none" attestation, discoverable
//! credentials). Every part an attacker controls — the origin, the relying party, the
//! counter, the user handle — can be bent per call.
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use ciborium::Value as Cbor;
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use rand::{RngCore, rngs::OsRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const ATTESTED_DATA: u8 = 0x40;

/// One credential the authenticator holds.
#[derive(Clone)]
struct Credential {
    id: Vec<u8>,
    key: SigningKey,
    rp_id: String,
    user_handle: Vec<u8>,
}

/// An authenticator with a signature counter (as security keys keep), in a browser at
/// `origin`. `Clone` copies its keys: a cloned authenticator.
#[derive(Clone)]
pub struct SoftAuthenticator {
    origin: String,
    credentials: Vec<Credential>,
    counter: u32,
}

/// What to bend in one ceremony's answer.
#[derive(Default, Clone)]
pub struct Bend<'a> {
    /// The page's origin, as the browser reports it.
    pub origin: Option<&'a str>,
    /// The relying party the authenticator signs for.
    pub rp_id: Option<&'a str>,
    /// The counter in the signed data.
    pub counter: Option<u32>,
    /// The user handle returned with the assertion.
    pub user_handle: Option<Vec<u8>>,
    /// Leave the user-verified flag off.
    pub no_user_verification: bool,
    /// Register this held credential again (its id and key) instead of a new one.
    pub reuse: Option<usize>,
}

impl SoftAuthenticator {
    pub fn new(origin: &str) -> Self {
        Self {
            origin: origin.to_owned(),
            credentials: Vec::new(),
            counter: 0,
        }
    }

    /// `JSON.stringify(await navigator.credentials.create(options))`.
    pub fn create(&mut self, options: &str) -> String {
        self.create_bent(options, Bend::default())
    }

    pub fn create_bent(&mut self, options: &str, bend: Bend<'_>) -> String {
        let options: Value = serde_json::from_str(options).expect("options are JSON");
        let public_key = &options["publicKey"];
        let rp_id = bend
            .rp_id
            .or(public_key["rp"]["id"].as_str())
            .expect("rp.id")
            .to_owned();
        let (id, key) = match bend.reuse {
            Some(held) => {
                let held = &self.credentials[held];
                (held.id.clone(), held.key.clone())
            }
            None => {
                let mut id = vec![0u8; 32];
                OsRng.fill_bytes(&mut id);
                (id, SigningKey::random(&mut OsRng))
            }
        };
        let point = key.verifying_key().to_encoded_point(false);
        let cose_key = Cbor::Map(vec![
            (Cbor::Integer(1.into()), Cbor::Integer(2.into())),
            (Cbor::Integer(3.into()), Cbor::Integer((-7).into())),
            (Cbor::Integer((-1).into()), Cbor::Integer(1.into())),
            (
                Cbor::Integer((-2).into()),
                Cbor::Bytes(point.x().unwrap().to_vec()),
            ),
            (
                Cbor::Integer((-3).into()),
                Cbor::Bytes(point.y().unwrap().to_vec()),
            ),
        ]);
        let mut auth_data = authenticator_data(&rp_id, flags(&bend) | ATTESTED_DATA, 0);
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID: none
        auth_data.extend_from_slice(&u16::try_from(id.len()).unwrap().to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cbor(&cose_key));
        let attestation = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(Vec::new())),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]);
        let client_data = self.client_data("webauthn.create", public_key, &bend);
        let user_handle = URL_SAFE_NO_PAD
            .decode(public_key["user"]["id"].as_str().expect("user.id"))
            .unwrap();
        self.credentials.push(Credential {
            id: id.clone(),
            key,
            rp_id,
            user_handle,
        });
        json!({
            "id": b64(&id),
            "rawId": b64(&id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&cbor(&attestation)),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }

    /// `JSON.stringify(await navigator.credentials.get(options))`: the first credential
    /// the options allow, or — when they list none — the first this authenticator holds
    /// for their relying party (a discoverable credential).
    pub fn get(&mut self, options: &str) -> String {
        self.get_bent(options, Bend::default())
    }

    pub fn get_bent(&mut self, options: &str, bend: Bend<'_>) -> String {
        let options: Value = serde_json::from_str(options).expect("options are JSON");
        let public_key = &options["publicKey"];
        let allowed: Vec<Vec<u8>> = public_key["allowCredentials"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| URL_SAFE_NO_PAD.decode(c["id"].as_str().unwrap()).unwrap())
            .collect();
        let rp_id = public_key["rpId"].as_str().expect("rpId").to_owned();
        let credential = self
            .credentials
            .iter()
            .find(|c| c.rp_id == rp_id && (allowed.is_empty() || allowed.contains(&c.id)))
            .expect("a credential for these options")
            .clone();
        self.counter += 1;
        let counter = bend.counter.unwrap_or(self.counter);
        let auth_data = authenticator_data(bend.rp_id.unwrap_or(&rp_id), flags(&bend), counter);
        let client_data = self.client_data("webauthn.get", public_key, &bend);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = credential.key.sign(&signed);
        let user_handle = bend.user_handle.unwrap_or(credential.user_handle);
        json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": b64(&user_handle),
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }

    fn client_data(&self, kind: &str, public_key: &Value, bend: &Bend<'_>) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": public_key["challenge"].as_str().expect("challenge"),
            "origin": bend.origin.unwrap_or(&self.origin),
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }
}

fn flags(bend: &Bend<'_>) -> u8 {
    if bend.no_user_verification {
        USER_PRESENT
    } else {
        USER_PRESENT | USER_VERIFIED
    }
}

fn authenticator_data(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(flags);
    data.extend_from_slice(&counter.to_be_bytes());
    data
}

fn cbor(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
