use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, Version};

use super::{
    argon2id::{fresh_memory, hash_blocking, our_params},
    stored::verify_blocking,
    *,
};

fn pw(s: &str) -> Password {
    Password::parse(s.to_owned(), "password").unwrap()
}

#[tokio::test]
async fn a_hash_verifies_its_password_and_nothing_else() {
    let hasher = PasswordHasher::new(2).unwrap();
    let hash = hasher.hash(&pw("s3cret-enough")).await.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert_eq!(
        hasher
            .verify(&pw("s3cret-enough"), Some(&hash))
            .await
            .unwrap(),
        Verification::Match {
            needs_rehash: false
        }
    );
    assert_eq!(
        hasher
            .verify(&pw("s3cret-enougH"), Some(&hash))
            .await
            .unwrap(),
        Verification::Mismatch
    );
}

#[tokio::test]
async fn no_account_never_matches() {
    let hasher = PasswordHasher::new(1).unwrap();
    assert_eq!(
        hasher.verify(&pw("anything"), None).await.unwrap(),
        Verification::Mismatch
    );
}

#[test]
fn hashes_made_in_reused_memory_are_standard_argon2id() {
    let mut memory = vec![Block::default(); OUR_BLOCKS];
    let ours = hash_blocking("pw-long-enough", &mut memory).unwrap();
    let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, our_params());
    let parsed = PasswordHash::new(&ours).unwrap();
    assert!(
        argon2::PasswordVerifier::verify_password(&reference, b"pw-long-enough", &parsed).is_ok()
    );
    // The same memory, dirty from the last hash, checks the reference's own hash.
    let salt = SaltString::generate(&mut OsRng);
    let theirs = reference
        .hash_password(b"pw-long-enough", &salt)
        .unwrap()
        .to_string();
    assert_eq!(
        verify_with_memory("pw-long-enough", &theirs, &mut memory).unwrap(),
        Verification::Match {
            needs_rehash: false
        }
    );
    assert_eq!(
        verify_with_memory("pw-long-enougH", &theirs, &mut memory).unwrap(),
        Verification::Mismatch
    );
}

#[test]
fn weaker_argon2_parameters_ask_for_a_rehash() {
    let weak = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(4096, 1, 1, None).unwrap(),
    );
    let salt = SaltString::generate(&mut OsRng);
    let hash = weak
        .hash_password(b"pw-long-enough", &salt)
        .unwrap()
        .to_string();
    assert_eq!(
        verify_blocking("pw-long-enough", &hash).unwrap(),
        Verification::Match { needs_rehash: true }
    );
}

// Made by Django 5.2's own hashers (with costs lowered where Django allows it, to
// keep these tests quick) from a password with non-ASCII letters.
const DJANGO_PASSWORD: &str = "pâte à crêpes, 3 œufs";
const DJANGO_PBKDF2: &str =
    "pbkdf2_sha256$1000$QoB7xz1kq0xSeQmfyn2dJ1$5WxBaonCJaM/ZEvOrWNc853rB4ge1Cm9Wdl3JWMann4=";
const DJANGO_BCRYPT_SHA256: &str =
    "bcrypt_sha256$$2b$04$quliEUEyd4skdytn1c/qz.8rbSNedBtDUk/iogsVr76fhxd5FQ5oq";
const DJANGO_ARGON2_WEAK: &str = "argon2$argon2id$v=19$m=256,t=1,p=1$QnNNVjFvRFpVQnp1cktZRjBBMFNkYQ$Rt1Xno1A5ZQzdnMI85ByVQmkIhzqzenpZi9E1XRxXNE";
/// Django's default argon2 costs, stronger than ours in memory.
const DJANGO_ARGON2: &str = "argon2$argon2id$v=19$m=102400,t=2,p=8$cWN3VGJRVWxraWxnNmw2VVFBVlJ2TQ$XbpsyDh5E81sg1UyPyhTyJ2g3esXG7ypj+IvH6zcCkI";

#[test]
fn django_formats_are_recognised() {
    let schemes = [
        (DJANGO_PBKDF2, HashScheme::DjangoPbkdf2Sha256),
        (DJANGO_BCRYPT_SHA256, HashScheme::DjangoBcryptSha256),
        (DJANGO_ARGON2_WEAK, HashScheme::DjangoArgon2),
        (DJANGO_ARGON2, HashScheme::DjangoArgon2),
        (&DJANGO_ARGON2["argon2".len()..], HashScheme::Argon2),
        (
            "!FYlEEPnOT3UZnuPzEcFSZz1Lza8mhMc0qIbZJTkF",
            HashScheme::Unusable,
        ),
        (UNUSABLE, HashScheme::Unusable),
    ];
    for (stored, scheme) in schemes {
        assert_eq!(scheme_of(stored), Ok(scheme), "{stored}");
    }
}

