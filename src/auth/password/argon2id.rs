//! argon2id with our parameters, and the working memory a burst of hashes reuses.
use std::sync::{Arc, Mutex};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{Output, ParamsString, SaltString},
};
use rand::rngs::OsRng;
use subtle::ConstantTimeEq as _;

use super::{LANES, MEMORY_KIB, PASSES};

/// argon2's working memory: 19 MiB per hash with our parameters. While every permit is
/// in use the buffers are kept and reused, so a login storm works in the same few
/// buffers instead of mapping and faulting in fresh memory for each attempt (which the
/// allocator's per-thread arenas then keep); once hashing is quiet they are freed.
#[derive(Clone, Default)]
pub(super) struct WorkingMemory(Arc<Mutex<Vec<Vec<Block>>>>);

impl WorkingMemory {
    pub(super) fn take(&self, blocks: usize) -> Vec<Block> {
        if blocks == 0 {
            return Vec::new();
        }
        let pooled = self.pool().pop().filter(|buffer| buffer.len() >= blocks);
        pooled.unwrap_or_else(|| fresh_memory(blocks))
    }

    pub(super) fn give_back(&self, buffer: Vec<Block>, busy: bool) {
        let mut pool = self.pool();
        if !busy {
            // The storm is over: free what it left behind, this buffer included.
            pool.clear();
        } else if buffer.len() == OUR_BLOCKS {
            pool.push(buffer);
        }
    }

    pub(super) fn pool(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// glibc's malloc serves requests of this size or more with a mapping of their own and
/// unmaps them on free, whatever it has learned; smaller ones (19 MiB included, once
/// a first one was freed) come from per-thread arenas that keep them after use.
pub(super) const ALWAYS_MAPPED_BYTES: usize = 32 * 1024 * 1024 + 4096;

/// Working memory that goes back to the system when dropped: the buffer reserves an
/// always-mapped size, and only the blocks argon2 uses are ever touched, hence resident.
pub(super) fn fresh_memory(blocks: usize) -> Vec<Block> {
    let reserve = blocks.max(ALWAYS_MAPPED_BYTES.div_ceil(size_of::<Block>()));
    let mut memory = Vec::with_capacity(reserve);
    memory.resize(blocks, Block::default());
    memory
}

/// Blocks (1 KiB each) that one hash with our parameters works in.
pub(super) const OUR_BLOCKS: usize = MEMORY_KIB as usize;

pub(super) fn our_params() -> Params {
    Params::new(MEMORY_KIB, PASSES, LANES, None).expect("constant argon2 params are valid")
}

pub(super) fn hash_blocking(password: &str, memory: &mut [Block]) -> anyhow::Result<String> {
    let failed = |e: argon2::Error| anyhow::anyhow!("argon2 hashing failed: {e}");
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("argon2 salt: {e}"))?;
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, our_params())
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut output, memory)
        .map_err(failed)?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&our_params())
            .map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output).map_err(|e| anyhow::anyhow!("argon2 output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Recomputes an argon2 PHC hash in `memory` (or in a buffer of its own when its
/// parameters need more) and compares in constant time.
pub(super) fn argon2_matches(
    password: &str,
    hash: &PasswordHash<'_>,
    memory: &mut [Block],
) -> anyhow::Result<bool> {
    let malformed = || anyhow::anyhow!("argon2 hash parts do not parse");
    let params = Params::try_from(hash).map_err(|_| malformed())?;
    let algorithm = Algorithm::try_from(hash.algorithm).map_err(|_| malformed())?;
    let version = hash
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)
        .map_err(|_| malformed())?;
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return Err(malformed());
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|_| malformed())?;
    let mut own;
    let memory = if memory.len() >= params.block_count() {
        memory
    } else {
        own = fresh_memory(params.block_count());
        &mut own[..]
    };
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut computed, memory)
        .map_err(|e| anyhow::anyhow!("argon2 verification failed: {e}"))?;
    Ok(bool::from(computed.ct_eq(expected.as_bytes())))
}

pub(super) fn is_weaker_than_ours(hash: &PasswordHash<'_>) -> bool {
    if hash.algorithm != argon2::ARGON2ID_IDENT {
        return true;
    }
    match Params::try_from(hash) {
        Ok(p) => p.m_cost() < MEMORY_KIB || p.t_cost() < PASSES,
        Err(_) => true,
    }
}