#[test]
fn other_and_malformed_formats_are_unsupported() {
    let refused = [
        (
            "md5$nWSt6P1lVMGZHLoLkhiPUz$4c0d6ded931e98bdac174457c7a6c961",
            "md5 hashes are not supported",
        ),
        ("sha1$salt$0123", "sha1 hashes are not supported"),
        (
            "pbkdf2_sha1$260000$salt$AAAA",
            "pbkdf2_sha1 hashes are not supported",
        ),
        ("", "an empty password hash"),
        (
            "5f4dcc3b5aa765d61d8327deb882cf99",
            "hashes without an algorithm prefix are not supported",
        ),
        (
            "{SSHA}abc$def",
            "hashes of an unknown algorithm are not supported",
        ),
        ("pbkdf2_sha256$1000$salt", "malformed pbkdf2_sha256 hash"),
        (
            "pbkdf2_sha256$many$salt$5WxBaonCJaM/ZEvOrWNc853rB4ge1Cm9Wdl3JWMann4=",
            "malformed pbkdf2_sha256 hash",
        ),
        (
            "pbkdf2_sha256$1000$salt$not base64",
            "malformed pbkdf2_sha256 hash",
        ),
        (
            "pbkdf2_sha256$1000$salt$c2hvcnQ=",
            "malformed pbkdf2_sha256 hash",
        ),
        (
            "pbkdf2_sha256$99999999$QoB7xz1kq0xSeQmfyn2dJ1$5WxBaonCJaM/ZEvOrWNc853rB4ge1Cm9Wdl3JWMann4=",
            "malformed pbkdf2_sha256 hash",
        ),
        ("bcrypt_sha256$$2b$04$short", "malformed bcrypt_sha256 hash"),
        (
            "bcrypt_sha256$$2b$31$quliEUEyd4skdytn1c/qz.8rbSNedBtDUk/iogsVr76fhxd5FQ5oq",
            "malformed bcrypt_sha256 hash",
        ),
        (
            "argon2$argon2id$v=19$m=256,t=1",
            "malformed django argon2 hash",
        ),
        (
            "argon2$argon2id$v=19$m=4194304,t=1,p=1$QnNNVjFvRFpVQnp1cktZRjBBMFNkYQ$Rt1Xno1A5ZQzdnMI85ByVQmkIhzqzenpZi9E1XRxXNE",
            "malformed django argon2 hash",
        ),
        (
            "$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA",
            "not an argon2 PHC string we accept",
        ),
    ];
    for (stored, reason) in refused {
        assert_eq!(
            scheme_of(stored).map_err(|e| e.to_string()),
            Err(reason.to_owned()),
            "{stored}"
        );
    }
}

#[test]
fn django_hashes_verify_their_password_and_ask_for_a_rehash() {
    for stored in [
        DJANGO_PBKDF2,
        DJANGO_BCRYPT_SHA256,
        DJANGO_ARGON2_WEAK,
        DJANGO_ARGON2,
    ] {
        assert_eq!(
            verify_blocking(DJANGO_PASSWORD, stored).unwrap(),
            Verification::Match { needs_rehash: true },
            "{stored}"
        );
        assert_eq!(
            verify_blocking("pâte à crêpes, 3 oeufs", stored).unwrap(),
            Verification::Mismatch,
            "{stored}"
        );
    }
}

#[tokio::test]
async fn failures_are_padded_to_what_an_imported_hash_costs() {
    let hasher = PasswordHasher::new(1).unwrap();
    assert_eq!(hasher.failure_floor(), Duration::ZERO);
    // Our own format teaches nothing: every failure already costs one argon2 check.
    hasher
        .learn_cost_of(&hash_blocking("x", &mut fresh_memory(OUR_BLOCKS)).unwrap())
        .await
        .unwrap();
    assert_eq!(hasher.failure_floor(), Duration::ZERO);
    hasher.learn_cost_of(DJANGO_PBKDF2).await.unwrap();
    assert!(hasher.failure_floor() > Duration::ZERO);
    // Requests teach it only while nothing was learned, and never past the cap.
    let hasher = PasswordHasher::new(1).unwrap();
    hasher.note_legacy_cost(Duration::from_millis(400));
    assert_eq!(hasher.failure_floor(), Duration::from_millis(400));
    hasher.note_legacy_cost(Duration::ZERO);
    hasher.note_legacy_cost(Duration::from_secs(1));
    assert_eq!(hasher.failure_floor(), Duration::from_millis(400));
    hasher.set_legacy_cost(Duration::from_secs(60));
    assert_eq!(hasher.failure_floor(), MAX_FAILURE_FLOOR);
    let started = tokio::time::Instant::now() - MAX_FAILURE_FLOOR - Duration::from_secs(1);
    // A failure that already took longer than the floor is answered at once.
    tokio::time::timeout(
        Duration::from_millis(100),
        hasher.answer_failure_after(started),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_unusable_password_never_matches() {
    let hasher = PasswordHasher::new(1).unwrap();
    for stored in [UNUSABLE, "!FYlEEPnOT3UZnuPzEcFSZz1Lza8mhMc0qIbZJTkF"] {
        assert_eq!(
            hasher.verify(&pw(""), Some(stored)).await.unwrap(),
            Verification::Mismatch
        );
        assert_eq!(
            hasher.verify(&pw(stored), Some(stored)).await.unwrap(),
            Verification::Mismatch
        );
    }
}
